package redteam_test

import (
	"os"
	"testing"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Attacks that succeed today, and only those. Each test states what
// sqlvigil must do and is skipped with "known bypass: …"; run them with
//
//	SQLVIGIL_REDTEAM_BYPASS=1 go test ./internal/redteam -run KnownBypass -v
//
// to reproduce: each then fails, naming what the engine did. When a bypass
// is mended on every backend its case runs on, move it, with its text, its
// identity and its assertion, to the passing tests (destructiveAttacks,
// leakAttacks, or a test of its own shape), as was done for the
// tautologies over the table's own rows, pg_settings, LOAD, DEFAULT
// pg_read_file, the whole-row and XML dumps, column aliases, functions
// made earlier, MariaDB user variables, lowrite, KILL, renames, CREATE OR
// REPLACE TABLE, column rewrites, REPLACE … SELECT, NEXT VALUE FOR, a
// bare column as WHERE, and the copies of masked values by a write (views
// made by the caller, a value copied into an unmasked column, INSERT …
// SELECT … RETURNING, UPDATE … SET x = (SELECT masked) RETURNING: see
// copyAttacks), personal data in a quoted alias (TestAliasNotInTrail),
// and a view made earlier, now traced through the catalog (flowAttacks).
//
// Open today: PostgreSQL code made earlier that runs on a value without
// a function call the analysis sees: an operator whose function has an
// effect (a custom operator in a predicate, or an overload of || for
// varchar that wins resolution), a cast to a domain whose CHECK calls such
// a function, a cast made with CREATE CAST … WITH FUNCTION. The analysis
// takes operators and casts for computations and does not list them, so
// it cannot ask the catalog about them as it does about function names
// (TestShadowedBuiltin).

func knownBypass(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("SQLVIGIL_REDTEAM_BYPASS") == "" {
		t.Skip("known bypass: " + what)
	}
}

// leakBypass is a read (after optional steps) that returns a seeded secret.
type leakBypass struct {
	leak
	what string
	// setup runs on the raw database first: what a DBA made earlier.
	setup []string
	steps []string
	who   identity.Identity // the zero value means dev
}

func leakBypasses() []leakBypass {
	return []leakBypass{
		{leak: leak{name: "pg-operator-made-earlier-in-predicate", family: pg, sql: "SELECT body FROM notes"},
			what: "a custom operator made earlier (=== over varchar, its function INSERTs its left argument into notes) " +
				"used in a predicate: SELECT id FROM people WHERE ssn === name runs it with the clear SSN; " +
				"the analysis does not list operators, and takes a predicate for a sink that keeps nothing",
			setup: []string{
				"CREATE FUNCTION leakeq(varchar, varchar) RETURNS bool LANGUAGE sql AS $$ INSERT INTO notes VALUES (994, $1) RETURNING true $$",
				"CREATE OPERATOR === (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = leakeq)",
			},
			steps: []string{"SELECT id FROM people WHERE ssn === name AND id = 1"}},
		{leak: leak{name: "pg-operator-overload-made-earlier", family: pg, sql: "SELECT body FROM notes"},
			what: "an overload of || for (varchar, varchar) made earlier wins resolution over textcat; " +
				"SELECT ssn || name FROM people runs its function (which stores the SSN) although the analysis " +
				"takes || for an operator that only computes a value",
			setup: []string{
				"CREATE FUNCTION leakcat(varchar, varchar) RETURNS text LANGUAGE sql AS $$ INSERT INTO notes VALUES (995, $1) RETURNING body $$",
				"CREATE OPERATOR || (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = leakcat)",
			},
			steps: []string{"SELECT ssn || name FROM people WHERE id = 1"}},
		{leak: leak{name: "pg-domain-check-made-earlier", family: pg, sql: "SELECT body FROM notes"},
			what: "a cast to a domain made earlier runs its CHECK, here a function that stores its argument: " +
				"SELECT ssn::dd FROM people (and CAST(ssn AS dd) in a WHERE) store the SSN in notes; " +
				"the analysis takes a cast for a computation and does not ask what the type is",
			setup: []string{
				"CREATE FUNCTION leakchk(varchar) RETURNS bool LANGUAGE sql AS $$ INSERT INTO notes VALUES (993, $1) RETURNING true $$",
				"CREATE DOMAIN dd AS varchar CHECK (leakchk(VALUE))",
			},
			steps: []string{"SELECT ssn::dd FROM people WHERE id = 1"}},
		{leak: leak{name: "pg-cast-made-earlier", family: pg, sql: "SELECT body FROM notes"},
			what: "a cast made earlier (CREATE CAST (varchar AS mood) WITH FUNCTION f) runs f with the clear value: " +
				"SELECT id FROM people WHERE ssn::mood IS NOT NULL stores the SSN in notes",
			setup: []string{
				"CREATE TYPE mood AS (a varchar)",
				"CREATE FUNCTION leakcast(varchar) RETURNS mood LANGUAGE sql AS $$ INSERT INTO notes VALUES (992, $1) RETURNING ROW($1)::mood $$",
				"CREATE CAST (varchar AS mood) WITH FUNCTION leakcast(varchar)",
			},
			steps: []string{"SELECT id FROM people WHERE ssn::mood IS NOT NULL AND id = 1"}},
	}
}

func TestKnownBypassLeaks(t *testing.T) {
	for _, b := range backends() {
		for _, bp := range leakBypasses() {
			if bp.family != "" && bp.family != b.family {
				continue
			}
			t.Run(b.name+"/"+bp.name, func(t *testing.T) {
				knownBypass(t, bp.what)
				t.Parallel()
				l := newLab(t, b)
				l.exec(t, bp.setup...)
				who := bp.who
				if who.IsZero() {
					who = dev
				}
				ctx := as(who)
				c, err := l.db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				for _, q := range bp.steps {
					if _, err := c.ExecContext(ctx, q); err != nil {
						t.Logf("step %q: %v", q, err)
					}
				}
				got, err := readConn(ctx, c, bp.sql)
				if x := leaked(got); x != "" {
					t.Errorf("masked value %q returned in clear: %.300s", x, got)
				}
				if x := leaked(errorText(err)); x != "" {
					t.Errorf("masked value %q in the error: %.300s", x, errorText(err))
				}
			})
		}
	}
}
