package driver

import (
	sqldriver "database/sql/driver"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

type namedRows struct{ names []string }

func (r namedRows) Columns() []string                 { return r.names }
func (r namedRows) Close() error                      { return nil }
func (r namedRows) Next(dest []sqldriver.Value) error { return nil }

// describe prints a column as "name<-sources", "name<-sources expr" or
// "name?" when unattributed.
func describe(c mask.Column) string {
	if !c.Attributed {
		return c.Name + "?"
	}
	s := c.Name + "<-" + strings.Join(c.Sources, ",")
	if c.Expr {
		s += " expr"
	}
	return s
}

func TestColumns(t *testing.T) {
	tests := []struct {
		give    string
		dialect sqlstmt.Dialect
		names   []string
		set     int
		ordered bool
		want    string
	}{
		{give: "SELECT id, ssn AS x FROM people", names: []string{"id", "x"}, want: "id<-people.id | x<-people.ssn"},
		{give: "SELECT id, ssn FROM people", names: []string{"id"}, want: "id?"},
		{give: "SELECT * FROM people", names: []string{"id", "ssn"}, want: "id<-people.id | ssn<-people.ssn"},
		{give: "DELETE FROM people RETURNING *", names: []string{"id", "ssn"}, want: "id<-people.id | ssn<-people.ssn"},
		{give: "UPDATE people SET id = 1 FROM orders RETURNING *", names: []string{"id", "ssn", "item"}, want: "id<-id | ssn<-ssn | item<-item"},
		{give: "SELECT * FROM people p JOIN orders o ON o.pid = p.id", names: []string{"id", "ssn", "item"}, want: "id<-id | ssn<-ssn | item<-item"},
		{give: "SELECT reverse(ssn), * FROM people", names: []string{"reverse", "id"}, want: "reverse<-people.reverse,people.ssn expr | id<-people.id"},
		{give: "SELECT *, ssn AS x FROM people", names: []string{"id", "x"}, want: "id<-people.id | x<-people.x,people.ssn expr"},
		{give: "WITH d AS (DELETE FROM people RETURNING *) SELECT * FROM d", names: []string{"id"}, want: "id?"},
		// Stacked scripts: in order on lib/pq and go-sql-driver/mysql.
		{give: "SELECT 1 AS a; SELECT ssn AS x FROM people", names: []string{"x"}, set: 1, ordered: true, want: "x<-people.ssn"},
		{give: "SELECT 1 AS a; SELECT ssn AS x FROM people", names: []string{"a"}, ordered: true, want: "a<- expr"},
		{give: "UPDATE t SET a = 1; SELECT ssn AS x FROM people", names: []string{"x"}, ordered: true, want: "x<-people.ssn"},
		// Not in order, or not certainly: the union of every source.
		{give: "SELECT 1 AS a; SELECT ssn AS x FROM people", names: []string{"x"}, want: "x<-people.ssn expr"},
		{give: "SELECT ssn INTO @v FROM people; SELECT 1 AS a", dialect: sqlstmt.MySQL, names: []string{"a"}, ordered: true, want: "a<-people.ssn expr"},
		{give: "SELECT 1 AS a; SELECT * FROM people", names: []string{"id"}, ordered: true, set: 5, want: "id<-id expr"},
		{give: "SHOW x; SELECT ssn AS x FROM people", names: []string{"x"}, ordered: true, want: "x?"},
		{give: "SELECT 1; SELECT * FROM people; SELECT email FROM users", names: []string{"ssn"}, want: "ssn<-users.email,ssn expr"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			d := tt.dialect
			if d == sqlstmt.DialectUnknown {
				d = sqlstmt.PostgreSQL
			}
			s := sqlparse.Analyze(d, tt.give)
			cols := columns(namedRows{tt.names}, s, tt.set, tt.ordered)
			var got []string
			for _, c := range cols {
				got = append(got, describe(c))
			}
			if g := strings.Join(got, " | "); g != tt.want {
				t.Errorf("got %s, want %s", g, tt.want)
			}
		})
	}
}

func TestIntoWords(t *testing.T) {
	for _, tt := range []struct {
		give string
		want int
	}{
		{"INSERT INTO t VALUES (?)", 0},
		{"SELECT a INTO @x FROM t", 1},
		{"insert into t select 1; select a into b from c", 1},
		{"MERGE INTO t USING s ON ?", 0},
		{"SELECT `into` FROM t", 1},
	} {
		if got := intoWords(tt.give); got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.give, got, tt.want)
		}
	}
}
