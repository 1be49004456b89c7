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
	if k == sqlparse.KindUnknown || k == sqlparse.KindOther {
		return ""
	}
	return k.String()
}
