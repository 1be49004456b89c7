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
// so a run still parked this late was given up (a connection database/sql
// could not make in its opener goroutine, which sqlvigil cannot tie to the
// caller).
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
type retryTable struct {
	age time.Duration // maxParkedAge when 0 (tests shorten it)
	// lost records a statement call that never reached a connection:
	// every attempt failed before database/sql handed it to the driver.
	lost func(ctx context.Context, err error)
	n    atomic.Int32
	mu   sync.Mutex
	m    map[uint64]*parkedRun
}

type parkedRun struct {
	// run is nil for a call whose attempts so far all failed before
	// reaching the driver (see connFailed): pending counts them, err is
	// the last failure.
	run     *stmtRun
	pending int
	err     error
	// ctx is the caller's context, nil when its type is not comparable.
	ctx   context.Context
	query string
	// args are the arguments the run was decided on: database/sql converts
	// the caller's arguments anew for each attempt, to equal values.
	args []sqldriver.NamedValue
	stop func() bool
	// suspect is set when database/sql may have given up on the run
	// without sqlvigil seeing it (see connFailed).
	suspect bool
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
	if p != nil {
		delete(t.m, g)
		t.n.Add(-1)
	}
	t.mu.Unlock()
	if p == nil {
		return nil, 0
	}
	if p.stop != nil {
		p.stop()
	}
	if p.run == nil {
		// A call that failed to get a connection: this statement is its
		// retry when it is one of database/sql's calls with its context.
		if p.suspect || p.ctx != nil && p.ctx != ctx {
			t.gaveUp(p)
			return nil, 0
		}
		return nil, p.pending
	}
	if p.suspect || !p.matches(ctx, query, args) {
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
		t.lost(p.ctx, err)
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

// connFailed accounts for a connection database/sql could not get for a
// statement call (one it could not make, or a pooled one whose
// ResetSession answered driver.ErrBadConn: database/sql counts both as
// attempts). Such an attempt never reaches the driver, so sqlvigil does not
// see the statement: the failure counts as an attempt of the run this
// goroutine parked, or, for a call that has not reached the driver yet, is
// kept for the statement database/sql retries on this goroutine, whose
// record then counts it. A call that gives up before reaching the driver is
// recorded by lost. connFailed reports whether it took the failure.
//
// A connection database/sql makes in its own goroutine, for a caller
// waiting on a full pool, cannot be tied to that caller, who gives up on
// its failure: every run parked then becomes suspect, and is ended rather
// than continued by its goroutine's next statement (its retry, if it was
// one, starts a record of its own: two records for one call, never one for
// two).
func (t *retryTable) connFailed(ctx context.Context, err error, redact func(*stmtRun, error) error) bool {
	frames := callers()
	if !frames.retry {
		if t.n.Load() > 0 {
			t.mu.Lock()
			for _, q := range t.m {
				q.suspect = true
			}
			t.mu.Unlock()
		}
		return false
	}
	if !frames.statement {
		return false // BeginTx, Prepare, Ping, Conn: not a statement call
	}
	g := goid()
	t.mu.Lock()
	p := t.m[g]
	if p != nil && p.ctx != nil && p.ctx != ctx {
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
		p = &parkedRun{pending: 1, err: err}
		if comparable(ctx) {
			p.ctx = ctx
		}
		if t.m == nil {
			t.m = make(map[uint64]*parkedRun)
		}
		t.m[g] = p
		t.n.Add(1)
		t.arm(ctx, g, p)
		t.mu.Unlock()
		return true
	}
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
		case "database/sql.(*DB).retry":
			s.retry = true
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
