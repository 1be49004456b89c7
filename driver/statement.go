package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"errors"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// The interceptor's statement hooks: where a caller statement enters the
// pipeline, executes, and ends.

// ConnExecContext implements sqlmw.Interceptor.
func (i *interceptor) ConnExecContext(ctx context.Context, conn sqldriver.ExecerContext, query string, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	if !i.active {
		return conn.ExecContext(ctx, query, args)
	}
	cs := i.state(parentOf(conn))
	run, err := i.resume(ctx, cs, "exec", query, args)
	if err != nil {
		return nil, err
	}
	if i.serverBind(cs, run, args) {
		return nil, i.failed(ctx, cs, run, query, args, sqldriver.ErrSkip)
	}
	return i.exec(ctx, cs, run, conn, query, args)
}

// StmtExecContext implements sqlmw.Interceptor.
func (i *interceptor) StmtExecContext(ctx context.Context, stmt sqldriver.StmtExecContext, query string, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	if !i.active {
		return stmt.ExecContext(ctx, args)
	}
	ps, _ := stmt.(*sqlmw.ParentStmt)
	var cs *connState
	if ps != nil {
		cs = i.state(ps.Conn)
	}
	run := takeCarry(cs, ctx, query)
	if run == nil {
		var err error
		if run, err = i.resume(ctx, cs, "stmt.exec", query, args); err != nil {
			return nil, err
		}
	}
	return i.exec(ctx, cs, run, stmtExecer{stmt}, query, args)
}

// ConnQueryContext implements sqlmw.Interceptor.
func (i *interceptor) ConnQueryContext(ctx context.Context, conn sqldriver.QueryerContext, query string, args []sqldriver.NamedValue) (context.Context, sqldriver.Rows, error) {
	if !i.active {
		rows, err := conn.QueryContext(ctx, query, args)
		return ctx, rows, err
	}
	cs := i.state(parentOf(conn))
	run, err := i.resume(ctx, cs, "query", query, args)
	if err != nil {
		return ctx, nil, err
	}
	if i.serverBind(cs, run, args) {
		return ctx, nil, i.failed(ctx, cs, run, query, args, sqldriver.ErrSkip)
	}
	return i.query(ctx, cs, run, conn, query, args)
}

// StmtQueryContext implements sqlmw.Interceptor.
func (i *interceptor) StmtQueryContext(ctx context.Context, stmt sqldriver.StmtQueryContext, query string, args []sqldriver.NamedValue) (context.Context, sqldriver.Rows, error) {
	if !i.active {
		rows, err := stmt.QueryContext(ctx, args)
		return ctx, rows, err
	}
	ps, _ := stmt.(*sqlmw.ParentStmt)
	var cs *connState
	if ps != nil {
		cs = i.state(ps.Conn)
	}
	run := takeCarry(cs, ctx, query)
	if run == nil {
		var err error
		if run, err = i.resume(ctx, cs, "stmt.query", query, args); err != nil {
			return ctx, nil, err
		}
	}
	return i.query(ctx, cs, run, stmtQueryer{stmt}, query, args)
}

// ConnPrepareContext implements sqlmw.Interceptor. Preparing runs no
// policy: the pipeline runs when the statement executes. When the prepare
// is database/sql's fallback after driver.ErrSkip, a failure ends (or
// parks, for a retry) the carried run.
func (i *interceptor) ConnPrepareContext(ctx context.Context, conn sqldriver.ConnPrepareContext, query string) (context.Context, sqldriver.Stmt, error) {
	st, err := conn.PrepareContext(ctx, query)
	if err != nil && i.active {
		if cs := i.state(parentOf(conn)); cs != nil && cs.carry != nil && cs.carry.matches(ctx, query) {
			args := cs.carry.args
			run := takeCarry(cs, ctx, query)
			return ctx, st, i.failed(ctx, cs, run, query, args, err)
		}
		// PostgreSQL reads the literals of a statement it prepares, and
		// may quote one in its error.
		err = i.redactFor(i.identify(ctx), false, err)
	}
	return ctx, st, err
}

// StmtClose implements sqlmw.Interceptor.
func (i *interceptor) StmtClose(ctx context.Context, stmt sqldriver.Stmt) error {
	if ps, ok := stmt.(*sqlmw.ParentStmt); ok && i.active {
		if cs, ok := ps.Conn.State.(*connState); ok && cs.carry != nil && cs.carry.query == ps.SQL {
			i.dropCarry(cs)
		}
		return ps.Stmt.Close()
	}
	return stmt.Close()
}

