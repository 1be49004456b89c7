package redteam_test

import (
	"errors"
	"os"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
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
// REPLACE TABLE, column rewrites, REPLACE … SELECT, NEXT VALUE FOR and a
// bare column as WHERE.
//
// Open today:
//   - masking: views (made earlier or by the caller), a value copied into
//     an unmasked column, INSERT … SELECT … RETURNING (every family),
//     UPDATE … SET x = (SELECT masked) RETURNING (PostgreSQL);
//   - the audit trail: personal data in a quoted identifier.

func knownBypass(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("SQLVIGIL_REDTEAM_BYPASS") == "" {
		t.Skip("known bypass: " + what)
	}
}

// bypass is a sequence of statements sent on one wrapped connection. The
// library holds when one of them is refused (guard.ErrBlocked) and the
// engine is unharmed: the victim intact, and no seeded secret returned.
type bypass struct {
	name   string
	family string
	what   string // the one-line description
	who    identity.Identity
	steps  []string
}

// sequence sends the steps on one wrapped connection and reports whether
// one was refused by the guard, and each step's error.
func (l *lab) sequence(t *testing.T, bp bypass) (refused bool, errs []error) {
	t.Helper()
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
		_, err := c.ExecContext(ctx, q)
		errs = append(errs, err)
		if errors.Is(err, guard.ErrBlocked) {
			refused = true
		}
	}
	return refused, errs
}

// leakBypass is a read (after optional steps) that returns a seeded secret.
type leakBypass struct {
	leak
	what  string
	steps []string
	who   identity.Identity // the zero value means dev
}

func leakBypasses() []leakBypass {
	return []leakBypass{
		{leak{name: "view-made-earlier", family: "", sql: "SELECT contact FROM contacts"},
			"a view made earlier (contacts: email AS contact) returns email in clear", nil, identity.Identity{}},
		{leak{name: "view-made-by-caller", family: "", sql: "SELECT x FROM mine"},
			"a person who may write creates a view over people and reads email and ssn in clear through it",
			[]string{"CREATE VIEW mine AS SELECT email AS x, ssn AS y FROM people"}, identity.Identity{}},
		{leak{name: "copy-into-other-column", family: "", sql: "SELECT body FROM notes WHERE id = 1"},
			"a person who may write copies email into an unmasked column and reads it back",
			[]string{"UPDATE notes SET body = (SELECT email FROM people WHERE id = 1) WHERE id = 1"}, identity.Identity{}},
		{leak: leak{name: "insert-select-returning", sql: "INSERT INTO notes SELECT 100 + id, email FROM people RETURNING body"},
			what: "INSERT INTO notes SELECT …, email FROM people RETURNING body returns the e-mails in clear in one statement"},
		{leak: leak{name: "pg-update-returning-subquery", family: pg, sql: "UPDATE notes SET body = (SELECT ssn FROM people WHERE id = 2) WHERE id = 1 RETURNING body"},
			what: "PostgreSQL UPDATE … SET body = (SELECT ssn …) RETURNING body returns the ssn in clear"},
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

// TestKnownBypassIdentifierInTrail: a quoted identifier is not a literal,
// so db.query.text and the sink record keep it: personal data written as
// an alias reaches the audit trail.
func TestKnownBypassIdentifierInTrail(t *testing.T) {
	for _, b := range backends() {
		q := `SELECT 1 AS "` + people[0].email + `"`
		switch b.name {
		case "mariadb", "mariadb-interpolate":
			q = "SELECT 1 AS `" + people[0].email + "`"
		case "mariadb-ansi":
			continue // the analyser reads "…" as a string there, and drops it
		}
		t.Run(b.name, func(t *testing.T) {
			knownBypass(t, "personal data in a quoted identifier (SELECT 1 AS \"<email>\") is kept in db.query.text and the sink record")
			l := newLab(t, b)
			if err := drain(l.db.QueryContext(as(dev), q)); err != nil {
				t.Fatal(err)
			}
			l.noLeakInTrail(t)
		})
	}
}
