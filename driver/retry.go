package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
)

// maxAttempts is how many times database/sql tries a statement whose
// driver answers driver.ErrBadConn: twice on a pooled or new connection,
// once more on a new one (DB.retry in database/sql).
const maxAttempts = 3

// maxParked bounds the retry table; beyond it a retried statement starts a
// new run.
const maxParked = 4096

// maxParkedAge is how long a run waits for its retry when the goroutine
// that parked it makes no other statement: database/sql retries at once,
// so a run still parked this late was given up without sqlvigil seeing it
// (see "What sqlvigil cannot see" below).
const maxParkedAge = time.Minute

// The retry table: how one caller's attempts are told from another's.
//
// database/sql retries a statement whose driver answered driver.ErrBadConn
// in DB.retry: the same call, on the caller's goroutine, with the same
// context, text and arguments, up to maxAttempts times; nothing else runs
// on that goroutine in between. The context and text alone do not tell
// callers apart (every db.Exec shares context.Background()), but the
// goroutine does: a run is parked under the goroutine that ran it, only
// when the failing attempt ran under DB.retry (a statement on a sql.Conn or
// in a transaction is never retried), and the next statement that goroutine
// issues either is the retry (same context, text and arguments) or shows
// that database/sql gave up, which ends the parked run. Two callers are
// never merged, and each attempt is counted in its caller's one record.
//
// Counting matters: database/sql gives up after maxAttempts, and a run
// still parked then would absorb the goroutine's next identical statement
// (two calls, one record). So every attempt is counted, including those
// database/sql ends in DB.conn before the driver sees the statement:
//
//   - a connection it cannot make on the caller's goroutine
//     (ConnectorConnect, under DB.retry): connFailed;
//   - a pooled connection whose ResetSession answers driver.ErrBadConn:
//     resetFailed, and the Close that follows is not counted again;
//   - a pooled connection past SetConnMaxLifetime: DB.conn closes it
//     (driverConn.Close calls the driver's Close synchronously, on the
//     caller's goroutine, under DB.conn) and answers driver.ErrBadConn,
//     both for a connection taken from the idle list and for one handed to
//     a caller waiting on a full pool: discarded, from ConnClose;
//   - a connection database/sql opens in its connectionOpener goroutine
//     (DB.openNewConnection, asked by maybeOpenNewConnections for callers
//     waiting on a full pool): its failure is handed by putConnDBLocked to
//     one waiter picked at random (connRequests.TakeRandom), which DB.conn
//     returns as the attempt's error. The opener cannot know that waiter,
//     so the error is returned wrapped (openError); DB.retry asks
//     errors.Is(err, driver.ErrBadConn) of every failed attempt on the
//     waiter's goroutine, and the wrapper's Is counts the attempt there.
//     A failure no caller waits for ends no call and leaves no record.
//     DB.retry returns the last attempt's error without asking errors.Is:
//     while a failure is unclaimed, a call whose last attempt is still to
//     come may have received it, so its run is ended, not continued, by
//     the goroutine's next statement (mayHaveEnded: two records for one
//     call at worst, never one for two).
//
// A connection the opener makes is handed over the same way; the waiter's
// statement then runs on the waiter's goroutine, where take finds its run.
// SetConnMaxIdleTime, and SetConnMaxLifetime for idle connections, act in
// database/sql's connectionCleaner goroutine: that Close consumes no
// attempt (not under DB.retry) and is not counted.
//
// What sqlvigil cannot see: a call that database/sql ends in DB.conn on
// its context (ctx.Done checked first, or while waiting on a full pool),
// or because the DB was closed. A run parked with the call's context is
// ended when the context ends; but an attempt counted by discarded or by
// an openError's Is before any other of the call carries no context (the
// driver's Close and the error have none), and if that call then ends on
// its context before anything else of it reaches the driver, the count is
// kept for the goroutine's next statement (which then has one record, and
// the call that ended has none) or ended after maxParkedAge.
type retryTable struct {
	age time.Duration // maxParkedAge when 0 (tests shorten it)
	// lost records a statement call that never reached a connection:
	// every attempt failed before database/sql handed it to the driver.
	lost func(ctx context.Context, err error)
	n    atomic.Int32
	mu   sync.Mutex
	m    map[uint64]*parkedRun
	// seq orders parked calls and opener failures; open holds the opener
	// failures no caller has claimed yet (see openError), by age.
	seq  uint64
	open map[*openError]time.Time
	// resetBad holds the connections (*sqlmw.ParentConn) whose
	// ResetSession failure was counted, until database/sql closes them.
	resetBad sync.Map
}

