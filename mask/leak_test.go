package mask_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/mask"
)

// The leak tests seed a table of synthetic PII on each real database and
// read it back through the wrapped driver on every path: for a masked
// reader no seeded clear value may appear in any returned value or error;
// for an exempt reader the data must equal what the unwrapped driver
// returns.

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
		{Name: "notes", Columns: []string{"notes"}, Detect: []string{"EMAIL_ADDRESS"}, Strategy: mask.Redact(), ExemptRoles: exempt},
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

// reads are the statements every reader runs, with whether they must
// succeed for a masked reader (the others may be refused as unattributed).
func reads(e engine) []struct {
	sql  string
	must bool
} {
	concat := "concat(name, ' ', email)"
	agg := "group_concat(email)"
	// swap moves the local part of the e-mail after the '@', where the
	// Email strategy would keep it.
	swap := "concat(substring_index(email, '@', -1), '@', substring_index(email, '@', 1))"
	switch e.name {
	case "sqlite":
		concat = "name || ' ' || email"
		swap = "substr(email, instr(email, '@') + 1) || '@' || substr(email, 1, instr(email, '@') - 1)"
	case "postgresql", "postgresql-pgx":
		agg = "string_agg(email, ',')"
		swap = "substr(email, strpos(email, '@') + 1) || '@' || substr(email, 1, strpos(email, '@') - 1)"
	}
	return []struct {
		sql  string
		must bool
	}{
		{"SELECT * FROM people ORDER BY id", true},
		{"SELECT id, name, email, ssn, phone, born, salary, notes, profile FROM people ORDER BY id", true},
		{"SELECT email AS e, ssn AS s, phone AS p, born AS b, salary AS pay FROM people ORDER BY id", true},
		{"SELECT p.email, p.ssn FROM people p ORDER BY p.id", true},
		{"SELECT lower(email), upper(ssn), " + concat + ", substr(ssn, 1, 3), salary + 1 FROM people ORDER BY id", true},
		{"SELECT min(email), max(ssn), " + agg + " FROM people", false},
		{"SELECT x FROM (SELECT ssn AS x FROM people) s", false},
		{"WITH t AS (SELECT email AS m FROM people) SELECT m FROM t", false},
		{"SELECT name FROM people UNION ALL SELECT email FROM people", false},
		{"SELECT (SELECT ssn FROM people q WHERE q.id = p.id) AS z FROM people p", false},
		{"SELECT CASE WHEN id > 0 THEN email END AS c FROM people", false},
		{"SELECT " + swap + " AS s FROM people", false},
		{"SELECT s FROM (SELECT " + swap + " AS s FROM people) d", false},
		{"SELECT email FROM (SELECT " + swap + " AS email FROM people) d", false},
		{"WITH d AS (SELECT " + swap + " AS s FROM people) SELECT s FROM d", false},
		{"SELECT * FROM (SELECT " + swap + " AS s FROM people) d", false},
	}
}

func contextFor(id identity.Identity) context.Context {
	return identity.NewContext(context.Background(), id)
}

var (
	maskedReader = identity.Identity{Kind: identity.KindAgent, Subject: "agent-7", Roles: []string{"support"}}
	// An identity read from baggage holds no role, whatever it claims.
	untrustedReader = identity.Identity{Subject: "mallory", Roles: []string{"pii:read"}, Untrusted: true}
	exemptReader    = identity.Identity{Kind: identity.KindUser, Subject: "dpo", Roles: []string{"pii:read"}}
)

func TestLeak(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			raw, dsn, people := setup(t, e)
			m, err := mask.New(mask.WithRules(leakRules()...))
			if err != nil {
				t.Fatal(err)
			}
			db, err := sqlvigil.Open(e.driverName, dsn, sqlvigil.WithMasker(m))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			var secrets []string
			for _, p := range people {
				secrets = append(secrets, p.secrets()...)
			}
			for _, reader := range []struct {
				name string
				id   identity.Identity
			}{{"masked", maskedReader}, {"untrusted", untrustedReader}} {
				t.Run(reader.name, func(t *testing.T) {
					c := &collector{}
					readAll(t, e, db, contextFor(reader.id), c)
					checkNoLeak(t, c, secrets)
				})
			}
			// The search finds every seeded value when nothing is masked.
			t.Run("control", func(t *testing.T) {
				c := &collector{}
				for _, r := range reads(e) {
					_, _ = c.rows(raw.QueryContext(context.Background(), r.sql))
				}
				if got := leaked(c, secrets); len(got) != len(secrets) {
					t.Errorf("the unmasked driver showed %d of %d seeded values; the search is broken", len(got), len(secrets))
				}
			})
			t.Run("exempt", func(t *testing.T) {
				ctx := contextFor(exemptReader)
				for _, r := range reads(e) {
					got, want := &collector{}, &collector{}
					_, gerr := got.rows(db.QueryContext(ctx, r.sql))
					_, werr := want.rows(raw.QueryContext(ctx, r.sql))
					if (gerr == nil) != (werr == nil) || !reflect.DeepEqual(got.out, want.out) {
						t.Errorf("%s: wrapped returned %d values (err %v), driver %d (err %v)", r.sql, len(got.out), gerr, len(want.out), werr)
					}
				}
			})
			t.Run("writes", func(t *testing.T) {
				c := &collector{}
				secrets := writeAll(t, e, db, contextFor(maskedReader), c)
				checkNoLeak(t, c, secrets)
			})
		})
	}
}

