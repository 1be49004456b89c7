package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// SQLite has no statement that resets a connection. sqlvigil detaches
// attached databases, drops temporary objects and restores the PRAGMAs of
// restorablePragmas to the values they had before the first statement that
// set them; anything else (another PRAGMA set, an extension loaded, a
// transaction or savepoint begun by text, a text not fully read) can only
// be undone by closing the connection.

// restorablePragmas are the SQLite PRAGMAs that hold a setting of the
// connection alone, which reading the PRAGMA returns and assigning it
// restores.
var restorablePragmas = map[string]bool{
	"foreign_keys": true, "recursive_triggers": true, "defer_foreign_keys": true,
	"query_only": true, "cache_size": true, "busy_timeout": true, "synchronous": true,
	"temp_store": true, "trusted_schema": true, "cell_size_check": true,
	"ignore_check_constraints": true, "reverse_unordered_selects": true,
	"automatic_index": true, "legacy_alter_table": true, "cache_spill": true,
	"read_uncommitted": true, "count_changes": true, "full_column_names": true,
	"short_column_names": true, "empty_result_callbacks": true, "writable_schema": true,
}

// readPragmas are SQLite PRAGMAs that only report, whatever their argument
// (a table or index name).
var readPragmas = map[string]bool{
	"table_info": true, "table_xinfo": true, "table_list": true, "index_list": true,
	"index_info": true, "index_xinfo": true, "foreign_key_list": true, "database_list": true,
	"collation_list": true, "function_list": true, "module_list": true, "pragma_list": true,
	"compile_options": true, "data_version": true, "freelist_count": true, "page_count": true,
	"integrity_check": true, "quick_check": true, "foreign_key_check": true,
}

// sqliteSnapshot keeps, before a statement that changes the session of a
// SQLite connection runs, the values of the PRAGMAs it sets; it marks the
// connection for closing when the change cannot be undone in place.
func (i *interceptor) sqliteSnapshot(ctx context.Context, cs *connState, s *sqlparse.Script) {
	sess := &cs.sess
	if !s.Complete || s.Any(func(st *sqlparse.Statement) bool {
		return st.Kind == sqlparse.KindUnknown || st.Kind == sqlparse.KindOther
	}) || sqliteUnresettable(s) {
		sess.discard = true
		return
	}
	names, _ := pragmasSet(s.Normalized)
	for _, n := range names {
		if _, seen := sess.pragmas[n]; seen || sess.discard {
			continue
		}
		rows, err := queryAll(ctx, cs.parent, "PRAGMA "+n)
		if err != nil || len(rows) != 1 || len(rows[0]) != 1 {
			sess.discard = true
			continue
		}
		v, ok := sqlLiteral(rows[0][0])
		if !ok {
			sess.discard = true
			continue
		}
		if sess.pragmas == nil {
			sess.pragmas = map[string]string{}
		}
		sess.pragmas[n] = v
	}
}

// sqliteUnresettable reports whether what a SQLite text leaves on its
// session can only be undone by closing the connection, as far as the
// analysis can tell: a transaction or savepoint begun by text, an
// extension loaded, a PRAGMA not restorable. (A text not fully read, or a
// statement of unknown effect, may too.)
func sqliteUnresettable(s *sqlparse.Script) bool {
	for k := range s.Statements {
		st := &s.Statements[k]
		switch st.Kind {
		case sqlparse.KindBegin, sqlparse.KindSavepoint:
			return true
		}
		if slices.Contains(st.Functions, "load_extension") {
			return true
		}
	}
	_, ok := pragmasSet(s.Normalized)
	return !ok
}

// sqliteInMemory reports whether the main database of a SQLite connection
// lives in memory (or in an anonymous temporary file): it is lost with its
// last connection, so such a connection is never closed to clear its
// session. The answer is kept for the connection; when the catalog cannot
// be read, the answer is yes.
func sqliteInMemory(ctx context.Context, cs *connState) bool {
	if cs.sess.mem == 0 {
		cs.sess.mem = memYes
		rows, err := queryAll(ctx, cs.parent, "PRAGMA database_list")
		if err != nil {
			return true // not kept: asked again next time
		}
		for _, row := range rows {
			if len(row) < 3 {
				break
			}
			if name, _ := textOf(row[1]); name == "main" {
				if file, _ := textOf(row[2]); file != "" {
					cs.sess.mem = memNo
				}
			}
		}
	}
	return cs.sess.mem == memYes
}

