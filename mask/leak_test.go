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
	"github.com/sqlvigil/sqlvigil/mask"
)

// The leak tests seed a table of synthetic PII on each real database and
// read it back through the wrapped driver on every path: for a masked
// reader no seeded clear value may appear in any returned value or error;
// for an exempt reader the data must equal what the unwrapped driver
// returns.

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
	// The driver attributes the result sets of a stacked script (statement
	// by statement where the driver's order is certain, else with the
	// union of all sources): every result set is masked, or refused when it
	// cannot be attributed; the leak search covers what it returns.
	if e.multi != "" {
		c.label = e.multi
		n, err := c.rows(db.QueryContext(ctx, e.multi))
		if err != nil && !errors.Is(err, mask.ErrUnattributed) || err == nil && n == 0 {
			t.Errorf("%s: got %d rows, %v; want masked rows or ErrUnattributed", e.multi, n, err)
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
	var notes string
	if err := db.QueryRowContext(ctx, "SELECT notes FROM people WHERE id = 2").Scan(&notes); err != nil {
		t.Errorf("QueryRow notes: %v", err)
	}
	c.value(notes)
	if want := "customer asked to write to **** about the refund"; notes != want {
		t.Errorf("notes: got %q, want %q (the detected address masked, the text kept)", notes, want)
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
