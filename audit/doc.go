// Package audit records every statement that goes through a sqlvigil
// driver: who issued it, what it was, what the guard decided, what came
// back and what was masked. It depends on the OpenTelemetry API only; the
// application chooses the SDK and the exporter.
//
// # Spans
//
// Each statement gets one client span, named "{db.operation.name}
// {db.collection.name}" ("SELECT customers"), carrying the stable database
// semantic conventions (db.system.name, db.namespace, db.operation.name,
// db.collection.name, db.query.text — the literal-free text —,
// db.query.summary, db.response.returned_rows, db.response.status_code,
// error.type, server.address, server.port), the identity (user.id,
// user.roles; gen_ai.agent.name, gen_ai.request.model, gen_ai.tool.name,
// gen_ai.tool.call.id for agents; sqlvigil.identity.* for the rest) and the
// governance facts (sqlvigil.decision, sqlvigil.rule, sqlvigil.mode,
// sqlvigil.approval.*, sqlvigil.tables.read and .written,
// sqlvigil.rows_affected, sqlvigil.masked.columns and .values, and
// sqlvigil.complete=false on a statement the analyser could not read with
// certainty). A transaction gets a span ("transaction") that parents its
// statements. [WithCaller] adds the Go caller (code.function.name,
// code.file.path, code.line.number: the first frame outside database/sql,
// this module's library packages and the common ORMs);
// [WithAllAttributes] adds what a reader can derive from the configuration
// or rarely needs (user.full_name, sqlvigil.method, sqlvigil.mode=enforce,
// the masked columns'
// rules, strategies and counts, sqlvigil.complete on every statement, the
// record id without a sink).
//
// The attributes a sampler may use (db.system.name, db.namespace,
// db.operation.name, db.collection.name, db.query.text, db.query.summary,
// server.*) are given when the span starts; the others are set when its
// record ends, all at once, and only on a span that records: a span
// processor's OnStart sees the former only.
//
// A span is handed to the tracer provider a few milliseconds after its
// statement ends, in a batch with the others that ended meanwhile, its end
// time being the statement's ([WithEndDelay]; [Auditor.Flush] hands them
// over at once, and closing a sql.DB opened through sqlvigil calls it).
//
// A denied statement is recorded too, with an error status naming the rule,
// and error.type "sqlvigil.blocked".
//
// Nothing masked is ever recorded. Bound arguments are not recorded unless
// [WithArgs] is given, and then through a [Redactor] (by default: type and
// size only). The text of database errors, which can quote values, is not
// recorded unless [WithErrorText] is given.
//
// # Metrics
//
// db.client.operation.duration (histogram, seconds, the conventions'
// buckets), sqlvigil.guard.decisions (by decision, rule and mode),
// sqlvigil.mask.values (by rule and column) and sqlvigil.audit.sink.errors.
//
// # Sinks: an audit trail that is not sampled
//
// Traces are sampled; an audit trail must not be. Every record is also
// written to each [Sink] given with [WithSink], whatever the sampler decides:
// [SlogSink] writes to a log/slog handler, [BlackBox] to a JSON-lines file
// in which each record is hash-chained to the previous one. [Verify]
// detects a record edited, removed, inserted or moved, and — with an
// [Anchor] or a seal — a file cut short. The sqlvigil-audit command wraps
// Verify and [Replay].
//
// A sink that fails does not stop statements: the failure is counted and
// passed to the [WithErrorHandler] function. With [WithMandatory] ("no
// record, no query") an intent record is written to every sink before each
// statement runs, and a statement whose intent cannot be written is refused
// ([ErrUnavailable]); its complete record, with error.type
// [ErrorTypeAuditUnavailable], then goes to every sink, so that no intent
// stands without its outcome.
//
// # The black box on disk
//
// [OpenBlackBox] holds an exclusive lock for as long as the black box is
// open: flock(2) on PATH.lock on Linux, macOS and the BSDs (the kernel
// drops it when the process dies), a lock within the process elsewhere. A
// second writer gets [ErrLocked].
//
// A crash during a write leaves a torn last line. [Verify] reports it as
// [ErrTornTail], not [ErrTampered]; OpenBlackBox cuts it off and chains a
// record of kind "cut" that says how many bytes were cut.
//
// [BlackBoxConfig.MaxBytes] and [BlackBoxConfig.MaxAge] rotate the file:
// it is sealed and renamed PATH.NNN… (the sequence number of its first
// record), and the new file begins with a "rotate" record that continues
// the sequence and links to the seal. [VerifyConfig.VerifyFiles] (with
// [BlackBoxFiles]) and [VerifyConfig.VerifyDir] verify the set and report
// a file missing from it or out of order.
//
// The sqlvigil-audit command's verify exits with status 1 on tampering
// and 4 on a torn tail alone.
//
// Error types ([Outcome.Err]) are recorded by Go type — the driver's or
// ours —, never as the standard library's plain *errors.errorString: a
// sentinel such as driver.ErrBadConn is recorded by name
// ("driver.ErrBadConn"), any other untyped error as [ErrorTypeOther].
//
// # Replay
//
// [Replay] runs the recorded statements of a black box through a decision
// function — typically a new guard policy — in dry run: "what would this
// policy have blocked last week?". The package does not import the guard;
// the sqlvigil-audit command connects the two.
//
// # Cost
//
// Most of what a recorded statement costs is the OpenTelemetry SDK's: on
// a 2-core machine the SDK spends about 0.9 µs on a span and some 150 ns
// on each attribute (it normalises, copies and de-duplicates each), so the
// ~20 attributes of an agent's statement cost ~4 µs; and its batch
// processor wakes its goroutine for each span handed to it while that
// goroutine is parked, some 20 µs of wall and CPU time on a statement
// that waits on a local PostgreSQL. The end delay spares that wake: one
// serves a batch. Hence the defaults: no caller and no derivable attributes
// ([WithCaller] costs a stack walk, 1–2 µs: database/sql and the driver put
// about 14 frames above the caller), and an end delay of 5 ms. With a
// no-op tracer provider, a statement costs about 0.5 µs, and one that
// nothing records (no span, sink or metric reader) gets a nil [Record].
// To keep its own share small the auditor builds each span's attributes
// once, in a pooled buffer (given only to span types known to copy what they
// are given: the SDK's, the API's and the global delegate's), keeps the
// attributes of recent identities (per subject) and of statement shapes (per
// literal-free text: up to 1024 shapes and 4 MiB, texts over 4 KiB not
// cached) and reuses them when every field matches,
// and walks the stack only as deep as callers have been found.
//
// # Concurrency
//
// An [Auditor], a [BlackBox] and a [SlogSink] are safe for concurrent use.
// A [Record] is ended once, by the goroutine that runs its statement; a nil
// *Auditor and a nil *Record record nothing.
package audit
