package redteam_test

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

// ownDatabase returns the PostgreSQL backends, each on a database of its
// own: operators, casts and domains are asked of the whole catalog, and
// casts belong to the database, so those a test makes must not be seen by
// the other tests.
func ownDatabase() []backend {
	var out []backend
	for _, b := range backends() {
		if b.family == pg {
			b.dsn = testdb.PostgresDatabase
			out = append(out, b)
		}
	}
	return out
}

// codeAttack is PostgreSQL code a DBA made earlier that runs on a value
// without a function call in the text: an operator's function, a cast's,
// a domain's CHECK, an operator class's. Each function stores its first
// argument in notes; the attack passes it a masked value.
type codeAttack struct {
	name  string
	setup []string
	// sql runs the code on people.ssn (raw, it stores the SSN in notes).
	sql string
	// benign are reads of the same reader that must still run with the
	// code in place: they carry no masked value, or none the code can reach.
	benign []string
}

// leakFn makes function name(args) that stores its first argument in notes
// and returns ret (an expression of $1).
func leakFn(name, args, rettype, ret string) string {
	return "CREATE FUNCTION " + name + "(" + args + ") RETURNS " + rettype +
		" LANGUAGE sql AS $$ INSERT INTO notes VALUES (990 + (SELECT count(*) FROM notes)::int, $1::text); SELECT " + ret + " $$"
}

func codeAttacks() []codeAttack {
	return []codeAttack{
		// Moved from known_bypass_test.go.
		{name: "operator-in-predicate",
			setup: []string{
				leakFn("leakeq", "varchar, varchar", "bool", "true"),
				"CREATE OPERATOR === (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = leakeq)",
			},
			sql:    "SELECT id FROM people WHERE ssn === name AND id = 1",
			benign: []string{"SELECT ssn FROM people WHERE id = 1", "SELECT body FROM notes WHERE body = 'x'"}},
		{name: "operator-overload-wins",
			setup: []string{
				leakFn("leakcat", "varchar, varchar", "text", "$1::text || $2::text"),
				"CREATE OPERATOR || (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = leakcat)",
			},
			sql:    "SELECT ssn || name FROM people WHERE id = 1",
			benign: []string{"SELECT ssn, name FROM people WHERE id = 1"}},
		{name: "domain-check",
			setup: []string{
				leakFn("leakchk", "varchar", "bool", "true"),
				"CREATE DOMAIN dd AS varchar CHECK (leakchk(VALUE))",
			},
			sql: "SELECT ssn::dd FROM people WHERE id = 1"},
		{name: "cast-with-function",
			setup: []string{
				"CREATE TYPE mood AS (a varchar)",
				leakFn("leakcast", "varchar", "mood", "ROW($1)::mood"),
				"CREATE CAST (varchar AS mood) WITH FUNCTION leakcast(varchar)",
			},
			sql:    "SELECT id FROM people WHERE ssn::mood IS NOT NULL AND id = 1",
			benign: []string{"SELECT ssn FROM people WHERE id = 1", "SELECT body FROM notes WHERE id = 1"}},
		// The same family, with no operator or cast written.
		{name: "operator-equals-for-in",
			setup: []string{
				leakFn("leakeq2", "varchar, varchar", "bool", "$1::text = $2::text"),
				"CREATE OPERATOR = (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = leakeq2)",
			},
			sql: "SELECT id FROM people WHERE ssn IN (name, 'x') AND id = 1"},
		{name: "operator-like",
			setup: []string{
				leakFn("leaklike", "varchar, varchar", "bool", "false"),
				"CREATE OPERATOR ~~ (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = leaklike)",
			},
			sql: "SELECT id FROM people WHERE ssn LIKE name AND id = 1"},
		{name: "operator-reading-a-table-of-its-own",
			setup: []string{
				"CREATE FUNCTION leakown(varchar, varchar) RETURNS bool LANGUAGE sql AS $$ INSERT INTO notes SELECT 990, ssn FROM people WHERE id = 1; SELECT true $$",
				"CREATE OPERATOR ##! (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = leakown)",
			},
			sql: "SELECT 'a'::varchar ##! 'b'::varchar"},
		{name: "negator-of-a-pure-operator",
			setup: []string{
				leakFn("leakneg", "text, text", "bool", "true"),
				"CREATE OPERATOR =~= (LEFTARG = text, RIGHTARG = text, FUNCTION = pg_catalog.starts_with, NEGATOR = !=~=)",
				"CREATE OPERATOR !=~= (LEFTARG = text, RIGHTARG = text, FUNCTION = leakneg)",
			},
			sql: "SELECT id FROM people WHERE NOT (ssn::text =~= name::text) AND id = 1"},
		{name: "domain-default",
			setup: []string{
				"CREATE FUNCTION leakdflt() RETURNS varchar LANGUAGE sql AS $$ INSERT INTO notes VALUES (990, (SELECT ssn FROM people WHERE id = 1)) RETURNING body $$",
				"CREATE DOMAIN dflt AS varchar DEFAULT leakdflt()",
				"CREATE TABLE memo (id int, body dflt)",
			},
			sql: "INSERT INTO memo (id) VALUES (1)"},
		{name: "implicit-cast",
			setup: []string{
				leakFn("leakint", "varchar", "int", "0"),
				"CREATE CAST (varchar AS int) WITH FUNCTION leakint(varchar) AS IMPLICIT",
			},
			sql: "SELECT id FROM people WHERE ssn = id AND id = 1"},
	}
}

