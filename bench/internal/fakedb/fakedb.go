// Package fakedb is a tiny in-memory database/sql driver for benchmarks: it
// answers every query from a fixed table without parsing SQL, so what a
// benchmark measures on it is the cost of the wrapper alone.
//
// A query whose text contains "LIMIT 100" returns 100 rows; any other query
// returns one row. The columns are id, name, email and balance. Exec reports
// one affected row. It implements the context interfaces that real drivers
// implement (QueryerContext, ExecerContext, ConnPrepareContext, ConnBeginTx,
// Pinger, StmtQueryContext, StmtExecContext), so wrappers take their fast
// paths.
package fakedb

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"strings"
)

var (
	_ driver.Driver             = Driver{}
	_ driver.DriverContext      = Driver{}
	_ driver.Connector          = (*connector)(nil)
	_ driver.Conn               = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.Stmt               = (*stmt)(nil)
	_ driver.StmtQueryContext   = (*stmt)(nil)
	_ driver.StmtExecContext    = (*stmt)(nil)
	_ driver.Rows               = (*rows)(nil)
)

// ErrClosed is returned by a closed connection or statement.
var ErrClosed = errors.New("fakedb: closed")

// Columns are the columns every result set has.
var columns = []string{"id", "name", "email", "balance"}

// Driver is the fake driver. Its zero value is ready to use.
type Driver struct{}

// Open returns a new connection; the name is ignored.
func (Driver) Open(string) (driver.Conn, error) { return &conn{}, nil }

// OpenConnector returns a connector; the name is ignored.
func (d Driver) OpenConnector(string) (driver.Connector, error) { return &connector{}, nil }

// NewConnector returns a connector for sql.OpenDB.
func NewConnector() driver.Connector { return &connector{} }

type connector struct{}

func (*connector) Connect(context.Context) (driver.Conn, error) { return &conn{}, nil }
func (*connector) Driver() driver.Driver                        { return Driver{} }

type conn struct{ closed bool }

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) PrepareContext(_ context.Context, query string) (driver.Stmt, error) {
	if c.closed {
		return nil, ErrClosed
	}
	return &stmt{query: query}, nil
}

func (c *conn) Close() error { c.closed = true; return nil }

func (c *conn) Begin() (driver.Tx, error) { return tx{}, nil }

func (c *conn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) { return tx{}, nil }

func (c *conn) Ping(context.Context) error {
	if c.closed {
		return ErrClosed
	}
	return nil
}

func (c *conn) QueryContext(_ context.Context, query string, _ []driver.NamedValue) (driver.Rows, error) {
	if c.closed {
		return nil, ErrClosed
	}
	return newRows(query), nil
}

func (c *conn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	if c.closed {
		return nil, ErrClosed
	}
	return driver.RowsAffected(1), nil
}

type stmt struct {
	query  string
	closed bool
}

func (s *stmt) Close() error  { s.closed = true; return nil }
func (s *stmt) NumInput() int { return -1 }

func (s *stmt) Exec([]driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), nil)
}

func (s *stmt) Query([]driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), nil)
}

func (s *stmt) ExecContext(context.Context, []driver.NamedValue) (driver.Result, error) {
	if s.closed {
		return nil, ErrClosed
	}
	return driver.RowsAffected(1), nil
}

func (s *stmt) QueryContext(context.Context, []driver.NamedValue) (driver.Rows, error) {
	if s.closed {
		return nil, ErrClosed
	}
	return newRows(s.query), nil
}

type tx struct{}

func (tx) Commit() error   { return nil }
func (tx) Rollback() error { return nil }

type rows struct {
	n, i int
}

// catalogRows answers sqlvigil's catalog look-up (in the PostgreSQL
// dialect, as the benchmarks declare it): every relation is a table.
type catalogRows struct{ done bool }

func (r *catalogRows) Columns() []string { return []string{"type", "sql"} }
func (r *catalogRows) Close() error      { return nil }
func (r *catalogRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0], dest[1] = "r", ""
	return nil
}

func newRows(query string) driver.Rows {
	switch {
	case strings.HasPrefix(query, "SELECT 'op'"):
		// The code made earlier that runs without a function call: none.
		return &emptyRows{columns: 4}
	case strings.HasPrefix(query, "WITH RECURSIVE r(o)"):
		// The code that runs on a write: none.
		return &emptyRows{columns: 3}
	case strings.Contains(query, "pg_catalog.to_regclass"):
		return &catalogRows{}
	}
	return newDataRows(query)
}

// emptyRows answers a catalog look-up that finds nothing.
type emptyRows struct{ columns int }

func (r *emptyRows) Columns() []string              { return make([]string, r.columns) }
func (r *emptyRows) Close() error                   { return nil }
func (r *emptyRows) Next(dest []driver.Value) error { return io.EOF }

func newDataRows(query string) *rows {
	n := 1
	if strings.Contains(query, "LIMIT 100") {
		n = 100
	}
	return &rows{n: n}
}

func (r *rows) Columns() []string { return columns }
func (r *rows) Close() error      { r.i = r.n; return nil }

func (r *rows) Next(dest []driver.Value) error {
	if r.i >= r.n {
		return io.EOF
	}
	r.i++
	dest[0] = int64(r.i)
	dest[1] = "Ada Lovelace"
	dest[2] = "ada@example.com"
	dest[3] = int64(1000 + r.i)
	return nil
}
