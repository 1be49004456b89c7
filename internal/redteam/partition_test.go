package redteam_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
)

// TestDenyListThroughPartitions: the vault table is denied to everyone,
// but a partition's rows are read under its parent's name. Attaching vault
// as a partition of a table of one's own (PostgreSQL), or exchanging it
// with the partition of a table made earlier (MariaDB), would hand its
// rows to a later SELECT that names only the parent; the statement that
// moves them names vault, and is refused by the table rule before it runs.
func TestDenyListThroughPartitions(t *testing.T) {
	tests := []struct {
		name, family string
		setup        []string // raw: what a DBA made earlier
		steps        []string // the attacker's, the last one refused
		read         string
	}{
		{name: "pg-attach-partition", family: pg,
			steps: []string{"CREATE TABLE pp (id INT, note VARCHAR(80)) PARTITION BY RANGE (id)",
				"ALTER TABLE pp ATTACH PARTITION vault FOR VALUES FROM (0) TO (100)"},
			read: "SELECT note FROM pp"},
		{name: "pg-attach-partition-made-earlier", family: pg,
			setup: []string{"CREATE TABLE pp (id INT, note VARCHAR(80)) PARTITION BY RANGE (id)"},
			steps: []string{"ALTER TABLE IF EXISTS ONLY pp ATTACH PARTITION vault FOR VALUES FROM (0) TO (100)"},
			read:  "SELECT note FROM pp"},
		{name: "my-exchange-partition", family: my,
			setup: []string{"CREATE TABLE pp (id INT PRIMARY KEY, note VARCHAR(80)) PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (100))"},
			steps: []string{"ALTER TABLE pp EXCHANGE PARTITION p0 WITH TABLE vault"},
			read:  "SELECT note FROM pp"},
		{name: "my-exchange-partition-without-validation", family: my,
			setup: []string{"CREATE TABLE pp (id INT PRIMARY KEY, note VARCHAR(80)) PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (100))"},
			steps: []string{"ALTER TABLE pp EXCHANGE PARTITION p0 WITH TABLE vault WITHOUT VALIDATION"},
			read:  "SELECT note FROM pp"},
	}
	for _, b := range backends() {
		for _, tt := range tests {
			if tt.family != b.family {
				continue
			}
			t.Run(b.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				l := newLab(t, b)
				l.exec(t, tt.setup...)
				ctx := as(dev)
				for k, q := range tt.steps {
					m := l.mark()
					_, err := l.db.ExecContext(ctx, q)
					if k < len(tt.steps)-1 {
						if err != nil {
							t.Fatalf("%s: %v", q, err)
						}
						continue
					}
					if !errors.Is(err, guard.ErrBlocked) {
						t.Errorf("%s: got %v, want a refusal", q, err)
					} else {
						l.denied(t, m, err, "tables")
					}
				}
				got, err := l.read(t, dev, tt.read)
				if strings.Contains(got, vaultNote) {
					t.Errorf("%s read the denied table's rows: %s (%v)", tt.read, got, err)
				}
				// The raw engine still holds the note where it was.
				if got := rawString(l, "SELECT note FROM vault WHERE id = 1"); got != vaultNote {
					t.Errorf("vault holds %q after the refused statement", got)
				}
			})
		}
	}
}