type parkedRun struct {
	// run is nil for a call whose attempts so far all failed before
	// reaching the driver (see connFailed): pending counts them, err is
	// the last failure.
	run     *stmtRun
	pending int
	err     error
	// ctx is the caller's context, nil when its type is not comparable
	// or the call's context is not known yet (anyCtx).
	ctx context.Context
	// idCtx is the context whose identity a lost call is recorded under.
	idCtx  context.Context
	anyCtx bool
	query  string
	// args are the arguments the run was decided on: database/sql converts
	// the caller's arguments anew for each attempt, to equal values.
	args []sqldriver.NamedValue
	stop func() bool
	// seq is the table's seq when the call's last attempt was counted.
	seq uint64
}

// tries is how many attempts of the call were counted.
func (p *parkedRun) tries() int {
	if p.run != nil {
		return p.run.attempts
	}
	return p.pending
}

// mayHaveEnded reports whether database/sql may have given up on p's call
// without sqlvigil seeing it: its last attempt may have received an opener
// failure, which DB.retry returns without asking errors.Is. t.mu is held.
func (t *retryTable) mayHaveEnded(p *parkedRun) bool {
	if p.tries() < maxAttempts-1 {
		return false
	}
	for e := range t.open {
		if e.seq > p.seq {
			return true
		}
	}
	return false
}

func (p *parkedRun) matches(ctx context.Context, query string, args []sqldriver.NamedValue) bool {
	return p.query == query && (p.ctx == nil || p.ctx == ctx) && sameArgs(p.args, args)
}

func (t *retryTable) maxAge() time.Duration {
	if t.age > 0 {
		return t.age
	}
	return maxParkedAge
}

func (t *retryTable) parked() bool { return t.n.Load() > 0 }

// park keeps run for database/sql's retry; false means the caller ends it
// instead.
func (t *retryTable) park(ctx context.Context, query string, args []sqldriver.NamedValue, run *stmtRun) bool {
	// database/sql does not try again once the context has ended: its
	// next attempt fails to get a connection before reaching the driver.
	if run.attempts >= maxAttempts || ctx.Err() != nil || !underRetry() {
		return false
	}
	g := goid()
	p := &parkedRun{run: run, query: query, args: slices.Clone(args)}
	if comparable(ctx) {
		p.ctx = ctx
	}
	t.mu.Lock()
	if t.m == nil {
		t.m = make(map[uint64]*parkedRun)
	}
	old := t.m[g]
	if old == nil && len(t.m) >= maxParked {
		t.mu.Unlock()
		return false
	}
	t.seq++
	p.seq = t.seq
	t.m[g] = p
	if old == nil {
		t.n.Add(1)
	}
	t.arm(ctx, g, p)
	t.mu.Unlock()
	if old != nil {
		// Not reached through database/sql (it retries before anything
		// else on this goroutine), but never left open.
		t.gaveUp(old)
	}
	return true
}

