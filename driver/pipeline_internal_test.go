package driver

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	upstream "github.com/ngrok/sqlmw"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/internal/fakedriver"
	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// counter counts pipeline runs and their ends.
type counter struct {
	mu      sync.Mutex
	begins  []string
	ends    int
	lastErr error
}

func (c *counter) hooks() *hooks {
	return &hooks{
		begin: func(m string) {
			c.mu.Lock()
			c.begins = append(c.begins, m)
			c.mu.Unlock()
		},
		end: func(o audit.Outcome) {
			c.mu.Lock()
			c.ends++
			c.lastErr = o.Err
			c.mu.Unlock()
		},
	}
}

func (c *counter) counts() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.begins), c.ends
}

// openCounted opens fd wrapped with a counting pipeline, on sqlvigil's
// mechanics or (bare) on upstream sqlmw's.
func openCounted(t *testing.T, fd *fakedriver.Driver, bare bool) (*sql.DB, *counter) {
	t.Helper()
	cfg, err := newConfig(fd, Config{Dialect: sqlstmt.PostgreSQL})
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{}
	cfg.hooks = c.hooks()
	i := newInterceptor(cfg)
	var drv sqldriver.Driver = sqlmw.Driver(fd, i)
	if bare {
		drv = upstream.Driver(fd, i)
	}
	conn, err := drv.(sqldriver.DriverContext).OpenConnector("")
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	return db, c
}

func TestExactlyOnceErrSkip(t *testing.T) {
	tests := []struct {
		name       string
		bare       bool
		wantBegins int
	}{
		{name: "sqlvigil", wantBegins: 1},
		{name: "bare sqlmw runs twice", bare: true, wantBegins: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := fakedriver.New(fakedriver.Config{SkipWithArgs: true, RowsAffected: 3})
			db, c := openCounted(t, fd, tt.bare)
			ctx := context.Background()
			res, err := db.ExecContext(ctx, "UPDATE t SET x = $1", 7)
			if err != nil {
				t.Fatalf("exec: %v", err)
			}
			if n, _ := res.RowsAffected(); n != 3 {
				t.Errorf("rows affected: got %d, want 3", n)
			}
			rows, err := db.QueryContext(ctx, "SELECT id, name FROM t WHERE id > $1", 0)
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			for rows.Next() {
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			if got := fd.Counts.Prepares.Load(); got != 2 {
				t.Errorf("prepares: got %d, want 2 (the ErrSkip fallback)", got)
			}
			begins, ends := c.counts()
			if begins != 2*tt.wantBegins {
				t.Errorf("pipeline runs for 2 statements: got %d (%v), want %d", begins, c.begins, 2*tt.wantBegins)
			}
			if !tt.bare && ends != begins {
				t.Errorf("runs ended: got %d, want %d", ends, begins)
			}
		})
	}
}

func TestExactlyOnceBadConn(t *testing.T) {
	tests := []struct {
		name     string
		cfg      fakedriver.Config
		args     []any
		query    bool
		wantErr  bool
		wantRuns int
	}{
		{name: "exec retried twice", cfg: fakedriver.Config{BadConn: 2}},
		{name: "query retried twice", cfg: fakedriver.Config{BadConn: 2}, query: true},
		{name: "exec fails three times", cfg: fakedriver.Config{BadConn: 3}, wantErr: true},
		{name: "prepare fallback retried", cfg: fakedriver.Config{BadConn: 2, SkipWithArgs: true}, args: []any{1}},
		{name: "legacy exec retried", cfg: fakedriver.Config{BadConn: 1, Shape: fakedriver.Legacy}},
		{name: "bare driver prepare retried", cfg: fakedriver.Config{BadConn: 2, Shape: fakedriver.Bare}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := fakedriver.New(tt.cfg)
			db, c := openCounted(t, fd, false)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var err error
			if tt.query {
				var rows *sql.Rows
				rows, err = db.QueryContext(ctx, "SELECT 1", tt.args...)
				if err == nil {
					err = rows.Close()
				}
			} else {
				_, err = db.ExecContext(ctx, "DELETE FROM t", tt.args...)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err: got %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, sqldriver.ErrBadConn) {
				t.Errorf("err: got %v, want driver.ErrBadConn", err)
			}
			begins, ends := c.counts()
			if begins != 1 || ends != 1 {
				t.Errorf("runs begun/ended: got %d/%d (%v), want 1/1", begins, ends, c.begins)
			}
		})
	}
}

// sliceCtx is a context whose type cannot be compared with ==.
type sliceCtx struct {
	context.Context
	_ []int
}

