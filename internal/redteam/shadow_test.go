package redteam_test

import (
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
)

// TestShadowedBuiltin: a function made earlier in a schema of the search
// path, initcap(varchar), wins PostgreSQL's overload resolution over
// pg_catalog.initcap(text) for a varchar argument, although pg_catalog is
// searched first; the analysis must not take it for the built-in that only computes
// a value. It stores its argument: called on people.ssn it would copy the
// SSN into notes. The call is refused before it runs; the built-in named
// as pg_catalog.initcap still reads (masked).
func TestShadowedBuiltin(t *testing.T) {
	for _, b := range backends() {
		if b.family != pg {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			l.exec(t, "CREATE FUNCTION initcap(varchar) RETURNS text LANGUAGE sql AS $$ INSERT INTO notes VALUES (999, $1) RETURNING body $$")
			// The engine runs it for an unqualified call.
			if got := rawString(l, "SELECT initcap(name) FROM people WHERE id = 1"); got != "Alice" {
				t.Fatalf("the shadowing function answered %q: the attack proves nothing", got)
			}
			l.exec(t, "DELETE FROM notes WHERE id = 999")
			for _, q := range []string{
				"SELECT initcap(ssn) FROM people WHERE id = 1",
				"SELECT id FROM people WHERE initcap(ssn) <> ''",
				"SELECT id FROM people ORDER BY initcap(email)",
			} {
				got, err := l.read(t, dev, q)
				if !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("%s: got %q (%v), want a refusal", q, got, err)
				}
				if s := notesUnchanged(l); s != "" {
					t.Errorf("%s: the refused statement had a side effect: %s", q, s)
					l.exec(t, "DELETE FROM notes WHERE id = 999")
				}
			}
			got, err := l.read(t, dev, "SELECT pg_catalog.initcap(ssn) FROM people WHERE id = 1")
			if err != nil {
				t.Errorf("the built-in, qualified: %v", err)
			}
			if x := leaked(got); x != "" {
				t.Errorf("the built-in, qualified: %q in clear", x)
			}
			l.noLeakInTrail(t)
		})
	}
}
