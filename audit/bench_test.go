package audit_test

import (
	"context"
	"database/sql"
	"io"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/fakedriver"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// discard is a span exporter that drops what it is given, so the benchmark
// measures the audit and the SDK's batching, not a network.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

func batchProvider(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithBatcher(discard{}, sdktrace.WithBatchTimeout(100*time.Millisecond)),
	)
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// sdkAttrs are attributes shaped like those of an audited SELECT.
func sdkAttrs() []attribute.KeyValue {
	kv := []attribute.KeyValue{
		attribute.String("db.system.name", "postgresql"), attribute.String("db.namespace", "shop"),
		attribute.String("db.operation.name", "SELECT"), attribute.String("db.collection.name", "customers"),
		attribute.String("db.query.text", "SELECT id, email FROM customers WHERE email = ?"),
		attribute.String("db.query.summary", "SELECT customers"), attribute.String("server.address", "127.0.0.1"),
		attribute.Int("server.port", 5432), attribute.StringSlice("user.roles", []string{"support", "pii:none"}),
		attribute.StringSlice("sqlvigil.masked.columns", []string{"email"}), attribute.Int64Slice("sqlvigil.masked.counts", []int64{3}),
		attribute.Int("code.line.number", 42), attribute.Bool("sqlvigil.complete", true),
	}
	for _, k := range []string{"user.id", "user.full_name", "sqlvigil.identity.kind", "sqlvigil.identity.tenant",
		"sqlvigil.identity.service", "sqlvigil.identity.purpose", "sqlvigil.identity.ticket", "gen_ai.agent.name",
		"gen_ai.request.model", "gen_ai.tool.name", "gen_ai.tool.call.id", "sqlvigil.agent.on_behalf_of",
		"sqlvigil.method", "sqlvigil.decision", "sqlvigil.mode", "code.function.name", "code.file.path",
		"sqlvigil.audit.record_id", "sqlvigil.masked.rules", "sqlvigil.masked.strategies"} {
		kv = append(kv, attribute.String(k, "value-"+k))
	}
	return kv
}

func benchEvent() *audit.Event {
	ev := selectEvent()
	ev.Args = nil
	return ev
}

// cpuTime returns the process's user and system CPU time: on a loaded
// machine it measures what an operation costs better than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStatement measures what auditing one statement costs: Start and
// End with the outcome a masked SELECT reports. "passthrough" is a nil
// auditor (no audit configured); the difference to it is the audit's cost.
func BenchmarkStatement(b *testing.B) {
	out := audit.Outcome{
		RowsReturned: 3, RowsAffected: -1,
		Masked: []audit.MaskedColumn{{Column: "email", Rule: "pii-email", Strategy: "redact", Count: 3}},
	}
	bench := func(b *testing.B, a *audit.Auditor) {
		ctx := context.Background()
		ev := benchEvent()
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuTime()
		for b.Loop() {
			_, rec, err := a.Start(ctx, ev)
			if err != nil {
				b.Fatal(err)
			}
			rec.End(out)
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	}
	newA := func(b *testing.B, opts ...audit.Option) *audit.Auditor {
		a, err := audit.New(opts...)
		if err != nil {
			b.Fatal(err)
		}
		return a
	}
	b.Run("passthrough", func(b *testing.B) { bench(b, nil) })
	// The floor: the SDK alone opening and ending a client span with
	// attributes like the audit's, without the audit.
	b.Run("sdk-span-only", func(b *testing.B) {
		tr := batchProvider(b).Tracer("bench")
		ctx := context.Background()
		kv := sdkAttrs()
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuTime()
		for b.Loop() {
			_, span := tr.Start(ctx, "SELECT customers", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(kv...))
			span.End()
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	})
	b.Run("noop-provider", func(b *testing.B) {
		bench(b, newA(b, audit.WithTracerProvider(noop.NewTracerProvider())))
	})
	b.Run("recording-batch", func(b *testing.B) {
		bench(b, newA(b, audit.WithTracerProvider(batchProvider(b))))
	})
	b.Run("recording-batch-caller", func(b *testing.B) {
		bench(b, newA(b, audit.WithTracerProvider(batchProvider(b)), audit.WithCaller()))
	})
	b.Run("recording-batch-all", func(b *testing.B) {
		bench(b, newA(b, audit.WithTracerProvider(batchProvider(b)), audit.WithCaller(), audit.WithAllAttributes()))
	})
	// The SDK's share of "recording-batch": the same tracer calls with the
	// same attributes, captured from an audited statement and replayed, so
	// the difference to "recording-batch" is what the audit itself costs.
	b.Run("sdk-same-calls", func(b *testing.B) {
		name, startKV, endKV := capturedCalls(b, out)
		tr := batchProvider(b).Tracer("bench")
		ctx := context.Background()
		kind := trace.WithSpanKind(trace.SpanKindClient)
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuTime()
		for b.Loop() {
			_, span := tr.Start(ctx, name, kind, trace.WithTimestamp(time.Now()), trace.WithAttributes(startKV...))
			span.SetAttributes(endKV...)
			span.End()
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	})
	b.Run("recording-batch-metrics", func(b *testing.B) {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
		bench(b, newA(b, audit.WithTracerProvider(batchProvider(b)), audit.WithMeterProvider(mp)))
	})
	// A caller found only below many frames the finder skips, as behind
	// database/sql, the driver and an ORM.
	b.Run("recording-batch-deep-caller", func(b *testing.B) {
		a := newA(b, audit.WithTracerProvider(batchProvider(b)), audit.WithCaller(),
			audit.WithCallerSkip("github.com/sqlvigil/sqlvigil/audit_test"))
		ctx := context.Background()
		ev := benchEvent()
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuTime()
		for b.Loop() {
			deep(20, func() {
				_, rec, err := a.Start(ctx, ev)
				if err != nil {
					b.Fatal(err)
				}
				rec.End(out)
			})
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	})
	b.Run("recording-batch-blackbox", func(b *testing.B) {
		bb := blackbox.New(io.Discard, blackbox.Config{})
		bench(b, newA(b, audit.WithTracerProvider(batchProvider(b)), audit.WithSink(bb)))
	})
}

// BenchmarkThroughDriver measures the audit where it runs: an ExecContext
// through database/sql and the sqlvigil driver over a fake database,
// issued from under 20 frames of application code, with no auditor and
// with an auditor on a recording span and a batch exporter. The difference
// is the audit's cost in place, the caller's stack walk through
// database/sql included.
func BenchmarkThroughDriver(b *testing.B) {
	ctx := identity.NewContext(context.Background(), agent())
	for _, tt := range []struct {
		name string
		opts func(b *testing.B) []sqlvigil.Option
	}{
		{"no-auditor", func(*testing.B) []sqlvigil.Option { return nil }},
		{"recording-batch", func(b *testing.B) []sqlvigil.Option {
			a, err := audit.New(audit.WithTracerProvider(batchProvider(b)))
			if err != nil {
				b.Fatal(err)
			}
			return []sqlvigil.Option{sqlvigil.WithAuditor(a)}
		}},
		{"recording-batch-caller", func(b *testing.B) []sqlvigil.Option {
			a, err := audit.New(audit.WithTracerProvider(batchProvider(b)), audit.WithCaller())
			if err != nil {
				b.Fatal(err)
			}
			return []sqlvigil.Option{sqlvigil.WithAuditor(a)}
		}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			fake := fakedriver.New(fakedriver.Config{DiscardArgs: true, RowsAffected: 1})
			c, err := sqlvigil.WrapConnector(fake.Connector(), append(tt.opts(b), sqlvigil.WithDialect(sqlstmt.PostgreSQL))...)
			if err != nil {
				b.Fatal(err)
			}
			db := sql.OpenDB(c)
			defer db.Close()
			db.SetMaxIdleConns(1)
			const query = "UPDATE customers SET name = 'ada' WHERE id = 1"
			if _, err := db.ExecContext(ctx, query); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			deep(20, func() {
				for b.Loop() {
					if _, err := db.ExecContext(ctx, query); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// deep calls f under n more frames.
//
//go:noinline
func deep(n int, f func()) {
	if n == 0 {
		f()
		return
	}
	deep(n-1, f)
}

// startCapture records the attributes a span was started with.
type startCapture struct {
	start map[trace.SpanID][]attribute.KeyValue
	ended []sdktrace.ReadOnlySpan
}

func (c *startCapture) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	c.start[s.SpanContext().SpanID()] = s.Attributes()
}
func (c *startCapture) OnEnd(s sdktrace.ReadOnlySpan)    { c.ended = append(c.ended, s) }
func (c *startCapture) Shutdown(context.Context) error   { return nil }
func (c *startCapture) ForceFlush(context.Context) error { return nil }

// capturedCalls returns the name and the attributes, at start and at end,
// that the auditor gives the SDK for the benchmark's statement.
func capturedCalls(b *testing.B, out audit.Outcome) (string, []attribute.KeyValue, []attribute.KeyValue) {
	c := &startCapture{start: map[trace.SpanID][]attribute.KeyValue{}}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(c))
	a, err := audit.New(audit.WithTracerProvider(tp), audit.WithEndDelay(0))
	if err != nil {
		b.Fatal(err)
	}
	_, rec, err := a.Start(context.Background(), benchEvent())
	if err != nil {
		b.Fatal(err)
	}
	rec.End(out)
	if len(c.ended) != 1 {
		b.Fatalf("got %d spans, want 1", len(c.ended))
	}
	s := c.ended[0]
	startKV := c.start[s.SpanContext().SpanID()]
	all := s.Attributes()
	if len(all) < len(startKV) {
		b.Fatalf("got %d attributes at end, fewer than the %d at start", len(all), len(startKV))
	}
	return s.Name(), startKV, all[len(startKV):]
}
