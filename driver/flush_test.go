package driver_test

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/internal/fakedriver"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// TestCloseFlushesSpans: closing the sql.DB hands the spans the auditor
// keeps for its next batch to the tracer provider, however the database
// was opened, so a program that closes its database and then shuts its
// tracer provider down loses none.
func TestCloseFlushesSpans(t *testing.T) {
	opens := []struct {
		name string
		open func(opts ...sqlvigil.Option) (*sql.DB, error)
	}{
		{"WrapConnector", func(opts ...sqlvigil.Option) (*sql.DB, error) {
			c, err := sqlvigil.WrapConnector(fakedriver.New(fakedriver.Config{}).Connector(), opts...)
			if err != nil {
				return nil, err
			}
			return sql.OpenDB(c), nil
		}},
		{"Wrap+OpenConnector", func(opts ...sqlvigil.Option) (*sql.DB, error) {
			d, err := sqlvigil.Wrap(fakedriver.New(fakedriver.Config{}), opts...)
			if err != nil {
				return nil, err
			}
			c, err := d.(sqldriver.DriverContext).OpenConnector("")
			if err != nil {
				return nil, err
			}
			return sql.OpenDB(c), nil
		}},
	}
	for _, o := range opens {
		t.Run(o.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			a, err := audit.New(audit.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))),
				audit.WithEndDelay(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			db, err := o.open(sqlvigil.WithDialect(sqlstmt.PostgreSQL), sqlvigil.WithAuditor(a))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(context.Background(), "UPDATE t SET a = 1 WHERE id = 2"); err != nil {
				t.Fatal(err)
			}
			if n := len(rec.Ended()); n != 0 {
				t.Fatalf("%d spans ended before their batch, want 0", n)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if n := len(rec.Ended()); n != 1 {
				t.Errorf("%d spans ended after db.Close, want 1", n)
			}
		})
	}
}
