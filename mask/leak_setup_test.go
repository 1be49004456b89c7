package mask_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/mask"
)

// engine describes one database under test.
type engine struct {
	name       string
	driverName string
	dsn        func(t testing.TB) string
	ph         func(i int) string // placeholder for argument i (1-based)
	jsonType   string
	// returning: INSERT … RETURNING; updateReturning: UPDATE … RETURNING.
	returning, updateReturning bool
	// multi is a query returning two result sets, or "".
	multi string
	// valueErrors are statements whose error quotes a seeded value.
	valueErrors []string
}

func engines() []engine {
	q := func(int) string { return "?" }
	return []engine{
		{
			name: "postgresql", driverName: "postgres", dsn: testdb.Postgres,
			ph: func(i int) string { return fmt.Sprintf("$%d", i) }, jsonType: "JSONB",
			returning: true, updateReturning: true,
			multi: "SELECT id FROM people; SELECT email, ssn, phone FROM people",
			valueErrors: []string{
				"INSERT INTO people (id, name, email) SELECT id + 1000, name, email FROM people WHERE id = 1",
				"SELECT CAST(ssn AS integer) FROM people",
				"INSERT INTO nums (n) SELECT CAST(ssn AS integer) FROM people",
				"INSERT INTO short (v) SELECT email FROM people",
			},
		},
		{
			// pgx returns typed values (strings, not []byte) and refuses
			// stacked statements.
			name: "postgresql-pgx", driverName: "pgx", dsn: testdb.Postgres,
			ph: func(i int) string { return fmt.Sprintf("$%d", i) }, jsonType: "JSONB",
			returning: true, updateReturning: true,
			valueErrors: []string{
				"INSERT INTO people (id, name, email) SELECT id + 1000, name, email FROM people WHERE id = 1",
				"SELECT CAST(ssn AS integer) FROM people",
				"INSERT INTO short (v) SELECT email FROM people",
			},
		},
		{
			name: "mariadb", driverName: "mysql",
			dsn: func(t testing.TB) string { return testdb.MySQL(t, "parseTime=true", "multiStatements=true") },
			ph:  q, jsonType: "JSON", returning: true,
			multi: "SELECT id FROM people; SELECT email, ssn, phone FROM people",
			valueErrors: []string{
				"INSERT INTO people (id, name, email) SELECT id + 1000, name, email FROM people WHERE id = 1",
				"INSERT INTO nums (n) SELECT email FROM people",
				"INSERT INTO short (v) SELECT email FROM people",
			},
		},
		{
			name: "sqlite", driverName: "sqlite", dsn: testdb.SQLite,
			ph: q, jsonType: "TEXT", returning: true, updateReturning: true,
			valueErrors: []string{
				"INSERT INTO people (id, name, email) SELECT id + 1000, name, email FROM people WHERE id = 1",
				"INSERT INTO short (v) SELECT email FROM people",
			},
		},
	}
}

type person struct {
	id      int64
	name    string
	email   string
	ssn     string
	phone   string
	born    string
	salary  int64
	notes   string
	profile string
}

// secrets are the seeded clear values no masked reader may see.
func (p person) secrets() []string {
	local := p.email[:strings.IndexByte(p.email, '@')]
	return []string{p.email, local, p.ssn, p.phone, p.born, fmt.Sprint(p.salary), p.notes, noteEmail(p.id), passport(p.id)}
}

func noteEmail(id int64) string { return fmt.Sprintf("n%02d.private@mail.example.org", id) }
func passport(id int64) string  { return fmt.Sprintf("X7%06d", id*7919) }

func seedPeople(n int) []person {
	out := make([]person, n)
	for i := range out {
		id := int64(i + 1)
		out[i] = person{
			id:      id,
			name:    fmt.Sprintf("Person %d", id),
			email:   fmt.Sprintf("p%02d.leak.k7q@example.com", id),
			ssn:     fmt.Sprintf("5%02d-4%d-7%03d", 10+id, id%10, 100+id),
			phone:   fmt.Sprintf("+1 202 555 %04d", 1300+id),
			born:    fmt.Sprintf("19%02d-0%d-1%d", 60+id, 1+id%9, id%10),
			salary:  51237 + id*1111,
			notes:   fmt.Sprintf("customer asked to write to %s about the refund", noteEmail(id)),
			profile: fmt.Sprintf(`{"city":"Paris","passport":"%s"}`, passport(id)),
		}
	}
	return out
}

