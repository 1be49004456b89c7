// Package fakedriver provides in-memory database/sql drivers whose optional
// interfaces and failure modes are chosen by the test, for testing the
// wrapping mechanics themselves. It never talks to a database.
package fakedriver

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"sync/atomic"
)

// Shape selects which optional interfaces a connection offers.
type Shape uint8

// Shapes.
const (
	// Full offers every context interface, Pinger, SessionResetter,
	// Validator and NamedValueChecker.
	Full Shape = iota
	// Legacy offers only the context-free Execer and Queryer.
	Legacy
	// Bare offers nothing beyond driver.Conn: no Execer, no Queryer, no
	// ConnBeginTx.
	Bare
)

// ErrSyntax is returned for the statement text "FAIL".
var ErrSyntax = errors.New("fakedriver: syntax error")

// ResultSet is one result set a query returns.
type ResultSet struct {
	Columns []string
	Rows    [][]driver.Value
}

// Config says how a fake driver behaves.
type Config struct {
	Shape Shape
	// SkipWithArgs makes Exec and Query answer driver.ErrSkip when they get
	// arguments, as go-sql-driver/mysql does without interpolateParams.
	SkipWithArgs bool
	// BadConn is how many statement calls (exec, query or prepare) fail
	// with driver.ErrBadConn, before running, on a fresh driver.
	BadConn int64
	// RowsAffected is what every Exec reports.
	RowsAffected int64
	// Results are what every query returns; default: one result set
	// (id, name) with two rows.
	Results []ResultSet
	// ColumnConverter gives statements a ColumnConverter that accepts
	// [Celsius]. Use it with the Legacy or Bare shape, whose connections
	// have no NamedValueChecker.
	ColumnConverter bool
	// Closer gives the connector an io.Closer.
	Closer bool
	// DiscardArgs stops recording arguments (for benchmarks).
	DiscardArgs bool
	// NilResult makes every Exec answer a nil driver.Result and no error,
	// which database/sql accepts.
	NilResult bool
}

// Celsius is an argument type only the ColumnConverter statements accept.
type Celsius struct{ Degrees int64 }

// Array is an argument type only the NamedValueChecker of Full connections
// accepts, as pgx accepts []int32.
type Array []int32

// Counts records what reached the driver.
type Counts struct {
	Connects, Execs, Queries, Prepares, StmtCloses     atomic.Int64
	Begins, Commits, Rollbacks, ConnectorCloses, Nexts atomic.Int64
	// Resets counts the calls of a Full connection's ResetSession.
	Resets    atomic.Int64
	mu        sync.Mutex
	txOptions []driver.TxOptions
	args      [][]driver.NamedValue
}

// TxOptions returns the options of every BeginTx, in order.
func (c *Counts) TxOptions() []driver.TxOptions {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]driver.TxOptions(nil), c.txOptions...)
}

// Args returns the arguments of every executed statement, in order.
func (c *Counts) Args() [][]driver.NamedValue {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]driver.NamedValue(nil), c.args...)
}

// Driver is a fake driver.
type Driver struct {
	cfg     Config
	badConn atomic.Int64
	// Counts is what reached the driver.
	Counts *Counts
}

var (
	_ driver.Driver        = (*Driver)(nil)
	_ driver.DriverContext = (*Driver)(nil)
)

// New returns a fake driver.
func New(cfg Config) *Driver {
	if cfg.Results == nil {
		cfg.Results = []ResultSet{{
			Columns: []string{"id", "name"},
			Rows:    [][]driver.Value{{int64(1), "ada"}, {int64(2), "grace"}},
		}}
	}
	d := &Driver{cfg: cfg, Counts: &Counts{}}
	d.badConn.Store(cfg.BadConn)
	return d
}

// Open implements driver.Driver.
func (d *Driver) Open(string) (driver.Conn, error) { return d.connect(), nil }

// OpenConnector implements driver.DriverContext.
func (d *Driver) OpenConnector(string) (driver.Connector, error) { return d.Connector(), nil }

// Connector returns a connector of d (with io.Closer when Config.Closer).
func (d *Driver) Connector() driver.Connector {
	if d.cfg.Closer {
		return closingConnector{connector{d}}
	}
	return connector{d}
}

