package audit_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlvigil/sqlvigil/audit"
)

func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	a, _ := newAuditor(t, audit.WithMeterProvider(mp))
	for _, decision := range []string{"allow", "allow", "deny"} {
		ev := selectEvent()
		ev.Decision = decision
		if decision == "deny" {
			ev.Rule = "no-ddl"
		}
		_, rec, _ := a.Start(context.Background(), ev)
		rec.End(audit.Outcome{Masked: []audit.MaskedColumn{{Column: "email", Rule: "pii-email", Count: 4}}})
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	got := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got[m.Name] = m.Data
		}
	}
	h, ok := got["db.client.operation.duration"].(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("db.client.operation.duration missing or not a float histogram: %T", got["db.client.operation.duration"])
	}
	var count uint64
	for _, dp := range h.DataPoints {
		count += dp.Count
		want := []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}
		if !slices.Equal(dp.Bounds, want) {
			t.Errorf("bounds = %v, want %v", dp.Bounds, want)
		}
		if v, _ := dp.Attributes.Value("db.system.name"); v.AsString() != "postgresql" {
			t.Errorf("duration db.system.name = %q, want postgresql", v.AsString())
		}
	}
	if count != 3 {
		t.Errorf("duration count = %d, want 3", count)
	}
	sums := func(name string) map[string]int64 {
		s, ok := got[name].(metricdata.Sum[int64])
		if !ok {
			t.Fatalf("%s missing: %T", name, got[name])
		}
		m := map[string]int64{}
		for _, dp := range s.DataPoints {
			m[dp.Attributes.Encoded(attribute.DefaultEncoder())] += dp.Value
		}
		return m
	}
	dec := sums("sqlvigil.guard.decisions")
	if fmt.Sprint(dec) != "map[sqlvigil.decision=allow,sqlvigil.mode=enforce,sqlvigil.rule=:2 sqlvigil.decision=deny,sqlvigil.mode=enforce,sqlvigil.rule=no-ddl:1]" {
		t.Errorf("decisions = %v", dec)
	}
	masked := sums("sqlvigil.mask.values")
	if fmt.Sprint(masked) != "map[sqlvigil.mask.column=email,sqlvigil.mask.rule=pii-email:12]" {
		t.Errorf("masked = %v", masked)
	}
}

func TestIdentityAttributes(t *testing.T) {
	a, sr := newAuditor(t, audit.WithIdentityAttributes("team"))
	ev := selectEvent()
	ev.Identity.Attributes = map[string]string{"team": "support", "email": secret}
	_, rec, _ := a.Start(context.Background(), ev)
	rec.End(audit.Outcome{})
	spans := sr.Ended()
	checkAttrs(t, attrs(spans[0]), map[attribute.Key]any{
		"sqlvigil.identity.attr.team":  "support",
		"sqlvigil.identity.attr.email": nil,
	})
	noSecret(t, spans)
}

// TestUnsampled checks what a statement whose span the sampler drops still
// records: its metrics when a reader is installed, its sink record when a
// sink is configured, and nothing at all (a nil record) otherwise.
func TestUnsampled(t *testing.T) {
	tests := []struct {
		name       string
		metrics    bool
		sink       bool
		wantRecord bool
	}{
		{"nothing", false, false, false},
		{"metrics", true, false, true},
		{"sink", false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sr := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSpanProcessor(sr))
			reader := sdkmetric.NewManualReader()
			opts := []audit.Option{audit.WithTracerProvider(tp)}
			if tt.metrics {
				opts = append(opts, audit.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
			}
			var entries []*audit.Entry
			if tt.sink {
				opts = append(opts, audit.WithSink(audit.SinkFunc(func(_ context.Context, e *audit.Entry) error {
					entries = append(entries, e)
					return nil
				})))
			}
			a, err := audit.New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, rec, err := a.Start(context.Background(), selectEvent())
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if got := rec != nil; got != tt.wantRecord {
				t.Fatalf("got a record: %v, want %v", got, tt.wantRecord)
			}
			rec.End(audit.Outcome{RowsReturned: 1, RowsAffected: -1})
			if n := len(sr.Ended()); n != 0 {
				t.Errorf("got %d spans, want none", n)
			}
			if tt.sink && (len(entries) != 1 || entries[0].RowsReturned != 1) {
				t.Errorf("sink got %v, want one record of one row", entries)
			}
			if tt.metrics {
				var rm metricdata.ResourceMetrics
				if err := reader.Collect(context.Background(), &rm); err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, sm := range rm.ScopeMetrics {
					for _, m := range sm.Metrics {
						names = append(names, m.Name)
					}
				}
				slices.Sort(names)
				if want := []string{"db.client.operation.duration", "sqlvigil.guard.decisions"}; !slices.Equal(names, want) {
					t.Errorf("metrics = %v, want %v", names, want)
				}
			}
		})
	}
}