func leakRules() []mask.Rule {
	exempt := []string{"pii:read"}
	return []mask.Rule{
		{Name: "email", Columns: []string{"email"}, Strategy: mask.Email(), ExemptRoles: exempt},
		{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact(), ExemptRoles: exempt},
		{Name: "phone", Columns: []string{"phone"}, Strategy: mask.Partial(0, 2), ExemptRoles: exempt},
		{Name: "born", Columns: []string{"born"}, Strategy: mask.GeneralizeDate(mask.Year), ExemptRoles: exempt},
		{Name: "salary", Columns: []string{"salary"}, Strategy: mask.GeneralizeNumber(10000), ExemptRoles: exempt},
		{Name: "profile", Columns: []string{"profile"}, Strategy: mask.JSON(mask.Field("passport", mask.Redact())), ExemptRoles: exempt},
		{Name: "notes", Columns: []string{"notes"}, Detect: []string{"EMAIL_ADDRESS"}, Strategy: mask.Redact(), MaskSpans: true, ExemptRoles: exempt},
	}
}

func setup(t *testing.T, e engine) (raw *sql.DB, dsn string, people []person) {
	t.Helper()
	dsn = e.dsn(t)
	raw, err := sql.Open(e.driverName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	ctx := context.Background()
	ddl := []string{
		fmt.Sprintf(`CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(100), email VARCHAR(100) UNIQUE,
			ssn VARCHAR(20), phone VARCHAR(30), born DATE, salary INTEGER, notes VARCHAR(200), profile %s)`, e.jsonType),
		"CREATE TABLE nums (n INTEGER)",
		"CREATE TABLE short (v VARCHAR(100) CHECK (length(v) < 5))",
	}
	for _, s := range ddl {
		if _, err := raw.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	people = seedPeople(10)
	ins := fmt.Sprintf("INSERT INTO people VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
		e.ph(1), e.ph(2), e.ph(3), e.ph(4), e.ph(5), e.ph(6), e.ph(7), e.ph(8), e.ph(9))
	for _, p := range people {
		if _, err := raw.ExecContext(ctx, ins, p.id, p.name, p.email, p.ssn, p.phone, p.born, p.salary, p.notes, p.profile); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	return raw, dsn, people
}

// collector gathers everything a path returns, as text.
type collector struct {
	out   []string
	where []string // the statement each value came from
	label string
}

func (c *collector) add(v string) {
	c.out = append(c.out, v)
	c.where = append(c.where, c.label)
}

func (c *collector) value(v any) {
	switch x := v.(type) {
	case nil:
	case []byte:
		c.add(string(x))
	case time.Time:
		c.add(x.Format(time.RFC3339Nano))
		c.add(x.Format("2006-01-02"))
	default:
		c.add(fmt.Sprint(x))
	}
}

func (c *collector) err(err error) {
	if err != nil {
		c.add(printed(err))
	}
}

// rows reads every row of every result set of rs.
func (c *collector) rows(rs *sql.Rows, err error) (n int, _ error) {
	if err != nil {
		c.err(err)
		return 0, err
	}
	defer rs.Close()
	for {
		cols, err := rs.Columns()
		if err != nil {
			c.err(err)
			return n, err
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rs.Next() {
			if err := rs.Scan(ptrs...); err != nil {
				c.err(err)
				return n, err
			}
			for _, v := range vals {
				c.value(v)
			}
			n++
		}
		if err := rs.Err(); err != nil {
			c.err(err)
			return n, err
		}
		if !rs.NextResultSet() {
			break
		}
	}
	if err := rs.Err(); err != nil {
		c.err(err)
		return n, err
	}
	return n, nil
}
