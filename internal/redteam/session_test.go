package redteam_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
)

// sessionAttack is state one identity leaves on a pooled connection so
// that another identity's next statement reads something else than the
// database holds.
type sessionAttack struct {
	name   string
	family string // "" for every family
	steps  []string
	// read is run by the victim identity; it must answer "a", as victim
	// row 1 holds.
	read string
}

func sessionAttacks() []sessionAttack {
	return []sessionAttack{
		{name: "temp table shadows victim", family: pg, steps: []string{
			"CREATE TEMP TABLE victim (id INT, name VARCHAR(20))",
			"INSERT INTO victim VALUES (1, 'forged')",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "temp table shadows victim", family: my, steps: []string{
			"CREATE TEMPORARY TABLE victim (id INT, name VARCHAR(20))",
			"INSERT INTO victim VALUES (1, 'forged')",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "temp table shadows victim", family: lite, steps: []string{
			"CREATE TEMP TABLE victim (id INT, name VARCHAR(20))",
			"INSERT INTO temp.victim VALUES (1, 'forged')",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "search_path to a schema of one's own", family: pg, steps: []string{
			"CREATE TEMP TABLE victim (id INT, name VARCHAR(20))",
			"INSERT INTO pg_temp.victim VALUES (1, 'forged')",
			"SELECT set_config('search_path', 'pg_temp,' || current_setting('search_path'), false)",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		// The same state, left by statements that do not say TEMP SET.
		{name: "select into temp", family: pg, steps: []string{
			"SELECT 1 AS id, 'forged'::varchar(20) AS name INTO TEMP victim",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "table created in pg_temp", family: pg, steps: []string{
			"CREATE TABLE pg_temp.victim (id INT, name VARCHAR(20))",
			"INSERT INTO pg_temp.victim VALUES (1, 'forged')",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "view created in pg_temp", family: pg, steps: []string{
			"CREATE VIEW pg_temp.victim AS SELECT 1 AS id, 'forged'::varchar(20) AS name",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "temp view", family: pg, steps: []string{
			"CREATE TEMP VIEW victim AS SELECT 1 AS id, 'forged'::varchar(20) AS name",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "temp table as select", family: pg, steps: []string{
			"CREATE TEMPORARY TABLE victim AS SELECT 1 AS id, 'forged'::varchar(20) AS name",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "temp table as select", family: my, steps: []string{
			"CREATE TEMPORARY TABLE victim SELECT 1 AS id, 'forged' AS name",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "user variable set by select into", family: my, steps: []string{
			"SELECT 2 INTO @id",
		}, read: "SELECT name FROM victim WHERE id = coalesce(@id, 1)"},
		{name: "user variable assigned in a where", family: my, steps: []string{
			"SELECT id FROM notes WHERE (@id := 2) > 0",
		}, read: "SELECT name FROM victim WHERE id = coalesce(@id, 1)"},
		{name: "temp view", family: lite, steps: []string{
			"CREATE TEMP VIEW victim AS SELECT 1 AS id, 'forged' AS name",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "table created in temp", family: lite, steps: []string{
			"CREATE TABLE temp.victim AS SELECT 1 AS id, 'forged' AS name",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "temp trigger rewrites the victim's read", family: lite, steps: []string{
			"CREATE TEMP VIEW v AS SELECT 1 AS id",
			"CREATE TEMP TRIGGER t INSTEAD OF INSERT ON v BEGIN SELECT 1; END",
			"CREATE TEMP VIEW victim AS SELECT 1 AS id, 'forged' AS name",
		}, read: "SELECT name FROM victim WHERE id = 1"},
		{name: "user variable the victim's query reads", family: my, steps: []string{
			"SET @id = 2",
		}, read: "SELECT name FROM victim WHERE id = coalesce(@id, 1)"},
	}
}

// TestSessionStateDoesNotCross: on a pool of one connection, state a
// developer leaves (a temporary table shadowing a real one, a search path,
// a user variable) is gone, or was refused, when the DPO's next statement
// runs, on every backend.
func TestSessionStateDoesNotCross(t *testing.T) {
	attacker := identity.NewContext(context.Background(), dev)
	victimID := identity.NewContext(context.Background(), dpo)
	for _, b := range backends() {
		for _, at := range sessionAttacks() {
			if at.family != "" && at.family != b.family {
				continue
			}
			t.Run(b.name+"/"+at.name, func(t *testing.T) {
				l := newLab(t, b)
				l.db.SetMaxOpenConns(1)
				var ran int
				for _, q := range at.steps {
					_, err := l.db.ExecContext(attacker, q)
					switch {
					case err == nil:
						ran++
					case errors.Is(err, guard.ErrBlocked):
						t.Logf("refused %s: %v", q, err)
					default:
						t.Fatalf("%s: %v", q, err)
					}
				}
				if ran == 0 {
					t.Fatal("every step was refused: the attack proves nothing")
				}
				var got string
				if err := l.db.QueryRowContext(victimID, at.read).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != "a" {
					t.Errorf("the DPO read %q, want %q: the developer's session state crossed", got, "a")
				}
			})
		}
	}
}

// TestSessionStateHeldConn: the same attacks on a connection held across
// identities, as a service that keeps one sql.Conn or one transaction for
// several callers would: the victim's read answers what the database
// holds, or is refused with driver.ErrSessionState; it never reads the
// attacker's state.
func TestSessionStateHeldConn(t *testing.T) {
	attacker := identity.NewContext(context.Background(), dev)
	victimID := identity.NewContext(context.Background(), dpo)
	for _, b := range backends() {
		for _, at := range sessionAttacks() {
			if at.family != "" && at.family != b.family {
				continue
			}
			for _, path := range []string{"conn", "tx"} {
				t.Run(b.name+"/"+path+"/"+at.name, func(t *testing.T) {
					l := newLab(t, b)
					c, err := l.db.Conn(attacker)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					var tx *sql.Tx
					exec := c.ExecContext
					query := c.QueryRowContext
					if path == "tx" {
						if tx, err = c.BeginTx(attacker, nil); err != nil {
							t.Fatal(err)
						}
						defer tx.Rollback()
						exec, query = tx.ExecContext, tx.QueryRowContext
					}
					var ran int
					for _, q := range at.steps {
						if _, err := exec(attacker, q); err == nil {
							ran++
						} else {
							t.Logf("%s: %v", q, err)
						}
					}
					if ran == 0 {
						t.Skip("every step was refused")
					}
					var got string
					err = query(victimID, at.read).Scan(&got)
					switch {
					case errors.Is(err, guard.ErrBlocked):
						t.Logf("refused: %v", err)
					case err != nil:
						t.Fatal(err)
					case got != "a":
						t.Errorf("the DPO read %q, want %q or a refusal: the developer's session state crossed", got, "a")
					}
				})
			}
		}
	}
}

// TestSessionShadowDoesNotDecideFlow: on a connection held across
// identities, a developer's temporary relation shadows the view over
// e-mails (contacts) with a harmless one; the agent's next read of the
// view is judged after the developer's session is reset, not through the
// shadow that the reset then drops: the agent gets masked values or a
// refusal, never the view's clear e-mails.
func TestSessionShadowDoesNotDecideFlow(t *testing.T) {
	shadows := map[string][]string{
		pg: {
			"CREATE TEMP TABLE contacts (id INT, contact VARCHAR(80))",
			"CREATE TEMP VIEW contacts AS SELECT 1 AS id, 'x'::varchar(80) AS contact",
		},
		my:   {"CREATE TEMPORARY TABLE contacts (id INT, contact VARCHAR(80))"},
		lite: {"CREATE TEMP TABLE contacts (id INT, contact VARCHAR(80))", "CREATE TEMP VIEW contacts AS SELECT 1 AS id, 'x' AS contact"},
	}
	for _, b := range backends() {
		for k, shadow := range shadows[b.family] {
			t.Run(fmt.Sprintf("%s/%d", b.name, k), func(t *testing.T) {
				l := newLab(t, b)
				ctx := as(dev)
				c, err := l.db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if _, err := c.ExecContext(ctx, shadow); err != nil {
					t.Fatalf("%s: %v", shadow, err)
				}
				got, err := readConn(as(bot), c, "SELECT contact FROM contacts")
				if x := leaked(got); x != "" {
					t.Errorf("the agent read %q in clear through the reset shadow: %.200s", x, got)
				}
				if err != nil && !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("got %v, want masked rows or a refusal", err)
				}
				l.noLeakInTrail(t)
			})
		}
	}
}

// TestSettingForLaterSessions: a setting the developer gives the database
// for later sessions (ALTER DATABASE … SET: a tenant that a row-security
// policy reads, a search path) would be the starting value of every
// identity's next connection, and the value that a session reset (RESET
// ALL) returns to: it is refused, and a new connection does not start with
// it.
func TestSettingForLaterSessions(t *testing.T) {
	for _, b := range backends() {
		if b.family != pg {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			l := newLab(t, b)
			var name string
			if err := l.raw.QueryRow("SELECT current_database()").Scan(&name); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if _, err := l.raw.Exec("ALTER DATABASE " + name + " RESET app.sqlvigil_later"); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			})
			m := l.mark()
			_, err := l.db.ExecContext(as(dev), "ALTER DATABASE "+name+" SET app.sqlvigil_later = 'forged'")
			l.denied(t, m, err, "integrity-settings")
			fresh, err := sql.Open(b.driver, l.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close()
			var got sql.NullString
			if err := fresh.QueryRow("SELECT current_setting('app.sqlvigil_later', true)").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got.String != "" {
				t.Errorf("a new connection starts with app.sqlvigil_later = %q, which the developer set", got.String)
			}
		})
	}
}

// TestReadOnlySessionStaysReadOnly: a pool whose DSN makes every
// transaction read-only, as an operator would for an agent: the
// developer's statement that makes them read-write again is refused, so
// that the delete that would rely on it fails, and the victim is intact.
func TestReadOnlySessionStaysReadOnly(t *testing.T) {
	params := map[string]string{pg: "default_transaction_read_only=on", my: "tx_read_only=1"}
	switches := map[string][]string{
		pg: {"SET default_transaction_read_only = off", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"},
		my: {"SET SESSION tx_read_only = 0", "SET SESSION TRANSACTION READ WRITE"},
	}
	for _, b := range backends() {
		for _, sw := range switches[b.family] {
			t.Run(b.name+"/"+sw, func(t *testing.T) {
				l := newLab(t, b)
				sep := "&"
				if !strings.Contains(l.dsn, "?") {
					sep = "?"
				}
				db, err := sqlvigil.Open(b.driver, l.dsn+sep+params[b.family],
					sqlvigil.WithPolicy(securityPolicy(t)), sqlvigil.WithEnvironment("production"))
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				db.SetMaxOpenConns(1)
				ctx := as(dev)
				if _, err := db.ExecContext(ctx, sw); !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("%s: got %v, want guard.ErrBlocked", sw, err)
				}
				_, err = db.ExecContext(ctx, "DELETE FROM victim WHERE id = 1")
				t.Logf("delete: %v", err)
				if v := l.victim(); v != "" {
					t.Errorf("the victim: %s, after %s on a read-only pool", v, sw)
				}
			})
		}
	}
}
