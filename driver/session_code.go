package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"slices"
	"strings"
	"time"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Code the text does not show. A statement's text is not all it runs: the
// server may run user code on its behalf, and that code may change the
// session as any statement could (set_config, SET @v, a temporary table).
// Such a statement counts as one that changes the session.
//   - PostgreSQL runs user code from almost any statement: a view's
//     functions, a trigger, a rule, a column default, a row-security
//     policy, and even without a relation a domain's check (SELECT 1::d)
//     or an operator (SELECT 1 === 2). Every statement counts; the cost is
//     one reset in place when the connection changes identity.
//   - MySQL and MariaDB run stored code from a view (its stored functions)
//     and from a table's triggers. A statement that reads or writes a
//     relation the catalog says is a view or has triggers counts, and so
//     does one whose relations the catalog could not be asked about (the
//     answers are cached per handle for catalogMaxAge, and forgotten
//     after DDL or a statement that may run some, such as CALL). Its
//     connection is closed when it changes identity.
//   - SQLite has no stored code that changes the session: a trigger runs
//     DML only.

// runsHiddenCode reports whether s may run user code its text does not
// show.
func (i *interceptor) runsHiddenCode(ctx context.Context, cs *connState, s *sqlparse.Script) bool {
	switch i.cfg.dialect {
	case sqlstmt.PostgreSQL:
		return true
	case sqlstmt.MySQL:
		return s.Any(func(st *sqlparse.Statement) bool {
			for _, t := range st.Reads {
				if i.storedCode(ctx, cs, t, false) {
					return true
				}
			}
			for _, t := range st.Writes {
				if i.storedCode(ctx, cs, t, true) {
					return true
				}
			}
			return false
		})
	}
	return false
}

// storedCode reports whether the MySQL relation t is a view, or, when it
// is written, a table with triggers, or may be: yes when the catalog
// cannot tell. (Reading a table fires no trigger.)
func (i *interceptor) storedCode(ctx context.Context, cs *connState, t sqlparse.Table, write bool) bool {
	if cs.parent == nil || t.Name == "" || !plainName(t.Schema) || !plainName(t.Name) {
		return true
	}
	cat := &i.code
	if cs.private {
		cat = new(catalog) // names resolve on this connection alone
	}
	key := "\x00code:" + t.String()
	now := time.Now()
	v := cat.cached(key, now)
	if v == nil {
		var exists bool
		if v, exists = storedCodeOf(ctx, cs, t, now); v == nil {
			return true
		}
		if exists {
			// The answer for a relation that does not exist yet is not
			// kept: it may be created (by a procedure, say) before it is
			// read.
			cat.keep(key, v)
		}
	}
	// isView: a view; opaque: a table with triggers.
	return v.isView || write && v.opaque
}

// storedCodeOf asks the catalog whether t is a view and whether it has
// triggers (nil when it cannot tell), and whether it exists.
func storedCodeOf(ctx context.Context, cs *connState, t sqlparse.Table, now time.Time) (*view, bool) {
	schema := "DATABASE()"
	if t.Schema != "" {
		schema = "'" + t.Schema + "'"
	}
	where := "_SCHEMA = " + schema + " AND "
	rows, err := (&catalogConn{q: cs.parent}).query(ctx, "SELECT "+
		"(SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE"+where+"TABLE_NAME = '"+t.Name+"'), "+
		"(SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT"+where+"EVENT_OBJECT_TABLE = '"+t.Name+"'), "+
		"(SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE"+where+"TABLE_NAME = '"+t.Name+"')")
	if err != nil {
		return nil, false
	}
	defer rows.Close()
	dest := make([]sqldriver.Value, 3)
	if len(rows.Columns()) != 3 || rows.Next(dest) != nil {
		return nil, false
	}
	return &view{at: now, isView: !isZero(dest[0]), opaque: !isZero(dest[1])}, !isZero(dest[2])
}

// isZero reports a count of zero, as text or as an integer.
func isZero(v sqldriver.Value) bool {
	if n, ok := v.(int64); ok {
		return n == 0
	}
	return text(v) == "0"
}

