package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"errors"
	"reflect"
	"strings"
	"sync"
	"time"

	upstream "github.com/ngrok/sqlmw"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

var (
	_ upstream.Interceptor           = (*interceptor)(nil)
	_ sqlmw.NextResultSetInterceptor = (*interceptor)(nil)
	_ sqlmw.ConnCloseInterceptor     = (*interceptor)(nil)
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
	// cat is what the catalog said of the relations read by readers with
	// masking rules in force (see catalog.go).
	cat catalog
	// code is what the catalog said of whether MySQL relations run stored
	// code (see session_code.go).
	code catalog
	// requests and events are reused: neither the policy nor the auditor
	// keeps what it is given past the call, and each is large.
	requests sync.Pool
	events   sync.Pool
}

func newInterceptor(cfg *config) *interceptor {
	i := &interceptor{cfg: cfg, active: cfg.active()}
	i.retries.lost = i.connectFailed
	i.requests.New = func() any { return new(guard.Request) }
	i.events.New = func() any { return new(audit.Event) }
	return i
}

// connState is what the pipeline keeps per connection.
type connState struct {
	parent *sqlmw.ParentConn
	// tx is the caller's open transaction on this connection, if any.
	tx *txState
	// private is set once a statement on this connection may have changed
	// how names resolve on it (SET search_path, USE, a temporary table or
	// view, ATTACH): its catalog answers are no longer the handle's, and
	// are looked up afresh, not cached.
	private bool
	// carry is a statement whose driver answered driver.ErrSkip: database/sql
	// now prepares it on this connection and executes the prepared
	// statement, which continues the same run.
	carry *carry
	// sess is the session state statements left (see session.go).
	sess session
}

type carry struct {
	ctx   context.Context // nil when the caller's context type is not comparable
	query string
	args  []sqldriver.NamedValue // as the driver answered ErrSkip to them
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
	// views are the views the statement reads, traced to their base
	// columns, for a reader with masking rules in force.
	views map[string]*view
	// query and args are the caller's text and arguments: what it wrote
	// or bound is no secret from it (see redact).
	query string
	args  []sqldriver.NamedValue
	// clean says that no value the statement reads can be masked for the
	// reader (see flow.isClean): its results need no tracing.
	clean bool
	// spend settles the read budget the policy reserved for the statement
	// (guard.Verdict.Spend), with returnedBytes: the bytes of values its
	// rows returned, counted when a byte budget is set.
	spend         func(rows, bytes int64)
	returnedBytes int64
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
	run := &stmtRun{ctx: ctx, inTx: cs != nil && cs.tx != nil, hooks: i.cfg.hooks, query: query, args: args}
	if run.hooks != nil {
		run.hooks.begin(method)
	}
	run.script = i.cfg.analyze(i.cfg.dialect, query)
	run.id = i.identify(ctx)
	var denied error
	if t := rewriterArg(args); t != "" {
		// The driver would run another text than the one decided on.
		reason := "an argument of type " + t + " rewrites the statement text"
		run.verdict = guard.Verdict{Decision: guard.Deny, Reason: reason}
		denied = &guard.BlockedError{Reason: reason, Hint: hintRewriter}
	} else if p := i.cfg.policy; p != nil {
		req := i.requests.Get().(*guard.Request)
		*req = guard.Request{
			Identity:    run.id,
			Script:      run.script,
			SQL:         query,
			Args:        args,
			Environment: i.cfg.environment,
			InTx:        run.inTx,
			Unmask:      mask.UnmaskRequested(ctx),
		}
		v, err := p.Check(ctx, req)
		*req = guard.Request{} // keep neither the text nor the arguments
		i.requests.Put(req)
		run.verdict = v
		run.spend = v.Spend
		switch {
		case err != nil:
			denied = noBadConn(err)
		case v.Decision != guard.Allow:
			denied = &guard.BlockedError{Rule: v.Rule, Reason: v.Reason, Hint: v.Hint}
		}
	} else {
		run.verdict = guard.Verdict{Decision: guard.Allow}
	}
	if denied == nil && cs != nil {
		// A session another identity left dirty is reset (or the statement
		// refused) before the flow check asks the catalog through it: a
		// temporary table that shadows a view over a masked column would
		// otherwise decide how the statement is judged, and the reset
		// would drop it before the statement reads the view.
		if se := i.crossCheck(ctx, cs, run.id, run.script); se != nil {
			run.verdict = guard.Verdict{Decision: guard.Deny, Reason: se.Reason}
			denied = se
		}
	}
	if denied == nil {
		// A statement that would carry masked values out by another sink
		// than a masked result column is refused whatever the policy says
		// (see flowCheck).
		if be := i.flowCheck(ctx, cs, run); be != nil {
			run.verdict = guard.Verdict{Decision: guard.Deny, Rule: be.Rule, Reason: be.Reason}
			denied = be
		}
	}
	if denied == nil && cs != nil {
		i.markSession(ctx, cs, run)
	}
	if a := i.cfg.auditor; a != nil {
		actx := ctx
		if run.inTx {
			// The transaction's record is the parent of its statements'.
			actx = cs.tx.rec.Context(ctx)
		}
		ev := i.events.Get().(*audit.Event)
		i.event(ev, run, method, query, args)
		rctx, rec, err := a.Start(actx, ev)
		*ev = audit.Event{}
		i.events.Put(ev)
		if err != nil {
			if denied == nil {
				denied = noBadConn(err)
			}
			run.end(audit.Outcome{RowsAffected: -1, Err: denied})
			return nil, denied
		}
		run.ctx, run.rec = rctx, rec
	}
	if denied != nil {
		run.end(audit.Outcome{RowsAffected: -1, Err: denied})
		return nil, denied
	}
	return run, nil
}

