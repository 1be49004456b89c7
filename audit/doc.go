// Package audit records every statement that goes through a sqlvigil
// driver: who issued it, what it was, what the guard decided, what came
// back and what was masked. It depends on the OpenTelemetry API only; the
// application chooses the SDK and the exporter.
//
// # Auditor
//
// An [Auditor], made by [New] with [Option] values, gives each statement a
// client span, metrics and a record to each sink. The driver opens a
// [Record] with [Auditor.Start] (an [Event]: what is known before the
// statement runs) and closes it with [Record.End] (an [Outcome]). The span
// attributes and metric names, which users read by name in a trace viewer,
// are listed on [Auditor]; what the options add or leave out is on each
// With… function. Nothing masked is ever recorded, nor a bound argument
// unless [WithArgs] is given, and then through a [Redactor].
//
// # Sinks: an audit trail that is not sampled
//
// Traces are sampled; an audit trail must not be. Every record is written
// as an [Entry] to each [Sink] given with [WithSink], whatever the sampler
// decides: [SlogSink] writes to a log/slog handler, [SinkFunc] adapts a
// function, and package [github.com/sqlvigil/sqlvigil/audit/blackbox]
// writes a hash-chained file that detects any edit, with tools to verify it
// and to replay it through a new policy.
//
// A sink that fails or panics ([ErrSinkPanicked]) does not stop
// statements: the failure is counted and passed to the [WithErrorHandler]
// function; [WithSinkTimeout] bounds one that hangs. With [WithMandatory]
// ("no record, no query") a statement whose intent record cannot be
// written before its context ends is refused with [ErrUnavailable].
//
// # Example
//
//	a, err := audit.New(
//		audit.WithTracerProvider(tp),
//		audit.WithSink(audit.NewSlogSink(slog.Default().Handler())),
//	)
//	if err != nil {
//		return err
//	}
//	db, err := sqlvigil.Open("pgx", dsn, sqlvigil.WithAuditor(a))
//
// Spans are handed to the tracer provider in batches a few milliseconds
// after their statements end ([WithEndDelay]); call [Auditor.Flush] before
// shutting the provider down (closing a sql.DB opened through sqlvigil
// calls it).
//
// # Concurrency
//
// An [Auditor] and a [SlogSink] are safe for concurrent use; a [Sink] must
// be. A [Record] is ended once, by the goroutine that runs its statement; a
// nil *Auditor and a nil *Record record nothing.
package audit
