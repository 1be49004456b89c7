package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// catalogFake answers the SQLite catalog lookup from a fixed schema and
// counts the lookups.
type catalogFake struct {
	defs    map[string]string // view name → CREATE VIEW text; tables map to ""
	lookups int
}

func (f *catalogFake) QueryContext(_ context.Context, q string, _ []sqldriver.NamedValue) (sqldriver.Rows, error) {
	f.lookups++
	if strings.Contains(q, "pragma_table_xinfo('people')") {
		return &catalogRows{cols: []string{"name", "generated"}, rows: [][]sqldriver.Value{{"id", ""}, {"name", ""}, {"email", ""}, {"ssn", ""}}}, nil
	}
	if strings.Contains(q, "pragma_table_xinfo('folks')") {
		return &catalogRows{cols: []string{"name", "generated"}, rows: [][]sqldriver.Value{{"id", ""}, {"ssn", ""}, {"g", "g"}}}, nil
	}
	for name, def := range f.defs {
		if strings.Contains(q, "name = '"+name+"'") {
			kind := "table"
			if def != "" {
				kind = "view"
			}
			return &catalogRows{rows: [][]sqldriver.Value{{kind, def}}}, nil
		}
	}
	return &catalogRows{}, nil
}

type catalogRows struct {
	cols []string
	rows [][]sqldriver.Value
}

func (r *catalogRows) Columns() []string {
	if r.cols == nil {
		return []string{"type", "sql"}
	}
	return r.cols
}
func (r *catalogRows) Close() error { return nil }
func (r *catalogRows) Next(dest []sqldriver.Value) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	copy(dest, r.rows[0])
	r.rows = r.rows[1:]
	return nil
}

func newCatalogFake() *catalogFake {
	return &catalogFake{defs: map[string]string{
		"people":    "",
		"folks":     "",
		"contacts":  "CREATE VIEW contacts AS SELECT id, email AS contact, upper(name) AS shout FROM people",
		"contacts2": "CREATE VIEW contacts2 AS SELECT contact AS c2 FROM contacts",
		"everyone":  "CREATE VIEW everyone AS SELECT * FROM people",
		"opaque":    "CREATE VIEW opaque AS SELECT x FROM people_fn()",
	}}
}

// TestCatalogViews: a view's columns are traced to their base columns,
// through views over views and stars; an untraceable definition is opaque;
// the second statement on a relation asks the catalog nothing.
func TestCatalogViews(t *testing.T) {
	f := newCatalogFake()
	var c catalog
	conn := &catalogConn{q: f}
	ctx := context.Background()
	tests := []struct {
		give string
		src  string // the source to resolve
		want string // resolved sources, "?" when unknown
	}{
		{"SELECT contact FROM contacts", "contacts.contact", "people.email"},
		{"SELECT shout FROM contacts", "contacts.shout", "people.name+"},
		{"SELECT c2 FROM contacts2", "contacts2.c2", "people.email"},
		{"SELECT ssn FROM everyone", "everyone.ssn", "people.ssn"},
		{"SELECT contact FROM contacts, people", "contact", "contact,people.email"},
		{"SELECT x FROM opaque", "opaque.x", "?"},
		{"SELECT email FROM people", "people.email", "people.email"},
		// Whole rows: a table's real columns, every base column of a view.
		{"SELECT count(p.*) FROM people p", "people.*", "people.email,people.id,people.name,people.ssn+"},
		{"SELECT count(c.*) FROM contacts c", "contacts.*", "people.email,people.id,people.name+"},
		{"SELECT count(e.*) FROM everyone e", "everyone.*", "people.*+"},
		// A generated column: computed from every column of its table.
		{"SELECT g FROM folks", "folks.g", "folks.id,folks.ssn,folks.g+"},
		{"SELECT ssn FROM folks", "folks.ssn", "folks.ssn"},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(sqlstmt.SQLite, tt.give)
		views, err := c.views(ctx, conn, sqlstmt.SQLite, s)
		if err != nil {
			t.Fatalf("%s: %v", tt.give, err)
		}
		srcs, expr, ok := resolveViews(views, []string{tt.src})
		got := "?"
		if ok {
			srcs = slices.Clone(srcs)
			if strings.HasSuffix(tt.src, ".*") {
				slices.Sort(srcs) // a view's columns come in no set order
			}
			got = strings.Join(srcs, ",")
			if expr {
				got += "+"
			}
		}
		if got != tt.want {
			t.Errorf("%s: %s resolved to %q, want %q", tt.give, tt.src, got, tt.want)
		}
	}
	n := f.lookups
	s := sqlparse.Analyze(sqlstmt.SQLite, "SELECT contact FROM contacts")
	if _, err := c.views(ctx, conn, sqlstmt.SQLite, s); err != nil {
		t.Fatal(err)
	}
	if f.lookups != n {
		t.Errorf("a cached relation was looked up again (%d lookups, want %d)", f.lookups, n)
	}
	c.forget()
	if _, err := c.views(ctx, conn, sqlstmt.SQLite, s); err != nil {
		t.Fatal(err)
	}
	if f.lookups == n {
		t.Error("after forget, the catalog was not asked again")
	}
	if _, _, err := (&catalogConn{q: f}).describe(ctx, sqlstmt.SQLite, sqlparse.Table{Name: "x'; DROP TABLE people; --"}); err == nil {
		t.Error("a name with a quote was written into the lookup")
	}
}

