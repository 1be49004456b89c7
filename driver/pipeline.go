package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"errors"
	"reflect"

	upstream "github.com/ngrok/sqlmw"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/mask"
)

var (
	_ upstream.Interceptor           = (*interceptor)(nil)
	_ sqlmw.NextResultSetInterceptor = (*interceptor)(nil)
)

// interceptor is the statement pipeline: analyse, identify, decide,
// record, execute, mask, close. It is an sqlmw interceptor; the patched
// mechanics in internal/sqlmw give it one *sqlmw.ParentConn per connection
// so that one caller statement keeps one pipeline run across driver.ErrSkip
// and the prepare fallback, and the retry table keeps it across
// database/sql's ErrBadConn retries.
type interceptor struct {
	sqlmw.NullInterceptor
	cfg     *config
	active  bool
	retries retryTable
}

func newInterceptor(cfg *config) *interceptor {
	return &interceptor{cfg: cfg, active: cfg.active()}
}

// connState is what the pipeline keeps per connection.
type connState struct {
	parent *sqlmw.ParentConn
	// tx is the caller's open transaction on this connection, if any.
	tx *txState
	// carry is a statement whose driver answered driver.ErrSkip: database/sql
	// now prepares it on this connection and executes the prepared
	// statement, which continues the same run.
	carry *carry
}

type carry struct {
	ctx   context.Context // nil when the caller's context type is not comparable
	query string
	run   *stmtRun
}

func (c *carry) matches(ctx context.Context, query string) bool {
	return c.query == query && (c.ctx == nil || c.ctx == ctx)
}

// stmtRun is one caller statement on its way through the pipeline.
type stmtRun struct {
	ctx      context.Context // the context the auditor returned
	script   *sqlparse.Script
	id       identity.Identity
	verdict  guard.Verdict
	rec      *audit.Record
	inTx     bool
	attempts int // driver.ErrBadConn answers so far
	hooks    *hooks
	ended    bool
	// req and ev live here so that one allocation serves the whole run.
	req guard.Request
	ev  audit.Event
}

func (i *interceptor) state(p *sqlmw.ParentConn) *connState {
	if p == nil {
		return nil
	}
	if cs, ok := p.State.(*connState); ok {
		return cs
	}
	cs := &connState{parent: p}
	p.State = cs
	return cs
}

func (i *interceptor) identify(ctx context.Context) identity.Identity {
	if id, ok := identity.FromContext(ctx); ok {
		return id
	}
	if i.cfg.baggage {
		if id, ok := identity.FromBaggage(ctx); ok {
			return id
		}
	}
	return i.cfg.defaultIdentity
}

// begin runs the steps before execution: analyse, identify, decide and
// record. A non-nil error means the statement must not run; it has been
// recorded.
func (i *interceptor) begin(ctx context.Context, cs *connState, method, query string, args []sqldriver.NamedValue) (*stmtRun, error) {
	if cs != nil && cs.carry != nil {
		i.dropCarry(cs) // database/sql gave up on it: never reached here otherwise
	}
	run := &stmtRun{ctx: ctx, inTx: cs != nil && cs.tx != nil, hooks: i.cfg.hooks}
	if run.hooks != nil {
		run.hooks.begin(method)
	}
	run.script = i.cfg.analyze(i.cfg.dialect, query)
	run.id = i.identify(ctx)
	var denied error
	if p := i.cfg.policy; p != nil {
		run.req = guard.Request{
			Identity:    run.id,
			Script:      run.script,
			SQL:         query,
			Args:        args,
			Environment: i.cfg.environment,
			InTx:        run.inTx,
			Unmask:      mask.UnmaskRequested(ctx),
		}
		v, err := p.Check(ctx, &run.req)
		run.req = guard.Request{} // keep neither the text nor the arguments
		run.verdict = v
		switch {
		case err != nil:
			denied = noBadConn(err)
		case v.Decision != guard.Allow:
			denied = &guard.BlockedError{Rule: v.Rule, Reason: v.Reason}
		}
	} else {
		run.verdict = guard.Verdict{Decision: guard.Allow}
	}
	if a := i.cfg.auditor; a != nil {
		actx := ctx
		if run.inTx {
			// The transaction's record is the parent of its statements'.
			actx = cs.tx.rec.Context(ctx)
		}
		i.event(run, method, query, args)
		rctx, rec, err := a.Start(actx, &run.ev)
		run.ev = audit.Event{}
		if err != nil {
			if denied != nil {
				return nil, denied
			}
			return nil, noBadConn(err)
		}
		run.ctx, run.rec = rctx, rec
	}
	if denied != nil {
		run.end(audit.Outcome{RowsAffected: -1, Err: denied})
		return nil, denied
	}
	return run, nil
}

// end closes the run's record, once.
func (r *stmtRun) end(out audit.Outcome) {
	if r.ended {
		return
	}
	r.ended = true
	if r.hooks != nil {
		r.hooks.end(out)
	}
	if r.rec != nil {
		r.rec.End(out)
		r.rec = nil
	}
}

