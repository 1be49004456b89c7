package audit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"slices"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Error types recorded as error.type (and [Entry.ErrorType]) for outcomes
// the database did not produce. They are exported because users and the
// driver's tests match records on them. Any other [Outcome.Err] is recorded
// by Go type — the driver's or ours —, never as the standard library's plain
// *errors.errorString: a sentinel such as driver.ErrBadConn is recorded by
// name ("driver.ErrBadConn"), any other untyped error as "_OTHER", the
// conventions' value for it (semconv.ErrorTypeOther).
const (
	// ErrorTypeBlocked marks a statement the guard refused.
	ErrorTypeBlocked = "sqlvigil.blocked"
	// ErrorTypeAuditUnavailable marks a statement refused because a
	// mandatory audit record could not be written.
	ErrorTypeAuditUnavailable = "sqlvigil.audit_unavailable"
)

// New returns an Auditor configured by opts. It fails with an error matching
// [ErrConfig] when an option cannot be honoured (a nil provider or sink, or
// a mandatory audit without a sink).
func New(opts ...Option) (*Auditor, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	inst, err := newInstruments(cfg.mp)
	if err != nil {
		return nil, err
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("audit: record id prefix: %w", err)
	}
	a := &Auditor{
		cfg:        cfg,
		tracer:     cfg.tp.Tracer(scopeName, trace.WithInstrumentationVersion(version)),
		spanKind:   trace.WithSpanKind(trace.SpanKindClient),
		inst:       inst,
		ids:        newIDCache(cfg.idAttrs, cfg.all),
		shapes:     newShapeCache(cfg.queryText, cfg.all),
		idPrefix:   hex.EncodeToString(b[:]) + "-",
		sinkStates: make([]sinkState, len(cfg.sinks)),
	}
	if cfg.endDelay > 0 {
		a.ender = newEnder(cfg.endDelay, &a.bufs)
	}
	if cfg.caller {
		a.callers = newCallerFinder(cfg.callerSkip)
	}
	return a, nil
}

func (a *Auditor) newID() string {
	var b [40]byte
	id := append(b[:0], a.idPrefix...)
	return string(strconv.AppendUint(id, a.seq.Add(1), 10))
}

type txKey struct{}

// Context returns a copy of ctx that makes r the parent of the records
// started from it: its span becomes the current span and, for a
// transaction record, statements started from the returned context are
// counted in and linked to it. A nil r returns ctx.
func (r *Record) Context(ctx context.Context) context.Context {
	if r == nil {
		return ctx
	}
	ctx = trace.ContextWithSpan(ctx, r.span)
	if r.tx {
		ctx = context.WithValue(ctx, txKey{}, r)
	}
	return ctx
}

func txFromContext(ctx context.Context) *Record {
	r, _ := ctx.Value(txKey{}).(*Record)
	return r
}

func spanName(ev *Event) string {
	switch {
	case ev.Operation != "" && ev.Collection != "":
		if isOpCollection(ev.Summary, ev.Operation, ev.Collection) {
			return ev.Summary // the same text, without building it again
		}
		return ev.Operation + " " + ev.Collection
	case ev.Summary != "":
		return ev.Summary
	case ev.Operation != "":
		return ev.Operation
	case ev.System != "":
		return ev.System
	default:
		return "sql"
	}
}

// isOpCollection reports whether s is op + " " + coll.
func isOpCollection(s, op, coll string) bool {
	return len(s) == len(op)+1+len(coll) && s[len(op)] == ' ' &&
		s[:len(op)] == op && s[len(op)+1:] == coll
}