// readAll runs every read path for the reader of ctx.
func readAll(t *testing.T, e engine, db *sql.DB, ctx context.Context, c *collector) {
	t.Helper()
	for _, r := range reads(e) {
		c.label = r.sql
		n, err := c.rows(db.QueryContext(ctx, r.sql))
		switch {
		case err != nil && (r.must || !errors.Is(err, mask.ErrUnattributed)):
			t.Errorf("%s: %v", r.sql, err)
		case err == nil && n == 0:
			t.Errorf("%s: no rows", r.sql)
		case err != nil:
			t.Logf("refused as unattributed: %s", r.sql)
		}
	}
	// A stacked script is not attributed: with a table-scoped rule in force
	// it is refused, whichever result set would carry the values.
	if e.multi != "" {
		c.label = e.multi
		if _, err := c.rows(db.QueryContext(ctx, e.multi)); !errors.Is(err, mask.ErrUnattributed) {
			t.Errorf("%s: got %v; want ErrUnattributed", e.multi, err)
		}
	}
	c.label = "other paths"
	// QueryRow.
	var email, ssn string
	err := db.QueryRowContext(ctx, "SELECT email, ssn FROM people WHERE id = "+e.ph(1), 3).Scan(&email, &ssn)
	if err != nil {
		t.Errorf("QueryRow: %v", err)
	}
	c.value(email)
	c.value(ssn)
	if email != "****@example.com" || ssn != mask.DefaultToken {
		t.Errorf("QueryRow: got %q %q; want masked values", email, ssn)
	}
	// Prepare + Stmt, twice.
	st, err := db.PrepareContext(ctx, "SELECT email AS contact, phone, notes, profile FROM people WHERE id > "+e.ph(1))
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	for range 2 {
		if _, err := c.rows(st.QueryContext(ctx, 0)); err != nil {
			t.Errorf("Stmt.Query: %v", err)
		}
	}
	st.Close()
	// Transaction.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("BeginTx: %v", err)
	}
	if _, err := c.rows(tx.QueryContext(ctx, "SELECT ssn, born FROM people")); err != nil {
		t.Errorf("Tx.Query: %v", err)
	}
	var born time.Time
	if err := tx.QueryRowContext(ctx, "SELECT born FROM people WHERE id = 1").Scan(&born); err != nil {
		t.Errorf("Tx.QueryRow into time.Time: %v", err)
	}
	c.value(born)
	_ = tx.Rollback()
	// Conn.
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("Conn: %v", err)
	}
	if _, err := c.rows(conn.QueryContext(ctx, "SELECT * FROM people")); err != nil {
		t.Errorf("Conn.Query: %v", err)
	}
	conn.Close()
	// Errors that quote a seeded value.
	for _, s := range e.valueErrors {
		_, err := db.ExecContext(ctx, s)
		if err == nil {
			t.Errorf("%s: no error", s)
			continue
		}
		c.err(err)
		_, err = c.rows(db.QueryContext(ctx, s))
		if err == nil {
			t.Errorf("%s: no error from Query", s)
		}
	}
}

// writeAll runs RETURNING statements and returns the clear values they
// wrote.
func writeAll(t *testing.T, e engine, db *sql.DB, ctx context.Context, c *collector) []string {
	t.Helper()
	fresh := seedPeople(40)[30:]
	var secrets []string
	ins := fmt.Sprintf("INSERT INTO people (id, name, email, ssn, phone, salary) VALUES (%s, %s, %s, %s, %s, %s)", e.ph(1), e.ph(2), e.ph(3), e.ph(4), e.ph(5), e.ph(6))
	for i, p := range fresh {
		secrets = append(secrets, p.email, p.ssn, p.phone, fmt.Sprint(p.salary))
		q := ins
		if e.returning && i%2 == 0 {
			q += " RETURNING id, email, ssn, phone AS ph, salary"
			if _, err := c.rows(db.QueryContext(ctx, q, p.id, p.name, p.email, p.ssn, p.phone, p.salary)); err != nil {
				t.Errorf("INSERT RETURNING: %v", err)
			}
			continue
		}
		if _, err := db.ExecContext(ctx, q, p.id, p.name, p.email, p.ssn, p.phone, p.salary); err != nil {
			t.Errorf("INSERT: %v", err)
		}
	}
	if e.updateReturning {
		q := "UPDATE people SET name = 'renamed' WHERE id > 30 RETURNING email, lower(ssn) AS l"
		if n, err := c.rows(db.QueryContext(ctx, q)); err != nil || n == 0 {
			t.Errorf("UPDATE RETURNING: %d rows, %v", n, err)
		}
	}
	if e.returning {
		q := "DELETE FROM people WHERE id = 31 RETURNING id, email, ssn, phone"
		if n, err := c.rows(db.QueryContext(ctx, q)); err != nil || n != 1 {
			t.Errorf("DELETE RETURNING: %d rows, %v", n, err)
		}
		// RETURNING * names no table the analyser reads: refused or masked.
		q = "DELETE FROM people WHERE id = 33 RETURNING *"
		if n, err := c.rows(db.QueryContext(ctx, q)); err != nil && !errors.Is(err, mask.ErrUnattributed) || err == nil && n != 1 {
			t.Errorf("DELETE RETURNING *: %d rows, %v", n, err)
		} else if err != nil {
			t.Logf("refused as unattributed: %s", q)
		}
	}
	return secrets
}

