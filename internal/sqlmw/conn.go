package sqlmw

import (
	"context"
	"database/sql/driver"
)

//go:generate go run ./gen -o picker.go

var (
	_ driver.Conn               = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
)

// conn is the wrapped connection. It always offers ConnPrepareContext and
// ConnBeginTx (database/sql's fallbacks live in ParentConn); every other
// optional interface comes from a mixin picked by what the driver offers.
type conn struct {
	parent *ParentConn
	intr   Interceptor
}

func wrapConn(c driver.Conn, intr Interceptor) driver.Conn {
	p := NewParentConn(c)
	var k int
	if p.CanExec() {
		k |= connExecerContext
	}
	if p.CanQuery() {
		k |= connQueryerContext
	}
	if p.pinger != nil {
		k |= connPinger
	}
	_, resets := intr.(ConnResetInterceptor)
	if _, ok := c.(driver.SessionResetter); ok || resets {
		k |= connSessionResetter
	}
	if _, ok := c.(driver.Validator); ok {
		k |= connValidator
	}
	if _, ok := c.(driver.NamedValueChecker); ok {
		k |= connNamedValueChecker
	}
	return pickConn(k, conn{parent: p, intr: intr})
}

// Unwrap returns the driver's connection.
func (c *conn) Unwrap() driver.Conn { return c.parent.Conn }

// Interceptor returns the interceptor of the connection.
func (c *conn) Interceptor() Interceptor { return c.intr }

// Parent returns the interceptor's view of the driver's connection.
func (c *conn) Parent() *ParentConn { return c.parent }

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) Close() error {
	if h, ok := c.intr.(ConnCloseInterceptor); ok {
		h.ConnClose(c.parent)
	}
	return c.parent.Conn.Close()
}

func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	ctx, st, err := c.intr.ConnPrepareContext(ctx, c.parent, query)
	if err != nil {
		return nil, err
	}
	return wrapStmt(ctx, c.intr, &ParentStmt{Stmt: st, Conn: c.parent, SQL: query}), nil
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	ctx, tx, err := c.intr.ConnBeginTx(ctx, c.parent, opts)
	if err != nil {
		return nil, err
	}
	return &wrappedTx{ctx: ctx, intr: c.intr, parent: tx}, nil
}

type connExecMixin struct{ c *conn }

func (m connExecMixin) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return m.c.intr.ConnExecContext(ctx, m.c.parent, query, args)
}

type connQueryMixin struct{ c *conn }

func (m connQueryMixin) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	ctx, rows, err := m.c.intr.ConnQueryContext(ctx, m.c.parent, query, args)
	if err != nil {
		return nil, err
	}
	return wrapRows(ctx, m.c.intr, rows), nil
}

type connPingMixin struct{ c *conn }

func (m connPingMixin) Ping(ctx context.Context) error {
	return m.c.intr.ConnPing(ctx, m.c.parent)
}

type connResetMixin struct{ c *conn }

func (m connResetMixin) ResetSession(ctx context.Context) error {
	if h, ok := m.c.intr.(ConnResetInterceptor); ok {
		return h.ConnResetSession(ctx, m.c.parent)
	}
	return m.c.parent.ResetSession(ctx)
}

type connValidMixin struct{ c *conn }

func (m connValidMixin) IsValid() bool {
	return m.c.parent.Conn.(driver.Validator).IsValid()
}

type connCheckMixin struct{ c *conn }

func (m connCheckMixin) CheckNamedValue(nv *driver.NamedValue) error {
	return m.c.parent.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

// wrappedTx is a wrapped transaction.
type wrappedTx struct {
	ctx    context.Context
	intr   Interceptor
	parent driver.Tx
}

func (t *wrappedTx) Commit() error   { return t.intr.TxCommit(t.ctx, t.parent) }
func (t *wrappedTx) Rollback() error { return t.intr.TxRollback(t.ctx, t.parent) }