// event fills run.ev, the audit event of the run.
func (i *interceptor) event(run *stmtRun, method, query string, args []sqldriver.NamedValue) {
	s := run.script
	v := run.verdict
	ev := &run.ev
	*ev = audit.Event{
		Identity:      run.id,
		System:        i.cfg.dialect.String(),
		Namespace:     i.cfg.namespace,
		ServerAddress: i.cfg.serverAddress,
		ServerPort:    i.cfg.serverPort,
		Method:        method,
		Summary:       s.Summary,
		QueryText:     s.Normalized,
		Text:          query,
		Stacked:       s.Stacked(),
		Complete:      s.Complete,
		InTx:          run.inTx,
		Decision:      decisionName(v.Decision),
		Rule:          v.Rule,
		Reason:        v.Reason,
		Mode:          modeName(v.Mode),
		ApprovalID:    v.Approval.ID,
		Reviewer:      v.Approval.Reviewer,
		Args:          args,
	}
	for k := range s.Statements {
		st := &s.Statements[k]
		if k == 0 {
			ev.Operation = operationName(st.Kind)
			if len(st.Writes) > 0 {
				ev.Collection = st.Writes[0].String()
			} else if len(st.Reads) > 0 {
				ev.Collection = st.Reads[0].String()
			}
		}
		for _, t := range st.Reads {
			ev.Reads = append(ev.Reads, t.String())
		}
		for _, t := range st.Writes {
			ev.Writes = append(ev.Writes, t.String())
		}
	}
}

// redact passes a database error through the masker, so its text quotes
// no masked value. Control-flow errors are returned untouched.
func (i *interceptor) redact(err error) error {
	if err == nil || err == sqldriver.ErrSkip || errors.Is(err, sqldriver.ErrBadConn) {
		return err
	}
	if m := i.cfg.masker; m != nil {
		return m.RedactError(err)
	}
	return err
}

// resume finds the run of a statement database/sql is retrying after
// driver.ErrBadConn, or starts a new one.
func (i *interceptor) resume(ctx context.Context, cs *connState, method, query string, args []sqldriver.NamedValue) (*stmtRun, error) {
	if run := i.retries.take(ctx, query); run != nil {
		run.inTx = cs != nil && cs.tx != nil
		return run, nil
	}
	return i.begin(ctx, cs, method, query, args)
}

// failed handles an execution error: it keeps the run for the retry or the
// prepare fallback that database/sql is about to make, or ends it.
func (i *interceptor) failed(ctx context.Context, cs *connState, run *stmtRun, query string, err error) error {
	if err == sqldriver.ErrSkip {
		if cs == nil {
			// Not on sqlvigil's own mechanics: the fallback starts anew.
			run.end(audit.Outcome{RowsAffected: -1, Err: err})
			return err
		}
		c := &carry{query: query, run: run}
		if comparable(ctx) {
			c.ctx = ctx
		}
		cs.carry = c
		return err
	}
	if errors.Is(err, sqldriver.ErrBadConn) {
		run.attempts++
		if i.retries.park(ctx, query, run) {
			return err
		}
	}
	err = i.redact(err)
	run.end(audit.Outcome{RowsAffected: -1, Err: err})
	return err
}

func (i *interceptor) dropCarry(cs *connState) {
	c := cs.carry
	cs.carry = nil
	c.run.end(audit.Outcome{RowsAffected: -1, Err: errNotExecuted})
}

// takeCarry returns the run carried over from driver.ErrSkip, if this call
// continues it.
func takeCarry(cs *connState, ctx context.Context, query string) *stmtRun {
	if cs == nil || cs.carry == nil || !cs.carry.matches(ctx, query) {
		return nil
	}
	run := cs.carry.run
	cs.carry = nil
	return run
}

func comparable(ctx context.Context) bool {
	return ctx != nil && reflect.TypeOf(ctx).Comparable()
}

func parentOf(conn any) *sqlmw.ParentConn {
	p, _ := conn.(*sqlmw.ParentConn)
	return p
}

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
			run := takeCarry(cs, ctx, query)
			err = i.failed(ctx, cs, run, query, err)
		}
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
// be made during a retry counts as an attempt of the parked statement.
func (i *interceptor) ConnectorConnect(ctx context.Context, c sqldriver.Connector) (sqldriver.Conn, error) {
	conn, err := c.Connect(ctx)
	if err != nil && i.retries.parked() {
		i.retries.connectFailed(ctx, err, i.redact)
	}
	return conn, err
}

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
		if _, ok := err.(*RowsAffectedError); ok {
			run.end(audit.Outcome{RowsAffected: err.(*RowsAffectedError).Affected, Err: err})
			return nil, err
		}
	} else {
		res, err = ex.ExecContext(run.ctx, query, args)
	}
	if err != nil {
		return nil, i.failed(ctx, cs, run, query, err)
	}
	n := int64(-1)
	if run.rec != nil || limit > 0 {
		if v, rerr := res.RowsAffected(); rerr == nil {
			n = v
		}
	}
	if limit > 0 && run.inTx && n > limit {
		err := &RowsAffectedError{Rule: run.verdict.MaxRowsRule, Limit: limit, Affected: n}
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
		return nil, &guard.BlockedError{Rule: run.verdict.MaxRowsRule, Reason: "row limit cannot be enforced on this statement"}
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
	n, err := res.RowsAffected()
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	if n > run.verdict.MaxRowsAffected {
		if err := tx.Rollback(); err != nil {
			return nil, err
		}
		return nil, &RowsAffectedError{Rule: run.verdict.MaxRowsRule, Limit: run.verdict.MaxRowsAffected, Affected: n, RolledBack: true}
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
		err := &guard.BlockedError{Rule: run.verdict.MaxRowsRule, Reason: "row limit cannot be enforced on a query"}
		run.end(audit.Outcome{RowsAffected: -1, Err: err})
		return ctx, nil, err
	}
	rows, err := q.QueryContext(run.ctx, query, args)
	if err != nil {
		return ctx, nil, i.failed(ctx, cs, run, query, err)
	}
	if i.cfg.masker == nil && run.rec == nil && run.hooks == nil {
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
