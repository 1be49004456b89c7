package audit

import (
	"reflect"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// attrBuf is the scratch space a record builds its span's attributes in.
// The tracer copies what it is given (WithAttributes, SetAttributes), so a
// buffer is free again as soon as the record has handed its attributes
// over, and the next record reuses it instead of allocating ~3 KiB.
//
// A pooled buffer is not cleared: the values it still refers to are those
// the span it served was given (and holds itself), and the next record
// overwrites them. Clearing cost more than a third of a microsecond per
// statement, in write barriers.
type attrBuf struct {
	kv   []attribute.KeyValue
	strs []string // the masked columns' names, rules and strategies
	ints []int64  // the masked columns' counts
}

// attrBufCap fits a statement's attributes with every identity and
// governance field set; a buffer grown past maxAttrBufCap is not kept.
const (
	attrBufCap    = 64
	maxAttrBufCap = 256
)

// attrBufs is a pool of attribute buffers; each Auditor has its own.
type attrBufs struct {
	p sync.Pool
	// otel holds the last OpenTelemetry span types seen (see otelSpan):
	// [0] for spans that do not record, [1] for those that do.
	otel [2]atomic.Pointer[reflect.Type]
}

// otelSpan reports whether span is of one of OpenTelemetry's own span
// types, those of the SDK, of the API (non-recording spans) and of the
// global delegate. They copy the attributes they are given, or drop them,
// so a buffer given to them may be reused; a buffer given to a span of any
// other type is left to the garbage collector, as that span may keep it.
// And ending one that does not record does nothing.
func (b *attrBufs) otelSpan(span trace.Span, recording bool) bool {
	slot := &b.otel[0]
	if recording {
		slot = &b.otel[1]
	}
	t := reflect.TypeOf(span)
	if p := slot.Load(); p != nil && *p == t {
		return true
	}
	if t == nil {
		return false
	}
	e := t
	if e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	switch e.PkgPath() {
	case "go.opentelemetry.io/otel/sdk/trace",
		"go.opentelemetry.io/otel/trace",
		"go.opentelemetry.io/otel/trace/noop",
		"go.opentelemetry.io/otel/internal/global":
		slot.Store(newType(t))
		return true
	}
	return false
}

func (b *attrBufs) get() *attrBuf {
	if v, ok := b.p.Get().(*attrBuf); ok {
		return v
	}
	return &attrBuf{kv: make([]attribute.KeyValue, 0, attrBufCap)}
}

// put returns buf to the pool.
func (b *attrBufs) put(buf *attrBuf) {
	if buf == nil || cap(buf.kv) > maxAttrBufCap || cap(buf.strs) > maxAttrBufCap {
		return
	}
	buf.kv, buf.strs, buf.ints = buf.kv[:0], buf.strs[:0], buf.ints[:0]
	b.p.Put(buf)
}

// newType returns a pointer to a copy of t. It is a function of its own so
// that only storing a new type allocates, not every look at one.
func newType(t reflect.Type) *reflect.Type { return &t }