// serverBind reports whether a statement with arguments must be prepared
// by the server rather than sent with its arguments written into the text
// by the driver: when the placeholders the driver would find may not be the
// ones the server reads (see argsFit). go-sql-driver/mysql with
// interpolateParams is such a driver; answering driver.ErrSkip makes
// database/sql prepare the statement on the server, which binds the
// arguments where it reads placeholders, and the run continues there.
// So must every statement with arguments on a connection whose character
// set may have changed (sess.charset): the driver escapes the values it
// writes for the character set of its DSN, and after SET NAMES gbk the
// server reads the byte before its backslash and the backslash as one
// character, and the quote after them ends the string.
func (i *interceptor) serverBind(cs *connState, run *stmtRun, args []sqldriver.NamedValue) bool {
	return i.cfg.dialect == sqlstmt.MySQL && len(args) > 0 &&
		(cs != nil && cs.sess.charset || !argsFit(run.script, args))
}

// argsFit reports whether the bound arguments fit the placeholders the
// analyser found where the server reads code. go-sql-driver/mysql with
// interpolateParams writes arguments into the text at the placeholders it
// finds itself; where it and the server disagree on a comment
// ("SELECT 1 /*/ ? */" is closed for one and open for the other), an
// argument lands in code the policy never saw. Named arguments are not
// judged. (Arguments that rewrite the text were refused in begin.)
func argsFit(s *sqlparse.Script, args []sqldriver.NamedValue) bool {
	if len(args) == 0 {
		return true
	}
	for k := range args {
		if args[k].Name != "" {
			return true
		}
	}
	return s.Placeholders.ArgsMatch(len(args))
}

// rewriterArg names the type of an argument that makes the driver rewrite
// the statement text, "" when there is none. pgx runs the text a
// QueryRewriter argument (a method RewriteQuery) returns instead of the
// caller's; only its own named arguments, which replace @name placeholders
// by $n, are let through.
func rewriterArg(args []sqldriver.NamedValue) string {
	for k := range args {
		switch args[k].Value.(type) {
		case nil, int64, float64, bool, []byte, string, time.Time:
			continue
		}
		t := reflect.TypeOf(args[k].Value)
		if _, ok := t.MethodByName("RewriteQuery"); !ok {
			continue
		}
		if t.PkgPath() == "github.com/jackc/pgx/v5" && (t.Name() == "NamedArgs" || t.Name() == "StrictNamedArgs") {
			continue
		}
		return t.String()
	}
	return ""
}

// end closes the run's record, once. A denial after the statement was
// allowed to start (a result set the masker refused) makes the record a
// denial by that rule.
func (r *stmtRun) end(out audit.Outcome) {
	if r.ended {
		return
	}
	r.ended = true
	if r.spend != nil {
		r.spend(out.RowsReturned, r.returnedBytes)
	}
	var be *guard.BlockedError
	if out.Err != nil && r.verdict.Decision == guard.Allow && errors.As(out.Err, &be) {
		out.Refused, out.RefusedReason = be.Rule, be.Reason
		if out.Refused == "" {
			out.Refused = "blocked"
		}
	}
	if r.hooks != nil {
		r.hooks.end(out)
	}
	if r.rec != nil {
		r.rec.End(out)
		r.rec = nil
	}
}