func checkNoLeak(t *testing.T, c *collector, secrets []string) {
	t.Helper()
	if len(c.out) == 0 {
		t.Fatal("nothing was returned: the test proves nothing")
	}
	for _, s := range leaked(c, secrets) {
		for i, got := range c.out {
			if strings.Contains(got, s) {
				t.Errorf("clear value %q leaked in %q from %s", s, got, c.where[i])
				break
			}
		}
	}
}

// leaked returns the secrets found in what c collected.
func leaked(c *collector, secrets []string) []string {
	var out []string
	for _, s := range secrets {
		for _, got := range c.out {
			if strings.Contains(got, s) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// A second result set is planned again: its masked columns are not those of
// the first.
func TestLeakSecondResultSet(t *testing.T) {
	for _, e := range engines() {
		if e.multi == "" {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			_, dsn, people := setup(t, e)
			// Name rules only: a stacked script is not attributed, so a
			// table-scoped rule would refuse it.
			m, err := mask.New(mask.WithRules(
				mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email()},
				mask.Rule{Name: "ssn", Columns: []string{"ssn"}, Strategy: mask.Redact()},
				mask.Rule{Name: "phone", Columns: []string{"phone"}, Strategy: mask.Redact()},
			))
			if err != nil {
				t.Fatal(err)
			}
			db, err := sqlvigil.Open(e.driverName, dsn, sqlvigil.WithMasker(m))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rs, err := db.QueryContext(contextFor(maskedReader), e.multi)
			if err != nil {
				t.Fatal(err)
			}
			c := &collector{}
			sets := 0
			for {
				sets++
				for rs.Next() {
					cols, _ := rs.Columns()
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rs.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					for _, v := range vals {
						c.value(v)
					}
				}
				if !rs.NextResultSet() {
					break
				}
			}
			if err := rs.Err(); err != nil {
				t.Fatal(err)
			}
			rs.Close()
			if sets != 2 {
				t.Fatalf("read %d result sets, want 2", sets)
			}
			var secrets []string
			for _, p := range people {
				secrets = append(secrets, p.email, p.ssn, p.phone)
			}
			checkNoLeak(t, c, secrets)
			if !slicesContain(c.out, "1") {
				t.Errorf("the first result set's ids were masked too: %q", c.out[:3])
			}
		})
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// "See clear values with an approval" end to end: the reader asks
// (mask.RequestUnmask), the guard holds the statement for review, and an
// approved request reads clear values except under NeverUnmask rules; a
// refused one does not run.
func TestUnmaskWithApproval(t *testing.T) {
	e := engines()[3] // SQLite: the guard and masker do not depend on the engine
	_, dsn, people := setup(t, e)
	approve := true
	policy, err := guard.New(
		guard.WithRules(guard.UnmaskReview()),
		guard.WithApprover(guard.ApproverFunc(func(ctx context.Context, req *guard.ApprovalRequest) (guard.Answer, error) {
			return guard.Answer{Approved: approve, ID: "CHG-1", Reviewer: "dpo"}, nil
		})),
	)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email()},
		mask.Rule{Name: "ssn", Columns: []string{"ssn"}, Strategy: mask.Redact(), NeverUnmask: true},
	))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlvigil.Open(e.driverName, dsn, sqlvigil.WithMasker(m), sqlvigil.WithPolicy(policy))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := "SELECT email, ssn FROM people WHERE id = 1"
	var email, ssn string
	if err := db.QueryRowContext(contextFor(maskedReader), q).Scan(&email, &ssn); err != nil {
		t.Fatal(err)
	}
	if email == people[0].email || ssn == people[0].ssn {
		t.Errorf("without a request: got %q %q; want masked values", email, ssn)
	}
	ctx := mask.RequestUnmask(contextFor(maskedReader))
	if err := db.QueryRowContext(ctx, q).Scan(&email, &ssn); err != nil {
		t.Fatal(err)
	}
	if email != people[0].email || ssn != mask.DefaultToken {
		t.Errorf("approved: got %q %q; want the clear email and a masked ssn", email, ssn)
	}
	approve = false
	err = db.QueryRowContext(ctx, q).Scan(&email, &ssn)
	if !errors.Is(err, guard.ErrBlocked) {
		t.Errorf("refused approval: got %v; want guard.ErrBlocked", err)
	}
}
