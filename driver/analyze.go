package driver

import (
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// newAnalyzer returns the statement analyser: cached by text, unless
// cacheSize is 0. The cache is per wrapped driver or connector.
func newAnalyzer(cacheSize int) func(sqlstmt.Dialect, string) *sqlparse.Script {
	if cacheSize == 0 {
		return sqlparse.Analyze
	}
	return sqlparse.NewCache(cacheSize).Analyze
}