// TestCodeMadeEarlier: a masked reader's statement that would run code
// made earlier on a masked value, without a function call in its text, is
// refused before it runs (the catalog is asked what operators, casts,
// domains and operator classes beyond the built-ins exist); what carries
// no masked value, or none the code could reach, still runs.
func TestCodeMadeEarlier(t *testing.T) {
	for _, b := range ownDatabase() {
		for _, a := range codeAttacks() {
			t.Run(b.name+"/"+a.name, func(t *testing.T) {
				t.Parallel()
				l := newLab(t, b)
				l.exec(t, a.setup...)
				// The engine runs the code: raw, the SSN lands in notes.
				if _, err := l.raw.Exec(a.sql); err != nil {
					t.Logf("raw: %v", err)
				}
				if x := leaked(rawAll(t, l, "SELECT body FROM notes")); x == "" {
					t.Fatalf("raw, the attack stored no SSN: it proves nothing")
				}
				l.exec(t, "DELETE FROM notes WHERE id <> 1")
				m := l.mark()
				got, err := l.read(t, dev, a.sql)
				if !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("got %.200q (%v), want a refusal", got, err)
				} else {
					l.oneRecord(t, m)
				}
				if s := notesUnchanged(l); s != "" {
					t.Errorf("the refused statement had a side effect: %s", s)
				}
				if x := leaked(rawAll(t, l, "SELECT body FROM notes")); x != "" {
					t.Errorf("masked value %q stored in notes", x)
				}
				for _, q := range a.benign {
					if got, err := l.read(t, dev, q); err != nil || leaked(got) != "" {
						t.Errorf("%s: got %.200q (%v), want it read, masked", q, got, err)
					}
				}
				l.noLeakInTrail(t)
			})
		}
	}
}

// TestCodeMadeEarlierBenign: code made earlier that only computes a value
// (a domain whose CHECK calls built-ins that do, an operator over a
// built-in that does) does not stop a masked reader's casts, LIKE and IN.
func TestCodeMadeEarlierBenign(t *testing.T) {
	for _, b := range ownDatabase() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			l.exec(t,
				"CREATE DOMAIN okd AS varchar CHECK (length(VALUE) < 50 AND VALUE ~ '^[0-9-]+$')",
				"CREATE OPERATOR #^ (RIGHTARG = text, FUNCTION = pg_catalog.upper)",
			)
			for _, q := range []string{
				"SELECT ssn::okd FROM people WHERE ssn LIKE '9%' AND id IN (1, 2)",
				"SELECT CAST(ssn AS okd), #^ name FROM people WHERE id BETWEEN 1 AND 2",
			} {
				got, err := l.read(t, dev, q)
				if err != nil || got == "" {
					t.Errorf("%s: got %.200q (%v), want it read", q, got, err)
				}
				if x := leaked(got); x != "" {
					t.Errorf("%s: masked value %q in clear", q, x)
				}
			}
		})
	}
}

