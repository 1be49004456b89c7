package sqlparse_test

import (
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// knownReasons returns every reason the analyser gives: constant strings,
// so a reason can never carry text from the statement.
func knownReasons() map[string]bool {
	known := map[string]bool{}
	for _, r := range strings.Split("ALTER … ALL IN TABLESPACE|CREATE TABLE AS EXECUTE|CTE as a write target|"+
		"NUL byte in text|SELECT INTO inside another statement|SET STATEMENT … FOR|UESCAPE clause|"+
		"carriage return in a line comment|comment inside an executable comment|data-modifying statement in a nested WITH|"+
		"data-modifying statement in a subquery|derived table as a write target|"+
		"double-quoted text whose end depends on ANSI_QUOTES|invalid UTF-8|name with too many parts|"+
		"nesting too deep|number followed by identifier|parameter followed by identifier|"+
		"prepared text with escapes|prepared text with several statements|schema elements|"+
		"stored program or compound statement|string holding a comment end inside an executable comment|"+
		"string whose end depends on NO_BACKSLASH_ESCAPES|string whose end depends on standard_conforming_strings|"+
		"text exceeds 1 MiB|more than 4096 statements|too many names|unbalanced parentheses|unexpected character|"+
		"unicode escape in identifier|unknown construct|unknown dialect|unknown statement|"+
		"unterminated BEGIN … END block|unterminated comment|unterminated dollar-quoted string|"+
		"unterminated executable comment|unterminated quoted identifier|unterminated string|"+
		"versioned executable comment|zero-length quoted identifier|internal error|procedural code block|prepared statement not in this text", "|") {
		known[r] = true
	}
	return known
}

// bypassSeeds are the families of texts that try to hide a statement from
// an analyser (DESIGN.md, threat model).
var bypassSeeds = []string{
	// comments
	"SELECT 1 /* ; DROP TABLE x; */",
	"SELECT 1 /* /* */ ; DROP TABLE x; */",
	"SELECT 1 -- ; DROP TABLE x\n",
	"SELECT 1 --1; DROP TABLE x",
	"SELECT 1 # ; DROP TABLE x\n",
	"SELECT 1 /*",
	// quoting
	"SELECT '; DROP TABLE x; --'",
	"SELECT 'a''; DROP TABLE x; --'",
	`SELECT 'a\'; DROP TABLE x; --'`,
	`SELECT E'\''; DROP TABLE x; --'`,
	`SELECT "a\"; DROP TABLE x; --"`,
	"SELECT `a``; DROP TABLE x; --`",
	"SELECT [a; DROP TABLE x; --]",
	`SELECT U&"d\0061t" FROM t`,
	"SELECT _utf8mb4'x\\'; DROP TABLE x; -- '",
	// dollar quotes
	"SELECT $$; DROP TABLE x; --$$",
	"SELECT 1 AS x$$; DROP TABLE x; --$$",
	"SELECT $a$ $$ ; DROP TABLE x; $a$",
	"SELECT $1; DROP TABLE x",
	// MySQL executable comments
	"SELECT 1 /*! ; DROP TABLE x */",
	"SELECT 1 /*!50000 ; DROP TABLE x */",
	"SELECT 1 /*M! ; DROP TABLE x */",
	"SELECT 1 /*M!100100 ; DROP TABLE x */",
	"SELECT 1 /*T! ; DROP TABLE x */",
	"SELECT 1 /*!99999 ' */ ; DROP TABLE x; -- '",
	// stacked statements and blocks
	"SELECT 1; DROP TABLE x",
	"BEGIN NOT ATOMIC DROP TABLE x; END",
	"CREATE PROCEDURE p() BEGIN DROP TABLE x; END",
	"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; DROP TABLE x",
	"CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; END; DROP TABLE x",
	"PREPARE p FROM 'DROP TABLE x'",
	// data-modifying CTEs and hidden effects
	"WITH d AS (DELETE FROM x RETURNING *) SELECT * FROM d",
	"WITH a AS (SELECT 1), d AS (DELETE FROM x) SELECT 1",
	"EXPLAIN ANALYZE DELETE FROM x",
	"EXPLAIN (ANALYZE) DELETE FROM x",
	"SELECT * FROM (DELETE FROM x RETURNING *) s",
	"COPY (DELETE FROM x RETURNING *) TO STDOUT",
	"DELETE FROM x WHERE 1=1",
	"DELETE FROM x WHERE id = id",
	"SELECT * FROM t INTO OUTFILE '/tmp/x'",
	"COPY t TO PROGRAM 'sh'",
	// NUL bytes, backslashes, unicode
	"SELECT 1\x00; DROP TABLE x",
	"SELECT '\x00'; DROP TABLE x",
	"DROP\u00a0TABLE x",
	"SELECT 1\uff1b DROP TABLE x",
	"SELECT '\xff'; DROP TABLE x",
	"SET standard_conforming_strings = off; SELECT 'a\\'; DROP TABLE x; --'",
	"SET sql_mode = 'NO_BACKSLASH_ESCAPES'; SELECT 'a\\'; DROP TABLE x; -- '",
	"SET sql_mode = 'ANSI_QUOTES'; SELECT \"a\"; DROP TABLE x",
}

// FuzzAnalyze checks that the analyser never panics, always answers, gives
// only constant reasons, agrees with its cache, and never misses a
// statement appended after arbitrary text: either it finds the DROP, or it
// says it is not sure.
func FuzzAnalyze(f *testing.F) {
	for _, s := range bypassSeeds {
		for d := sqlparse.PostgreSQL; d <= sqlparse.SQLite; d++ {
			f.Add(uint8(d), s)
		}
	}
	knownReasons := knownReasons()
	f.Fuzz(func(t *testing.T, dd uint8, text string) {
		d := sqlparse.Dialect(dd % 4)
		s := sqlparse.Analyze(d, text)
		if s == nil {
			t.Fatal("nil script")
		}
		check := func(s *sqlparse.Script) {
			if !s.Complete && !knownReasons[s.Reason] {
				t.Fatalf("script reason %q is not a known constant", s.Reason)
			}
			for _, st := range s.Statements {
				if !st.Complete && !knownReasons[st.Reason] {
					t.Fatalf("statement reason %q is not a known constant", st.Reason)
				}
				if s.Complete && !st.Complete {
					t.Fatal("complete script with an incomplete statement")
				}
			}
		}
		check(s)
		c := sqlparse.NewCache(8)
		if cs := c.Analyze(d, text); cs.Fingerprint != s.Fingerprint || cs.Complete != s.Complete || len(cs.Statements) != len(s.Statements) {
			t.Fatal("cached analysis differs")
		}
		if d == sqlparse.DialectUnknown {
			return
		}
		// Whatever the text, a DROP appended after it is found or doubted.
		s2 := sqlparse.Analyze(d, text+"\n;DROP TABLE zz_victim;")
		check(s2)
		if !s2.Complete {
			return
		}
		for _, st := range s2.Statements {
			if st.Kind == sqlparse.KindDrop {
				for _, w := range st.Writes {
					if w.Name == "zz_victim" {
						return
					}
				}
			}
		}
		t.Fatalf("complete analysis misses the appended DROP: %+v", s2.Statements)
	})
}
