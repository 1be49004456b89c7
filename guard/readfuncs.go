package guard

import "github.com/sqlvigil/sqlvigil/internal/sqlparse"

// isReadFunction reports whether name, as the analyser reports it
// (lowercase, qualified as written), is a built-in function of dialect d
// that only computes a value. The analyser keeps the one list, which also
// decides a select item's lineage (sqlparse.ValueFunction); an unlisted
// function is treated as unknown.
func isReadFunction(d sqlparse.Dialect, name string) bool {
	return sqlparse.ValueFunction(d, name)
}
