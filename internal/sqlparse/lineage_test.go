package sqlparse_test

import (
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// lineage renders a statement's columns as TestColumns does, or "?" when
// the analyser says they are unknown.
func lineage(cols []sqlparse.Column) string {
	if cols == nil {
		return "?"
	}
	var parts []string
	for _, c := range cols {
		p := c.Name
		if c.Star {
			p = "*" + c.StarTable
		} else {
			p += "<" + strings.Join(c.Sources, ",") + ">"
		}
		if c.Expr {
			p += "+"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// TestLineageNotHidden: where a value's origin is renamed, a whole row
// (traced to "table.*", every column of the table), a
// function's or a variable's, the lineage either carries the real source
// columns or is unknown ("?"), never a plain column or star that hides
// them (the red team's column-lineage leaks).
func TestLineageNotHidden(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want string
	}{
		// An unqualified name in a subquery may come from an enclosing
		// query's relations: orders may have no ssn.
		{pg, "SELECT (SELECT ssn FROM orders LIMIT 1) AS x FROM people", "x<orders.ssn,people.ssn>+"},
		{my, "SELECT (SELECT ssn FROM orders LIMIT 1) AS x FROM people", "x<orders.ssn,people.ssn>+"},
		{lt, "SELECT x FROM (SELECT (SELECT ssn FROM orders) AS x FROM people) d", "x<orders.ssn,people.ssn>+"},
		{pg, "SELECT id FROM people WHERE id IN (SELECT ssn FROM orders)", "id<people.id>"},
		{pg, "SELECT ARRAY(SELECT ssn FROM orders) FROM people", "<orders.ssn,people.ssn>+"},
		{pg, "SELECT (SELECT o.total FROM orders o) FROM people", "<orders.total>+"},
		// A qualifier that names no relation in scope: a table function's
		// implicit name, or a mistake.
		{pg, "SELECT unnest.unnest FROM people, unnest(ARRAY[people.ssn])", "?"},
		{lt, "SELECT json_each.value FROM people, json_each(json_array(people.ssn))", "?"},
		{pg, "SELECT nosuch.ssn FROM people", "?"},
		// Two relations under one name (SQLite accepts it).
		{lt, "SELECT p.ssn FROM orders p, people p", "?"},
		{lt, "SELECT p.ssn FROM orders p, people P", "?"},
		{lt, "SELECT p.id FROM people p", "id<people.id>"},
		// Words that are operators in one dialect name columns in another.
		{lt, "SELECT escape FROM people", "<people.escape>+"},
		{pg, "SELECT mod AS m FROM people", "m<people.mod>+"},
		{my, "SELECT `div` + 0 FROM people", "<people.div>+"},
		{lt, "SELECT unknown, array FROM people", "<people.unknown>+ <people.array>+"},
		// Column alias lists map onto the inner items by position.
		{pg, "SELECT a, b FROM (SELECT email, ssn FROM people) AS s(a, b)", "a<people.email> b<people.ssn>"},
		{pg, "SELECT s.ssn, a FROM (SELECT email, ssn FROM people) s(a)", "ssn<people.ssn> a<people.email>"},
		{pg, "SELECT * FROM (SELECT email, ssn FROM people) AS s(a, b)", "a<people.email> b<people.ssn>"},
		{pg, "SELECT a FROM (SELECT email FROM people) AS s(a, b)", "?"},
		{pg, "SELECT a FROM (SELECT * FROM people) AS s(a)", "?"},
		{pg, "WITH c(a, b) AS (SELECT email, ssn FROM people) SELECT a, b FROM c", "a<people.email> b<people.ssn>"},
		{lt, "WITH c(a, b) AS (SELECT email, ssn FROM people) SELECT a, b FROM c", "a<people.email> b<people.ssn>"},
		{my, "WITH c(a, b) AS (SELECT email, ssn FROM people) SELECT a, b FROM c", "a<people.email> b<people.ssn>"},
		{pg, "WITH c(a, b) AS (SELECT email, ssn FROM people) SELECT * FROM c", "a<people.email> b<people.ssn>"},
		{pg, "SELECT * FROM people AS p(a, b)", "?"},
		{pg, "SELECT a FROM people AS p(a, b)", "?"},
		{pg, "SELECT x FROM unnest(ARRAY[p.email, p.ssn]) AS u(x)", "?"},
		{pg, "SELECT x FROM people p CROSS JOIN LATERAL unnest(ARRAY[p.email, p.ssn]) AS u(x)", "?"},
		{pg, "SELECT j.a FROM (people JOIN t USING (id)) AS j(a, b)", "?"},
		// Whole-row references read every column.
		{pg, "SELECT p FROM people p", "p<people.p,people.*>+"},
		{pg, "SELECT people FROM people", "people<people.people,people.*>+"},
		{pg, "SELECT p::text FROM people p", "<people.*,people.p>+"},
		{pg, "SELECT row_to_json(p) FROM people p", "<people.*,people.p>+"},
		{pg, "SELECT json_agg(p) FROM people p", "<people.*,people.p>+"},
		{pg, "SELECT to_jsonb(p.*) FROM people p", "<people.*,people.p>+"},
		{pg, "SELECT (p).email, (p).ssn FROM people p", "<people.*,people.p>+ <people.*,people.p>+"},
		{pg, "SELECT s FROM (SELECT email FROM people) s", "s<s,people.email>+"},
		// Functions in FROM over columns, and LATERAL over the outer alias.
		{pg, "SELECT * FROM people, unnest(ARRAY[ssn]) u", "?"},
		{pg, "SELECT * FROM people CROSS JOIN LATERAL upper(ssn) f", "?"},
		{pg, "SELECT f FROM people CROSS JOIN LATERAL upper(ssn) f", "?"},
		{pg, "SELECT t.e, t.s FROM people p, LATERAL (SELECT p.email AS e, p.ssn AS s) t", "e<people.email> s<people.ssn>"},
		{pg, "SELECT e FROM people p, LATERAL (SELECT p.email AS e) t", "e<e,people.email>"},
		{pg, "SELECT t.e FROM people, LATERAL (SELECT email AS e) t", "e<people.email>"},
		{pg, "SELECT (SELECT p.ssn) AS s FROM people p", "s<people.ssn>+"},
		{pg, "SELECT x.* FROM people p, LATERAL (SELECT p.*) x", "*people"},
		{pg, "SELECT (SELECT y.e FROM people x, (SELECT x.ssn AS e) y) AS v FROM orders x", "v<orders.ssn>+"},
		{pg, "SELECT (SELECT y.e FROM people x, LATERAL (SELECT x.ssn AS e) y) AS v FROM orders x", "v<people.ssn>+"},
		{pg, "SELECT (SELECT q.s FROM (SELECT p.ssn AS s) q) AS v FROM people p", "v<people.ssn>+"},
		// Set-returning functions in FROM: whatever they read is unknown.
		{pg, "SELECT e, s FROM people_fn()", "?"},
		{pg, "SELECT * FROM people_fn()", "?"},
		{pg, "SELECT f.e FROM people_fn() f", "?"},
		{pg, "SELECT * FROM ROWS FROM (people_fn()) r", "?"},
		// A function the user defined may read any table.
		{pg, "SELECT people_fn()", "?"},
		{pg, "SELECT public.people_fn() AS r", "?"},
		{pg, "SELECT get_ssn(id) AS s FROM people", "?"},
		{pg, `SELECT "lower"(email) FROM people`, "?"},
		{pg, "SELECT (SELECT people_fn()) AS x", "?"},
		{my, "SELECT f(email) FROM people", "?"},
		{lt, "SELECT f(email) FROM people", "?"},
		{pg, "SELECT lower(email), pg_catalog.upper(ssn) AS s FROM people", "<people.email>+ s<people.ssn>+"},
		{my, "SELECT concat(first, ' ', last) AS n, count(*) AS c FROM people", "n<people.first,people.last>+ c<>+"},
		// A column of a derived table it does not return is not guessed.
		{pg, "SELECT s.ssn FROM (SELECT email FROM people) s", "?"},
		// MariaDB user variables hold any value stored in them.
		{my, "SELECT @x, @y", "?"},
		{my, "SELECT concat(@x, '') AS v", "?"},
		{my, "SELECT @@version", "<>+"},
		{pg, "SELECT current_setting('my.x') AS v", "?"},
		{pg, "SELECT pg_catalog.current_setting('my.x') AS v", "?"},
		// Unchanged: plain lineage stays known.
		{pg, "SELECT email, ssn FROM people", "email<people.email> ssn<people.ssn>"},
		{pg, "SELECT p.email FROM people p, orders o", "email<people.email>"},
		{pg, "SELECT e FROM people, (SELECT ssn AS e FROM people) s", "e<e,people.ssn>"},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		if !s.Complete {
			if tt.want == "?" {
				continue // incomplete: nothing is attributed
			}
			t.Errorf("%q: incomplete: %s", tt.give, s.Reason)
			continue
		}
		if got := lineage(s.Statements[0].Columns); got != tt.want {
			t.Errorf("%v %q: columns %q, want %q", tt.d, tt.give, got, tt.want)
		}
	}
}

// TestFunctionsOverNames: a function is listed when an argument may carry
// a value read from a table, and not when it receives only literals.
func TestFunctionsOverNames(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want string
	}{
		{pg, "SELECT nextval('s')", ""},
		{pg, "SELECT setval('s', length(ssn)) FROM people", "setval,length"},
		{pg, "SELECT id FROM notes WHERE pg_try_advisory_lock((SELECT length(ssn) FROM people LIMIT 1))", "pg_try_advisory_lock,length"},
		{pg, "SELECT pg_advisory_lock(42), pg_sleep($1)", ""},
		{my, "SELECT GET_LOCK(concat('k', email), 0) FROM people", "get_lock,concat"},
		{pg, "WITH d AS (DELETE FROM notes RETURNING set_config('x', body, false)) SELECT 1", "set_config"},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		if got := strings.Join(s.Statements[0].FunctionsOverNames, ","); got != tt.want {
			t.Errorf("%s %q: %q, want %q", tt.d, tt.give, got, tt.want)
		}
	}
}

// TestBareNameWithoutFrom: a name read without a FROM keeps its bare
// source even after other sources of the same item.
func TestBareNameWithoutFrom(t *testing.T) {
	s := sqlparse.Analyze(my, `SELECT concat("max=", connection) 'p1'`)
	if got := lineage(s.Statements[0].Columns); !strings.Contains(got, "connection") {
		t.Errorf("columns %q, want the source connection", got)
	}
}

// TestCustomSetting: current_setting of a built-in setting written as a
// literal is not a custom setting; a dotted or computed name is.
func TestCustomSetting(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"SELECT current_setting('server_version_num')", false},
		{"SELECT current_setting('search_path', true)", false},
		{"SELECT pg_catalog.current_setting('TimeZone')", false},
		{"SELECT current_setting('leak.v')", true},
		{"SELECT current_setting(name) FROM pg_settings", true},
		{"SELECT current_setting($1)", true},
		{"SELECT current_setting('a' || 'b')", true},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(pg, tt.give)
		if got := s.Statements[0].CustomSetting; got != tt.want {
			t.Errorf("%q: CustomSetting %v, want %v", tt.give, got, tt.want)
		}
	}
}