func (a *Auditor) start(ctx context.Context, ev *Event) (context.Context, *Record, error) {
	now := time.Now()
	cfg := a.cfg
	txr := txFromContext(ctx)
	if txr != nil && txr.a == a {
		txr.statements.Add(1)
	}
	// The attributes a sampler may look at are given at creation, as the
	// conventions ask; the rest only to a span that records.
	buf := a.bufs.get()
	sh := a.shapes.get(ev)
	var kv []attribute.KeyValue
	if sh != nil {
		kv = sh.start
	} else {
		buf.kv = startAttrs(buf.kv[:0], ev, cfg.queryText)
		kv = buf.kv
	}
	// The span takes its own start time: a time option would cost an
	// allocation, for a difference of nanoseconds.
	ctx, span := a.tracer.Start(ctx, spanName(ev), a.spanKind,
		trace.WithAttributes(kv...))
	recording := span.IsRecording()
	otelSpan := a.bufs.otelSpan(span, recording)
	if sh == nil && !otelSpan {
		buf = nil // the span may keep what it was given
	}
	if !recording && len(cfg.sinks) == 0 {
		// No span attributes and no sink record: the metrics at most.
		a.bufs.put(buf)
		if otelSpan && !a.inst.enabled(ctx) {
			// Nothing is recorded, and ending the span would do nothing.
			return ctx, nil, nil
		}
		return ctx, a.newRecord(ctx, ev, now, span, false), nil
	}
	r := a.newRecord(ctx, ev, now, span, recording)
	// A record's id links its span to its sink records; without a sink it
	// is recorded only when every attribute is asked for.
	var id string
	if len(cfg.sinks) > 0 || cfg.all {
		id = a.newID()
	}
	var caller Caller
	var haveCaller bool
	if a.callers != nil {
		caller, haveCaller = a.callers.find()
	}
	var args []string
	if cfg.args && len(ev.Args) > 0 {
		args = redactArgs(cfg.redact, ev)
	}
	if recording {
		// The rest of the attributes are given with the outcome's when the
		// record ends, in one call: the tracer copies them once. They are
		// built now, as the event is the caller's only until Start returns.
		if buf == nil {
			buf = &attrBuf{kv: make([]attribute.KeyValue, 0, attrBufCap)}
		}
		buf.kv = a.statementAttrs(buf.kv[:0], ev, sh, args, caller, haveCaller, id)
		r.attrs = buf
	} else {
		a.bufs.put(buf)
	}

	if len(cfg.sinks) > 0 {
		r.entry = a.statementEntry(ev, id, now, args, caller, haveCaller, txr)
		setSpanIDs(r.entry, span)
		if cfg.mandatory {
			if err := a.writeIntent(r); err != nil {
				return ctx, nil, err
			}
		}
	}
	return ctx, r, nil
}

// newRecord returns the record of a statement whose span is span.
func (a *Auditor) newRecord(ctx context.Context, ev *Event, now time.Time, span trace.Span, recording bool) *Record {
	return &Record{
		a: a, start: now, span: span, ctx: ctx, recording: recording,
		system: ev.System, namespace: ev.Namespace, operation: ev.Operation, collection: ev.Collection,
		decision: ev.Decision, rule: ev.Rule, reason: ev.Reason, mode: ev.Mode, method: ev.Method,
	}
}

// statementEntry returns the sink record of a statement as it starts.
func (a *Auditor) statementEntry(ev *Event, id string, now time.Time, args []string, caller Caller, haveCaller bool, txr *Record) *Entry {
	cfg := a.cfg
	e := &Entry{
		Kind: KindStatement, ID: id, Time: now,
		Identity:      entryIdentity(ev.Identity, cfg.idAttrs),
		System:        ev.System,
		Namespace:     ev.Namespace,
		ServerAddress: ev.ServerAddress,
		ServerPort:    ev.ServerPort,
		Method:        ev.Method,
		Operation:     ev.Operation,
		Collection:    ev.Collection,
		Summary:       ev.Summary,
		Reads:         ev.Reads,
		Writes:        ev.Writes,
		Stacked:       ev.Stacked,
		Complete:      ev.Complete,
		InTx:          ev.InTx,
		Args:          args,
		Decision:      ev.Decision,
		Rule:          ev.Rule,
		Reason:        ev.Reason,
		Mode:          ev.Mode,
		ApprovalID:    ev.ApprovalID,
		Reviewer:      ev.Reviewer,
		RowsAffected:  -1,
	}
	if cfg.queryText {
		e.QueryText = ev.QueryText
	}
	if cfg.statement {
		e.Text = ev.Text
	}
	if haveCaller {
		c := caller
		e.Caller = &c
	}
	if txr != nil {
		e.TxID = txr.entryID()
		e.InTx = true
	}
	return e
}

