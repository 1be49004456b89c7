package audit

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ErrConfig reports an option that cannot be honoured. Use errors.Is.
var ErrConfig = errors.New("audit: invalid configuration")

// Option configures an [Auditor]. Options are sealed: they are made by the
// With… functions of this package only.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tp           trace.TracerProvider
	mp           metric.MeterProvider
	sinks        []Sink
	mandatory    bool
	args         bool
	redact       Redactor
	queryText    bool
	statement    bool
	errorText    bool
	caller       bool
	endDelay     time.Duration
	all          bool
	callerSkip   []string
	idAttrs      []string
	errorHandler func(error)
	sinkTimeout  time.Duration
	err          error
}

// WithTracerProvider sets the provider of the tracer that opens the spans.
// The default is the global provider (otel.GetTracerProvider) at the time
// [New] is called.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if isNil(tp) {
			c.err = errors.Join(c.err, fmt.Errorf("%w: nil TracerProvider", ErrConfig))
			return
		}
		c.tp = tp
	})
}

// WithMeterProvider sets the provider of the meter that records the
// metrics. The default is the global provider (otel.GetMeterProvider) at the
// time [New] is called.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if isNil(mp) {
			c.err = errors.Join(c.err, fmt.Errorf("%w: nil MeterProvider", ErrConfig))
			return
		}
		c.mp = mp
	})
}

// WithSink adds audit sinks. Every record is written to every sink,
// whatever the trace sampler decides: spans are sampled, the audit trail is
// not. A sink that fails does not stop statements unless [WithMandatory]
// is given.
func WithSink(s ...Sink) Option {
	return optionFunc(func(c *config) {
		for _, k := range s {
			if isNil(k) {
				c.err = errors.Join(c.err, fmt.Errorf("%w: nil Sink", ErrConfig))
				continue
			}
			c.sinks = append(c.sinks, k)
		}
	})
}

// WithMandatory makes the audit mandatory: "no record, no query". Before a
// statement runs, a start record is written to every sink; if one of them
// fails, [Auditor.Start] returns an error matching [ErrUnavailable] and the
// driver refuses the statement. Requires at least one sink.
func WithMandatory() Option {
	return optionFunc(func(c *config) { c.mandatory = true })
}

// Redactor turns one bound argument into the text recorded for it. It is
// called only when [WithArgs] is given. i is the argument's position
// (starting at 1) and name its name, or "". A Redactor that panics gets
// the argument recorded by type and size, as a nil one would.
type Redactor func(i int, name string, v any) string

// WithArgs records the bound arguments of each statement, passed through r.
// A nil r records each argument's type and size only ("string(12)",
// "int64"), never its value: that is enough to tell a query with a 3-byte
// argument from one with a 3 MB one. Arguments are off by default.
func WithArgs(r Redactor) Option {
	return optionFunc(func(c *config) {
		c.args = true
		c.redact = r
	})
}

// WithoutQueryText leaves db.query.text out of spans and records; the
// operation, collection and summary remain. The default records the
// literal-free text the driver passes ([Event.QueryText]).
func WithoutQueryText() Option {
	return optionFunc(func(c *config) { c.queryText = false })
}

// WithStatementText records the statement text as written ([Event.Text]),
// literals included, in the sink records (never in spans). Replay needs it
// to re-run statements with their literals; without it, replay works from
// the literal-free text. Literals may hold personal data: opt in knowingly.
func WithStatementText() Option {
	return optionFunc(func(c *config) { c.statement = true })
}

// WithErrorText records the text of statement errors in span status
// descriptions and records. Off by default because database errors can
// quote values ("Duplicate entry 'x@y.z' for key 'email'"); by default only
// error.type and db.response.status_code are recorded.
func WithErrorText() Option {
	return optionFunc(func(c *config) { c.errorText = true })
}

// WithEndDelay sets how long a span may wait, after its statement ended,
// to be handed to the tracer provider with the spans of the statements that
// ended meanwhile (its end time is the statement's). Batching spares each
// statement a wake of the SDK batch processor's goroutine, which costs more
// than the rest of the audit; see [Auditor.Flush]. The default is 5 ms; 0
// ends each span where its statement ends.
func WithEndDelay(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d < 0 {
			c.err = errors.Join(c.err, fmt.Errorf("%w: negative end delay", ErrConfig))
			return
		}
		c.endDelay = d
	})
}

// WithCaller records the Go function that issued each statement
// (code.function.name, code.file.path, code.line.number on spans, and
// [Entry.Caller] in sink records): the first frame outside database/sql,
// this module's library packages and the common ORMs. It is off by default
// because it costs a stack walk per statement, some 1–2 µs: database/sql
// and the driver put about 14 frames above the caller.
func WithCaller() Option {
	return optionFunc(func(c *config) { c.caller = true })
}

