package driver

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// poolDriver is a fake whose connections and statements answer what the
// test says, so that database/sql's pool can be driven through the paths
// where it consumes an attempt of a call without handing the statement to
// the driver.
type poolDriver struct {
	// connect answers the n-th connection (from 1); nil connects.
	connect func(n int64) error
	// exec answers the n-th execution of query (from 1); nil runs it.
	exec     func(query string, n int64) error
	connects atomic.Int64
	mu       sync.Mutex
	execs    map[string]int64
}

type poolConn struct{ d *poolDriver }

func (d *poolDriver) Connect(context.Context) (sqldriver.Conn, error) {
	n := d.connects.Add(1)
	if d.connect != nil {
		if err := d.connect(n); err != nil {
			return nil, err
		}
	}
	return poolConn{d}, nil
}
func (d *poolDriver) Driver() sqldriver.Driver            { return d }
func (d *poolDriver) Open(string) (sqldriver.Conn, error) { return d.Connect(context.Background()) }

func (c poolConn) Prepare(string) (sqldriver.Stmt, error) { return nil, errors.New("no prepare") }
func (c poolConn) Close() error                           { return nil }
func (c poolConn) Begin() (sqldriver.Tx, error)           { return nil, errors.New("no tx") }

func (c poolConn) ExecContext(_ context.Context, query string, _ []sqldriver.NamedValue) (sqldriver.Result, error) {
	c.d.mu.Lock()
	if c.d.execs == nil {
		c.d.execs = make(map[string]int64)
	}
	c.d.execs[query]++
	n := c.d.execs[query]
	c.d.mu.Unlock()
	if c.d.exec != nil {
		if err := c.d.exec(query, n); err != nil {
			return nil, err
		}
	}
	return sqldriver.RowsAffected(1), nil
}

func openPool(t *testing.T, d *poolDriver) (*sql.DB, *counter) {
	db, c, _ := openPoolInterceptor(t, d)
	return db, c
}

// openPoolInterceptor is openPool that also returns the interceptor.
func openPoolInterceptor(t *testing.T, d *poolDriver) (*sql.DB, *counter, *interceptor) {
	t.Helper()
	cfg, err := newConfig(d, Config{Dialect: sqlstmt.PostgreSQL})
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{}
	cfg.hooks = c.hooks()
	i := newInterceptor(cfg)
	db := sql.OpenDB(sqlmw.Connector(d, i))
	t.Cleanup(func() { db.Close() })
	return db, c, i
}

// waitFor polls db's pool until at least n callers wait for a connection.
func waitFor(db *sql.DB, n int64) {
	for db.Stats().WaitCount < n {
		time.Sleep(100 * time.Microsecond)
	}
}

// TestExpiredConnRetries: database/sql closes a pooled connection past
// SetConnMaxLifetime in DB.conn and answers driver.ErrBadConn, an attempt
// the driver sees only as a Close. Here the first two attempts of a call
// find expired connections, the third fails: database/sql gives up after
// it, so the caller's next, identical statement is a call of its own (with
// the expired attempts unseen, the run of the first was kept for a retry
// and the second call merged into it: one record for two calls).
func TestExpiredConnRetries(t *testing.T) {
	const q = "UPDATE t SET x = 1"
	d := &poolDriver{exec: func(_ string, n int64) error {
		if n == 1 {
			return sqldriver.ErrBadConn
		}
		return nil
	}}
	db, c := openPool(t, d)
	const lifetime = 50 * time.Millisecond
	db.SetConnMaxLifetime(lifetime)
	db.SetMaxIdleConns(2)
	ctx := context.Background()
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c1.Close()
	c2.Close()
	if n := db.Stats().Idle; n != 2 {
		t.Fatalf("idle connections: got %d, want 2", n)
	}
	time.Sleep(2 * lifetime) // expire both; the pool's cleaner first runs after a second
	if _, err := db.ExecContext(ctx, q); !errors.Is(err, sqldriver.ErrBadConn) {
		t.Fatalf("first call: got %v, want driver.ErrBadConn", err)
	}
	if n := db.Stats().MaxLifetimeClosed; n != 2 {
		t.Fatalf("connections closed past their lifetime: got %d, want 2", n)
	}
	if _, err := db.ExecContext(ctx, q); err != nil {
		t.Fatalf("second call: %v", err)
	}
	if begins, ends := c.counts(); begins != 2 || ends != 2 {
		t.Errorf("records begun/ended: got %d/%d, want 2/2 (one per call)", begins, ends)
	}
	if n := d.connects.Load(); n != 4 {
		t.Errorf("connections made: got %d, want 4", n)
	}
}

// TestOpenerFailureRetries: with the pool full, two callers wait for a
// connection; database/sql opens one in its connectionOpener goroutine,
// whose failure it hands to one of them at random, and the next
// connection to the other. One caller (b) has a run waiting for its
// retry. Each call has exactly one record whichever caller gets the
// failure, and the failure counts as an attempt of the call that got it.
func TestOpenerFailureRetries(t *testing.T) {
	tests := []struct {
		name string
		give error
	}{
		{name: "refused", give: errors.New("connection refused")},
		{name: "bad conn", give: fmt.Errorf("dial: %w", sqldriver.ErrBadConn)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 { // the failure goes to either caller
				openerFailure(t, tt.give)
				if t.Failed() {
					return
				}
			}
		})
	}
}

