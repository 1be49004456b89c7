package mask_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

// fakeTable is what the fake driver returns for every query. Values of type
// []byte are copied into one buffer per column that the driver reuses for
// every row, as real drivers do with their read buffers.
type fakeTable struct {
	cols []mask.Column
	rows [][]driver.Value
}

// fakeConnector opens connections returning table, and masks rows with m
// the way the driver package does: one plan per result set, Apply in Next.
type fakeConnector struct {
	table  *fakeTable
	masker *mask.Masker // nil: rows pass unmasked
}

func openFake(t testing.TB, table *fakeTable, m *mask.Masker) *sql.DB {
	t.Helper()
	db := sql.OpenDB(&fakeConnector{table: table, masker: m})
	t.Cleanup(func() { db.Close() })
	return db
}

func (c *fakeConnector) Connect(context.Context) (driver.Conn, error) { return &fakeConn{c: c}, nil }
func (c *fakeConnector) Driver() driver.Driver                        { return fakeDriver{} }

type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) { return nil, driver.ErrSkip }

type fakeConn struct{ c *fakeConnector }

func (c *fakeConn) Prepare(string) (driver.Stmt, error) { return nil, driver.ErrSkip }
func (c *fakeConn) Close() error                        { return nil }
func (c *fakeConn) Begin() (driver.Tx, error)           { return nil, driver.ErrSkip }

func (c *fakeConn) QueryContext(ctx context.Context, q string, _ []driver.NamedValue) (driver.Rows, error) {
	if strings.Contains(q, "sqlite_temp_master") {
		// sqlvigil asks the catalog whether a relation is a view, as a
		// real server answers: a table.
		return &catalogRows{}, nil
	}
	r := &fakeRows{t: c.c.table, bufs: make([][]byte, len(c.c.table.cols))}
	if c.c.masker == nil {
		return r, nil
	}
	id, _ := identity.FromContext(ctx)
	p, err := c.c.masker.Plan(ctx, mask.Input{Identity: id, Columns: c.c.table.cols, Unmask: mask.UnmaskRequested(ctx)})
	if err != nil {
		return nil, err
	}
	// Wrapped even when p is nil, as the driver wraps every result set.
	return &maskedRows{fakeRows: r, plan: p}, nil
}

type fakeRows struct {
	t    *fakeTable
	i    int
	bufs [][]byte
}

func (r *fakeRows) Columns() []string {
	out := make([]string, len(r.t.cols))
	for i, c := range r.t.cols {
		out[i] = c.Name
	}
	return out
}

func (r *fakeRows) Close() error { return nil }

func (r *fakeRows) Next(dest []driver.Value) error {
	if r.i >= len(r.t.rows) {
		return io.EOF
	}
	for j, v := range r.t.rows[r.i] {
		if b, ok := v.([]byte); ok {
			r.bufs[j] = append(r.bufs[j][:0], b...)
			dest[j] = r.bufs[j]
			continue
		}
		dest[j] = v
	}
	r.i++
	return nil
}

type maskedRows struct {
	*fakeRows
	plan *mask.Plan
}

func (r *maskedRows) Next(dest []driver.Value) error {
	if err := r.fakeRows.Next(dest); err != nil {
		return err
	}
	return r.plan.Apply(dest)
}

// catalogRows answers sqlvigil's SQLite catalog look-up: a table.
type catalogRows struct{ done bool }

func (r *catalogRows) Columns() []string { return []string{"type", "sql"} }
func (r *catalogRows) Close() error      { return nil }
func (r *catalogRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0], dest[1] = "table", ""
	return nil
}
