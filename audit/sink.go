package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ErrUnavailable is returned by [Auditor.Start] and [Auditor.StartTx] when
// the audit is mandatory and a sink could not write the intent record: the
// statement must not run. Use errors.Is; use errors.As with *SinkError for
// the sink's error.
var ErrUnavailable = errors.New("audit: mandatory audit record could not be written")

// ErrSinkPanicked is the error of a sink whose Write panicked: the auditor
// recovers the panic and treats it as a failed write (a mandatory audit
// refuses the statement). The panic's value is not kept: it may quote the
// record. Use errors.Is.
var ErrSinkPanicked = errors.New("audit: sink panicked")

// ErrSinkTimeout is the error of a sink write that took longer than the
// sink timeout ([WithSinkTimeout]): the statement goes on without waiting
// (a mandatory audit refuses it), and the record is still written if the
// sink answers. Use errors.Is.
var ErrSinkTimeout = errors.New("audit: sink did not answer in time")

// ErrSinkStuck is the error of a write to a sink that has not answered an
// earlier write the auditor gave up on after the sink timeout (or 64
// intents whose statements stopped waiting): the record is not written
// to it, and a mandatory audit refuses the statement. Once the sink
// answers, it takes records again. Use errors.Is.
var ErrSinkStuck = errors.New("audit: sink still stuck in an earlier write")

// SinkError is a sink's failure to write a record.
type SinkError struct {
	// Sink is the position of the failing sink in the auditor's list.
	Sink int
	Kind string
	Err  error
}

// Error implements error.
func (e *SinkError) Error() string {
	return fmt.Sprintf("audit: sink %d: writing %s record: %v", e.Sink, e.Kind, e.Err)
}

// Unwrap returns the sink's error.
func (e *SinkError) Unwrap() error { return e.Err }

// Sink receives audit records. Write is called once per record, from the
// goroutine that runs the statement, and must be safe for concurrent use.
// It must not keep e after it returns (the auditor does not reuse it, but
// other sinks see the same value: do not modify it).
//
// A sink that returns an error, or panics, does not stop the statement
// unless the audit is mandatory ([WithMandatory]), and then only for the
// intent record written before the statement runs. An intent waits for
// the sink no longer than the statement's context, and any write no
// longer than the sink timeout if one is set ([WithSinkTimeout]): a
// mandatory audit whose sink has not answered by then refuses the
// statement, and writes the refusal to that sink after the intent once it
// answers. While a sink is stuck (see ErrSinkStuck), writes to it fail at
// once.
type Sink interface {
	Write(ctx context.Context, e *Entry) error
}

// write calls s.Write, turning a panic into an error matching
// ErrSinkPanicked.
func write(ctx context.Context, s Sink, e *Entry) (err error) {
	defer func() {
		if recover() != nil {
			err = ErrSinkPanicked
		}
	}()
	return s.Write(ctx, e)
}

// SinkFunc adapts a function to a [Sink].
type SinkFunc func(ctx context.Context, e *Entry) error

// Write calls f.
func (f SinkFunc) Write(ctx context.Context, e *Entry) error { return f(ctx, e) }

// SlogSink writes each record to a [log/slog] handler, as a record with the
// message "sqlvigil.audit" at level Info (Warn for a denied statement or a
// failed one). Its errors are the handler's.
type SlogSink struct {
	h slog.Handler
}

// NewSlogSink returns a sink that writes to h.
func NewSlogSink(h slog.Handler) *SlogSink { return &SlogSink{h: h} }

// Write implements [Sink].
func (s *SlogSink) Write(ctx context.Context, e *Entry) error {
	if s == nil || s.h == nil {
		return nil
	}
	level := slog.LevelInfo
	if e.Decision == "deny" || e.ErrorType != "" {
		level = slog.LevelWarn
	}
	if !s.h.Enabled(ctx, level) {
		return nil
	}
	r := slog.NewRecord(e.Time, level, "sqlvigil.audit", 0)
	r.AddAttrs(slog.String("kind", e.Kind), slog.String("id", e.ID))
	add := func(k, v string) {
		if v != "" {
			r.AddAttrs(slog.String(k, v))
		}
	}
	add("trace_id", e.TraceID)
	add("span_id", e.SpanID)
	add("tx_id", e.TxID)
	if id := e.Identity; id != nil {
		attrs := make([]any, 0, 8)
		for _, kv := range [...][2]string{
			{"kind", id.Kind}, {"subject", id.Subject}, {"name", id.Name},
			{"tenant", id.Tenant}, {"service", id.Service}, {"purpose", id.Purpose},
			{"ticket", id.Ticket},
		} {
			if kv[1] != "" {
				attrs = append(attrs, slog.String(kv[0], kv[1]))
			}
		}
		if len(id.Roles) > 0 {
			attrs = append(attrs, slog.Any("roles", id.Roles))
		}
		if id.Untrusted {
			attrs = append(attrs, slog.Bool("untrusted", true))
		}
		if a := id.Agent; a != nil {
			attrs = append(attrs, slog.Group("agent", "name", a.Name, "model", a.Model,
				"tool", a.Tool, "tool_call_id", a.ToolCallID, "on_behalf_of", a.OnBehalfOf))
		}
		r.AddAttrs(slog.Group("identity", attrs...))
	}
	add("db.system.name", e.System)
	add("db.namespace", e.Namespace)
	add("db.operation.name", e.Operation)
	add("db.collection.name", e.Collection)
	add("db.query.summary", e.Summary)
	add("db.query.text", e.QueryText)
	add("statement", e.Text)
	add("method", e.Method)
	if len(e.Reads) > 0 {
		r.AddAttrs(slog.Any("tables_read", e.Reads))
	}
	if len(e.Writes) > 0 {
		r.AddAttrs(slog.Any("tables_written", e.Writes))
	}
	if len(e.Args) > 0 {
		r.AddAttrs(slog.Any("args", e.Args))
	}
	add("decision", e.Decision)
	add("rule", e.Rule)
	add("reason", e.Reason)
	add("mode", e.Mode)
	add("approval_id", e.ApprovalID)
	add("reviewer", e.Reviewer)
	if e.Kind == KindStatement {
		r.AddAttrs(slog.Int64("rows_returned", e.RowsReturned), slog.Int64("rows_affected", e.RowsAffected))
	}
	for _, m := range e.Masked {
		r.AddAttrs(slog.Group("masked", "column", m.Column, "rule", m.Rule, "strategy", m.Strategy, "count", m.Count))
	}
	add("error.type", e.ErrorType)
	add("db.response.status_code", e.StatusCode)
	add("error", e.Error)
	add("tx_end", e.TxEnd)
	if e.Duration > 0 {
		r.AddAttrs(slog.Duration("duration", e.Duration))
	}
	if c := e.Caller; c != nil {
		r.AddAttrs(slog.String("code.function.name", c.Function), slog.String("code.file.path", c.File), slog.Int("code.line.number", c.Line))
	}
	return s.h.Handle(ctx, r)
}