// BenchmarkCatalogCached is the cost, on the statement's path, of knowing
// that the relations a statement reads are not views once the catalog has
// answered: a read lock and a map look-up per relation.
func BenchmarkCatalogCached(b *testing.B) {
	f := newCatalogFake()
	var c catalog
	conn := &catalogConn{q: f}
	s := sqlparse.Analyze(sqlstmt.SQLite, "SELECT p.email, c.contact FROM people p JOIN contacts c ON c.id = p.id")
	if _, err := c.views(context.Background(), conn, sqlstmt.SQLite, s); err != nil {
		b.Fatal(err)
	}
	n := f.lookups
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.views(context.Background(), conn, sqlstmt.SQLite, s); err != nil {
			b.Fatal(err)
		}
	}
	if f.lookups != n {
		b.Fatalf("the catalog was asked again: %d lookups", f.lookups-n)
	}
}

// prepareOnly answers the catalog only through prepared statements, as a
// driver without a Queryer does (ParentConn answers driver.ErrSkip).
type prepareOnly struct{ f *catalogFake }

func (p prepareOnly) QueryContext(context.Context, string, []sqldriver.NamedValue) (sqldriver.Rows, error) {
	return nil, sqldriver.ErrSkip
}

func (p prepareOnly) PrepareContext(_ context.Context, q string) (sqldriver.Stmt, error) {
	return &catalogStmt{f: p.f, q: q}, nil
}

type catalogStmt struct {
	f      *catalogFake
	q      string
	closed bool
}

func (s *catalogStmt) Close() error  { s.closed = true; return nil }
func (s *catalogStmt) NumInput() int { return 0 }
func (s *catalogStmt) Exec([]sqldriver.Value) (sqldriver.Result, error) {
	return nil, sqldriver.ErrSkip
}
func (s *catalogStmt) Query([]sqldriver.Value) (sqldriver.Rows, error) {
	return s.f.QueryContext(context.Background(), s.q, nil)
}

// TestCatalogPreparedOnly: a driver that runs only prepared statements is
// asked through one; its views are traced all the same.
func TestCatalogPreparedOnly(t *testing.T) {
	var c catalog
	views, err := c.views(context.Background(), &catalogConn{q: prepareOnly{newCatalogFake()}}, sqlstmt.SQLite,
		sqlparse.Analyze(sqlstmt.SQLite, "SELECT contact FROM contacts"))
	if err != nil {
		t.Fatal(err)
	}
	srcs, _, ok := resolveViews(views, []string{"contacts.contact"})
	if !ok || strings.Join(srcs, ",") != "people.email" {
		t.Errorf("contacts.contact resolved to %v (%v), want people.email", srcs, ok)
	}
}

// TestChangesResolution: what may make a name resolve elsewhere on one
// connection, and what does not (so the handle's cache is kept).
func TestChangesResolution(t *testing.T) {
	tests := []struct {
		d    sqlstmt.Dialect
		give string
		want bool
	}{
		{sqlstmt.PostgreSQL, "SET search_path = shadow, public", true},
		{sqlstmt.PostgreSQL, "SELECT set_config('search_path', 'shadow, public', false)", true},
		{sqlstmt.PostgreSQL, "SET ROLE analyst", true},
		{sqlstmt.PostgreSQL, "SELECT id INTO TEMP t FROM people", true},
		{sqlstmt.PostgreSQL, "CREATE TEMP VIEW people AS SELECT 1 AS id", true},
		{sqlstmt.PostgreSQL, "SELECT my_function()", true},
		{sqlstmt.MySQL, "USE other", true},
		{sqlstmt.SQLite, "ATTACH 'x.db' AS x", true},
		{sqlstmt.PostgreSQL, "SELECT name FROM people", false},
		{sqlstmt.PostgreSQL, "INSERT INTO notes VALUES (nextval('s'), 'x')", false},
		{sqlstmt.MySQL, "UPDATE notes SET body = 'x' WHERE id = 1", false},
	}
	for _, tt := range tests {
		if got := changesResolution(sqlparse.Analyze(tt.d, tt.give)); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.give, got, tt.want)
		}
	}
}