func (d *Driver) connect() driver.Conn {
	d.Counts.Connects.Add(1)
	c := &conn{d: d}
	switch d.cfg.Shape {
	case Legacy:
		return &legacyConn{c}
	case Bare:
		return c
	default:
		return &fullConn{c}
	}
}

func (d *Driver) badConnNow() bool {
	for {
		n := d.badConn.Load()
		if n <= 0 {
			return false
		}
		if d.badConn.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

type connector struct{ d *Driver }

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.d.connect(), nil }
func (c connector) Driver() driver.Driver                        { return c.d }

type closingConnector struct{ connector }

var _ io.Closer = closingConnector{}

func (c closingConnector) Close() error {
	c.d.Counts.ConnectorCloses.Add(1)
	return nil
}

// conn is the Bare connection.
type conn struct {
	d      *Driver
	bad    bool
	closed bool
}

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	if c.d.badConnNow() {
		c.bad = true
		return nil, driver.ErrBadConn
	}
	c.d.Counts.Prepares.Add(1)
	s := &stmt{c: c, query: query}
	if c.d.cfg.ColumnConverter {
		return &convStmt{s}, nil
	}
	return s, nil
}

func (c *conn) Close() error {
	c.closed = true
	return nil
}

func (c *conn) Begin() (driver.Tx, error) { //nolint:staticcheck
	c.d.Counts.Begins.Add(1)
	c.d.Counts.mu.Lock()
	c.d.Counts.txOptions = append(c.d.Counts.txOptions, driver.TxOptions{})
	c.d.Counts.mu.Unlock()
	return tx{c}, nil
}

func (c *conn) exec(query string, args []driver.NamedValue) (driver.Result, error) {
	if c.d.badConnNow() {
		c.bad = true
		return nil, driver.ErrBadConn
	}
	if query == "FAIL" {
		return nil, ErrSyntax
	}
	c.d.Counts.Execs.Add(1)
	c.record(args)
	if c.d.cfg.NilResult {
		return nil, nil
	}
	return driver.RowsAffected(c.d.cfg.RowsAffected), nil
}

func (c *conn) query(query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.d.badConnNow() {
		c.bad = true
		return nil, driver.ErrBadConn
	}
	if query == "FAIL" {
		return nil, ErrSyntax
	}
	c.d.Counts.Queries.Add(1)
	c.record(args)
	r := &rows{d: c.d, sets: c.d.cfg.Results}
	if c.d.cfg.Shape == Full {
		return &fullRows{r}, nil
	}
	return r, nil
}

func (c *conn) record(args []driver.NamedValue) {
	if c.d.cfg.DiscardArgs {
		return
	}
	c.d.Counts.mu.Lock()
	c.d.Counts.args = append(c.d.Counts.args, append([]driver.NamedValue(nil), args...))
	c.d.Counts.mu.Unlock()
}

func toNamed(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, v := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv
}

type legacyConn struct{ *conn }

func (c *legacyConn) Exec(query string, args []driver.Value) (driver.Result, error) { //nolint:staticcheck
	return c.exec(query, toNamed(args))
}

func (c *legacyConn) Query(query string, args []driver.Value) (driver.Rows, error) { //nolint:staticcheck
	return c.query(query, toNamed(args))
}

type fullConn struct{ *conn }

var (
	_ driver.ExecerContext      = (*fullConn)(nil)
	_ driver.QueryerContext     = (*fullConn)(nil)
	_ driver.ConnPrepareContext = (*fullConn)(nil)
	_ driver.ConnBeginTx        = (*fullConn)(nil)
	_ driver.Pinger             = (*fullConn)(nil)
	_ driver.SessionResetter    = (*fullConn)(nil)
	_ driver.Validator          = (*fullConn)(nil)
	_ driver.NamedValueChecker  = (*fullConn)(nil)
)

func (c *fullConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.d.cfg.SkipWithArgs && len(args) > 0 {
		return nil, driver.ErrSkip
	}
	return c.exec(query, args)
}

func (c *fullConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.d.cfg.SkipWithArgs && len(args) > 0 {
		return nil, driver.ErrSkip
	}
	return c.query(query, args)
}

func (c *fullConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Prepare(query)
}

func (c *fullConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.d.Counts.Begins.Add(1)
	c.d.Counts.mu.Lock()
	c.d.Counts.txOptions = append(c.d.Counts.txOptions, opts)
	c.d.Counts.mu.Unlock()
	return tx{c.conn}, nil
}