// TestRowSecurityMadeEarlier: a row-level security policy made earlier
// runs on every row a role that does not bypass it reads: USING
// (leakfn(ssn) > 0) hands the clear SSN of each row to a function that
// stores it, whatever the statement selects. For a masked reader, a read
// of any relation is refused while such a policy exists; a policy over
// built-ins (current_setting, current_user) is the rule and does not
// count.
func TestRowSecurityMadeEarlier(t *testing.T) {
	for _, b := range ownDatabase() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			role := "r_" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "_")) + fmt.Sprint(time.Now().UnixNano()%1e6)
			t.Cleanup(func() {
				// After the database is gone: a role belongs to the server.
				admin, err := sql.Open("postgres", testdb.PostgresDSN())
				if err == nil {
					admin.Exec("DROP ROLE IF EXISTS " + role)
					admin.Close()
				}
			})
			l := newLab(t, b)
			l.exec(t,
				"CREATE ROLE "+role+" LOGIN",
				"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "+role,
				leakFn("leakfn", "varchar", "int", "1"),
				"CREATE POLICY tenant ON notes USING (current_setting('app.tenant', true) IS NULL OR current_user = current_user)",
				"ALTER TABLE notes ENABLE ROW LEVEL SECURITY",
			)
			u, err := url.Parse(l.dsn)
			if err != nil {
				t.Fatal(err)
			}
			u.User = url.User(role)
			dsn := u.String()
			open := func() *sql.DB {
				// A new handle: DDL run outside one is seen after the
				// catalog cache ages out.
				db, err := sqlvigil.Open(b.driver, dsn, sqlvigil.WithPolicy(securityPolicy(t)), sqlvigil.WithMasker(securityMasker(t)))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			// A policy over built-ins only: reads run.
			if got, err := readDB(open(), "SELECT id, ssn FROM people WHERE id = 1"); err != nil || leaked(got) != "" {
				t.Errorf("with a policy over built-ins: got %q (%v), want it read, masked", got, err)
			}
			l.exec(t,
				"ALTER TABLE people ENABLE ROW LEVEL SECURITY",
				"CREATE POLICY p ON people USING (leakfn(ssn) > 0)",
			)
			// Raw, as the role, the policy stores the SSNs.
			raw, err := sql.Open(b.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := readDB(raw, "SELECT id FROM people"); err != nil {
				t.Logf("raw: %v", err)
			}
			if leaked(rawAll(t, l, "SELECT body FROM notes")) == "" {
				t.Fatal("raw, the policy stored no SSN: the attack proves nothing")
			}
			l.exec(t, "DELETE FROM notes WHERE id <> 1")
			db := open()
			for _, q := range []string{"SELECT id FROM people", "SELECT count(*) FROM people", "SELECT body FROM notes"} {
				got, err := readDB(db, q)
				if !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("%s: got %.100q (%v), want a refusal", q, got, err)
				}
			}
			if x := leaked(rawAll(t, l, "SELECT body FROM notes")); x != "" {
				t.Errorf("masked value %q stored in notes by the policy", x)
			}
		})
	}
}

func readDB(db *sql.DB, q string) (string, error) {
	rows, err := db.QueryContext(as(dev), q)
	if err != nil {
		return "", err
	}
	return readRows(rows)
}

// TestCodeOfSuperuserExtensions: the operators, casts and operator classes
// of extensions a superuser installed (citext, pg_trgm, hstore) count as
// built-ins, so a masked reader of a database that has them keeps working;
// code made beside them by anyone else is still asked about.
func TestCodeOfSuperuserExtensions(t *testing.T) {
	for _, b := range ownDatabase() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			l.exec(t, "CREATE EXTENSION citext", "CREATE EXTENSION pg_trgm", "CREATE EXTENSION hstore")
			a := codeAttacks()[0] // an operator made beside the extensions
			l.exec(t, a.setup...)
			for _, q := range []string{
				"SELECT id, name, ssn FROM people WHERE id = 1",
				"SELECT ssn FROM people WHERE name = 'x' OR id IN (1, 2) ORDER BY ssn",
				"SELECT ssn::citext FROM people WHERE ssn LIKE '9%' AND id BETWEEN 1 AND 2",
				"SELECT id FROM people WHERE name % 'Ann' AND ssn IS NOT NULL",
			} {
				got, err := l.read(t, dev, q)
				if err != nil {
					t.Errorf("%s: got %v, want it read", q, err)
				}
				if x := leaked(got); x != "" {
					t.Errorf("%s: masked value %q in clear", q, x)
				}
			}
			if got, err := l.read(t, dev, a.sql); !errors.Is(err, guard.ErrBlocked) {
				t.Errorf("%s: got %.200q (%v), want a refusal", a.sql, got, err)
			}
		})
	}
}
