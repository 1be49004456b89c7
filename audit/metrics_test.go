package audit_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

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