func (c *fullConn) Ping(context.Context) error {
	if c.bad {
		return driver.ErrBadConn
	}
	return nil
}

func (c *fullConn) ResetSession(context.Context) error {
	c.d.Counts.Resets.Add(1)
	if c.bad {
		return driver.ErrBadConn
	}
	return nil
}

func (c *fullConn) IsValid() bool { return !c.bad }

// CheckNamedValue accepts [Array] as is and converts everything else as
// database/sql would.
func (c *fullConn) CheckNamedValue(nv *driver.NamedValue) error {
	if _, ok := nv.Value.(Array); ok {
		return nil
	}
	return driver.ErrSkip
}

type tx struct{ c *conn }

func (t tx) Commit() error {
	t.c.d.Counts.Commits.Add(1)
	return nil
}

func (t tx) Rollback() error {
	t.c.d.Counts.Rollbacks.Add(1)
	return nil
}

type stmt struct {
	c     *conn
	query string
}

func (s *stmt) Close() error {
	s.c.d.Counts.StmtCloses.Add(1)
	return nil
}

func (s *stmt) NumInput() int { return -1 }

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) { //nolint:staticcheck
	return s.c.exec(s.query, toNamed(args))
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) { //nolint:staticcheck
	return s.c.query(s.query, toNamed(args))
}

// convStmt has a ColumnConverter that accepts Celsius.
type convStmt struct{ *stmt }

func (s *convStmt) ColumnConverter(int) driver.ValueConverter { return celsiusConverter{} } //nolint:staticcheck

type celsiusConverter struct{}

func (celsiusConverter) ConvertValue(v any) (driver.Value, error) {
	if c, ok := v.(Celsius); ok {
		return c.Degrees, nil
	}
	return driver.DefaultParameterConverter.ConvertValue(v)
}

// rows are the rows of a Bare or Legacy connection: no optional interface.
type rows struct {
	d    *Driver
	sets []ResultSet
	set  int
	pos  int
}

func (r *rows) Columns() []string { return r.sets[r.set].Columns }
func (r *rows) Close() error      { return nil }

func (r *rows) Next(dest []driver.Value) error {
	s := r.sets[r.set]
	if r.pos >= len(s.Rows) {
		return io.EOF
	}
	r.d.Counts.Nexts.Add(1)
	copy(dest, s.Rows[r.pos])
	r.pos++
	return nil
}

// fullRows offer NextResultSet and every column type interface.
type fullRows struct{ *rows }

var (
	_ driver.RowsNextResultSet              = (*fullRows)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*fullRows)(nil)
	_ driver.RowsColumnTypeLength           = (*fullRows)(nil)
	_ driver.RowsColumnTypeNullable         = (*fullRows)(nil)
	_ driver.RowsColumnTypePrecisionScale   = (*fullRows)(nil)
	_ driver.RowsColumnTypeScanType         = (*fullRows)(nil)
)

// ScanColumn is Go 1.27's driver.RowsColumnScanner, which pgx v5.12
// implements: through it database/sql would read values without Next.
func (r *fullRows) ScanColumn(dest any, index int) error {
	return fmt.Errorf("fakedriver: ScanColumn(%T, %d) must not be reached through a wrapper", dest, index)
}

func (r *fullRows) HasNextResultSet() bool { return r.set+1 < len(r.sets) }

func (r *fullRows) NextResultSet() error {
	if !r.HasNextResultSet() {
		return io.EOF
	}
	r.set++
	r.pos = 0
	return nil
}

func (r *fullRows) ColumnTypeDatabaseTypeName(i int) string {
	return fmt.Sprintf("FAKE%d", i)
}

func (r *fullRows) ColumnTypeLength(i int) (int64, bool) { return int64(10 + i), true }

func (r *fullRows) ColumnTypeNullable(i int) (bool, bool) { return i%2 == 0, true }

func (r *fullRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) { return 9, int64(i), true }

func (r *fullRows) ColumnTypeScanType(i int) reflect.Type {
	if len(r.rows.sets[r.set].Rows) > 0 && r.rows.sets[r.set].Rows[0][i] != nil {
		return reflect.TypeOf(r.rows.sets[r.set].Rows[0][i])
	}
	return reflect.TypeFor[any]()
}