// pragmasSet returns the restorable PRAGMAs a normalized text sets; false
// when it sets one that cannot be restored, or names one it cannot read.
func pragmasSet(norm string) ([]string, bool) {
	var names []string
	for _, part := range strings.Split(norm, ";") {
		part = strings.TrimSpace(part)
		if len(part) < 7 || !strings.EqualFold(part[:6], "PRAGMA") || part[6] != ' ' {
			continue
		}
		rest := strings.TrimSpace(part[7:])
		end := strings.IndexAny(rest, " =(")
		name, args := rest, ""
		if end >= 0 {
			name, args = rest[:end], strings.TrimSpace(rest[end:])
		}
		name = strings.ToLower(name)
		schema, n, qualified := strings.Cut(name, ".")
		if qualified {
			name = n
		}
		for _, c := range schema + name {
			if !(c >= 'a' && c <= 'z' || c == '_' || c >= '0' && c <= '9') {
				return nil, false // quoted or odd: not read with certainty
			}
		}
		switch {
		case readPragmas[name], args == "":
			// A report, or a bare read, of any schema.
		case qualified && schema != "main":
			return nil, false // only main's values are kept to be restored
		case restorablePragmas[name]:
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		default:
			return nil, false
		}
	}
	return names, true
}

// sqliteResetSession resets a SQLite session in place: PRAGMAs restored,
// attached databases detached, temporary objects dropped.
func (i *interceptor) sqliteResetSession(ctx context.Context, cs *connState) error {
	p := cs.parent
	// PRAGMAs first: query_only would refuse the drops.
	for n, v := range cs.sess.pragmas {
		if _, err := p.ExecContext(ctx, "PRAGMA "+n+" = "+v, nil); err != nil {
			return err
		}
	}
	dbs, err := queryAll(ctx, p, "PRAGMA database_list")
	if err != nil {
		return err
	}
	for _, row := range dbs {
		if len(row) < 2 {
			return errors.New("sqlvigil: unexpected database_list")
		}
		name, _ := textOf(row[1])
		if name == "main" || name == "temp" {
			continue
		}
		if _, err := p.ExecContext(ctx, "DETACH DATABASE "+quoteIdent(name), nil); err != nil {
			return err
		}
	}
	objs, err := queryAll(ctx, p, "SELECT type, name FROM temp.sqlite_master "+
		"WHERE type IN ('trigger', 'view', 'table') AND name NOT LIKE 'sqlite!_%' ESCAPE '!' "+
		"ORDER BY CASE type WHEN 'trigger' THEN 0 WHEN 'view' THEN 1 ELSE 2 END")
	if err != nil {
		return err
	}
	for _, row := range objs {
		typ, _ := textOf(row[0])
		name, _ := textOf(row[1])
		if _, err := p.ExecContext(ctx, "DROP "+strings.ToUpper(typ)+" IF EXISTS temp."+quoteIdent(name), nil); err != nil {
			return err
		}
	}
	return nil
}

// queryAll runs a query without arguments on the driver's connection and
// returns its rows.
func queryAll(ctx context.Context, p *sqlmw.ParentConn, query string) ([][]sqldriver.Value, error) {
	rows, err := p.QueryContext(ctx, query, nil)
	if err == sqldriver.ErrSkip {
		return nil, errors.New("sqlvigil: the driver cannot run the session reset")
	}
	if err != nil {
		return nil, err
	}
	if rows == nil {
		return nil, errNilRows
	}
	defer rows.Close()
	n := len(rows.Columns())
	var out [][]sqldriver.Value
	for {
		dest := make([]sqldriver.Value, n)
		if err := rows.Next(dest); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		out = append(out, dest)
	}
}

// errNilRows is returned for a driver that answers a query with neither
// rows nor an error.
var errNilRows = errors.New("sqlvigil: the driver returned no rows and no error")

func textOf(v sqldriver.Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// sqlLiteral renders a PRAGMA's value as SQL.
func sqlLiteral(v sqldriver.Value) (string, bool) {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	}
	if s, ok := textOf(v); ok {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'", true
	}
	return "", false
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