func openerFailure(t *testing.T, give error) {
	var db *sql.DB
	var wg sync.WaitGroup
	var errC error
	d := &poolDriver{}
	d.connect = func(n int64) error {
		if n != 2 {
			return nil
		}
		// The opener's connection: both callers wait by now.
		waitFor(db, 2)
		return give
	}
	d.exec = func(query string, n int64) error {
		if query != "UPDATE b" || n != 1 {
			return nil
		}
		// b holds the only connection: c waits for it, and b's retry
		// waits too once this one is discarded.
		wg.Go(func() { _, errC = db.Exec("UPDATE c") })
		waitFor(db, 1)
		return sqldriver.ErrBadConn
	}
	db, c := openPool(t, d)
	db.SetMaxOpenConns(1)
	// A connection put back goes to a waiter or is closed, which opens
	// another for one: database/sql never hands an idle connection to a
	// caller waiting with alwaysNewConn (b's last attempt).
	db.SetMaxIdleConns(0)
	_, errB := db.Exec("UPDATE b")
	wg.Wait()
	if (errB == nil) == (errC == nil) && !errors.Is(give, sqldriver.ErrBadConn) {
		t.Fatalf("calls: got b: %v, c: %v, want one of them failed", errB, errC)
	}
	if begins, ends := c.counts(); begins != 2 || ends != 2 {
		c.mu.Lock()
		t.Errorf("records begun/ended: got %d/%d (%v), want 2/2 (b: %v, c: %v)", begins, ends, c.begins, errB, errC)
		c.mu.Unlock()
	}
}

// TestPoolChurnOneRecordPerCall: 16 callers sharing context.Background()
// on a pool of two connections that expire after a millisecond, with
// statements failing with driver.ErrBadConn, get exactly one record per
// call. With connections failing too, a call may get two records when
// database/sql hands an opener failure to its last attempt (see
// mayHaveEnded), never two calls one.
func TestPoolChurnOneRecordPerCall(t *testing.T) {
	tests := []struct {
		name     string
		failOpen bool
		exact    bool
	}{
		{name: "expiry and bad statements", exact: true},
		{name: "and failed connections", failOpen: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k atomic.Int64
			d := &poolDriver{exec: func(string, int64) error {
				if k.Add(1)%5 == 0 {
					return sqldriver.ErrBadConn
				}
				return nil
			}}
			if tt.failOpen {
				d.connect = func(n int64) error {
					switch {
					case n%7 == 0:
						return fmt.Errorf("dial: %w", sqldriver.ErrBadConn)
					case n%11 == 0:
						return errors.New("connection refused")
					}
					return nil
				}
			}
			db, c, i := openPoolInterceptor(t, d)
			if tt.failOpen {
				// A run whose call database/sql gave up on without sqlvigil
				// seeing it (an opener failure handed to its last attempt)
				// is ended after the retry table's age: shorten it, and wait
				// for it below. (Shorter than a retry takes, it would split
				// a call's record in two, which this case allows.)
				i.retries.age = 200 * time.Millisecond
			}
			db.SetMaxOpenConns(2)
			db.SetConnMaxLifetime(time.Millisecond)
			const workers, each = 16, 200
			var wg sync.WaitGroup
			var failed atomic.Int64
			for w := range workers {
				wg.Go(func() {
					for n := range each {
						q := "UPDATE t SET x = 1"
						if n%2 == 1 {
							q = fmt.Sprintf("UPDATE t SET x = %d", w)
						}
						if _, err := db.Exec(q); err != nil {
							failed.Add(1)
						}
					}
				})
			}
			wg.Wait()
			const calls = workers * each
			begins, ends := c.counts()
			for deadline := time.Now().Add(10 * time.Second); tt.failOpen && begins != ends && time.Now().Before(deadline); {
				time.Sleep(i.retries.age)
				begins, ends = c.counts()
			}
			if begins != ends {
				t.Errorf("records begun/ended: got %d/%d, want every record ended", begins, ends)
			}
			if tt.exact && begins != calls || begins < calls {
				t.Errorf("records: got %d, want %d (one per call)", begins, calls)
			}
			st := db.Stats()
			t.Logf("%d calls (%d failed), %d records, %d connections made, %d closed past their lifetime, %d waits",
				calls, failed.Load(), begins, d.connects.Load(), st.MaxLifetimeClosed, st.WaitCount)
		})
	}
}

// TestIdleTimeNoAttempt: SetConnMaxIdleTime is enforced only by
// database/sql's connectionCleaner goroutine, which closes idle
// connections outside any call (DB.conn checks the lifetime alone): no
// attempt is consumed, none is counted, and each call keeps one record.
func TestIdleTimeNoAttempt(t *testing.T) {
	const q = "UPDATE t SET x = 1"
	d := &poolDriver{exec: func(_ string, n int64) error {
		if n == 1 {
			return sqldriver.ErrBadConn
		}
		return nil
	}}
	cfg, err := newConfig(d, Config{Dialect: sqlstmt.PostgreSQL})
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{}
	cfg.hooks = c.hooks()
	i := newInterceptor(cfg)
	db := sql.OpenDB(sqlmw.Connector(d, i))
	defer db.Close()
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(time.Millisecond)
	ctx := context.Background()
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c1.Close()
	c2.Close()
	for db.Stats().MaxIdleTimeClosed < 2 { // the cleaner runs every second at most
		time.Sleep(10 * time.Millisecond)
	}
	if i.retries.parked() {
		t.Fatal("the cleaner's Close was counted as an attempt")
	}
	for range 2 {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("exec: %v", err)
		}
	}
	if begins, ends := c.counts(); begins != 2 || ends != 2 {
		t.Errorf("records begun/ended: got %d/%d, want 2/2 (one per call)", begins, ends)
	}
}
