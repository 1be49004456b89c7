package driver

import (
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// newAnalyzer returns the statement analyser.
func newAnalyzer(cacheSize int) func(Dialect, string) *sqlparse.Script {
	_ = cacheSize // the analyser's cache is not there yet
	return sqlparse.Analyze
}
