package driver

import (
	sqldriver "database/sql/driver"
	"errors"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

func isBadConn(err error) bool { return errors.Is(err, sqldriver.ErrBadConn) }

func decisionName(d guard.Decision) string {
	switch d {
	case guard.Allow:
		return "allow"
	case guard.Deny:
		return "deny"
	case guard.Review:
		return "review"
	default:
		return "deny" // an unspecified decision is a denial
	}
}

func modeName(m guard.Mode) string {
	if m == guard.ModeMonitor {
		return "monitor"
	}
	return "enforce"
}

// operationName is db.operation.name for a statement kind.
func operationName(k sqlparse.Kind) string {
	switch k {
	case sqlparse.KindSelect:
		return "SELECT"
	case sqlparse.KindInsert:
		return "INSERT"
	case sqlparse.KindUpdate:
		return "UPDATE"
	case sqlparse.KindDelete:
		return "DELETE"
	case sqlparse.KindMerge:
		return "MERGE"
	case sqlparse.KindReplace:
		return "REPLACE"
	case sqlparse.KindCreate:
		return "CREATE"
	case sqlparse.KindAlter:
		return "ALTER"
	case sqlparse.KindDrop:
		return "DROP"
	case sqlparse.KindTruncate:
		return "TRUNCATE"
	case sqlparse.KindRename:
		return "RENAME"
	case sqlparse.KindComment:
		return "COMMENT"
	case sqlparse.KindGrant:
		return "GRANT"
	case sqlparse.KindRevoke:
		return "REVOKE"
	case sqlparse.KindCopy:
		return "COPY"
	case sqlparse.KindLoadData:
		return "LOAD DATA"
	case sqlparse.KindCall:
		return "CALL"
	case sqlparse.KindDo:
		return "DO"
	case sqlparse.KindPrepare:
		return "PREPARE"
	case sqlparse.KindExecute:
		return "EXECUTE"
	case sqlparse.KindDeallocate:
		return "DEALLOCATE"
	case sqlparse.KindSet:
		return "SET"
	case sqlparse.KindReset:
		return "RESET"
	case sqlparse.KindShow:
		return "SHOW"
	case sqlparse.KindBegin:
		return "BEGIN"
	case sqlparse.KindCommit:
		return "COMMIT"
	case sqlparse.KindRollback:
		return "ROLLBACK"
	case sqlparse.KindSavepoint:
		return "SAVEPOINT"
	case sqlparse.KindRelease:
		return "RELEASE"
	case sqlparse.KindExplain:
		return "EXPLAIN"
	case sqlparse.KindLock:
		return "LOCK"
	case sqlparse.KindUnlock:
		return "UNLOCK"
	case sqlparse.KindVacuum:
		return "VACUUM"
	case sqlparse.KindAnalyze:
		return "ANALYZE"
	case sqlparse.KindUse:
		return "USE"
	case sqlparse.KindAttach:
		return "ATTACH"
	case sqlparse.KindPragma:
		return "PRAGMA"
	case sqlparse.KindValues:
		return "VALUES"
	case sqlparse.KindTable:
		return "TABLE"
	default:
		return ""
	}
}