// WithAllAttributes records, besides the default attributes, those a reader
// can derive from the configuration or rarely needs, each of which the
// OpenTelemetry SDK charges some 150 ns a statement for: user.full_name (a
// person's name, which is personal data), sqlvigil.method for queries and
// execs (other methods, such as a raw connection's, are always recorded),
// sqlvigil.mode=enforce (by default only other modes are recorded),
// sqlvigil.complete on every statement (by default only
// sqlvigil.complete=false, on those the analyser could not read with
// certainty), sqlvigil.audit.record_id without a sink, and the masked
// columns' rules, strategies and counts (sqlvigil.masked.rules,
// .strategies, .counts). Sink records always hold every field.
func WithAllAttributes() Option {
	return optionFunc(func(c *config) { c.all = true })
}

// WithCallerSkip adds package path prefixes whose frames are skipped when
// looking for the caller, in addition to database/sql, this module's
// library packages and the common ORMs and query builders (GORM, sqlx, bun,
// ent, sqlmw, otelsql, squirrel, goqu, gorp, xorm). A prefix ending in "/"
// matches a path tree; otherwise it matches the package and its
// sub-packages.
func WithCallerSkip(prefixes ...string) Option {
	return optionFunc(func(c *config) {
		for _, p := range prefixes {
			if strings.TrimSpace(p) == "" {
				c.err = errors.Join(c.err, fmt.Errorf("%w: empty caller skip prefix", ErrConfig))
				continue
			}
			c.callerSkip = append(c.callerSkip, p)
		}
	})
}

// WithIdentityAttributes records the named [identity.Identity.Attributes]
// (as sqlvigil.identity.attr.<key> on spans, and in sink records). Other
// attributes are never recorded: they may hold anything.
func WithIdentityAttributes(keys ...string) Option {
	return optionFunc(func(c *config) {
		for _, k := range keys {
			if k == "" {
				c.err = errors.Join(c.err, fmt.Errorf("%w: empty identity attribute key", ErrConfig))
				continue
			}
			c.idAttrs = append(c.idAttrs, k)
		}
	})
}

// WithErrorHandler sets the function told about sink failures that do not
// stop a statement (all of them unless the audit is mandatory, and end
// records even then). The default drops them; they are always counted in
// the sqlvigil.audit.sink.errors metric. h must be safe for concurrent use
// and must not block; a panic in h is recovered and dropped.
func WithErrorHandler(h func(error)) Option {
	return optionFunc(func(c *config) { c.errorHandler = h })
}

// WithSinkTimeout bounds how long a statement waits for a sink to write
// one of its records, d > 0; the default waits as long as the sink takes
// (except for a mandatory audit's intent, which waits no longer than the
// statement's context). A sink that has not answered by then is stuck:
// the statement goes on without waiting (a mandatory audit refuses it,
// [ErrSinkTimeout]), the record is still written when the sink answers,
// and until it does, writes to that sink fail at once ([ErrSinkStuck])
// rather than each waiting in turn. Failures go to the error handler
// ([WithErrorHandler]). A bounded write runs on a goroutine of its own,
// which costs a handoff (some 10–20 µs on a 2-core machine) per record.
func WithSinkTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.err = errors.Join(c.err, fmt.Errorf("%w: sink timeout %v is not positive", ErrConfig, d))
			return
		}
		c.sinkTimeout = d
	})
}

// defaultEndDelay is the end delay of an Auditor made without
// [WithEndDelay].
const defaultEndDelay = 5 * time.Millisecond

// isNil reports whether v is nil, or an interface holding a nil pointer,
// map, slice, channel or function: a (*sdktrace.TracerProvider)(nil) given
// as a provider would otherwise panic at its first use.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

func newConfig(opts []Option) (*config, error) {
	c := &config{queryText: true, endDelay: defaultEndDelay}
	for _, o := range opts {
		if o == nil {
			continue
		}
		o.apply(c)
	}
	if c.err != nil {
		return nil, c.err
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	if c.mandatory && len(c.sinks) == 0 {
		return nil, fmt.Errorf("%w: WithMandatory needs at least one sink (WithSink)", ErrConfig)
	}
	if h := c.errorHandler; h == nil {
		c.errorHandler = func(error) {}
	} else {
		// The handler is told about failures in the middle of statements:
		// one that panics must not take them down.
		c.errorHandler = func(err error) {
			defer func() { _ = recover() }()
			h(err)
		}
	}
	return c, nil
}