// statementAttrs returns the identity, governance and caller attributes of
// a statement's span; sh, if not nil, is the statement's shape.
func (a *Auditor) statementAttrs(kv []attribute.KeyValue, ev *Event, sh *shape, args []string, caller Caller, haveCaller bool, id string) []attribute.KeyValue {
	kv = a.ids.appendAttrs(kv, &ev.Identity)
	if sh != nil {
		kv = append(kv, sh.stmt...)
	} else {
		kv = shapeAttrs(kv, ev, a.cfg.all)
	}
	if args != nil {
		kv = append(kv, argsKey.StringSlice(args))
	}
	if haveCaller {
		kv = append(kv, semconv.CodeFunctionNameKey.String(caller.Function),
			semconv.CodeFilePathKey.String(caller.File), semconv.CodeLineNumberKey.Int(caller.Line))
	}
	return appendStr(kv, recordIDKey, id)
}

func (a *Auditor) startTx(ctx context.Context, readOnly bool, isolation string) (context.Context, *Record, error) {
	now := time.Now()
	cfg := a.cfg
	id, _ := identity.FromContext(ctx)
	r := &Record{a: a, start: now, tx: true}
	buf := a.bufs.get()
	kv := a.ids.appendAttrs(buf.kv, &id)
	kv = append(kv, txReadOnlyKey.Bool(readOnly))
	kv = appendStr(kv, txIsolationKey, isolation)
	var caller Caller
	var haveCaller bool
	if a.callers != nil {
		caller, haveCaller = a.callers.find()
	}
	if haveCaller {
		kv = append(kv, semconv.CodeFunctionNameKey.String(caller.Function),
			semconv.CodeFilePathKey.String(caller.File), semconv.CodeLineNumberKey.Int(caller.Line))
	}
	var rid string
	if len(cfg.sinks) > 0 || cfg.all {
		rid = a.newID()
	}
	kv = appendStr(kv, recordIDKey, rid)
	ctx, span := a.tracer.Start(ctx, "transaction", a.spanKind,
		trace.WithAttributes(kv...))
	r.span, r.ctx = span, ctx
	r.recording = span.IsRecording()
	if a.bufs.otelSpan(span, r.recording) {
		buf.kv = kv
		a.bufs.put(buf)
	}
	if len(cfg.sinks) > 0 {
		e := &Entry{
			Kind: KindTx, ID: rid, Time: now,
			Identity:     entryIdentity(id, cfg.idAttrs),
			ReadOnly:     readOnly,
			Isolation:    isolation,
			RowsAffected: -1,
		}
		if haveCaller {
			c := caller
			e.Caller = &c
		}
		setSpanIDs(e, span)
		r.entry = e
		if cfg.mandatory {
			if err := a.writeIntent(r); err != nil {
				return ctx, nil, err
			}
		}
	}
	return r.Context(ctx), r, nil
}

func (r *Record) entryID() string {
	if r.entry != nil {
		return r.entry.ID
	}
	return ""
}

func setSpanIDs(e *Entry, span trace.Span) {
	if sc := span.SpanContext(); sc.IsValid() {
		e.TraceID = sc.TraceID().String()
		e.SpanID = sc.SpanID().String()
	}
}

// writeIntent writes the intent record of a mandatory audit. On failure it
// ends the span as refused, writes the refusal as the record's outcome to
// every sink (those that wrote the intent, so that it does not stand
// alone, and the others, which may take it), and returns an error matching
// ErrUnavailable. A sink still writing the intent when the statement's
// context ends, or the sink timeout passes, gets the refusal once it has
// written the intent.
func (a *Auditor) writeIntent(r *Record) error {
	intent := *r.entry
	intent.Kind = KindIntent
	for i := range a.cfg.sinks {
		stuck, err := a.writeSink(r.ctx, r.ctx.Done(), i, &intent)
		if err == nil {
			continue
		}
		ctx := context.WithoutCancel(r.ctx)
		a.inst.sinkErrors.Add(ctx, 1)
		r.ended.Store(true)
		if buf := r.attrs; buf != nil {
			r.attrs = nil
			buf.kv = append(buf.kv, semconv.ErrorTypeKey.String(ErrorTypeAuditUnavailable))
			r.span.SetAttributes(buf.kv...)
			if a.bufs.otelSpan(r.span, true) {
				a.bufs.put(buf)
			}
		}
		r.span.SetStatus(codes.Error, "audit unavailable: statement refused")
		r.span.End()
		r.entry.Duration = time.Since(r.start)
		r.entry.ErrorType = ErrorTypeAuditUnavailable
		skip := -1
		if stuck != nil {
			skip = i
			stuck.then(r.entry)
		}
		a.writeRefusal(ctx, r, skip)
		return fmt.Errorf("%w: %w", ErrUnavailable, &SinkError{Sink: i, Kind: KindIntent, Err: err})
	}
	return nil
}

