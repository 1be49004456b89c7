package redteam_test

import (
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/mask"
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

// writeCodeAttack is code a DBA made earlier that runs when a relation is
// written and copies a masked value into notes: a trigger, a PostgreSQL
// rule, a CHECK or a DEFAULT that calls a function.
type writeCodeAttack struct {
	name   string
	family string
	setup  []string
	sql    string
}

func writeCodeAttacks() []writeCodeAttack {
	pgCopy := "CREATE FUNCTION cp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO notes VALUES (800 + (SELECT count(*) FROM notes)::int, " +
		"(SELECT ssn FROM people WHERE id = 1)); RETURN NULL; END $$"
	pgFn := "CREATE FUNCTION leakfn(varchar) RETURNS int LANGUAGE sql AS $$ INSERT INTO notes VALUES (900 + (SELECT count(*) FROM notes)::int, $1); SELECT 1 $$"
	return []writeCodeAttack{
		{name: "pg-audit-trigger", family: pg,
			setup: []string{
				"CREATE FUNCTION hist() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO notes VALUES (800, NEW.ssn); RETURN NEW; END $$",
				"CREATE TRIGGER hist AFTER UPDATE ON people FOR EACH ROW EXECUTE FUNCTION hist()",
			},
			sql: "UPDATE people SET name = 'z' WHERE id = 1"},
		{name: "pg-trigger-on-an-unmasked-table", family: pg,
			setup: []string{pgCopy, "CREATE TRIGGER cp AFTER INSERT ON nums FOR EACH STATEMENT EXECUTE FUNCTION cp()"},
			sql:   "INSERT INTO nums VALUES (1)"},
		{name: "pg-trigger-in-a-data-modifying-cte", family: pg,
			setup: []string{pgCopy, "CREATE TRIGGER cp AFTER DELETE ON nums FOR EACH STATEMENT EXECUTE FUNCTION cp()"},
			sql:   "WITH d AS (DELETE FROM nums WHERE n = 0 RETURNING n) SELECT count(*) FROM d"},
		{name: "pg-rule", family: pg,
			setup: []string{"CREATE RULE r AS ON UPDATE TO people DO ALSO INSERT INTO notes VALUES (700, NEW.ssn)"},
			sql:   "UPDATE people SET name = 'z' WHERE id = 1"},
		{name: "pg-rule-on-a-view", family: pg,
			setup: []string{"CREATE VIEW pv AS SELECT id, name FROM people",
				"CREATE RULE r2 AS ON INSERT TO pv DO INSTEAD INSERT INTO notes SELECT NEW.id, ssn FROM people WHERE id = 1"},
			sql: "INSERT INTO pv VALUES (7, 'x')"},
		{name: "pg-trigger-behind-a-view", family: pg,
			setup: []string{"CREATE VIEW pv AS SELECT id, name FROM people",
				"CREATE FUNCTION hist() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO notes VALUES (800, NEW.ssn); RETURN NEW; END $$",
				"CREATE TRIGGER hist AFTER UPDATE ON people FOR EACH ROW EXECUTE FUNCTION hist()"},
			sql: "UPDATE pv SET name = 'z' WHERE id = 1"},
		{name: "pg-trigger-on-a-partition", family: pg,
			setup: []string{pgCopy, "CREATE TABLE pn (n int) PARTITION BY LIST (n)", "CREATE TABLE pn_1 PARTITION OF pn FOR VALUES IN (1)",
				"CREATE TRIGGER cp AFTER INSERT ON pn_1 FOR EACH ROW EXECUTE FUNCTION cp()"},
			sql: "INSERT INTO pn VALUES (1)"},
		{name: "pg-trigger-on-a-cascade", family: pg,
			setup: []string{pgCopy, "CREATE TABLE kids (nid int REFERENCES notes (id) ON DELETE CASCADE)", "INSERT INTO kids VALUES (1)",
				"CREATE TRIGGER cp AFTER DELETE ON kids FOR EACH ROW EXECUTE FUNCTION cp()",
				"INSERT INTO notes VALUES (2, 'two')", "INSERT INTO kids VALUES (2)"},
			sql: "DELETE FROM notes WHERE id = 2"},
		{name: "pg-check", family: pg,
			setup: []string{pgFn, "ALTER TABLE people ADD CONSTRAINT c CHECK (leakfn(ssn) > 0)", "DELETE FROM notes WHERE id <> 1"},
			sql:   "UPDATE people SET name = 'z' WHERE id = 1"},
		{name: "pg-check-validated", family: pg,
			setup: []string{pgFn, "ALTER TABLE people ADD CONSTRAINT c CHECK (leakfn(ssn) > 0) NOT VALID"},
			sql:   "ALTER TABLE people VALIDATE CONSTRAINT c"},
		{name: "pg-default", family: pg,
			setup: []string{"CREATE FUNCTION dflt() RETURNS varchar LANGUAGE sql AS $$ SELECT ssn FROM people WHERE id = 1 $$",
				"ALTER TABLE notes ALTER COLUMN body SET DEFAULT dflt()"},
			sql: "INSERT INTO notes (id) VALUES (6)"},
		{name: "my-audit-trigger", family: my,
			setup: []string{"CREATE TRIGGER hist AFTER UPDATE ON people FOR EACH ROW INSERT INTO notes VALUES (800, NEW.ssn)"},
			sql:   "UPDATE people SET name = 'z' WHERE id = 1"},
		{name: "my-trigger-on-an-unmasked-table", family: my,
			setup: []string{"CREATE TRIGGER cp AFTER INSERT ON nums FOR EACH ROW INSERT INTO notes SELECT 800, ssn FROM people WHERE id = 1"},
			sql:   "INSERT INTO nums VALUES (1)"},
		{name: "my-trigger-behind-a-view", family: my,
			setup: []string{"CREATE VIEW pv AS SELECT id, name FROM people",
				"CREATE TRIGGER hist AFTER UPDATE ON people FOR EACH ROW INSERT INTO notes VALUES (800, NEW.ssn)"},
			sql: "UPDATE pv SET name = 'z' WHERE id = 1"},
		{name: "lite-audit-trigger", family: lite,
			setup: []string{"CREATE TRIGGER hist AFTER UPDATE ON people BEGIN INSERT INTO notes VALUES (800, NEW.ssn); END"},
			sql:   "UPDATE people SET name = 'z' WHERE id = 1"},
		{name: "lite-instead-of-trigger-on-a-view", family: lite,
			setup: []string{"CREATE VIEW pv AS SELECT id, name FROM people",
				"CREATE TRIGGER t3 INSTEAD OF INSERT ON pv BEGIN INSERT INTO notes SELECT NEW.id, ssn FROM people WHERE id = 1; END"},
			sql: "INSERT INTO pv VALUES (7, 'x')"},
	}
}

// TestCodeOnWriteMadeEarlier: a masked reader's write to a relation on
// which code made earlier runs (a trigger, a rule, a CHECK or DEFAULT that
// calls a function; on the relation, a partition, a table a foreign key
// cascades to, the base table of a view) is refused before it runs: the
// code sees the whole row and may store it anywhere. Writes to relations
// without such code, or whose CHECK and DEFAULT call only built-ins that
// compute a value, still run.
func TestCodeOnWriteMadeEarlier(t *testing.T) {
	for _, b := range backends() {
		for _, a := range writeCodeAttacks() {
			if a.family != b.family {
				continue
			}
			t.Run(b.name+"/"+a.name, func(t *testing.T) {
				t.Parallel()
				l := newLab(t, b)
				l.exec(t, a.setup...)
				before := rawAll(t, l, "SELECT body FROM notes ORDER BY id")
				// Raw, on a copy in a transaction rolled back, the code
				// stores the SSN.
				tx, err := l.raw.Begin()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Exec(a.sql); err != nil {
					t.Logf("raw: %v", err)
				}
				var proof string
				rows, err := tx.Query("SELECT body FROM notes")
				if err == nil {
					proof, _ = readRows(rows)
				}
				tx.Rollback()
				if leaked(proof) == "" {
					t.Fatalf("raw, the write stored no SSN: the attack proves nothing (%v)", err)
				}
				m := l.mark()
				_, err = l.db.ExecContext(as(dev), a.sql)
				if !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("got %v, want a refusal", err)
				} else {
					l.oneRecord(t, m)
				}
				if got := rawAll(t, l, "SELECT body FROM notes ORDER BY id"); got != before {
					t.Errorf("the refused write changed notes to %.200q", got)
				}
				if x := leaked(rawAll(t, l, "SELECT body FROM notes")); x != "" {
					t.Errorf("masked value %q stored in notes", x)
				}
				l.noLeakInTrail(t)
			})
		}
	}
}