func TestNonComparableContext(t *testing.T) {
	for _, cfg := range []fakedriver.Config{{SkipWithArgs: true}, {BadConn: 1}} {
		fd := fakedriver.New(cfg)
		db, c := openCounted(t, fd, false)
		ctx := sliceCtx{Context: context.Background()}
		if _, err := db.ExecContext(ctx, "UPDATE t SET x = $1", 1); err != nil {
			t.Fatal(err)
		}
		begins, ends := c.counts()
		if cfg.SkipWithArgs && begins != 1 {
			t.Errorf("ErrSkip path: got %d runs, want 1", begins)
		}
		if begins != ends {
			t.Errorf("runs begun %d, ended %d", begins, ends)
		}
	}
}

func TestNoBadConn(t *testing.T) {
	err := noBadConn(fmt.Errorf("approver: %w", sqldriver.ErrBadConn))
	if errors.Is(err, sqldriver.ErrBadConn) || !errors.Is(err, guard.ErrBlocked) {
		t.Errorf("got %v, want an ErrBlocked that is not ErrBadConn", err)
	}
	plain := errors.New("x")
	if noBadConn(plain) != plain {
		t.Errorf("an unrelated error was changed")
	}
}

// TestConcurrentRetries runs statements from many goroutines while the
// driver answers ErrSkip and, now and then, ErrBadConn: every statement
// keeps one run, begun and ended once.
func TestConcurrentRetries(t *testing.T) {
	fd := fakedriver.New(fakedriver.Config{SkipWithArgs: true, BadConn: 40})
	db, c := openCounted(t, fd, false)
	db.SetMaxOpenConns(4)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	issued := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				ctx, cancel := context.WithCancel(context.Background())
				var err error
				if k%2 == 0 {
					_, err = db.ExecContext(ctx, "UPDATE t SET x = $1", w)
				} else {
					var rows *sql.Rows
					rows, err = db.QueryContext(ctx, "SELECT id, name FROM t WHERE id = $1", k)
					if err == nil {
						for rows.Next() {
						}
						err = rows.Close()
					}
				}
				cancel()
				if err != nil && !errors.Is(err, sqldriver.ErrBadConn) {
					t.Errorf("statement: %v", err)
				}
				mu.Lock()
				issued++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	begins, ends := c.counts()
	if begins != issued || ends != issued {
		t.Errorf("runs begun/ended: got %d/%d, want %d/%d", begins, ends, issued, issued)
	}
}

// TestBadConnInTx checks that a statement failing with ErrBadConn inside a
// transaction, which database/sql does not retry, ends its run at once.
func TestBadConnInTx(t *testing.T) {
	fd := fakedriver.New(fakedriver.Config{BadConn: 1})
	db, c := openCounted(t, fd, false)
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(context.Background(), "UPDATE t SET x = 1"); !errors.Is(err, sqldriver.ErrBadConn) {
		t.Fatalf("got %v, want driver.ErrBadConn", err)
	}
	_ = tx.Rollback()
	if begins, ends := c.counts(); begins != 1 || ends != 1 {
		t.Errorf("runs begun/ended: got %d/%d, want 1/1", begins, ends)
	}
}

// TestParkedRunNotHijacked: a run parked after driver.ErrBadConn on a
// sql.Conn (which database/sql never retries) must not let a statement
// with the same context and text but other arguments through without a
// policy check.
func TestParkedRunNotHijacked(t *testing.T) {
	fd := fakedriver.New(fakedriver.Config{BadConn: 1})
	deny2 := guard.Named("deny-2", guard.RuleFunc(func(_ context.Context, r *guard.Request) guard.Verdict {
		for _, a := range r.Args {
			if a.Value == int64(2) {
				return guard.Verdict{Decision: guard.Deny, Reason: "argument 2"}
			}
		}
		return guard.Verdict{}
	}))
	p, err := guard.New(guard.WithRules(deny2))
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewConnector(fd.Connector(), Config{Dialect: sqlstmt.PostgreSQL, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(w)
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const q = "DELETE FROM t WHERE id = $1"
	if _, err := conn.ExecContext(ctx, q, 1); !errors.Is(err, sqldriver.ErrBadConn) {
		t.Fatalf("got %v, want driver.ErrBadConn", err)
	}
	conn.Close()
	if _, err := db.ExecContext(ctx, q, 2); !errors.Is(err, guard.ErrBlocked) {
		t.Errorf("same text, other arguments: got %v, want guard.ErrBlocked", err)
	}
	if n := fd.Counts.Execs.Load(); n != 0 {
		t.Errorf("statements executed: got %d, want 0", n)
	}
	if _, err := db.ExecContext(ctx, q, 1); err != nil {
		t.Errorf("allowed arguments: got %v", err)
	}
}

// TestParkedRunEnds: the record of a statement that database/sql will not
// retry (on a sql.Conn) ends even when its context never does.
func TestParkedRunEnds(t *testing.T) {
	fd := fakedriver.New(fakedriver.Config{BadConn: 1})
	cfg, err := newConfig(fd, Config{Dialect: sqlstmt.PostgreSQL})
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	cfg.hooks = &hooks{begin: func(string) {}, end: func(o audit.Outcome) { ended <- o.Err }}
	i := newInterceptor(cfg)
	i.retries.age = time.Millisecond
	c, err := sqlmw.Driver(fd, i).(sqldriver.DriverContext).OpenConnector("")
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "DELETE FROM t"); !errors.Is(err, sqldriver.ErrBadConn) {
		t.Fatalf("got %v, want driver.ErrBadConn", err)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, sqldriver.ErrBadConn) {
			t.Errorf("record ended with %v, want driver.ErrBadConn", err)
		}
	case <-time.After(time.Minute): // far beyond the shortened age: never ends
		t.Fatal("the parked run's record never ended")
	}
}