func (r *Record) end(out *Outcome) {
	a := r.a
	dur := time.Since(r.start)
	refusedLate := out.Refused != "" && r.decision != "deny"
	if refusedLate {
		r.decision, r.rule, r.reason = "deny", out.Refused, out.RefusedReason
	}
	denied := r.decision == "deny"
	errType, status := "", ""
	if out.Err != nil {
		errType, status = classify(out.Err)
	}
	if denied {
		errType = ErrorTypeBlocked
	}
	var errText string
	if out.Err != nil && a.cfg.errorText {
		errText = out.Err.Error()
	}
	var code codes.Code
	var desc string
	switch {
	case denied:
		code, desc = codes.Error, "blocked"
		if r.rule != "" {
			desc = "blocked by rule " + r.rule
		}
		if r.reason != "" {
			desc += ": " + r.reason
		}
	case out.Err != nil:
		code, desc = codes.Error, errType
		if errText != "" {
			desc = errText
		}
	}
	// The span's end is the statement's, taken before the sinks write: its
	// duration is not the statement's and an fsync's, and it does not
	// change when the span waits for its batch.
	r.endSpan(out, r.start.Add(dur), errType, status, errText, code, desc)
	r.recordMetrics(r.ctx, dur.Seconds(), errType, out)

	if e := r.entry; e != nil {
		// A statement's end is written even when its context is canceled.
		ctx := context.WithoutCancel(r.ctx)
		e.Duration = dur
		e.RowsReturned = out.RowsReturned
		e.RowsAffected = out.RowsAffected
		if r.tx {
			e.TxEnd = out.TxEnd
			e.Statements = r.statements.Load()
		}
		e.Masked = out.Masked
		if refusedLate {
			e.Decision, e.Rule, e.Reason = r.decision, r.rule, r.reason
		}
		e.ErrorType = errType
		e.StatusCode = status
		e.Error = errText
		a.writeAll(ctx, e, -1)
	}
}

// endSpan gives the span its outcome and ends it, now or, through the
// auditor's ender, with the next batch.
func (r *Record) endSpan(out *Outcome, end time.Time, errType, status, errText string, code codes.Code, desc string) {
	a, span := r.a, r.span
	if !r.recording {
		span.End()
		return
	}
	buf := r.attrs
	r.attrs = nil
	if buf == nil {
		buf = a.bufs.get()
	}
	buf.kv = r.outcomeAttrs(buf, out, errType, status, errText)
	pooled := a.bufs.otelSpan(span, true)
	if a.ender != nil && pooled {
		if a.ender.push(pendingEnd{span: span, buf: buf, code: code, desc: desc, end: end, pooled: true}) {
			return
		}
	}
	p := pendingEnd{span: span, buf: buf, code: code, desc: desc, pooled: pooled}
	p.finishNow(&a.bufs)
}

