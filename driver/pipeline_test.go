package driver_test

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"strings"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/mask"
)

// checks records what a policy saw.
type checks struct {
	mu   sync.Mutex
	reqs []guard.Request
}

func (c *checks) rule() guard.NamedRule {
	return guard.Named("count", guard.RuleFunc(func(_ context.Context, r *guard.Request) guard.Verdict {
		c.mu.Lock()
		c.reqs = append(c.reqs, *r)
		c.mu.Unlock()
		return guard.Verdict{}
	}))
}

func (c *checks) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.reqs)
}

func newRecorder() (*tracetest.SpanRecorder, *audit.Auditor, error) {
	rec := tracetest.NewSpanRecorder()
	a, err := audit.New(audit.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))), audit.WithEndDelay(0))
	return rec, a, err
}

func openWith(t *testing.T, tg target, opts ...sqlvigil.Option) *sql.DB {
	t.Helper()
	db, err := sqlvigil.Open(tg.driver, tg.dsn(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestOnePipelineRunPerStatement counts policy checks and audit records on
// every real driver, including go-sql-driver/mysql's ErrSkip path: one per
// statement the caller issues.
func TestOnePipelineRunPerStatement(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			c := &checks{}
			p, err := guard.New(guard.WithRules(c.rule()))
			if err != nil {
				t.Fatal(err)
			}
			rec, a, err := newRecorder()
			if err != nil {
				t.Fatal(err)
			}
			db := openWith(t, tg, sqlvigil.WithPolicy(p), sqlvigil.WithAuditor(a))
			ctx := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindUser, Subject: "u-1"})
			steps := []func() error{
				func() error { _, err := db.ExecContext(ctx, "CREATE TABLE t (id INT, name VARCHAR(20))"); return err },
				func() error { _, err := db.ExecContext(ctx, tg.q("INSERT INTO t VALUES ($1, $2)"), 1, "a"); return err },
				func() error {
					rows, err := db.QueryContext(ctx, tg.q("SELECT id FROM t WHERE id = $1"), 1)
					if err != nil {
						return err
					}
					return rows.Close()
				},
				func() error {
					var n int
					return db.QueryRowContext(ctx, tg.q("SELECT COUNT(*) FROM t WHERE name = $1"), "a").Scan(&n)
				},
				func() error {
					st, err := db.PrepareContext(ctx, tg.q("INSERT INTO t VALUES ($1, $2)"))
					if err != nil {
						return err
					}
					defer st.Close()
					for k := 2; k < 4; k++ {
						if _, err := st.ExecContext(ctx, k, "b"); err != nil {
							return err
						}
					}
					return nil
				},
				func() error {
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, tg.q("UPDATE t SET name = $1 WHERE id = $2"), "c", 3); err != nil {
						return err
					}
					var n int
					if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&n); err != nil {
						return err
					}
					return tx.Commit()
				},
			}
			const statements = 8
			for k, step := range steps {
				if err := step(); err != nil {
					t.Fatalf("step %d: %v", k, err)
				}
			}
			if got := c.n(); got != statements {
				t.Errorf("policy checks: got %d, want %d", got, statements)
			}
			for _, r := range c.reqs {
				if r.Identity.Subject != "u-1" {
					t.Errorf("policy saw identity %q, want u-1", r.Identity.Subject)
				}
			}
			var stmts, txs int
			var tx sdktrace.ReadOnlySpan
			for _, s := range rec.Ended() {
				if s.Name() == "transaction" {
					txs++
					tx = s
				} else {
					stmts++
				}
			}
			if tg.family != "sqlite" && !hasAttr(rec.Ended(), "server.address", "127.0.0.1") {
				t.Errorf("no record names the server read from the DSN")
			}
			if stmts != statements || txs != 1 {
				t.Errorf("records: got %d statements and %d transactions, want %d and 1", stmts, txs, statements)
			}
			if tx != nil {
				children := 0
				for _, s := range rec.Ended() {
					if s.Parent().SpanID() == tx.SpanContext().SpanID() {
						children++
					}
				}
				if children != 2 {
					t.Errorf("statements recorded under the transaction: got %d, want 2", children)
				}
			}
		})
	}
}

// TestDenied checks that a denied statement never reaches the database,
// returns guard.ErrBlocked (never driver.ErrBadConn, which database/sql
// would retry) and is recorded.
func TestDenied(t *testing.T) {
	deleteRule := guard.Named("no-delete", guard.RuleFunc(func(_ context.Context, r *guard.Request) guard.Verdict {
		for _, st := range r.Script.Statements {
			if st.Effect == sqlparse.KindDelete {
				return guard.Verdict{Decision: guard.Deny, Reason: "deletes are not allowed"}
			}
		}
		return guard.Verdict{}
	}))
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			p, err := guard.New(guard.WithRules(deleteRule))
			if err != nil {
				t.Fatal(err)
			}
			rec, a, err := newRecorder()
			if err != nil {
				t.Fatal(err)
			}
			db := openWith(t, tg, sqlvigil.WithPolicy(p), sqlvigil.WithAuditor(a))
			ctx := context.Background()
			mustExec(t, db, "CREATE TABLE t (id INT)")
			mustExec(t, db, "INSERT INTO t VALUES (1), (2)")
			spans := len(rec.Ended())
			_, err = db.ExecContext(ctx, tg.q("DELETE FROM t WHERE id = $1"), 1)
			var be *guard.BlockedError
			if !errors.Is(err, guard.ErrBlocked) || !errors.As(err, &be) || be.Rule != "no-delete" {
				t.Fatalf("delete: got %v, want a guard.BlockedError by no-delete", err)
			}
			if errors.Is(err, sqldriver.ErrBadConn) {
				t.Errorf("a denial matches driver.ErrBadConn")
			}
			_, err = db.QueryContext(ctx, "WITH d AS (DELETE FROM t RETURNING id) SELECT id FROM d")
			if tg.family == "pg" && !errors.Is(err, guard.ErrBlocked) {
				t.Errorf("data-modifying CTE: got %v, want guard.ErrBlocked", err)
			}
			var n int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 2 {
				t.Errorf("rows left: got %d (%v), want 2", n, err)
			}
			if got := len(rec.Ended()) - spans; got < 2 {
				t.Errorf("records of the denied statements and the count: got %d, want at least 2", got)
			}
		})
	}
}