// writeSink writes e to sink i, and returns when the sink has written it,
// when stop is closed or when the sink timeout (if any) passes, whichever
// comes first. In the last two cases the write goes on and stuck is not
// nil (stuck.then has a record written after it). Until a write given up
// on after the sink timeout ends, or while maxLateWrites given up on
// because stop closed are in flight, writes to the sink fail at once with
// ErrSinkStuck: a stuck sink holds a bounded number of goroutines, not
// one per statement. A sink that panics fails with ErrSinkPanicked.
func (a *Auditor) writeSink(ctx context.Context, stop <-chan struct{}, i int, e *Entry) (stuck *stuckWrite, err error) {
	s := a.cfg.sinks[i]
	timeout := a.cfg.sinkTimeout
	st := &a.sinkStates[i]
	if st.timedOut.Load() > 0 || st.late.Load() >= maxLateWrites {
		return nil, ErrSinkStuck
	}
	if stop == nil && timeout <= 0 {
		// Nothing to wait for but the sink: no goroutine, no handoff (a
		// few microseconds a record on a 2-core machine).
		return nil, write(ctx, s, e)
	}
	if stop != nil {
		select {
		case <-stop:
			return nil, ctx.Err()
		default:
		}
	}
	w := &stuckWrite{res: make(chan error, 1), next: make(chan *Entry, 1)}
	go func() {
		err := write(ctx, s, e)
		w.mu.Lock()
		w.finished = true
		abandoned := w.abandoned
		w.mu.Unlock()
		if !abandoned {
			w.res <- err
			return
		}
		next := <-w.next
		wctx := context.WithoutCancel(ctx)
		if next != nil {
			if err := write(wctx, s, next); err != nil {
				a.inst.sinkErrors.Add(wctx, 1)
				a.cfg.errorHandler(&SinkError{Sink: i, Kind: next.Kind, Err: err})
			}
		}
		w.counter.Add(-1)
	}()
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	cause, counter := ErrSinkTimeout, &st.timedOut
	select {
	case err := <-w.res:
		return nil, err
	case <-stop:
		// The statement's own deadline, not the sink's: the sink counts as
		// stuck only once many such writes wait on it.
		cause, counter = ctx.Err(), &st.late
	case <-timer:
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		return nil, <-w.res
	}
	w.abandoned = true
	w.counter = counter
	counter.Add(1)
	return w, cause
}

// sinkState is what the auditor knows of one sink's writes in flight.
type sinkState struct {
	// timedOut counts writes given up on after the sink timeout: while one
	// is in flight, the sink is stuck.
	timedOut atomic.Int32
	// late counts writes given up on because their statement's context
	// ended; maxLateWrites of them in flight make the sink stuck.
	late atomic.Int32
}

// maxLateWrites bounds the writes in flight that statements stopped
// waiting for, per sink: a sink stuck for good holds that many goroutines
// at most.
const maxLateWrites = 64

// stuckWrite is a sink write its caller stopped waiting for.
type stuckWrite struct {
	res       chan error
	next      chan *Entry
	mu        sync.Mutex
	finished  bool
	abandoned bool
	counter   *atomic.Int32 // of the sinkState, decremented when done
}

// then has a copy of e written to the sink once the write is done; nil
// writes nothing. Call it once for every stuckWrite.
func (w *stuckWrite) then(e *Entry) {
	if e == nil {
		w.next <- nil
		return
	}
	c := *e
	w.next <- &c
}

// writeRefusal writes the outcome of a statement or transaction refused
// because its intent could not be written, to every sink but skip.
func (a *Auditor) writeRefusal(ctx context.Context, r *Record, skip int) {
	a.writeAll(ctx, r.entry, skip)
}

// writeAll writes e to every sink but skip, each bounded by the sink
// timeout; failures go to the error handler.
func (a *Auditor) writeAll(ctx context.Context, e *Entry, skip int) {
	for i := range a.cfg.sinks {
		if i == skip {
			continue
		}
		stuck, err := a.writeSink(ctx, nil, i, e)
		if stuck != nil {
			stuck.then(nil)
		}
		if err != nil {
			a.inst.sinkErrors.Add(ctx, 1)
			a.cfg.errorHandler(&SinkError{Sink: i, Kind: e.Kind, Err: err})
		}
	}
}
