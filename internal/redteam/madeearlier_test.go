package redteam_test

import (
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
)

// TestGeneratedColumnMadeEarlier: a column a DBA generated earlier from a
// masked one (GENERATED ALWAYS AS (upper(ssn)) STORED, MariaDB AS (…),
// SQLite … VIRTUAL) returns the masked value under a name no rule
// selects. The catalog says which columns are generated; each is traced,
// like a view's, to every column of its table, so it is masked (or its
// copy refused) as the masked column would be.
func TestGeneratedColumnMadeEarlier(t *testing.T) {
	setup := map[string][]string{
		pg:   {"ALTER TABLE people ADD COLUMN g text GENERATED ALWAYS AS (ssn || '') STORED"},
		my:   {"ALTER TABLE people ADD COLUMN g VARCHAR(40) AS (concat(ssn, ''))", "ALTER TABLE people ADD COLUMN g2 VARCHAR(40) AS (concat(g, '')) PERSISTENT"},
		lite: {"ALTER TABLE people ADD COLUMN g TEXT GENERATED ALWAYS AS (ssn || '') VIRTUAL"},
	}
	reads := []string{
		"SELECT g FROM people",
		"SELECT * FROM people",
		"SELECT p.g AS x FROM people p WHERE id = 1",
		"SELECT x FROM (SELECT g AS x FROM people) s",
		"WITH c AS (SELECT g FROM people) SELECT g FROM c",
		"SELECT id FROM notes UNION ALL SELECT g FROM people",
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			l.exec(t, setup[b.family]...)
			if x := leaked(rawString(l, "SELECT g FROM people WHERE id = 1")); x == "" {
				t.Fatal("raw, the generated column holds no SSN: the attack proves nothing")
			}
			qs := reads
			if b.family == my {
				qs = append(qs, "SELECT g2 FROM people")
			}
			for _, q := range qs {
				got, err := l.read(t, dev, q)
				if x := leaked(got + errorText(err)); x != "" {
					t.Errorf("%s: masked value %q in clear: %.200s", q, x, got)
				}
			}
			for _, q := range []string{
				"UPDATE notes SET body = (SELECT g FROM people WHERE id = 1) WHERE id = 1",
				"INSERT INTO notes SELECT id + 10, g FROM people",
			} {
				_, err := l.db.ExecContext(as(dev), q)
				if !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("%s: got %v, want a refusal", q, err)
				}
				if s := notesUnchanged(l); s != "" {
					t.Errorf("%s: %s", q, s)
				}
				if x := leaked(rawAll(t, l, "SELECT body FROM notes")); x != "" {
					t.Errorf("%s: masked value %q stored in notes", q, x)
				}
			}
			// Columns that are not generated read as before.
			if got, err := l.read(t, dev, "SELECT id, name FROM people WHERE id = 1"); err != nil || got != "1|Alice|\n" {
				t.Errorf("plain columns: got %q (%v)", got, err)
			}
			l.noLeakInTrail(t)
		})
	}
}
