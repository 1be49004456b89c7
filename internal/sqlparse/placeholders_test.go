package sqlparse_test

import (
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// Placeholders are counted where the server reads code; a driver that
// writes arguments into the text must find the same number, or the text is
// not to be trusted with arguments.
func TestPlaceholdersArgsMatch(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		args int
		want bool
	}{
		{sqlparse.MySQL, "SELECT ? , ?", 2, true},
		{sqlparse.MySQL, "SELECT ?", 2, false},
		{sqlparse.MySQL, "SELECT '?', ?", 1, true},
		// MariaDB reads "/*/" as a comment opened only: no placeholder.
		{sqlparse.MySQL, "SELECT 1 /*/ ? */", 1, false},
		{sqlparse.MySQL, "SELECT 1 -- ?\n", 1, false},
		{sqlparse.MySQL, "SELECT 1 /*! , ? */", 1, true},
		{sqlparse.PostgreSQL, "SELECT $1, $1, $2", 2, true},
		{sqlparse.PostgreSQL, "SELECT $2", 1, false},
		{sqlparse.PostgreSQL, "SELECT '$1'", 1, false},
		{sqlparse.PostgreSQL, "SELECT $$ $1 $$", 1, false},
		{sqlparse.PostgreSQL, "SELECT data ? 'key' FROM t", 0, true},
		{sqlparse.SQLite, "SELECT ?1, ?2", 2, true},
		{sqlparse.SQLite, "SELECT ?, ?2", 2, false},
		{sqlparse.SQLite, "SELECT :name, @other", 5, true}, // named: not judged
	}
	for _, tt := range tests {
		t.Run(tt.d.String()+"/"+tt.give, func(t *testing.T) {
			p := sqlparse.Analyze(tt.d, tt.give).Placeholders
			if got := p.ArgsMatch(tt.args); got != tt.want {
				t.Errorf("ArgsMatch(%d) = %v for %+v, want %v", tt.args, got, p, tt.want)
			}
		})
	}
}