// readsPrevious reports whether s reads a value that the previous
// statement on its connection left, which no reset in place clears:
// SQLite last_insert_rowid(), changes() and total_changes(); MySQL
// LAST_INSERT_ID(), ROW_COUNT() and FOUND_ROWS(), @@identity,
// @@last_insert_id, @@warning_count and @@error_count, SHOW WARNINGS or
// ERRORS and GET DIAGNOSTICS (whose texts may quote another identity's
// values). PostgreSQL's lastval() and currval() are cleared by its reset.
func readsPrevious(d sqlstmt.Dialect, s *sqlparse.Script) bool {
	var fns []string
	switch d {
	case sqlstmt.SQLite:
		fns = []string{"last_insert_rowid", "changes", "total_changes"}
	case sqlstmt.MySQL:
		fns = []string{"last_insert_id", "row_count", "found_rows"}
	default:
		return false
	}
	if s == nil {
		return false
	}
	var t string
	if d == sqlstmt.MySQL {
		// Spaces and backquotes out: @@session . `warning_count`.
		t = strings.NewReplacer(" ", "", "\t", "", "\n", "", "\r", "", "`", "").Replace(strings.ToUpper(s.Normalized))
		for _, v := range [...]string{"IDENTITY", "LAST_INSERT_ID", "WARNING_COUNT", "ERROR_COUNT"} {
			if strings.Contains(t, "@@"+v) || strings.Contains(t, "@@SESSION."+v) {
				return true
			}
		}
	}
	return s.Any(func(st *sqlparse.Statement) bool {
		if d == sqlstmt.MySQL {
			switch st.Kind {
			case sqlparse.KindShow:
				for _, w := range [...]string{"SHOWWARNINGS", "SHOWERRORS", "SHOWCOUNT(*)WARNINGS", "SHOWCOUNT(*)ERRORS"} {
					if strings.Contains(t, w) {
						return true
					}
				}
			case sqlparse.KindOther:
				if strings.Contains(t, "DIAGNOSTICS") {
					return true // GET [CURRENT | STACKED] DIAGNOSTICS
				}
			}
		}
		return slices.ContainsFunc(st.Functions, func(f string) bool {
			if k := strings.LastIndexByte(f, '.'); k >= 0 {
				f = f[k+1:]
			}
			return slices.Contains(fns, f)
		})
	})
}

// mayChangeCharset reports whether a MySQL script may change the
// character set the server reads the connection's texts in: a setting
// that changes lexing (SET NAMES, CHARACTER SET, character_set_client,
// sql_mode), or code whose statements the analysis does not see (CALL,
// EXECUTE, DO, a text not fully read).
func mayChangeCharset(s *sqlparse.Script) bool {
	if !s.Complete {
		return true
	}
	return s.Any(func(st *sqlparse.Statement) bool {
		if st.LexingSetting || !st.Complete {
			return true
		}
		switch st.Kind {
		case sqlparse.KindCall, sqlparse.KindExecute, sqlparse.KindDo, sqlparse.KindUnknown, sqlparse.KindOther:
			return true
		}
		return false
	})
}

// textTxAfter reports whether a transaction begun by text may be open
// after s, given whether one may have been before: BEGIN, START
// TRANSACTION or SAVEPOINT open one; COMMIT, END, ROLLBACK or ABORT close
// it, unless they roll back to a savepoint or chain a new transaction.
func textTxAfter(open bool, s *sqlparse.Script) bool {
	norm := "" // upper-cased only for a COMMIT or ROLLBACK: most statements are neither
	for k := range s.Statements {
		switch s.Statements[k].Kind {
		case sqlparse.KindBegin, sqlparse.KindSavepoint:
			open = true
		case sqlparse.KindCommit, sqlparse.KindRollback:
			if norm == "" {
				norm = strings.ToUpper(s.Normalized)
			}
			if !strings.Contains(norm, " TO ") && !strings.Contains(norm, "CHAIN") {
				open = false
			}
		}
	}
	return open
}