// ConnectorConnect implements sqlmw.Interceptor. A connection that cannot
// be made for a statement call counts as an attempt of it; one that
// database/sql's opener goroutine cannot make counts for the caller it is
// handed to (see openError); any other is recorded on its own (see
// connectFailed).
func (i *interceptor) ConnectorConnect(ctx context.Context, c sqldriver.Connector) (sqldriver.Conn, error) {
	conn, err := c.Connect(ctx)
	if err != nil && i.active {
		var took bool
		if err, took = i.retries.openFailed(ctx, err, i.redact); !took {
			i.connectFailed(ctx, err)
		}
	}
	return conn, err
}

// connectFailed records a connection that could not be made, under the
// identity of the context it was asked for. database/sql asks for the
// connection before it hands the statement to the driver, so the driver
// never sees the statement that needed it: the record (method "connect")
// says who was refused a connection and why, not what they meant to run.
// A connection database/sql opens ahead of time in its own goroutine
// carries no caller's context and is recorded under the default identity.
func (i *interceptor) connectFailed(ctx context.Context, err error) {
	run := &stmtRun{ctx: ctx, hooks: i.cfg.hooks, id: i.identify(ctx), verdict: guard.Verdict{Decision: guard.Allow}}
	if run.hooks != nil {
		run.hooks.begin("connect")
	}
	if a := i.cfg.auditor; a != nil {
		ev := &audit.Event{
			Identity:      run.id,
			System:        i.cfg.dialect.String(),
			Namespace:     i.cfg.namespace,
			ServerAddress: i.cfg.serverAddress,
			ServerPort:    i.cfg.serverPort,
			Method:        "connect",
			Summary:       "connect",
			Complete:      true,
			Decision:      decisionName(guard.Allow),
		}
		if _, rec, aerr := a.Start(ctx, ev); aerr == nil {
			run.rec = rec
		}
	}
	run.end(audit.Outcome{RowsAffected: -1, Err: err})
}

// errNoResult stands for the rows affected of a driver that answered an
// Exec with a nil driver.Result.
var errNoResult = errors.New("sqlvigil: the driver returned no result")

type stmtExecer struct{ s sqldriver.StmtExecContext }

func (e stmtExecer) ExecContext(ctx context.Context, _ string, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	return e.s.ExecContext(ctx, args)
}

type stmtQueryer struct{ s sqldriver.StmtQueryContext }

func (q stmtQueryer) QueryContext(ctx context.Context, _ string, args []sqldriver.NamedValue) (sqldriver.Rows, error) {
	return q.s.QueryContext(ctx, args)
}

// exec executes an allowed statement and closes its run.
func (i *interceptor) exec(ctx context.Context, cs *connState, run *stmtRun, ex sqldriver.ExecerContext, query string, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	limit := run.verdict.MaxRowsAffected
	var (
		res sqldriver.Result
		err error
	)
	if limit > 0 && !run.inTx {
		res, err = i.execLimited(run, cs, ex, query, args)
		if rae, ok := err.(*guard.RowsAffectedError); ok {
			run.end(audit.Outcome{RowsAffected: rae.Affected, Err: err})
			return nil, err
		}
	} else {
		res, err = ex.ExecContext(run.ctx, query, args)
	}
	if err != nil {
		return nil, i.failed(ctx, cs, run, query, args, err)
	}
	n := int64(-1)
	var rerr error
	if run.rec != nil || limit > 0 {
		var v int64
		if res == nil {
			// database/sql accepts a nil Result; it reports nothing.
			rerr = errNoResult
		} else if v, rerr = res.RowsAffected(); rerr == nil {
			n = v
		}
	}
	if limit > 0 && run.inTx && rerr != nil {
		// Fail closed: a cap that cannot be checked is not enforced.
		err := &guard.BlockedError{Rule: run.verdict.MaxRowsRule, Reason: "row limit cannot be enforced: the driver does not report rows affected; roll back the transaction", Hint: hintRowLimit}
		run.end(audit.Outcome{RowsAffected: -1, Err: err})
		return nil, err
	}
	if limit > 0 && run.inTx && n > limit {
		err := &guard.RowsAffectedError{Rule: run.verdict.MaxRowsRule, Limit: limit, Affected: n}
		run.end(audit.Outcome{RowsAffected: n, Err: err})
		return nil, err
	}
	run.end(audit.Outcome{RowsAffected: n})
	return res, nil
}

