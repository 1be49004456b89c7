package sqlparse_test

import (
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// stores renders a statement's Stores as "table.column<sources>" items,
// "table.column*star" for whole rows, "?" when they are unknown, "" for
// none.
func stores(st *sqlparse.Statement) string {
	if st.StoresUnknown {
		return "?"
	}
	var parts []string
	for _, s := range st.Stores {
		p := s.Table.String() + "." + s.Column
		if s.Star {
			p += "*" + s.StarTable
		} else {
			p += "<" + strings.Join(s.Sources, ",") + ">"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// TestStores: every value a write copies from a column is traced to that
// column; what cannot be traced is unknown, never left out.
func TestStores(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want string
	}{
		// Literals and arguments store nothing to trace.
		{pg, "INSERT INTO notes VALUES (1, 'x'), ($1, $2)", ""},
		{my, "INSERT INTO notes (id, body) VALUES (?, ?)", ""},
		{lt, "INSERT INTO notes DEFAULT VALUES", ""},
		{pg, "UPDATE notes SET body = 'x', n = n + 1 WHERE id = 1", "notes.n<notes.n>"},
		{pg, "INSERT INTO notes VALUES (nextval('s'), now())", ""},
		{pg, "UPDATE notes SET body = DEFAULT WHERE id = 1", ""},
		// INSERT … SELECT and VALUES with subqueries.
		{pg, "INSERT INTO notes SELECT 100 + id, email FROM people", "notes.<people.id> notes.<people.email>"},
		{my, "INSERT INTO notes (id, body) SELECT id, email FROM people", "notes.id<people.id> notes.body<people.email>"},
		{lt, "INSERT INTO notes VALUES (1, (SELECT ssn FROM people WHERE id = 2))", "notes.<people.ssn>"},
		{my, "INSERT INTO notes (id, body) VALUES (1, (SELECT ssn FROM people LIMIT 1))", "notes.body<people.ssn>"},
		{my, "INSERT INTO notes SET id = 5, body = (SELECT email FROM people LIMIT 1)", "notes.body<people.email>"},
		{pg, "INSERT INTO notes SELECT * FROM people", "notes.*people"},
		{my, "REPLACE INTO notes SELECT id, email FROM people", "notes.<people.id> notes.<people.email>"},
		{pg, "WITH c AS (SELECT email FROM people) INSERT INTO notes (body) SELECT email FROM c", "notes.body<people.email>"},
		// UPDATE … SET from columns, subqueries and FROM tables.
		// An unqualified name in a subquery may be the updated table's column.
		{pg, "UPDATE notes SET body = (SELECT email FROM people WHERE id = 1) WHERE id = 1", "notes.body<people.email,notes.email>"},
		{pg, "UPDATE notes n SET body = (SELECT n.ssn) WHERE id = 1", "notes.body<notes.ssn>"},
		{pg, "UPDATE notes n SET body = p.email FROM people p WHERE p.id = n.id", "notes.body<people.email>"},
		{my, "UPDATE notes n JOIN people p ON p.id = n.id SET n.body = p.ssn", "notes.body<people.ssn>"},
		{lt, "UPDATE people SET name = email WHERE id = 1", "people.name<people.email>"},
		{pg, "UPDATE notes SET (id, body) = (SELECT id, email FROM people WHERE id = 1) WHERE id = 1", "notes.<people.id,notes.id,people.email,notes.email>"},
		// Upserts.
		{pg, "INSERT INTO notes VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET body = (SELECT email FROM people LIMIT 1)", "notes.body<people.email>"},
		{my, "INSERT INTO notes VALUES (1, 'a') ON DUPLICATE KEY UPDATE body = (SELECT email FROM people LIMIT 1)", "notes.body<people.email>"},
		// Tables and views made from a query.
		{pg, "CREATE VIEW mine AS SELECT email AS x, ssn AS y FROM people", "mine.x<people.email> mine.y<people.ssn>"},
		{pg, "CREATE MATERIALIZED VIEW mv AS SELECT email FROM people", "mv.email<people.email>"},
		{pg, "CREATE VIEW v (a, b) AS SELECT email, ssn FROM people", "v.a<people.email> v.b<people.ssn>"},
		{lt, "CREATE VIEW v (a) AS SELECT email, ssn FROM people", "v.<people.email> v.<people.ssn>"},
		{my, "CREATE TABLE t (extra INT) SELECT email FROM people", "t.<people.email>"},
		{my, "CREATE TABLE loot SELECT * FROM people", "loot.*people"},
		{lt, "CREATE TABLE loot AS SELECT upper(email) AS e FROM people", "loot.e<people.email>"},
		{pg, "SELECT email INTO loot FROM people", "loot.email<people.email>"},
		// The statements a statement runs.
		{pg, "WITH d AS (INSERT INTO notes SELECT id, email FROM people RETURNING 1) SELECT 1", "notes.<people.id> notes.<people.email>"},
		{pg, "EXPLAIN ANALYZE INSERT INTO notes (body) SELECT email FROM people", "notes.body<people.email>"},
		{pg, "EXPLAIN INSERT INTO notes (body) SELECT email FROM people", ""},
		{pg, "PREPARE p AS UPDATE notes SET body = (SELECT email FROM people LIMIT 1) WHERE id = 1; EXECUTE p", ""},
		// Unknown origins.
		{my, "INSERT INTO notes VALUES (1, @x)", "?"},
		{pg, "INSERT INTO notes VALUES (1, people_fn())", "?"},
		{pg, "INSERT INTO notes SELECT id, people_fn() FROM people", "?"},
		{pg, "UPDATE notes SET body = current_setting('x.y') WHERE id = 1", "?"},
		{pg, "ALTER TABLE people ADD COLUMN e2 text GENERATED ALWAYS AS (email) STORED", "?"},
		{my, "ALTER TABLE people ADD COLUMN e2 VARCHAR(80) AS (email)", "?"},
		{lt, "ALTER TABLE people ADD COLUMN e2 AS (email)", "?"},
		{pg, "ALTER TABLE people ADD COLUMN n int DEFAULT 0", ""},
		{my, "ALTER VIEW v AS SELECT email AS x FROM people", "v.x<people.email>"},
		{my, "ALTER ALGORITHM = MERGE VIEW v (a) AS SELECT ssn FROM people WITH CHECK OPTION", "v.a<people.ssn>"},
		{pg, "MERGE INTO notes n USING people p ON n.id = p.id WHEN MATCHED THEN UPDATE SET body = p.email", "?"},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		if !s.Complete {
			t.Errorf("%s %q: incomplete (%s)", tt.d, tt.give, s.Reason)
			continue
		}
		if got := stores(&s.Statements[0]); got != tt.want {
			t.Errorf("%s %q: stores %q, want %q", tt.d, tt.give, got, tt.want)
		}
	}
	// EXECUTE runs what PREPARE prepared in the same text: its stores.
	s := sqlparse.Analyze(pg, "PREPARE p AS UPDATE notes SET body = (SELECT email FROM people LIMIT 1) WHERE id = 1; EXECUTE p")
	if got := stores(&s.Statements[1]); got != "notes.body<people.email,notes.email>" {
		t.Errorf("EXECUTE p: stores %q", got)
	}
}

// TestReturningStores: a RETURNING list returns what was stored, so a
// written column it returns takes the sources of its stored value.
func TestReturningStores(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want string
	}{
		{pg, "INSERT INTO notes SELECT 100 + id, email FROM people RETURNING body", "body<notes.body,people.id,people.email>+"},
		{my, "INSERT INTO notes SELECT 100 + id, email FROM people RETURNING body", "body<notes.body,people.id,people.email>+"},
		{lt, "INSERT INTO notes SELECT 100 + id, email FROM people RETURNING body", "body<notes.body,people.id,people.email>+"},
		{pg, "INSERT INTO notes (id, body) SELECT id, email FROM people RETURNING id, body", "id<notes.id,people.id>+ body<notes.body,people.email>+"},
		{pg, "INSERT INTO notes (id, body) SELECT id, email FROM people RETURNING upper(body) AS b", "b<notes.body,people.email>+"},
		{pg, "INSERT INTO notes VALUES (1, 'x') RETURNING body", "body<notes.body>"},
		{pg, "INSERT INTO notes SELECT id, email FROM people RETURNING *", "?"},
		{pg, "INSERT INTO notes VALUES (1, 'x') RETURNING *", "*notes"},
		{pg, "UPDATE notes SET body = (SELECT ssn FROM people WHERE id = 2) WHERE id = 1 RETURNING body", "body<notes.body,people.ssn,notes.ssn>+"},
		{pg, "UPDATE notes SET body = (SELECT ssn FROM people WHERE id = 2) WHERE id = 1 RETURNING id", "id<notes.id>"},
		{pg, "UPDATE notes SET body = (SELECT ssn FROM people WHERE id = 2) WHERE id = 1 RETURNING *", "?"},
		{pg, "UPDATE people SET id = id RETURNING *", "*people"},
		{lt, "UPDATE notes SET body = p.email FROM people p WHERE p.id = notes.id RETURNING body", "body<body,people.email>+"},
		{lt, "INSERT INTO notes VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET body = (SELECT email FROM people) RETURNING body", "body<notes.body,people.email>+"},
		{pg, "INSERT INTO notes VALUES (1, people_fn()) RETURNING body", "?"},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		if !s.Complete {
			t.Errorf("%s %q: incomplete (%s)", tt.d, tt.give, s.Reason)
			continue
		}
		if got := lineage(s.Statements[0].Columns); got != tt.want {
			t.Errorf("%s %q: columns %q, want %q", tt.d, tt.give, got, tt.want)
		}
	}
}
