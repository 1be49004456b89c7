package audit_test

import (
	"context"
	"database/sql"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/fakedriver"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// bigInsert returns an INSERT of about n bytes into table t<i>: a text an
// agent may send, with every value inline.
func bigInsert(i, n int) string {
	var b strings.Builder
	b.Grow(n + 64)
	b.WriteString("INSERT INTO t" + strconv.Itoa(i) + " (id, note) VALUES ")
	for k := 0; b.Len() < n-64; k++ {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + strconv.Itoa(k) + ", 'note number " + strconv.Itoa(k) + "')")
	}
	return b.String()
}

// BenchmarkRetainedShape1MiB measures the heap an auditor keeps for each
// shape of a ~1 MiB statement run through the driver (the analysis, the
// shape cache, identities): the heap in use after a collection, less the
// heap before, over the number of shapes, reported as retained-B/shape.
func BenchmarkRetainedShape1MiB(b *testing.B) {
	const shapes = 16
	texts := make([]string, shapes)
	for i := range texts {
		texts[i] = bigInsert(i, 1000_000)
	}
	ctx := identity.NewContext(context.Background(), agent())
	var retained float64
	for b.Loop() {
		b.StopTimer()
		a, err := audit.New(audit.WithTracerProvider(noop.NewTracerProvider()), audit.WithSink(audit.SinkFunc(func(context.Context, *audit.Entry) error { return nil })))
		if err != nil {
			b.Fatal(err)
		}
		fake := fakedriver.New(fakedriver.Config{DiscardArgs: true, RowsAffected: 1})
		c, err := sqlvigil.WrapConnector(fake.Connector(), sqlvigil.WithAuditor(a), sqlvigil.WithDialect(sqlstmt.PostgreSQL))
		if err != nil {
			b.Fatal(err)
		}
		db := sql.OpenDB(c)
		db.SetMaxIdleConns(1)
		if _, err := db.ExecContext(ctx, "SELECT 1"); err != nil {
			b.Fatal(err)
		}
		before := heapInUse()
		b.StartTimer()
		for _, q := range texts {
			if _, err := db.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		after := heapInUse()
		retained += float64(after-before) / shapes
		runtime.KeepAlive(db)
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(retained/float64(b.N), "retained-B/shape")
}

// heapInUse returns the bytes of live heap objects after a collection.
func heapInUse() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
