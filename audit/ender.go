package audit

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// ender ends spans off the statement's path. A statement's span gets its
// outcome and its end time when the statement ends, but is handed to the
// SDK (attributes set, status set, span ended) a moment later, together
// with those of the other statements that ended meanwhile, by one
// goroutine.
//
// Why: ending a span hands it to the span processor, and the SDK's batch
// processor hands it on to its own goroutine through a channel. When that
// goroutine is parked, as it is between statements of a service that waits
// on its database, every span wakes it: a futex wake and a thread
// switch, measured at ~20 µs of wall and CPU time per statement against a
// local PostgreSQL (a point select is ~140 µs) — more than everything else
// the audit costs. Ended in a batch, one wake serves them all, and the
// statement's goroutine does not pay for the SDK's snapshot either.
//
// Nothing is dropped: when the queue is full the span is ended on the
// statement's goroutine, and [Auditor.Flush] (called by the driver when
// its connector is closed) ends the queued ones at once.
type ender struct {
	delay time.Duration

	mu       sync.Mutex
	q        []pendingEnd
	spare    []pendingEnd
	armed    bool
	timer    *time.Timer
	draining sync.Mutex // held while a batch is being ended
	bufs     *attrBufs
}

// pendingEnd is what ending one span takes.
type pendingEnd struct {
	span   trace.Span
	buf    *attrBuf // the attributes to set, or nil
	code   codes.Code
	desc   string
	end    time.Time
	pooled bool // buf goes back to the pool once set
}

// maxPendingEnds bounds the queue; past it, spans are ended where they end.
const maxPendingEnds = 8192

func newEnder(delay time.Duration, bufs *attrBufs) *ender {
	e := &ender{delay: delay, bufs: bufs}
	e.timer = time.AfterFunc(time.Hour, e.drain)
	e.timer.Stop()
	return e
}

// push queues p. It reports false when the queue is full: the caller ends
// the span itself.
func (e *ender) push(p pendingEnd) bool {
	e.mu.Lock()
	if len(e.q) >= maxPendingEnds {
		e.mu.Unlock()
		return false
	}
	e.q = append(e.q, p)
	arm := !e.armed
	e.armed = true
	e.mu.Unlock()
	if arm {
		e.timer.Reset(e.delay)
	}
	return true
}

// drain ends every queued span, in the order they were queued.
func (e *ender) drain() {
	e.draining.Lock()
	defer e.draining.Unlock()
	e.mu.Lock()
	q := e.q
	e.q, e.spare = e.spare[:0], nil
	e.armed = false
	e.mu.Unlock()
	for i := range q {
		q[i].finish(e.bufs)
		q[i] = pendingEnd{}
	}
	e.mu.Lock()
	if e.spare == nil && cap(q) <= maxPendingEnds {
		e.spare = q[:0]
	}
	e.mu.Unlock()
}

// flush ends the queued spans now and waits for a batch being ended.
func (e *ender) flush(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		e.drain()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// finishNow is finish with the span's end taken now.
func (p *pendingEnd) finishNow(bufs *attrBufs) {
	p.end = time.Time{}
	p.finish(bufs)
}

// finish sets the attributes and status of the span and ends it.
func (p *pendingEnd) finish(bufs *attrBufs) {
	if p.buf != nil {
		p.span.SetAttributes(p.buf.kv...)
		if p.pooled {
			bufs.put(p.buf)
		}
	}
	if p.code != codes.Unset {
		p.span.SetStatus(p.code, p.desc)
	}
	if p.end.IsZero() {
		p.span.End()
		return
	}
	p.span.End(trace.WithTimestamp(p.end))
}
