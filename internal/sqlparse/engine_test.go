package sqlparse_test

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

// TestAgainstEngines runs every bypass text on the real servers, each on a
// fresh connection with a table x in place, and holds the analyser to what
// the server did: when x is gone, the analyser either found the DROP or
// said it was not sure. The reverse (the analyser sees a DROP the server
// did not run, as when a syntax error stops a script) errs on the safe
// side and is only logged.
func TestAgainstEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("talks to the servers")
	}
	texts := append([]string(nil), bypassSeeds...)
	texts = append(texts,
		"SELECT 1 /* a /* b */ ; DROP TABLE x; */",
		"SELECT 1 -- ; DROP TABLE x\nSELECT 2",
		"SELECT 'a\\\\'; DROP TABLE x; --'",
		"SELECT E'\\\\'; DROP TABLE x; --'",
		"SELECT \"a\"; DROP TABLE x; -- \"",
		"SELECT 1 /*!99999 ; DROP TABLE x */",
		"SELECT 1 /*!10000 ; DROP TABLE x */",
		"SELECT 1 /*M!999999 ; DROP TABLE x */",
		"SELECT 1 /*M!100000 ; DROP TABLE x */",
	)
	checkEngines(t, texts)
}

// TestAgainstEnginesGenerated is TestAgainstEngines on texts assembled at
// random (with a fixed seed) from the pieces bypasses are made of, around
// a DROP TABLE x.
func TestAgainstEnginesGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("talks to the servers")
	}
	pieces := []string{
		"'", `"`, "`", `\`, "--", "-- ", "#", "/*", "*/", "/*!", "/*!50000 ", "/*M!", "/*T!", "$$", "$a$",
		"E'", "[", "]", ";", "\n", " ", "1", "SELECT 1", "x$$", "''", `\'`, "/* /* */", "(", ")",
		`U&"`, "N'", "_utf8mb4'", "--1", "-", "a", "B'", "X'", "$1", "?", ":x", "@x", "\t",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	texts := make([]string, 0, 300)
	for len(texts) < cap(texts) {
		var b strings.Builder
		for k := rng.IntN(5); k > 0; k-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		b.WriteString(" DROP TABLE x ")
		for k := rng.IntN(4); k > 0; k-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	checkEngines(t, texts)
}

// checkEngines runs each text on the three servers, as TestAgainstEngines
// describes.
func checkEngines(t *testing.T, texts []string) {
	for _, e := range []struct {
		d      sqlparse.Dialect
		driver string
		dsn    func(t *testing.T) string
	}{
		{pg, "postgres", func(t *testing.T) string { return testdb.Postgres(t) }},
		{my, "mysql", func(t *testing.T) string { return testdb.MySQL(t, "multiStatements=true") }},
		{lt, "sqlite", func(t *testing.T) string { return testdb.SQLite(t) }},
	} {
		t.Run(e.d.String(), func(t *testing.T) {
			db, err := sql.Open(e.driver, e.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if e.d != lt {
				db.SetMaxIdleConns(0) // a fresh session for every text
			}
			ran, found := 0, 0
			defer func() {
				t.Logf("%d texts; the server dropped x for %d, which the analyser found in %d and doubted in the others",
					len(texts), ran, found)
			}()
			for _, text := range texts {
				if strings.Contains(text, "PROGRAM") || strings.Contains(text, "OUTFILE") || strings.Contains(text, "\x00") {
					continue // never run these on a server
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				for _, q := range []string{"DROP TABLE IF EXISTS x", "CREATE TABLE x (id int)", "DROP PROCEDURE IF EXISTS p"} {
					if e.d == lt && strings.HasPrefix(q, "DROP PROCEDURE") {
						continue
					}
					if _, err := db.ExecContext(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				_, runErr := db.ExecContext(ctx, text)
				var n int
				probe := "SELECT count(*) FROM x"
				dropped := db.QueryRowContext(ctx, probe).Scan(&n) != nil
				cancel()
				s := sqlparse.Analyze(e.d, text)
				if dropped {
					ran++
					if s.Complete {
						found++
					}
				}
				switch {
				case dropped && s.Complete && !dropsVictim(s):
					t.Errorf("%q: the server dropped x; the analyser is sure it does not (statements %d)", text, len(s.Statements))
				case !dropped && s.Complete && dropsVictim(s):
					t.Logf("%q: the analyser sees a DROP the server did not run (%v)", text, runErr)
				}
			}
		})
	}
}