// execLimited runs a statement under a row limit outside the caller's
// transaction: in a transaction of its own, rolled back if the statement
// changed more rows than allowed. This holds for one complete INSERT,
// UPDATE, DELETE, MERGE or REPLACE on a driver with transactions; any other
// statement under a limit is refused, as its effect could not be undone.
func (i *interceptor) execLimited(run *stmtRun, cs *connState, ex sqldriver.ExecerContext, query string, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	if cs == nil || !limitable(run.script) {
		return nil, &guard.BlockedError{Rule: run.verdict.MaxRowsRule, Reason: "row limit cannot be enforced on this statement", Hint: hintRowLimitRun}
	}
	ctx := run.ctx
	tx, err := cs.parent.BeginTx(ctx, sqldriver.TxOptions{})
	if err != nil {
		return nil, err
	}
	res, err := ex.ExecContext(ctx, query, args)
	if err == sqldriver.ErrSkip {
		res, err = execPrepared(ctx, cs.parent, query, args)
	}
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	if res == nil {
		_ = tx.Rollback()
		return nil, &guard.BlockedError{Rule: run.verdict.MaxRowsRule, Reason: "row limit cannot be enforced: the driver does not report rows affected (rolled back)", Hint: hintRowLimit}
	}
	n, err := res.RowsAffected()
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	if n > run.verdict.MaxRowsAffected {
		if err := tx.Rollback(); err != nil {
			return nil, err
		}
		return nil, &guard.RowsAffectedError{Rule: run.verdict.MaxRowsRule, Limit: run.verdict.MaxRowsAffected, Affected: n, RolledBack: true}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return res, nil
}

// execPrepared is database/sql's prepare fallback, for a statement run in
// sqlvigil's own transaction.
func execPrepared(ctx context.Context, p *sqlmw.ParentConn, query string, args []sqldriver.NamedValue) (sqldriver.Result, error) {
	st, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ps := &sqlmw.ParentStmt{Stmt: st, Conn: p, SQL: query}
	return ps.ExecContext(ctx, args)
}

func limitable(s *sqlparse.Script) bool {
	if s == nil || !s.Complete || len(s.Statements) != 1 {
		return false
	}
	switch s.Statements[0].Kind {
	case sqlparse.KindInsert, sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindMerge, sqlparse.KindReplace:
		return true
	}
	return false
}

// query runs an allowed query; its run is closed with the rows.
func (i *interceptor) query(ctx context.Context, cs *connState, run *stmtRun, q sqldriver.QueryerContext, query string, args []sqldriver.NamedValue) (context.Context, sqldriver.Rows, error) {
	if run.verdict.MaxRowsAffected > 0 && changesRows(run.script) {
		err := &guard.BlockedError{Rule: run.verdict.MaxRowsRule, Reason: "row limit cannot be enforced on a query", Hint: hintRowLimitRun}
		run.end(audit.Outcome{RowsAffected: -1, Err: err})
		return ctx, nil, err
	}
	rows, err := q.QueryContext(run.ctx, query, args)
	if err != nil {
		return ctx, nil, i.failed(ctx, cs, run, query, args, err)
	}
	if rows == nil {
		run.end(audit.Outcome{RowsAffected: -1, Err: errNilRows})
		return ctx, nil, errNilRows
	}
	if i.cfg.masker == nil && run.rec == nil && run.hooks == nil &&
		run.verdict.MaxReturnRows == 0 && run.verdict.MaxReturnBytes == 0 {
		return ctx, rows, nil
	}
	r := &resultRows{Rows: rows, i: i, run: run}
	if err := r.plan(); err != nil {
		_ = rows.Close()
		run.end(audit.Outcome{RowsAffected: -1, Err: err})
		return ctx, nil, err
	}
	return ctx, r, nil
}

func changesRows(s *sqlparse.Script) bool {
	if s == nil || !s.Complete {
		return true
	}
	for k := range s.Statements {
		switch s.Statements[k].Effect {
		case sqlparse.KindSelect, sqlparse.KindValues, sqlparse.KindTable, sqlparse.KindShow, sqlparse.KindExplain:
		default:
			return true
		}
	}
	return false
}

// RowsNextResultSet implements sqlmw.NextResultSetInterceptor: the rows
// re-plan their masking for the new result set.
func (i *interceptor) RowsNextResultSet(ctx context.Context, rows sqldriver.RowsNextResultSet) error {
	return rows.NextResultSet()
}
