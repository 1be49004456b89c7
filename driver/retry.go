package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqlvigil/sqlvigil/audit"
)

// maxAttempts is how many times database/sql tries a statement whose
// driver answers driver.ErrBadConn: twice on a pooled or new connection,
// once more on a new one.
const maxAttempts = 3

// maxParked bounds the retry table; beyond it a retried statement starts a
// new run.
const maxParked = 256

type retryKey struct {
	ctx   context.Context
	query string
}

type parkedRun struct {
	run *stmtRun
	// args are the arguments the run was decided on: a statement with the
	// same context and text but other arguments is not the retry (the
	// policy may decide otherwise on them).
	args []sqldriver.NamedValue
	stop func() bool
	at   time.Time
}

// maxParkedAge is how long a run waits for its retry. database/sql retries
// at once, but not for a statement on a sql.Conn, whose run would
// otherwise wait for its context to end, and forever for a context that
// never ends.
const maxParkedAge = time.Minute

// retryTable keeps the runs of statements whose driver answered
// driver.ErrBadConn before running them: database/sql calls again with the
// very same context, and the retry continues the run instead of deciding
// and recording the statement a second time. A run leaves the table when
// it is retried, when its context ends, or after the last attempt.
type retryTable struct {
	age time.Duration // maxParkedAge when 0 (tests shorten it)
	n   atomic.Int32
	mu  sync.Mutex
	m   map[retryKey]*parkedRun
}

func (t *retryTable) maxAge() time.Duration {
	if t.age > 0 {
		return t.age
	}
	return maxParkedAge
}

func (t *retryTable) parked() bool { return t.n.Load() > 0 }

// park keeps run for a retry; false means the caller ends it instead.
func (t *retryTable) park(ctx context.Context, query string, args []sqldriver.NamedValue, run *stmtRun) bool {
	// database/sql does not try again once the context has ended: its
	// next attempt fails to get a connection before reaching the driver.
	if run.attempts >= maxAttempts || !comparable(ctx) || ctx.Err() != nil {
		return false
	}
	k := retryKey{ctx, query}
	now := time.Now()
	var stale []*stmtRun
	defer func() {
		for _, r := range stale {
			r.end(audit.Outcome{RowsAffected: -1, Err: sqldriver.ErrBadConn})
		}
	}()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[retryKey]*parkedRun)
	}
	for pk, p := range t.m {
		if now.Sub(p.at) > t.maxAge() {
			delete(t.m, pk)
			t.n.Add(-1)
			if p.stop != nil {
				p.stop()
			}
			stale = append(stale, p.run)
		}
	}
	if _, dup := t.m[k]; dup || len(t.m) >= maxParked {
		return false
	}
	p := &parkedRun{run: run, args: slices.Clone(args), at: now}
	t.m[k] = p
	t.n.Add(1)
	// The run ends when its context does, or after maxParkedAge: a
	// statement on a sql.Conn is never retried, and a context such as
	// context.Background() never ends.
	timer := time.AfterFunc(t.maxAge(), func() {
		if r := t.remove(k, p); r != nil {
			r.end(audit.Outcome{RowsAffected: -1, Err: sqldriver.ErrBadConn})
		}
	})
	p.stop = timer.Stop
	if ctx.Done() != nil {
		stopCtx := context.AfterFunc(ctx, func() {
			if r := t.remove(k, p); r != nil {
				r.end(audit.Outcome{RowsAffected: -1, Err: ctx.Err()})
			}
		})
		p.stop = func() bool {
			a, b := timer.Stop(), stopCtx()
			return a && b
		}
	}
	return true
}

// take returns the parked run of the statement database/sql retries.
func (t *retryTable) take(ctx context.Context, query string, args []sqldriver.NamedValue) *stmtRun {
	if t.n.Load() == 0 || !comparable(ctx) {
		return nil
	}
	k := retryKey{ctx, query}
	t.mu.Lock()
	p := t.m[k]
	if p != nil && !sameArgs(p.args, args) {
		p = nil
	}
	if p != nil {
		delete(t.m, k)
		t.n.Add(-1)
	}
	t.mu.Unlock()
	if p == nil {
		return nil
	}
	if p.stop != nil {
		p.stop()
	}
	return p.run
}

// sameArgs reports whether a and b are the same arguments: database/sql
// converts the caller's arguments anew for each attempt, to equal values.
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

func (t *retryTable) remove(k retryKey, p *parkedRun) *stmtRun {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m[k] != p {
		return nil
	}
	delete(t.m, k)
	t.n.Add(-1)
	return p.run
}

// connectFailed counts a connection that could not be made for a retry as
// an attempt of every run parked under ctx, and ends those that will not
// be tried again.
func (t *retryTable) connectFailed(ctx context.Context, err error, redact func(*stmtRun, error) error) {
	if !comparable(ctx) {
		return
	}
	var done []*stmtRun
	t.mu.Lock()
	for k, p := range t.m {
		if k.ctx != ctx {
			continue
		}
		p.run.attempts++
		if p.run.attempts >= maxAttempts || !isBadConn(err) {
			delete(t.m, k)
			t.n.Add(-1)
			if p.stop != nil {
				p.stop()
			}
			done = append(done, p.run)
		}
	}
	t.mu.Unlock()
	for _, r := range done {
		r.end(audit.Outcome{RowsAffected: -1, Err: redact(r, err)})
	}
}