// take returns the parked run of the statement database/sql retries, or
// nil, and how many attempts of the call failed before reaching the
// driver. A run or a call parked by this goroutine for another statement
// was given up by database/sql: it is ended.
func (t *retryTable) take(ctx context.Context, query string, args []sqldriver.NamedValue) (*stmtRun, int) {
	if t.n.Load() == 0 {
		return nil, 0
	}
	g := goid()
	t.mu.Lock()
	p := t.m[g]
	var ended bool
	if p != nil {
		delete(t.m, g)
		t.n.Add(-1)
		ended = t.mayHaveEnded(p)
	}
	t.mu.Unlock()
	if p == nil {
		return nil, 0
	}
	if p.stop != nil {
		p.stop()
	}
	if ended {
		t.gaveUp(p)
		return nil, 0
	}
	if p.run == nil {
		// A call that failed to get a connection: this statement is its
		// retry when it is one of database/sql's calls with its context.
		if p.ctx != nil && p.ctx != ctx {
			t.gaveUp(p)
			return nil, 0
		}
		return nil, p.pending
	}
	if !p.matches(ctx, query, args) {
		t.gaveUp(p)
		return nil, 0
	}
	return p.run, 0
}

// arm ends p when its context does, or after maxParkedAge. t.mu is held.
func (t *retryTable) arm(ctx context.Context, g uint64, p *parkedRun) {
	timer := time.AfterFunc(t.maxAge(), func() {
		if t.remove(g, p) {
			t.end(p, sqldriver.ErrBadConn)
		}
	})
	p.stop = timer.Stop
	if ctx.Done() != nil {
		stopCtx := context.AfterFunc(ctx, func() {
			if t.remove(g, p) {
				t.end(p, ctx.Err())
			}
		})
		p.stop = func() bool {
			a, b := timer.Stop(), stopCtx()
			return a && b
		}
	}
}

func (t *retryTable) end(p *parkedRun, err error) {
	if p.run != nil {
		p.run.end(audit.Outcome{RowsAffected: -1, Err: err})
	} else if t.lost != nil {
		if p.err != nil {
			err = p.err
		}
		t.lost(p.idCtx, err)
	}
}

func (t *retryTable) gaveUp(p *parkedRun) {
	if p.stop != nil {
		p.stop()
	}
	t.end(p, sqldriver.ErrBadConn)
}

// sameArgs reports whether a and b are the same arguments.
func sameArgs(a, b []sqldriver.NamedValue) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k].Name != b[k].Name || a[k].Ordinal != b[k].Ordinal || !reflect.DeepEqual(a[k].Value, b[k].Value) {
			return false
		}
	}
	return true
}

func (t *retryTable) remove(g uint64, p *parkedRun) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m[g] != p {
		return false
	}
	delete(t.m, g)
	t.n.Add(-1)
	return true
}

// connFailed accounts for a connection database/sql could not make on the
// caller's goroutine for a statement call (database/sql counts it as an
// attempt). Such an attempt never reaches the driver, so sqlvigil does not
// see the statement: the failure counts as an attempt of the run this
// goroutine parked, or, for a call that has not reached the driver yet, is
// kept for the statement database/sql retries on this goroutine, whose
// record then counts it. A call that gives up before reaching the driver is
// recorded by lost. connFailed reports whether it took the failure.
func (t *retryTable) connFailed(ctx context.Context, err error, redact func(*stmtRun, error) error) bool {
	if s := callers(); !s.retry || !s.statement {
		return false // not retried, or a BeginTx, Prepare, Ping or Conn
	}
	return t.attempt(goid(), ctx, err, redact)
}

// resetFailed accounts for a pooled connection p whose ResetSession
// answered err (driver.ErrBadConn): DB.conn closes it and tries again.
func (t *retryTable) resetFailed(ctx context.Context, p any, err error, redact func(*stmtRun, error) error) {
	t.resetBad.Store(p, struct{}{})
	t.connFailed(ctx, err, redact)
}

