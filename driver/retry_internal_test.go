package driver

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// barrierConn answers driver.ErrBadConn to the first calls of its driver
// once all of them have arrived, so that they are parked at once, and runs
// every later call.
type barrierConn struct{ d *barrierDriver }

type barrierDriver struct {
	first int64
	calls atomic.Int64
	execs atomic.Int64
	wg    sync.WaitGroup
}

func (d *barrierDriver) Connect(context.Context) (sqldriver.Conn, error) { return barrierConn{d}, nil }
func (d *barrierDriver) Driver() sqldriver.Driver                        { return d }
func (d *barrierDriver) Open(string) (sqldriver.Conn, error)             { return barrierConn{d}, nil }

func (c barrierConn) Prepare(string) (sqldriver.Stmt, error) { return nil, errors.New("no prepare") }
func (c barrierConn) Close() error                           { return nil }
func (c barrierConn) Begin() (sqldriver.Tx, error)           { return nil, errors.New("no tx") }

func (c barrierConn) ExecContext(context.Context, string, []sqldriver.NamedValue) (sqldriver.Result, error) {
	if c.d.calls.Add(1) <= c.d.first {
		c.d.wg.Done()
		c.d.wg.Wait()
		return nil, sqldriver.ErrBadConn
	}
	c.d.execs.Add(1)
	return sqldriver.RowsAffected(1), nil
}

// TestSharedContextRetries: callers that share context.Background() and
// issue the same statement at once, each answered driver.ErrBadConn before
// running, keep one run each through database/sql's retry: as many records
// as calls (with context and text as the key, three records for two).
func TestSharedContextRetries(t *testing.T) {
	const callers = 8
	d := &barrierDriver{first: callers}
	d.wg.Add(callers)
	cfg, err := newConfig(d, Config{Dialect: sqlstmt.PostgreSQL})
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{}
	cfg.hooks = c.hooks()
	db := sql.OpenDB(sqlmw.Connector(d, newInterceptor(cfg)))
	defer db.Close()
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			if _, err := db.Exec("UPDATE t SET x = 1"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("statement: %v", err)
	}
	if begins, ends := c.counts(); begins != callers || ends != callers {
		t.Errorf("runs begun/ended: got %d/%d, want %d/%d", begins, ends, callers, callers)
	}
	if n := d.execs.Load(); n != callers {
		t.Errorf("executions: got %d, want %d", n, callers)
	}
}