// TestCodeOnWriteBenign: writes to relations without code made earlier,
// or whose CHECK and DEFAULT call only built-ins, still run for a masked
// reader, next to a table that has a trigger.
func TestCodeOnWriteBenign(t *testing.T) {
	setup := map[string][]string{
		pg: {"CREATE TABLE memo (id serial, body varchar(40) DEFAULT upper('x') CHECK (length(body) < 40), at timestamptz DEFAULT now())",
			"CREATE FUNCTION hist() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
			"CREATE TRIGGER hist AFTER UPDATE ON people FOR EACH ROW EXECUTE FUNCTION hist()"},
		my: {"CREATE TABLE memo (id INT AUTO_INCREMENT PRIMARY KEY, body VARCHAR(40) DEFAULT 'x' CHECK (length(body) < 40))",
			"CREATE TRIGGER hist AFTER UPDATE ON people FOR EACH ROW SET @x = 1"},
		lite: {"CREATE TABLE memo (id INTEGER PRIMARY KEY, body TEXT DEFAULT 'x' CHECK (length(body) < 40))",
			"CREATE TRIGGER hist AFTER UPDATE ON people BEGIN SELECT 1; END"},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			l.exec(t, setup[b.family]...)
			for _, q := range []string{
				"INSERT INTO memo (body) VALUES ('hello')",
				"UPDATE memo SET body = 'bye' WHERE body = 'hello'",
				"INSERT INTO notes VALUES (2, 'two')",
				"DELETE FROM notes WHERE id = 2",
			} {
				if _, err := l.db.ExecContext(as(dev), q); err != nil {
					t.Errorf("%s: %v", q, err)
				}
			}
		})
	}
}

