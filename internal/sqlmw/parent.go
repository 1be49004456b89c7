package sqlmw

import (
	"context"
	"database/sql/driver"
	"errors"
)

var (
	_ driver.ExecerContext      = (*ParentConn)(nil)
	_ driver.QueryerContext     = (*ParentConn)(nil)
	_ driver.ConnPrepareContext = (*ParentConn)(nil)
	_ driver.ConnBeginTx        = (*ParentConn)(nil)
	_ driver.Pinger             = (*ParentConn)(nil)
	_ driver.SessionResetter    = (*ParentConn)(nil)
	_ driver.StmtExecContext    = (*ParentStmt)(nil)
	_ driver.StmtQueryContext   = (*ParentStmt)(nil)
)

// The errors database/sql itself returns in the same situations, with the
// same text, so a wrapped driver fails exactly like a raw one.
var (
	errNamedParams = errors.New("sql: driver does not support the use of Named Parameters")
	errIsolation   = errors.New("sql: driver does not support non-default isolation level")
	errReadOnly    = errors.New("sql: driver does not support read-only transactions")
)

// ParentConn is the driver connection as an interceptor receives it. It
// implements the context interfaces with database/sql's own fallbacks for a
// driver that lacks them: driver.ErrSkip where database/sql would fall back
// to a prepared statement, and database/sql's errors for transaction
// options the driver cannot honour.
//
// One ParentConn exists per connection and is used by one goroutine at a
// time, as database/sql uses a connection.
type ParentConn struct {
	driver.Conn
	// State belongs to the interceptor: per-connection data it keeps.
	State any

	execCtx  driver.ExecerContext
	exec     driver.Execer //nolint:staticcheck // the legacy interface is part of the contract
	queryCtx driver.QueryerContext
	query    driver.Queryer //nolint:staticcheck
	prepCtx  driver.ConnPrepareContext
	beginTx  driver.ConnBeginTx
	pinger   driver.Pinger
}

// NewParentConn returns the interceptor's view of c.
func NewParentConn(c driver.Conn) *ParentConn {
	p := &ParentConn{Conn: c}
	p.execCtx, _ = c.(driver.ExecerContext)
	p.exec, _ = c.(driver.Execer) //nolint:staticcheck
	p.queryCtx, _ = c.(driver.QueryerContext)
	p.query, _ = c.(driver.Queryer) //nolint:staticcheck
	p.prepCtx, _ = c.(driver.ConnPrepareContext)
	p.beginTx, _ = c.(driver.ConnBeginTx)
	p.pinger, _ = c.(driver.Pinger)
	return p
}

// CanExec reports whether the driver executes statements without
// preparing them (Execer or ExecerContext).
func (p *ParentConn) CanExec() bool { return p.execCtx != nil || p.exec != nil }

// CanQuery reports whether the driver queries without preparing
// (Queryer or QueryerContext).
func (p *ParentConn) CanQuery() bool { return p.queryCtx != nil || p.query != nil }

// ExecContext implements driver.ExecerContext.
func (p *ParentConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if p.execCtx != nil {
		return p.execCtx.ExecContext(ctx, query, args)
	}
	if p.exec == nil {
		return nil, driver.ErrSkip
	}
	dargs, err := legacyArgs(ctx, args)
	if err != nil {
		return nil, err
	}
	return p.exec.Exec(query, dargs)
}

// QueryContext implements driver.QueryerContext.
func (p *ParentConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if p.queryCtx != nil {
		return p.queryCtx.QueryContext(ctx, query, args)
	}
	if p.query == nil {
		return nil, driver.ErrSkip
	}
	dargs, err := legacyArgs(ctx, args)
	if err != nil {
		return nil, err
	}
	return p.query.Query(query, dargs)
}

// PrepareContext implements driver.ConnPrepareContext.
func (p *ParentConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p.prepCtx != nil {
		return p.prepCtx.PrepareContext(ctx, query)
	}
	si, err := p.Conn.Prepare(query)
	if err == nil {
		select {
		default:
		case <-ctx.Done():
			_ = si.Close()
			return nil, ctx.Err()
		}
	}
	return si, err
}

// BeginTx implements driver.ConnBeginTx. A driver without ConnBeginTx gets
// database/sql's own errors for options it cannot honour.
func (p *ParentConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if p.beginTx != nil {
		return p.beginTx.BeginTx(ctx, opts)
	}
	if opts.Isolation != 0 {
		return nil, errIsolation
	}
	if opts.ReadOnly {
		return nil, errReadOnly
	}
	if ctx.Done() == nil {
		return p.Conn.Begin() //nolint:staticcheck
	}
	txi, err := p.Conn.Begin() //nolint:staticcheck
	if err == nil {
		select {
		default:
		case <-ctx.Done():
			_ = txi.Rollback()
			return nil, ctx.Err()
		}
	}
	return txi, err
}

// ResetSession implements driver.SessionResetter: the driver's own
// ResetSession, or nil when the driver has none, as database/sql does.
func (p *ParentConn) ResetSession(ctx context.Context) error {
	if r, ok := p.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

// Ping implements driver.Pinger; it succeeds when the driver has no Pinger,
// as database/sql does.
func (p *ParentConn) Ping(ctx context.Context) error {
	if p.pinger == nil {
		return nil
	}
	return p.pinger.Ping(ctx)
}

// ParentStmt is the driver statement as an interceptor receives it, with
// database/sql's fallbacks for a statement without the context interfaces.
type ParentStmt struct {
	driver.Stmt
	// Conn is the connection the statement was prepared on.
	Conn *ParentConn
	// SQL is the statement's text.
	SQL string
	// State belongs to the interceptor.
	State any
}

// ExecContext implements driver.StmtExecContext.
func (s *ParentStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if sc, ok := s.Stmt.(driver.StmtExecContext); ok {
		return sc.ExecContext(ctx, args)
	}
	dargs, err := legacyArgs(ctx, args)
	if err != nil {
		return nil, err
	}
	return s.Stmt.Exec(dargs) //nolint:staticcheck
}

// QueryContext implements driver.StmtQueryContext.
func (s *ParentStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if sc, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return sc.QueryContext(ctx, args)
	}
	dargs, err := legacyArgs(ctx, args)
	if err != nil {
		return nil, err
	}
	return s.Stmt.Query(dargs) //nolint:staticcheck
}

// legacyArgs converts args for a driver without the context methods, and
// reports ctx's error if it is already done, as database/sql does before
// calling such a driver.
func legacyArgs(ctx context.Context, args []driver.NamedValue) ([]driver.Value, error) {
	dargs, err := namedValueToValue(args)
	if err != nil {
		return nil, err
	}
	select {
	default:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return dargs, nil
}

// namedValueToValue is database/sql's conversion for legacy drivers.
func namedValueToValue(named []driver.NamedValue) ([]driver.Value, error) {
	dargs := make([]driver.Value, len(named))
	for n, param := range named {
		if len(param.Name) > 0 {
			return nil, errNamedParams
		}
		dargs[n] = param.Value
	}
	return dargs, nil
}

func valueToNamedValue(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, v := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv
}