// discarded accounts for the Close of connection p: under DB.conn, in a
// statement call, it is a pooled connection past its lifetime, which
// database/sql closes and answers driver.ErrBadConn for, an attempt of the
// call (unless p's ResetSession failure was counted already). A Close in
// DB.putConn (a caller whose context ended while waiting) or anywhere else
// consumes no attempt.
func (t *retryTable) discarded(p any, redact func(*stmtRun, error) error) {
	if _, ok := t.resetBad.LoadAndDelete(p); ok {
		return
	}
	if s := callers(); s.retry && s.statement && s.conn && !s.put {
		t.attempt(goid(), nil, sqldriver.ErrBadConn, redact)
	}
}

// attempt counts an attempt of the statement call on goroutine g that
// failed with err before reaching the driver; ctx is the call's context,
// nil when unknown (then the goroutine's parked run or call is taken to be
// this call's: database/sql retries at once, on the same goroutine).
func (t *retryTable) attempt(g uint64, ctx context.Context, err error, redact func(*stmtRun, error) error) bool {
	t.mu.Lock()
	p := t.m[g]
	if p != nil && (ctx != nil && p.ctx != nil && p.ctx != ctx || t.mayHaveEnded(p)) {
		// Not this call's: database/sql gave up on it.
		delete(t.m, g)
		t.n.Add(-1)
		t.mu.Unlock()
		t.gaveUp(p)
		t.mu.Lock()
		p = nil
	}
	if p == nil {
		if !isBadConn(err) || len(t.m) >= maxParked {
			t.mu.Unlock()
			return false
		}
		p = &parkedRun{pending: 1, err: err, idCtx: ctx}
		armCtx := ctx
		if ctx == nil {
			p.anyCtx = true
			p.idCtx, armCtx = context.Background(), context.Background()
		} else if comparable(ctx) {
			p.ctx = ctx
		}
		if t.m == nil {
			t.m = make(map[uint64]*parkedRun)
		}
		t.seq++
		p.seq = t.seq
		t.m[g] = p
		t.n.Add(1)
		t.arm(armCtx, g, p)
		t.mu.Unlock()
		return true
	}
	if p.anyCtx && ctx != nil {
		// The call's context, first seen: its end now ends the call.
		p.anyCtx = false
		p.idCtx = ctx
		if comparable(ctx) {
			p.ctx = ctx
		}
		if p.stop != nil {
			p.stop()
		}
		t.arm(ctx, g, p)
	}
	t.seq++
	p.seq = t.seq
	var done bool
	if p.run != nil {
		p.run.attempts++
		done = p.run.attempts >= maxAttempts || !isBadConn(err)
	} else {
		p.pending++
		p.err = err
		done = p.pending >= maxAttempts || !isBadConn(err)
	}
	if done {
		delete(t.m, g)
		t.n.Add(-1)
	}
	t.mu.Unlock()
	if done {
		if p.stop != nil {
			p.stop()
		}
		if p.run != nil {
			p.run.end(audit.Outcome{RowsAffected: -1, Err: redact(p.run, err)})
		} else {
			t.end(p, err)
		}
	}
	return true
}

// openError is the failure of a connection database/sql made in its
// connectionOpener goroutine, as handed to a caller waiting on a full
// pool. It reads as the driver's error (Error, Unwrap); its Is, which
// DB.retry calls on the waiter's goroutine, counts the attempt there.
type openError struct {
	seq     uint64
	err     error
	t       *retryTable
	redact  func(*stmtRun, error) error
	claimed atomic.Bool
}

func (e *openError) Error() string { return e.err.Error() }
func (e *openError) Unwrap() error { return e.err }

// Is never matches by itself (errors.Is goes on to the driver's error);
// called first under DB.retry, it accounts for the failure on the
// goroutine of the call that received it.
func (e *openError) Is(error) bool {
	s := callers()
	if !s.retry || !e.claimed.CompareAndSwap(false, true) {
		return false
	}
	e.t.mu.Lock()
	delete(e.t.open, e)
	e.t.mu.Unlock()
	if !s.statement || !e.t.attempt(goid(), nil, e.err, e.redact) {
		if e.t.lost != nil {
			e.t.lost(context.Background(), e.err)
		}
	}
	return false
}