// event fills ev, the audit event of the run.
func (i *interceptor) event(ev *audit.Event, run *stmtRun, method, query string, args []sqldriver.NamedValue) {
	s := run.script
	v := run.verdict
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
// no value masked for the reader: the run's identity, with the clear
// values the guard granted it. Control-flow errors are returned untouched.
//
// The names the statement wrote (its identifiers, from the literal-free
// text) are not values: a quoted span that holds only names is kept, so
// the caller, or an agent, can correct `column "emial" does not exist`.
// The caller's own text and string arguments are given too: what it wrote
// or bound is no secret from it (lib/pq keeps the query in its error; a
// unique violation quotes the value the caller inserted).
func (i *interceptor) redact(run *stmtRun, err error) error {
	if run == nil {
		return i.redactFor(identity.Identity{}, false, err)
	}
	if err == nil || i.cfg.masker == nil {
		return err
	}
	keep := append(callerNames(run.script), run.query)
	if i.cfg.namespace != "" {
		keep = append(keep, i.cfg.namespace) // MariaDB qualifies names with it
	}
	for _, a := range run.args {
		switch v := a.Value.(type) {
		case string:
			keep = append(keep, v)
		case []byte:
			keep = append(keep, string(v))
		}
	}
	return i.redactFor(run.id, run.verdict.Unmask, err, keep...)
}

func (i *interceptor) redactFor(id identity.Identity, unmask bool, err error, keep ...string) error {
	if err == nil || err == sqldriver.ErrSkip || errors.Is(err, sqldriver.ErrBadConn) {
		return err
	}
	if m := i.cfg.masker; m != nil {
		return m.RedactErrorFor(id, unmask, err, keep...)
	}
	return err
}

// callerNames returns the identifiers of the statement: the words and
// quoted names of its literal-free text, which holds no value (literals,
// comments and quoted aliases are gone from it).
func callerNames(s *sqlparse.Script) []string {
	if s == nil || s.Normalized == "" {
		return nil
	}
	var out []string
	t := s.Normalized
	for k := 0; k < len(t); {
		c := t[k]
		switch {
		case c == '"' || c == '`' || c == '[':
			end := byte(c)
			if c == '[' {
				end = ']'
			}
			j := strings.IndexByte(t[k+1:], end)
			if j < 0 {
				return out
			}
			out = append(out, t[k+1:k+1+j])
			k += j + 2
		case isNameByte(c):
			j := k
			for j < len(t) && (isNameByte(t[j]) || t[j] == '.') {
				j++
			}
			out = append(out, t[k:j])
			k = j
		default:
			k++
		}
	}
	return out
}

func isNameByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// resume finds the run of a statement database/sql is retrying after
// driver.ErrBadConn, or starts a new one.
func (i *interceptor) resume(ctx context.Context, cs *connState, method, query string, args []sqldriver.NamedValue) (*stmtRun, error) {
	run, pending := i.retries.take(ctx, query, args)
	if run != nil {
		if consumes(run.verdict) {
			err := errRetryAfterApproval(run.verdict)
			run.end(audit.Outcome{RowsAffected: -1, Err: err})
			return nil, err
		}
		run.inTx = cs != nil && cs.tx != nil
		if cs != nil {
			// Another connection: what its session holds is judged anew.
			if se := i.crossCheck(ctx, cs, run.id, run.script); se != nil {
				run.end(audit.Outcome{RowsAffected: -1, Err: se})
				return nil, se
			}
		}
		i.markSession(ctx, cs, run)
		return run, nil
	}
	run, err := i.begin(ctx, cs, method, query, args)
	if run != nil {
		run.attempts = pending
	}
	return run, err
}

// failed handles an execution error: it keeps the run for the retry or the
// prepare fallback that database/sql is about to make, or ends it.
func (i *interceptor) failed(ctx context.Context, cs *connState, run *stmtRun, query string, args []sqldriver.NamedValue, err error) error {
	if err == sqldriver.ErrSkip {
		if cs == nil {
			// Not on sqlvigil's own mechanics: the fallback starts anew.
			run.end(audit.Outcome{RowsAffected: -1, Err: err})
			return err
		}
		c := &carry{query: query, args: args, run: run}
		if comparable(ctx) {
			c.ctx = ctx
		}
		cs.carry = c
		return err
	}
	// database/sql retries a statement after ErrBadConn, except inside a
	// transaction.
	if errors.Is(err, sqldriver.ErrBadConn) && !run.inTx {
		run.attempts++
		if i.retries.park(ctx, query, args, run) {
			return err
		}
	}
	err = i.redact(run, err)
	run.end(audit.Outcome{RowsAffected: -1, Err: err})
	return err
}

// ConnClose implements sqlmw.ConnCloseInterceptor: what the connection
// still holds is ended, so that no record is left open. The server rolls
// back a transaction whose connection closes.
func (i *interceptor) ConnClose(p *sqlmw.ParentConn) {
	if i.active {
		// A pooled connection past its lifetime (see retryTable).
		i.retries.discarded(p, i.redact)
	}
	cs, ok := p.State.(*connState)
	if !ok {
		return
	}
	if cs.carry != nil {
		i.dropCarry(cs)
	}
	if cs.tx != nil {
		cs.tx.end("rollback", errConnClosed)
	}
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
