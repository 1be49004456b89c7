package audit

// This file fixes the API the driver package calls. Fields and functions may
// be added; none of these may be renamed or change signature without changing
// the driver in the same commit.

import (
	"context"
	"database/sql/driver"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Event is what is known of a statement when its record starts.
type Event struct {
	Identity identity.Identity
	// System is db.system.name ("postgresql", "mysql", "sqlite").
	System string
	// Namespace is db.namespace (the database name), if known.
	Namespace     string
	ServerAddress string
	ServerPort    int
	// Method is how the statement was issued: "exec", "query", "prepare",
	// "stmt.exec", "stmt.query", "raw".
	Method string
	// Operation is db.operation.name ("SELECT"); Collection is
	// db.collection.name (the first table).
	Operation  string
	Collection string
	// Summary is db.query.summary; QueryText the literal-free text.
	Summary   string
	QueryText string
	Reads     []string
	Writes    []string
	Stacked   bool
	Complete  bool
	InTx      bool
	// Decision, Rule, Reason and Mode carry the guard's verdict ("allow",
	// "deny", "review"; "enforce", "monitor").
	Decision   string
	Rule       string
	Reason     string
	Mode       string
	ApprovalID string
	Reviewer   string
	// Text is the statement as the caller wrote it, literals included. It is
	// recorded only when the auditor is told to (WithStatementText), and
	// then only in sink records, never in spans.
	Text string
	// Args are the bound arguments: recorded only when the auditor is told
	// to, and then redacted.
	Args []driver.NamedValue
}

// MaskedColumn is one masked column of the result, for the record.
type MaskedColumn struct {
	Column   string `json:"column"`
	Rule     string `json:"rule,omitempty"`
	Strategy string `json:"strategy,omitempty"`
	Count    int64  `json:"count"`
}

// Outcome is what is known of a statement when its record ends.
type Outcome struct {
	RowsReturned int64
	RowsAffected int64 // -1 when unknown
	Masked       []MaskedColumn
	Err          error
	// TxEnd is "commit" or "rollback" when a transaction record ends.
	TxEnd string
	// Refused, when set, is the rule that refused the statement after it
	// was allowed to start (a result set the masker could not plan): the
	// record's decision becomes "deny", by that rule, with RefusedReason.
	Refused       string
	RefusedReason string
	// Truncated, when set, is the rule whose read budget ended the rows
	// before the database had no more (guard.ReadBudget): the caller got
	// RowsReturned rows and then an error saying so.
	Truncated string
}

// Auditor records statements: one span each, metrics, and one [Entry] to
// every [Sink]. Create one with [New]. An Auditor is safe for concurrent
// use; a nil *Auditor records nothing.
//
// Each statement gets one client span, named "{db.operation.name}
// {db.collection.name}" ("SELECT customers"); a transaction gets a span
// named "transaction" that parents its statements. Users read the
// attributes by name, in a trace viewer; the names are:
//
//	db.system.name, db.namespace,       stable database conventions; db.query.text
//	db.operation.name,                  is the literal-free text (WithoutQueryText
//	db.collection.name, db.query.text,  drops it); the status code is the driver's
//	db.query.summary,                   (SQLSTATE, MySQL error number)
//	db.response.returned_rows,
//	db.response.status_code
//	server.address, server.port
//	error.type                          the error's Go type, a sentinel's name
//	                                    ("driver.ErrBadConn"), "_OTHER", or
//	                                    ErrorTypeBlocked, ErrorTypeAuditUnavailable
//	code.function.name, code.file.path, the caller, with WithCaller
//	code.line.number
//	user.id, user.roles                 the identity (user.full_name: WithAllAttributes)
//	gen_ai.agent.name, gen_ai.request.model,
//	gen_ai.tool.name, gen_ai.tool.call.id,
//	sqlvigil.agent.on_behalf_of         the agent, for an agent's identity
//	sqlvigil.identity.kind, .tenant, .service, .purpose, .ticket, .untrusted
//	sqlvigil.identity.attr.<key>        with WithIdentityAttributes
//	sqlvigil.decision, sqlvigil.rule,   the guard's verdict ("allow", "deny",
//	sqlvigil.reason, sqlvigil.mode,     "review"; "enforce" is recorded with
//	sqlvigil.approval.id,               WithAllAttributes only)
//	sqlvigil.approval.reviewer
//	sqlvigil.method                     how it was issued (exec and query with
//	                                    WithAllAttributes only)
//	sqlvigil.tables.read, sqlvigil.tables.written, sqlvigil.stacked
//	sqlvigil.complete                   false when the analyser could not read the
//	                                    statement with certainty (true with
//	                                    WithAllAttributes)
//	sqlvigil.args                       with WithArgs, redacted
//	sqlvigil.audit.record_id            the sink record's ID (without a sink:
//	                                    WithAllAttributes only)
//	sqlvigil.rows_affected
//	sqlvigil.masked.columns, sqlvigil.masked.values
//	sqlvigil.masked.rules, .strategies, .counts   with WithAllAttributes
//	sqlvigil.error.text                 with WithErrorText
//	sqlvigil.tx.read_only, sqlvigil.tx.isolation, sqlvigil.tx.end,
//	sqlvigil.tx.statements              on a transaction's span
//
// The attributes a sampler may use (db.system.name, db.namespace,
// db.operation.name, db.collection.name, db.query.text, db.query.summary,
// server.*) are given when the span starts; the others are set when its
// record ends, all at once, and only on a span that records: a span
// processor's OnStart sees the former only. A denied statement is recorded
// too, with an error status naming the rule. Nothing masked is ever
// recorded, nor the text of a database error unless [WithErrorText] is
// given.
//
// The metrics are db.client.operation.duration (histogram, seconds, the
// conventions' buckets), sqlvigil.guard.decisions (by decision, rule and
// mode), sqlvigil.mask.values (by sqlvigil.mask.rule and
// sqlvigil.mask.column) and sqlvigil.audit.sink.errors.
//
// Most of what a recorded statement costs is the OpenTelemetry SDK's: on a
// 2-core machine about 0.9 µs a span and some 150 ns an attribute, so the
// ~20 attributes of an agent's statement cost ~4 µs; and its batch
// processor wakes its goroutine for each span handed to it while that
// goroutine is parked, some 20 µs, which [WithEndDelay] spares. Hence the
// defaults: no caller, no derivable attributes, an end delay of 5 ms. With
// a no-op tracer provider a statement costs about 0.5 µs, and one that
// nothing records (no span, sink or metric reader) gets a nil [Record]. To
// keep its own share small the Auditor builds each span's attributes once,
// in a pooled buffer (given only to span types known to copy what they are
// given), reuses the attributes of recent identities and of statement
// shapes (up to 1024 literal-free texts and 4 MiB, texts over 4 KiB not
// cached), and walks the stack only as deep as callers have been found.
type Auditor struct {
	cfg      *config
	tracer   trace.Tracer
	spanKind trace.SpanStartOption
	inst     instruments
	bufs     attrBufs
	ids      *idCache
	shapes   *shapeCache
	callers  *callerFinder
	ender    *ender // nil: spans end where their statements end
	idPrefix string
	seq      atomic.Uint64
	// sinkStates[i] follows sink i's writes given up on.
	sinkStates []sinkState
}

// Start opens the record of one statement. A non-nil error means the audit
// is mandatory and could not be written: the statement must not run. The
// record is nil when nothing would be recorded: the span does not record
// (a no-op provider, or the sampler said no), no sink is configured and no
// metric reader is installed.
func (a *Auditor) Start(ctx context.Context, ev *Event) (context.Context, *Record, error) {
	if a == nil || ev == nil {
		return ctx, nil, nil
	}
	return a.start(ctx, ev)
}

// StartTx opens the record of a transaction; statements issued inside it
// are its children.
func (a *Auditor) StartTx(ctx context.Context, readOnly bool, isolation string) (context.Context, *Record, error) {
	if a == nil {
		return ctx, nil, nil
	}
	return a.startTx(ctx, readOnly, isolation)
}

// Record is an open audit record. A nil *Record records nothing. End must be
// called exactly once.
type Record struct {
	a     *Auditor
	ctx   context.Context // the span's
	span  trace.Span
	entry *Entry // nil when the auditor has no sink
	// attrs holds, for a recording statement span, the attributes it is
	// given at End with the outcome's.
	attrs     *attrBuf
	start     time.Time
	tx        bool
	recording bool

	system, namespace, operation, collection string
	decision, rule, reason, mode, method     string

	ended      atomic.Bool
	statements atomic.Int64 // statements recorded inside a transaction
}

// End closes the record. Calls after the first are ignored.
func (r *Record) End(out Outcome) {
	if r == nil || !r.ended.CompareAndSwap(false, true) {
		return
	}
	r.end(&out)
}

// Flush hands the spans of ended statements that wait for their batch
// (see [WithEndDelay]) to the tracer provider now, and returns when they
// have been ended or ctx is done. Call it before shutting the tracer
// provider down; closing a sql.DB opened through sqlvigil calls it. A nil
// *Auditor has nothing to flush.
func (a *Auditor) Flush(ctx context.Context) error {
	if a == nil || a.ender == nil {
		return nil
	}
	return a.ender.flush(ctx)
}