// openFailed handles a connection that could not be made: an attempt of
// the statement call it was made for, a failure for database/sql's opener
// to hand to a waiting caller, or a record of its own (false).
func (t *retryTable) openFailed(ctx context.Context, err error, redact func(*stmtRun, error) error) (error, bool) {
	s := callers()
	if s.opener {
		e := &openError{err: err, t: t, redact: redact}
		now := time.Now()
		t.mu.Lock()
		for o, at := range t.open {
			if now.Sub(at) > t.maxAge() {
				delete(t.open, o) // handed to no caller, or to one that gave up
			}
		}
		if t.open == nil {
			t.open = make(map[*openError]time.Time)
		}
		t.seq++
		e.seq = t.seq
		t.open[e] = now
		t.mu.Unlock()
		return e, true
	}
	if s.retry && s.statement {
		return err, t.attempt(goid(), ctx, err, redact)
	}
	return err, false
}

// errRetryAfterApproval refuses database/sql's retry of a statement that
// ran under an approval: the attempt that failed with driver.ErrBadConn
// may have run (lib/pq reports a connection lost after the server
// executed), and an approval admits one execution.
func errRetryAfterApproval(v guard.Verdict) error {
	return &guard.BlockedError{Rule: v.Rule, Reason: "not retried: an attempt under this approval may have run before the connection failed; ask for approval again", Hint: "ask for approval again"}
}

// consumes reports whether a verdict admits one execution: an approver
// answered (a one-time grant is used up by the attempt that may have run;
// the verdict does not tell a time-boxed grant from one, so both are
// treated alike).
func consumes(v guard.Verdict) bool {
	return v.Reviewed && v.Decision == guard.Allow
}

// goid is the current goroutine's id, read from its stack header
// ("goroutine 18 [running]:").
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		return 0
	}
	b = b[len(prefix):]
	k := 0
	for k < len(b) && b[k] >= '0' && b[k] <= '9' {
		k++
	}
	id, _ := strconv.ParseUint(string(b[:k]), 10, 64)
	return id
}

type stack struct {
	// retry: the caller runs under database/sql's DB.retry, the only path
	// on which database/sql tries a call again.
	retry bool
	// statement: the call is an Exec or a Query (of the handle or of a
	// prepared statement), not a BeginTx, Prepare, Ping or Conn.
	statement bool
	// conn: the caller runs in DB.conn, getting a connection; put: in
	// DB.putConn, called from DB.conn.
	conn, put bool
	// opener: the caller is database/sql's connectionOpener goroutine.
	opener bool
}

func callers() stack {
	var pcs [64]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	var s stack
	for {
		f, more := frames.Next()
		switch f.Function {
		case "database/sql.(*DB).exec", "database/sql.(*DB).query",
			"database/sql.(*Stmt).ExecContext", "database/sql.(*Stmt).QueryContext":
			s.statement = true
		case "database/sql.(*DB).conn":
			s.conn = true
		case "database/sql.(*DB).putConn":
			s.put = true
		case "database/sql.(*DB).openNewConnection":
			s.opener = true
			return s
		case "database/sql.(*DB).retry":
			s.retry = true
			// After an attempt, DB.retry itself asks errors.Is: its
			// caller tells a statement call.
			if f, _ := frames.Next(); !s.statement {
				switch f.Function {
				case "database/sql.(*DB).ExecContext", "database/sql.(*DB).QueryContext",
					"database/sql.(*Stmt).ExecContext", "database/sql.(*Stmt).QueryContext":
					s.statement = true
				}
			}
			return s
		}
		if !more {
			return s
		}
	}
}

// underRetry reports whether the caller runs under database/sql's
// DB.retry.
func underRetry() bool { return callers().retry }