// outcomeAttrs returns the attributes of a statement's or transaction's
// outcome.
func (r *Record) outcomeAttrs(buf *attrBuf, out *Outcome, errType, status, errText string) []attribute.KeyValue {
	kv := buf.kv
	if out.Refused != "" {
		// Set again at the end: the attributes of the start said allow.
		kv = appendStr(kv, decisionKey, "deny")
		kv = appendStr(kv, ruleKey, out.Refused)
	}
	if r.tx {
		kv = appendStr(kv, txEndKey, out.TxEnd)
		kv = append(kv, txStatementsKey.Int64(r.statements.Load()))
	} else {
		if isQuery(r.method) || out.RowsReturned > 0 {
			kv = append(kv, semconv.DBResponseReturnedRowsKey.Int64(out.RowsReturned))
		}
		if out.RowsAffected >= 0 && !isQuery(r.method) {
			kv = append(kv, rowsAffectedKey.Int64(out.RowsAffected))
		}
		if out.Truncated != "" {
			kv = append(kv, rowsTruncatedKey.Bool(true), budgetRuleKey.String(out.Truncated))
		}
	}
	if n := len(out.Masked); n > 0 {
		// The attribute values copy these lists: the buffer's scratch
		// space holds them meanwhile.
		strs := slices.Grow(buf.strs[:0], 3*n)[:3*n]
		counts := slices.Grow(buf.ints[:0], n)[:n]
		buf.strs, buf.ints = strs, counts
		cols, rules, strategies := strs[:n:n], strs[n:2*n:2*n], strs[2*n:]
		var total int64
		for i, m := range out.Masked {
			cols[i], rules[i], strategies[i], counts[i] = m.Column, m.Rule, m.Strategy, m.Count
			total += m.Count
		}
		kv = append(kv, maskedColumnsKey.StringSlice(cols), maskedValuesKey.Int64(total))
		if r.a.cfg.all {
			kv = append(kv, maskedRulesKey.StringSlice(rules),
				maskedStrategyKey.StringSlice(strategies), maskedCountsKey.Int64Slice(counts))
		}
	}
	kv = appendStr(kv, semconv.ErrorTypeKey, errType)
	kv = appendStr(kv, semconv.DBResponseStatusCodeKey, status)
	return appendStr(kv, errorTextKey, errText)
}

func isQuery(method string) bool {
	return method == "query" || method == "stmt.query"
}

// classify returns error.type and db.response.status_code for a statement
// error, from its type and SQLSTATE or error number, never from its text.
func classify(err error) (errType, status string) {
	// A redacted error (the masker's) hides the text of the database's,
	// not its type or code: those are read from the original, whose text
	// is never read here.
	var r interface{ Unredacted() error }
	if errors.As(err, &r) {
		if orig := r.Unredacted(); orig != nil {
			err = orig
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "context.Canceled", ""
	case errors.Is(err, context.DeadlineExceeded):
		return "context.DeadlineExceeded", ""
	}
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		status = st.SQLState()
	}
	// The deepest typed error names the failure best (a *pq.Error inside
	// the driver's wrapping).
	typed := err
	for e := err; e != nil; e = errors.Unwrap(e) {
		typed = e
		if _, ok := e.(interface{ SQLState() string }); ok {
			break
		}
	}
	errType = typeName(err, typed)
	if status == "" {
		status = errorNumber(typed)
	}
	return errType, status
}

// errorTypeOther is the error.type of an error that is neither typed nor
// a known sentinel, as the OpenTelemetry conventions name it.
const errorTypeOther = "_OTHER"

// sentinels are errors that are values, not types: their type
// (*errors.errorString) says nothing, so they are recorded by name.
var sentinels = [...]struct {
	err  error
	name string
}{
	{driver.ErrBadConn, "driver.ErrBadConn"},
	{driver.ErrSkip, "driver.ErrSkip"},
	{driver.ErrRemoveArgument, "driver.ErrRemoveArgument"},
	{sql.ErrConnDone, "sql.ErrConnDone"},
	{sql.ErrTxDone, "sql.ErrTxDone"},
	{sql.ErrNoRows, "sql.ErrNoRows"},
	{io.ErrUnexpectedEOF, "io.ErrUnexpectedEOF"},
	{io.EOF, "io.EOF"},
	{net.ErrClosed, "net.ErrClosed"},
}

// typeName returns the error.type of err, whose deepest typed error is
// typed: its Go type, unless that type is the standard library's plain
// error or wrapper, which names no failure — then the sentinel err matches,
// or errorTypeOther.
func typeName(err, typed error) string {
	t := reflect.TypeOf(typed)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.PkgPath() {
	case "errors", "fmt":
	default:
		return reflect.TypeOf(typed).String()
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return errorTypeOther
}

// errorNumber reads a numeric error code from a struct error with a
// Number field (go-sql-driver/mysql's *MySQLError), without importing the
// driver.
func errorNumber(err error) string {
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	f := v.FieldByName("Number")
	if !f.IsValid() {
		return ""
	}
	switch f.Kind() {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		return strconv.FormatUint(f.Uint(), 10)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		return strconv.FormatInt(f.Int(), 10)
	}
	return ""
}
