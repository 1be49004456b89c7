package bench_test

import (
	"context"
	"database/sql"
	"runtime"
	"testing"
	"time"

	"github.com/XSAM/otelsql"
	"github.com/ngrok/sqlmw"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlvigil/sqlvigil/audit"
)

// env is what every contender of one run shares.
type env struct {
	// tp is an SDK tracer provider whose batch span processor feeds a no-op
	// exporter: spans are built, sampled, queued and exported for real, and
	// then dropped, so no backend's cost is measured.
	tp *sdktrace.TracerProvider
	// auditors are the sqlvigil auditors on tp: settle hands over the
	// spans they keep for their next batch.
	auditors []*audit.Auditor
}

func newEnv(b testing.TB, opts ...sdktrace.TracerProviderOption) *env {
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{
		sdktrace.WithBatcher(tracetest.NewNoopExporter()),
	}, opts...)...)
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &env{tp: tp}
}

// settle exports the spans still queued and collects the garbage left by
// the benchmark before, so that neither is charged to the next one.
func (e *env) settle(tb testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, a := range e.auditors {
		if err := a.Flush(ctx); err != nil {
			tb.Fatalf("flush auditor: %v", err)
		}
	}
	if err := e.tp.ForceFlush(ctx); err != nil {
		tb.Fatalf("flush spans: %v", err)
	}
	runtime.GC()
}

// contender is one way of reaching the database.
type contender struct {
	name string // the impl= key of the benchmark name
	// open returns the pool for t and the context statements run under.
	// It returns a nil pool when the contender cannot be built yet.
	open func(b testing.TB, e *env, t *target) (*sql.DB, context.Context)
}

func contenders() []contender {
	cs := []contender{
		{name: "raw", open: openRaw},
		{name: "sqlmw", open: openSQLMW},
		{name: "otelsql", open: openOtelSQL},
	}
	return append(cs, vigilContenders()...)
}

func openRaw(b testing.TB, e *env, t *target) (*sql.DB, context.Context) {
	return sql.OpenDB(dsnConnector{t.drv, t.dsn}), context.Background()
}

// openSQLMW is the bare interception base sqlvigil is built on: sqlmw with
// its pass-through interceptor.
func openSQLMW(b testing.TB, e *env, t *target) (*sql.DB, context.Context) {
	return sql.OpenDB(dsnConnector{sqlmw.Driver(t.drv, sqlmw.NullInterceptor{}), t.dsn}), context.Background()
}

// openOtelSQL is otelsql with its default options and tracing on.
func openOtelSQL(b testing.TB, e *env, t *target) (*sql.DB, context.Context) {
	return otelsql.OpenDB(dsnConnector{t.drv, t.dsn}, otelsql.WithTracerProvider(e.tp)), context.Background()
}