// TestCodeMadeByMaskedReader: a masked reader may not leave code behind
// that runs later on its own (a function, trigger, rule): a trigger it
// made on people would copy NEW.ssn into notes when an exempt reader
// updates people, and the masked reader would read notes. Masking holds
// this without the guard's rules (the handle has no policy), and the
// exempt reader's write then stores nothing.
func TestCodeMadeByMaskedReader(t *testing.T) {
	plant := map[string][][]string{
		pg: {
			{"CREATE FUNCTION hist() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO notes VALUES (800, NEW.ssn); RETURN NEW; END $$",
				"CREATE TRIGGER hist AFTER UPDATE ON people FOR EACH ROW EXECUTE FUNCTION hist()"},
			{"CREATE RULE r AS ON UPDATE TO people DO ALSO INSERT INTO notes VALUES (700, NEW.ssn)"},
			{"CREATE OR REPLACE FUNCTION upper(x varchar) RETURNS text LANGUAGE sql AS $$ INSERT INTO notes VALUES (600, x) RETURNING body $$"},
		},
		my: {
			{"CREATE TRIGGER hist AFTER UPDATE ON people FOR EACH ROW INSERT INTO notes VALUES (800, NEW.ssn)"},
		},
		lite: {
			{"CREATE TRIGGER hist AFTER UPDATE ON people BEGIN INSERT INTO notes VALUES (800, NEW.ssn); END"},
			{"CREATE TEMP TRIGGER hist AFTER UPDATE ON people BEGIN INSERT INTO notes VALUES (800, NEW.ssn); END"},
		},
	}
	later := map[string][]string{
		pg:   {"UPDATE people SET name = 'q' WHERE id = 1", "SELECT upper(ssn) FROM people WHERE id = 1"},
		my:   {"UPDATE people SET name = 'q' WHERE id = 1"},
		lite: {"UPDATE people SET name = 'q' WHERE id = 1"},
	}
	for _, b := range backends() {
		for _, steps := range plant[b.family] {
			t.Run(b.name+"/"+steps[len(steps)-1][:20], func(t *testing.T) {
				t.Parallel()
				l := newLab(t, b)
				exempt := []string{"pii:read"}
				m, err := mask.New(mask.WithRules(
					mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email(), ExemptRoles: exempt},
					mask.Rule{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact(), ExemptRoles: exempt},
				))
				if err != nil {
					t.Fatal(err)
				}
				db, err := sqlvigil.Open(b.driver, l.dsn, sqlvigil.WithMasker(m))
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				// One connection, so that a temporary trigger is on the
				// connection the exempt reader uses next.
				db.SetMaxOpenConns(1)
				refused := false
				for _, q := range steps {
					_, err := db.ExecContext(as(dev), q)
					refused = refused || errors.Is(err, guard.ErrBlocked)
				}
				if !refused {
					t.Errorf("%s: the masked reader's code was made, want a refusal", steps)
				}
				for _, q := range later[b.family] {
					rows, err := db.QueryContext(as(dpo), q)
					if err == nil {
						_, err = readRows(rows)
					}
					t.Logf("exempt %s: %v", q, err)
				}
				if x := leaked(rawAll(t, l, "SELECT body FROM notes")); x != "" {
					t.Errorf("masked value %q stored in notes by code the masked reader made", x)
				}
			})
		}
	}
}

