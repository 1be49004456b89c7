package redteam_test

import (
	"github.com/sqlvigil/sqlvigil/identity"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

// interpolating lists the backends whose driver writes bound arguments
// into the text on the client (go-sql-driver/mysql with interpolateParams,
// pgx in simple-protocol mode): there the server never sees a placeholder,
// and a placeholder the client's lexer finds where the server's lexer sees
// a string or a comment would let an argument rewrite the statement.
func interpolating() []backend {
	var out []backend
	for _, b := range backends() {
		if b.family == my {
			out = append(out, b)
		}
	}
	return append(out, backend{name: "pgx-simple-protocol", family: pg, driver: "pgx", dsn: func(t testing.TB) string {
		return testdb.Postgres(t) + "&default_query_exec_mode=simple_protocol"
	}})
}

// TestPlaceholdersInLiterals hides a placeholder in a string, a comment or
// an identifier and binds an argument that would break out of it if the
// client driver substituted it there. The engine must not be harmed, and
// the denied table not read.
func TestPlaceholdersInLiterals(t *testing.T) {
	cases := map[string][]struct{ sql, arg string }{
		my: {
			{"SELECT '?'", "; DROP TABLE victim; -- "},
			{"SELECT 1 /* ? */", "*/; DROP TABLE victim; -- "},
			// go-sql-driver/mysql reads "/*/" as a comment opened and
			// closed, MariaDB as one opened only: the driver would write the
			// argument where the server reads a comment that the argument
			// closes. sqlvigil has the server bind it instead.
			{"SELECT 1 /*/ ? */", "*/; DROP TABLE victim; -- "},
			{"SELECT 1 -- ?\n", "\n; DROP TABLE victim; -- "},
			{"SELECT 1 # ?\n", "\n; DROP TABLE victim; -- "},
			{"SELECT 1 --\v?", "\n; DROP TABLE victim; -- "},
			{"SELECT 1 AS `?`", "` FROM victim; DROP TABLE victim; -- "},
			{`SELECT "?"`, `"; DROP TABLE victim; -- `},
			{"SELECT name FROM victim WHERE name = '?'", " OR 1=1 UNION SELECT note FROM vault -- "},
			{"DELETE FROM victim WHERE id = 1 AND name = '?'", " OR 1=1 -- "},
		},
		pg: {
			{"SELECT 1 /* /* */ $1 */", "*/; DROP TABLE victim; -- "},
			{"SELECT $$ $1 $$", "$$; DROP TABLE victim; -- "},
			{"SELECT $q$ $1 $q$", "$q$; DROP TABLE victim; -- "},
			{"SELECT E'\\' $1 '", "'; DROP TABLE victim; -- "},
			{"SELECT '$1'", "; DROP TABLE victim; -- "},
			{`SELECT 1 AS "$1"`, `"; DROP TABLE victim; -- `},
		},
	}
	for _, b := range interpolating() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			for _, c := range cases[b.family] {
				for _, who := range []struct {
					name string
					id   identity.Identity
				}{{"dev", dev}, {"agent", bot}} {
					t.Run(who.name+"/"+c.sql, func(t *testing.T) {
						l.resetVictim(t)
						m := l.mark()
						got, err := l.readArgs(t, who.id, c.sql, c.arg)
						l.oneRecord(t, m)
						if h := l.victim(); h != "" {
							t.Errorf("the engine was harmed (error %v): victim %s", err, h)
						}
						if x := leaked(got); x != "" {
							t.Errorf("%q read in clear: %s", x, got)
						}
					})
				}
			}
		})
	}
}
