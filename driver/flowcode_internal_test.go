package driver

import (
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// TestFlowCodeWords: which statements make code, move rows from under a
// name, or may fire what watches a table's rows.
func TestFlowCodeWords(t *testing.T) {
	tests := []struct {
		d                      sqlstmt.Dialect
		give                   string
		defines, moves, writes bool
	}{
		{sqlstmt.PostgreSQL, "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$", true, false, false},
		{sqlstmt.PostgreSQL, "CREATE TRIGGER t AFTER UPDATE ON people FOR EACH ROW EXECUTE FUNCTION f()", true, false, false},
		{sqlstmt.PostgreSQL, "CREATE OPERATOR === (LEFTARG = text, RIGHTARG = text, FUNCTION = f)", true, false, false},
		{sqlstmt.PostgreSQL, "CREATE DOMAIN d AS text CHECK (VALUE <> '')", true, false, false},
		{sqlstmt.PostgreSQL, "ALTER TABLE people ENABLE TRIGGER t", true, false, true},
		{sqlstmt.PostgreSQL, "CREATE TABLE t (id int)", false, false, false},
		{sqlstmt.PostgreSQL, "CREATE VIEW v AS SELECT id FROM people", false, false, false},
		{sqlstmt.PostgreSQL, "ALTER TABLE pp DETACH PARTITION pp_1", false, true, true},
		{sqlstmt.PostgreSQL, "ALTER TABLE kept NO INHERIT pp2", false, true, true},
		{sqlstmt.PostgreSQL, "ALTER TABLE kept INHERIT pp2", false, false, true},
		{sqlstmt.PostgreSQL, "ALTER TABLE people VALIDATE CONSTRAINT c", false, false, true},
		{sqlstmt.PostgreSQL, "UPDATE people SET name = 'x' WHERE id = 1", false, false, true},
		{sqlstmt.PostgreSQL, "DROP TABLE t", false, false, false},
		{sqlstmt.MySQL, "ALTER TABLE people EXCHANGE PARTITION p0 WITH TABLE loot", false, true, true},
		{sqlstmt.MySQL, "CREATE TRIGGER t AFTER UPDATE ON people FOR EACH ROW SET @x = 1", true, false, false},
		{sqlstmt.SQLite, "CREATE TRIGGER t AFTER UPDATE ON people BEGIN SELECT 1; END", true, false, false},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		if len(s.Statements) == 0 {
			t.Errorf("%s: no statement", tt.give)
			continue
		}
		st := &s.Statements[0]
		if got := definesCode(st, s); got != tt.defines {
			t.Errorf("definesCode(%s) = %v, want %v", tt.give, got, tt.defines)
		}
		if got := movesRows(s, st); got != tt.moves {
			t.Errorf("movesRows(%s) = %v, want %v", tt.give, got, tt.moves)
		}
		if got := writesRows(st); got != tt.writes {
			t.Errorf("writesRows(%s) = %v, want %v", tt.give, got, tt.writes)
		}
	}
}