// TestViewCodeMadeEarlier: a view made earlier runs its whole definition
// on every read, whatever columns of it are read: a function in its WHERE
// or in a subquery (WHERE leakfn(ssn) > 0), or an operator made earlier
// (WHERE ssn === name), runs on the clear values although the view
// returns none of them, and so does REFRESH MATERIALIZED VIEW. A view
// whose definition calls a function not known to only compute a value is
// untraceable, and the operators and casts of a definition count as the
// statement's own (TestCodeMadeEarlier).
func TestViewCodeMadeEarlier(t *testing.T) {
	pgFn := "CREATE FUNCTION leakfn(varchar) RETURNS int LANGUAGE sql AS $$ INSERT INTO notes VALUES (900 + (SELECT count(*) FROM notes)::int, $1); SELECT 1 $$"
	myFn := "CREATE FUNCTION leakfn(s VARCHAR(20)) RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO notes VALUES (900 + (SELECT count(*) FROM notes n2), s); RETURN 1; END"
	tests := []struct {
		name   string
		family string
		ownDB  bool // makes objects the whole database sees
		setup  []string
		sql    string
	}{
		{name: "function-in-where", family: pg, setup: []string{pgFn, "CREATE VIEW v2 AS SELECT id FROM people WHERE leakfn(ssn) > 0"},
			sql: "SELECT id FROM v2"},
		{name: "function-in-a-subquery", family: pg, setup: []string{pgFn, "INSERT INTO nums VALUES (1)",
			"CREATE VIEW v5 AS SELECT n FROM nums WHERE EXISTS (SELECT 1 FROM people WHERE leakfn(ssn) > 0)"},
			sql: "SELECT n FROM v5"},
		{name: "function-in-a-view-under-a-view", family: pg, setup: []string{pgFn,
			"CREATE VIEW v6 AS SELECT id, name FROM people WHERE leakfn(ssn) > 0", "CREATE VIEW v7 AS SELECT name FROM v6"},
			sql: "SELECT name FROM v7"},
		{name: "materialized-view-refresh", family: pg, setup: []string{pgFn,
			"CREATE MATERIALIZED VIEW mv AS SELECT id FROM people WHERE leakfn(ssn) > 0 WITH NO DATA"},
			sql: "REFRESH MATERIALIZED VIEW mv"},
		{name: "operator-made-earlier-in-where", family: pg, ownDB: true, setup: []string{
			"CREATE FUNCTION leakeq(varchar, varchar) RETURNS bool LANGUAGE sql AS $$ INSERT INTO notes VALUES (900 + (SELECT count(*) FROM notes)::int, $1); SELECT true $$",
			"CREATE OPERATOR === (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = leakeq)",
			"CREATE VIEW v4 AS SELECT id FROM people WHERE ssn === name"},
			sql: "SELECT id FROM v4"},
		{name: "function-in-where", family: my, setup: []string{myFn, "CREATE VIEW v2 AS SELECT id FROM people WHERE leakfn(ssn) > 0"},
			sql: "SELECT id FROM v2"},
	}
	type place struct {
		b   backend
		own bool
	}
	var places []place
	for _, b := range backends() {
		places = append(places, place{b: b})
	}
	for _, b := range ownDatabase() {
		places = append(places, place{b: b, own: true})
	}
	for _, p := range places {
		b := p.b
		for _, tt := range tests {
			if tt.family != b.family || tt.ownDB != p.own {
				continue
			}
			t.Run(b.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				l := newLab(t, b)
				l.exec(t, tt.setup...)
				l.exec(t, tt.sql)
				if leaked(rawAll(t, l, "SELECT body FROM notes")) == "" {
					t.Fatal("raw, the view's code stored no SSN: the attack proves nothing")
				}
				l.exec(t, "DELETE FROM notes WHERE id <> 1")
				got, err := l.read(t, dev, tt.sql)
				if !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("got %.200q (%v), want a refusal", got, err)
				}
				if x := leaked(rawAll(t, l, "SELECT body FROM notes")); x != "" {
					t.Errorf("masked value %q stored in notes", x)
				}
			})
		}
	}
}