// TestConnCloseEndsRecords: a connection that closes with a statement
// carried over from driver.ErrSkip, or with a transaction open, ends their
// records.
func TestConnCloseEndsRecords(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	a, err := audit.New(audit.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))), audit.WithEndDelay(0))
	if err != nil {
		t.Fatal(err)
	}
	fd := fakedriver.New(fakedriver.Config{SkipWithArgs: true})
	c, err := NewConnector(fd.Connector(), Config{Dialect: sqlstmt.PostgreSQL, Auditor: a})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	args := []sqldriver.NamedValue{{Ordinal: 1, Value: int64(1)}}
	if _, err := conn.(sqldriver.ExecerContext).ExecContext(ctx, "DELETE FROM t WHERE id = $1", args); err != sqldriver.ErrSkip {
		t.Fatalf("got %v, want driver.ErrSkip", err)
	}
	if _, err := conn.(sqldriver.ConnBeginTx).BeginTx(ctx, sqldriver.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("records ended before the close: got %d, want 0", n)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	if n, want := len(rec.Ended()), len(rec.Started()); n != want || n != 2 {
		t.Errorf("records ended after the close: got %d of %d, want 2 of 2", n, want)
	}
}

// noCount is a driver whose results cannot say how many rows changed.
type noCount struct{}

func (noCount) Connect(context.Context) (sqldriver.Conn, error) { return noCount{}, nil }
func (noCount) Driver() sqldriver.Driver                        { return nil }
func (noCount) Prepare(string) (sqldriver.Stmt, error)          { return nil, errors.New("no prepare") }
func (noCount) Close() error                                    { return nil }
func (noCount) Begin() (sqldriver.Tx, error)                    { return noCount{}, nil }
func (noCount) Commit() error                                   { return nil }
func (noCount) Rollback() error                                 { return nil }
func (noCount) LastInsertId() (int64, error)                    { return 0, errors.New("no id") }
func (noCount) RowsAffected() (int64, error)                    { return 0, errors.New("no count") }
func (noCount) ExecContext(context.Context, string, []sqldriver.NamedValue) (sqldriver.Result, error) {
	return noCount{}, nil
}

// TestRowLimitUnknownInTx: inside the caller's transaction, a row limit
// the driver cannot check (no rows-affected count) fails the statement
// rather than letting it pass.
func TestRowLimitUnknownInTx(t *testing.T) {
	p, err := guard.New(guard.WithRules(guard.MaxRows(1)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewConnector(noCount{}, Config{Dialect: sqlstmt.PostgreSQL, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("UPDATE t SET v = 1 WHERE id > 0"); !errors.Is(err, guard.ErrBlocked) {
		t.Errorf("got %v, want guard.ErrBlocked", err)
	}
}

// TestBadConnEndedContext: database/sql never retries a statement whose
// context has ended, so its run is not parked: the record ends before the
// call returns.
func TestBadConnEndedContext(t *testing.T) {
	fd := fakedriver.New(fakedriver.Config{BadConn: 1})
	db, c := openCounted(t, fd, false)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := conn.ExecContext(ctx, "DELETE FROM t"); !errors.Is(err, sqldriver.ErrBadConn) {
		t.Fatalf("got %v, want driver.ErrBadConn", err)
	}
	if begins, ends := c.counts(); begins != 1 || ends != 1 {
		t.Errorf("runs begun/ended when the call returned: got %d/%d, want 1/1", begins, ends)
	}
}
