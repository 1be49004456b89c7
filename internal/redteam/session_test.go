package redteam_test

import (
	"context"
	"errors"
	"testing"

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