// TestRowLimit checks guard.MaxRows on every driver: outside a transaction
// the statement is rolled back, inside one the caller is told to.
func TestRowLimit(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			p, err := guard.New(guard.WithRules(guard.MaxRows(2)))
			if err != nil {
				t.Fatal(err)
			}
			db := openWith(t, tg, sqlvigil.WithPolicy(p))
			ctx := context.Background()
			mustExec(t, db, "CREATE TABLE t (id INT, v INT)")
			mustExec(t, db, "INSERT INTO t VALUES (1, 0), (2, 0), (3, 0)")
			sum := func() int {
				var s int
				if err := db.QueryRowContext(ctx, "SELECT SUM(v) FROM t").Scan(&s); err != nil {
					t.Fatal(err)
				}
				return s
			}
			_, err = db.ExecContext(ctx, tg.q("UPDATE t SET v = v + 1 WHERE id > $1"), 0)
			var rae *guard.RowsAffectedError
			if !errors.As(err, &rae) || !rae.RolledBack || rae.Affected != 3 || rae.Limit != 2 {
				t.Fatalf("update of 3 rows: got %v, want a rolled-back RowsAffectedError", err)
			}
			if h := "narrow the WHERE to at most 2 rows, or change them in batches"; rae.Hint() != h || !strings.HasSuffix(err.Error(), h) {
				t.Errorf("hint: got %q in %q, want %q", rae.Hint(), err, h)
			}
			if s := sum(); s != 0 {
				t.Errorf("after the refused update: sum %d, want 0", s)
			}
			if _, err := db.ExecContext(ctx, tg.q("UPDATE t SET v = v + 1 WHERE id < $1"), 3); err != nil {
				t.Fatalf("update of 2 rows: %v", err)
			}
			if s := sum(); s != 2 {
				t.Errorf("after the allowed update: sum %d, want 2", s)
			}
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tx.ExecContext(ctx, "UPDATE t SET v = v + 10")
			if !errors.Is(err, guard.ErrTooManyRows) || !errors.As(err, &rae) || rae.RolledBack {
				t.Errorf("in a transaction: got %v, want ErrTooManyRows for the caller to roll back", err)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if s := sum(); s != 2 {
				t.Errorf("after the caller's rollback: sum %d, want 2", s)
			}
			if _, err := db.ExecContext(ctx, "UPDATE t SET v = 0; UPDATE t SET v = 1"); !errors.Is(err, guard.ErrBlocked) {
				t.Errorf("stacked updates under a limit: got %v, want guard.ErrBlocked", err)
			}
		})
	}
}

// TestMaskingRealDrivers checks masking on every driver, in every result
// set, keeping the column's Go type.
func TestMaskingRealDrivers(t *testing.T) {
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Redact()},
		mask.Rule{Name: "score", Columns: []string{"score"}, Strategy: mask.Fixed(0)},
	))
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			db := openWith(t, tg, sqlvigil.WithMasker(m))
			ctx := context.Background()
			mustExec(t, db, "CREATE TABLE users (id INT, email VARCHAR(80), score INT)")
			mustExec(t, db, "INSERT INTO users VALUES (1, 'ada@example.com', 97)")
			var id, score int
			var email string
			if err := db.QueryRowContext(ctx, tg.q("SELECT id, email, score FROM users WHERE id = $1"), 1).Scan(&id, &email, &score); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(email, "ada") || score != 0 || id != 1 {
				t.Errorf("got %d %q %d, want id 1 with email and score masked", id, email, score)
			}
			if tg.family != "mysql" {
				return
			}
			rows, err := db.QueryContext(ctx, "SELECT id, score FROM users; SELECT email, id FROM users")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for {
				for rows.Next() {
					var a, b any
					if err := rows.Scan(&a, &b); err != nil {
						t.Fatal(err)
					}
					got = append(got, strings.TrimSpace(strings.Join([]string{show(a), show(b)}, " ")))
				}
				if !rows.NextResultSet() {
					break
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || strings.Contains(got[0], "97") || strings.Contains(got[1], "ada") {
				t.Errorf("two result sets: got %q, want score and email masked in each", got)
			}
		})
	}
}

func hasAttr(spans []sdktrace.ReadOnlySpan, key, value string) bool {
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			if string(kv.Key) == key && kv.Value.Emit() == value {
				return true
			}
		}
	}
	return false
}
