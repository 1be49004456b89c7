package redteam_test

import (
	"testing"
)

// copyAttack moves masked values with a write to where a read returns
// them in clear: another column, a view or table of one's own, or the
// write's own RETURNING list.
type copyAttack struct {
	name   string
	family string // pg, my, lite, or "" for every family
	write  string // refused by mask-copy before it runs
	read   string // what the attacker reads next ("" when write returns rows)
}

func copyAttacks() []copyAttack {
	return []copyAttack{
		{name: "view-made-by-caller", write: "CREATE VIEW mine AS SELECT email AS x, ssn AS y FROM people", read: "SELECT x FROM mine"},
		{name: "copy-into-other-column", write: "UPDATE notes SET body = (SELECT email FROM people WHERE id = 1) WHERE id = 1", read: "SELECT body FROM notes WHERE id = 1"},
		{name: "insert-select", write: "INSERT INTO notes SELECT 100 + id, email FROM people", read: "SELECT body FROM notes"},
		{name: "insert-select-returning", write: "INSERT INTO notes SELECT 100 + id, email FROM people RETURNING body"},
		{name: "pg-update-returning-subquery", family: pg, write: "UPDATE notes SET body = (SELECT ssn FROM people WHERE id = 2) WHERE id = 1 RETURNING body"},
		{name: "create-table-as", write: "CREATE TABLE loot AS SELECT ssn AS s FROM people", read: "SELECT s FROM loot"},
		{name: "pg-select-into", family: pg, write: "SELECT email AS e INTO loot FROM people", read: "SELECT e FROM loot"},
		{name: "pg-update-from", family: pg, write: "UPDATE notes n SET body = p.ssn FROM people p WHERE p.id = n.id", read: "SELECT body FROM notes"},
		{name: "my-update-join", family: my, write: "UPDATE notes n JOIN people p ON p.id = n.id SET n.body = p.email WHERE n.id = 1", read: "SELECT body FROM notes"},
		{name: "my-create-table-select", family: my, write: "CREATE TABLE loot SELECT email AS e FROM people", read: "SELECT e FROM loot"},
		{name: "my-user-variable-copy", family: my, write: "INSERT INTO notes SET id = 9, body = (SELECT @leak := email FROM people LIMIT 1)", read: "SELECT body FROM notes"},
	}
}

// TestMaskCopyAttacks: each write is refused, recorded once as a block by
// mask-copy, and the read that follows returns nothing in clear. On the
// backends that send texts whole, the same write and read sent raw prove
// that the copy would have leaked.
func TestMaskCopyAttacks(t *testing.T) {
	for _, b := range backends() {
		for _, a := range copyAttacks() {
			if a.family != "" && a.family != b.family {
				continue
			}
			t.Run(b.name+"/"+a.name, func(t *testing.T) {
				t.Parallel()
				l := newLab(t, b)
				ctx := as(dev)
				c, err := l.db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				m := l.mark()
				got, err := readConn(ctx, c, a.write)
				l.denied(t, m, err, "mask-copy")
				if x := leaked(got + errorText(err)); x != "" {
					t.Errorf("masked value %q returned in clear by the write: %.300s", x, got)
				}
				if a.read != "" {
					got, err := readConn(ctx, c, a.read)
					if x := leaked(got + errorText(err)); x != "" {
						t.Errorf("masked value %q returned in clear: %.300s", x, got)
					}
				}
				l.noLeakInTrail(t)
				if !b.proves {
					return
				}
				rows, err := l.raw.Query(a.write)
				if err != nil {
					t.Fatalf("ground truth: raw write: %v", err)
				}
				got, _ = readRows(rows)
				if a.read != "" {
					rows, err := l.raw.Query(a.read)
					if err != nil {
						t.Fatalf("ground truth: raw read: %v", err)
					}
					got, _ = readRows(rows)
				}
				if leaked(got) == "" {
					t.Errorf("ground truth: the raw write and read returned no secret (%.200s); the attack proves nothing", got)
				}
			})
		}
	}
}
