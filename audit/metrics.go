package audit

import (
	"context"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

const scopeName = "github.com/sqlvigil/sqlvigil/audit"

// version is the instrumentation version reported with the tracer and meter.
const version = "0.1.0"

// durationBuckets are the explicit bucket boundaries the semantic
// conventions recommend for db.client.operation.duration, in seconds.
var durationBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}

// Metric names.
const (
	metricOperationDuration = "db.client.operation.duration"
	metricDecisions         = "sqlvigil.guard.decisions"
	metricMaskedValues      = "sqlvigil.mask.values"
	metricSinkErrors        = "sqlvigil.audit.sink.errors"
)

type instruments struct {
	duration   metric.Float64Histogram
	decisions  metric.Int64Counter
	masked     metric.Int64Counter
	sinkErrors metric.Int64Counter
	// sets caches the attribute sets of the metrics, whose values are
	// few (systems, tables, rules): building a set sorts and hashes.
	sets *setCache
}

// maxCachedSets bounds the attribute-set cache; past it, sets are built
// for each measurement.
const maxCachedSets = 4096

type setKey struct {
	kind          uint8
	a, b, c, d, e string
}

// setCache holds the measurement options of attribute sets already built.
// A plain map under a read-write lock: a sync.Map would box each setKey
// into an interface, an allocation per lookup.
type setCache struct {
	mu sync.RWMutex
	m  map[setKey]metric.MeasurementOption
}

func (c *setCache) get(k setKey, build func() []attribute.KeyValue) metric.MeasurementOption {
	c.mu.RLock()
	opt, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return opt
	}
	opt = metric.WithAttributeSet(attribute.NewSet(build()...))
	c.mu.Lock()
	if len(c.m) < maxCachedSets {
		if c.m == nil {
			c.m = make(map[setKey]metric.MeasurementOption)
		}
		c.m[k] = opt
	}
	c.mu.Unlock()
	return opt
}

func newInstruments(mp metric.MeterProvider) (instruments, error) {
	m := mp.Meter(scopeName, metric.WithInstrumentationVersion(version))
	in := instruments{sets: &setCache{}}
	var err error
	if in.duration, err = m.Float64Histogram(metricOperationDuration,
		metric.WithDescription("Duration of database client operations."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		return in, fmt.Errorf("audit: %s: %w", metricOperationDuration, err)
	}
	if in.decisions, err = m.Int64Counter(metricDecisions,
		metric.WithDescription("Guard decisions on statements, by decision, rule and mode."),
		metric.WithUnit("{statement}")); err != nil {
		return in, fmt.Errorf("audit: %s: %w", metricDecisions, err)
	}
	if in.masked, err = m.Int64Counter(metricMaskedValues,
		metric.WithDescription("Values masked in result sets, by rule and column."),
		metric.WithUnit("{value}")); err != nil {
		return in, fmt.Errorf("audit: %s: %w", metricMaskedValues, err)
	}
	if in.sinkErrors, err = m.Int64Counter(metricSinkErrors,
		metric.WithDescription("Audit records a sink failed to write."),
		metric.WithUnit("{record}")); err != nil {
		return in, fmt.Errorf("audit: %s: %w", metricSinkErrors, err)
	}
	return in, nil
}

// enabled reports whether any instrument of a statement's record would be
// seen by a reader.
func (in *instruments) enabled(ctx context.Context) bool {
	return in.duration.Enabled(ctx) || in.decisions.Enabled(ctx) || in.masked.Enabled(ctx)
}

func (r *Record) recordMetrics(ctx context.Context, seconds float64, errType string, out *Outcome) {
	in := &r.a.inst
	// Attribute sets are looked up only for the instruments a reader will
	// see: the global provider's say no until an SDK is installed. A
	// transaction is measured by its statements.
	if !r.tx && in.duration.Enabled(ctx) {
		k := setKey{0, r.system, r.namespace, r.operation, r.collection, errType}
		in.duration.Record(ctx, seconds, in.sets.get(k, func() []attribute.KeyValue {
			attrs := make([]attribute.KeyValue, 0, 5)
			attrs = appendStr(attrs, semconv.DBSystemNameKey, r.system)
			attrs = appendStr(attrs, semconv.DBNamespaceKey, r.namespace)
			attrs = appendStr(attrs, semconv.DBOperationNameKey, r.operation)
			attrs = appendStr(attrs, semconv.DBCollectionNameKey, r.collection)
			return appendStr(attrs, semconv.ErrorTypeKey, errType)
		}))
	}
	if !r.tx && r.decision != "" && in.decisions.Enabled(ctx) {
		k := setKey{1, r.decision, r.rule, r.mode, "", ""}
		in.decisions.Add(ctx, 1, in.sets.get(k, func() []attribute.KeyValue {
			return []attribute.KeyValue{decisionKey.String(r.decision), ruleKey.String(r.rule), modeKey.String(r.mode)}
		}))
	}
	if len(out.Masked) == 0 || !in.masked.Enabled(ctx) {
		return
	}
	for _, m := range out.Masked {
		if m.Count > 0 {
			k := setKey{2, m.Rule, m.Column, "", "", ""}
			in.masked.Add(ctx, m.Count, in.sets.get(k, func() []attribute.KeyValue {
				return []attribute.KeyValue{maskRuleKey.String(m.Rule), maskColumnKey.String(m.Column)}
			}))
		}
	}
}
