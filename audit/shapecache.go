package audit

import (
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// shapeCache keeps the span attributes that depend only on a statement's
// shape (its literal-free text, tables, verdict and connection), keyed by
// the literal-free text: services issue the same few shapes over and over,
// and copying their attributes costs a tenth of building them (and no
// allocation for the tables' lists).
type shapeCache struct {
	queryText bool // db.query.text is recorded
	all       bool // every attribute is recorded (WithAllAttributes)

	mu    sync.RWMutex
	m     map[string]*shape
	bytes int // the cost of the shapes in m
}

// shape is the attributes of one statement shape, read-only once stored:
// spans may be given its lists as they are.
type shape struct {
	ev    Event // the fields the attributes are made of; no identity, text or arguments
	start []attribute.KeyValue
	stmt  []attribute.KeyValue
}

// Cache bounds. Past them, the attributes of a shape not yet cached are
// built for each statement.
const (
	// maxCachedShapes bounds the number of shapes.
	maxCachedShapes = 1024
	// maxCachedShapeBytes bounds the bytes the cached shapes hold (see
	// shapeCost): without it, 1,024 shapes of 1 MiB statements held 2 GiB.
	maxCachedShapeBytes = 4 << 20
	// maxShapeText is the longest literal-free text whose shape is cached:
	// a longer statement is rarely repeated, and its shape would cost as
	// much as a hundred ordinary ones.
	maxShapeText = 4 << 10
	// shapeOverhead estimates what a shape holds besides its strings: the
	// map entry, the Event and the two attribute lists.
	shapeOverhead = 1 << 10
)

func newShapeCache(queryText, all bool) *shapeCache {
	return &shapeCache{queryText: queryText, all: all, m: make(map[string]*shape)}
}

// get returns the cached shape of ev, caching it if there is room, or nil
// when there is none.
func (c *shapeCache) get(ev *Event) *shape {
	c.mu.RLock()
	s := c.m[ev.QueryText]
	full := len(c.m) >= maxCachedShapes || c.bytes >= maxCachedShapeBytes-shapeOverhead
	c.mu.RUnlock()
	if s != nil && sameShape(&s.ev, ev) {
		return s
	}
	if s == nil && full || len(ev.QueryText) > maxShapeText {
		return nil
	}
	// What is kept is copied: the strings of an event may be parts of the
	// caller's statement (table names) or of the analyser's buffers, and a
	// cached shape must not keep them alive.
	s = &shape{ev: Event{
		System: strings.Clone(ev.System), Namespace: strings.Clone(ev.Namespace),
		ServerAddress: strings.Clone(ev.ServerAddress), ServerPort: ev.ServerPort,
		Method: strings.Clone(ev.Method), Operation: strings.Clone(ev.Operation),
		Collection: strings.Clone(ev.Collection),
		Summary:    strings.Clone(ev.Summary), QueryText: strings.Clone(ev.QueryText),
		Reads: cloneStrings(ev.Reads), Writes: cloneStrings(ev.Writes),
		Stacked: ev.Stacked, Complete: ev.Complete,
		Decision: strings.Clone(ev.Decision), Rule: strings.Clone(ev.Rule),
		Reason: strings.Clone(ev.Reason), Mode: strings.Clone(ev.Mode),
		ApprovalID: strings.Clone(ev.ApprovalID), Reviewer: strings.Clone(ev.Reviewer),
	}}
	s.start = slices.Clip(startAttrs(nil, &s.ev, c.queryText))
	s.stmt = slices.Clip(shapeAttrs(nil, &s.ev, c.all))
	cost := shapeCost(&s.ev)
	c.mu.Lock()
	if old, ok := c.m[s.ev.QueryText]; ok {
		c.bytes += cost - shapeCost(&old.ev)
		c.m[s.ev.QueryText] = s
	} else if len(c.m) < maxCachedShapes && c.bytes+cost <= maxCachedShapeBytes {
		c.bytes += cost
		c.m[s.ev.QueryText] = s
	}
	c.mu.Unlock()
	return s
}

// shapeCost estimates the bytes a cached shape holds.
func shapeCost(ev *Event) int {
	n := shapeOverhead + len(ev.System) + len(ev.Namespace) + len(ev.ServerAddress) +
		len(ev.Method) + len(ev.Operation) + len(ev.Collection) + len(ev.Summary) +
		len(ev.QueryText) + len(ev.Decision) + len(ev.Rule) + len(ev.Reason) +
		len(ev.Mode) + len(ev.ApprovalID) + len(ev.Reviewer)
	for _, t := range ev.Reads {
		n += len(t) + 16
	}
	for _, t := range ev.Writes {
		n += len(t) + 16
	}
	return n
}

// cloneStrings returns a copy of ss whose strings are copies.
func cloneStrings(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.Clone(s)
	}
	return out
}

// sameShape reports whether ev, whose text is that of x, has the shape of x.
func sameShape(x, ev *Event) bool {
	return x.Summary == ev.Summary &&
		x.Operation == ev.Operation && x.Collection == ev.Collection &&
		x.Method == ev.Method && x.Decision == ev.Decision && x.Rule == ev.Rule &&
		x.Reason == ev.Reason && x.Mode == ev.Mode &&
		x.ApprovalID == ev.ApprovalID && x.Reviewer == ev.Reviewer &&
		x.Stacked == ev.Stacked && x.Complete == ev.Complete &&
		x.System == ev.System && x.Namespace == ev.Namespace &&
		x.ServerAddress == ev.ServerAddress && x.ServerPort == ev.ServerPort &&
		slices.Equal(x.Reads, ev.Reads) && slices.Equal(x.Writes, ev.Writes)
}

// startAttrs appends the attributes a sampler may look at, which the
// conventions ask to be given when the span is created.
func startAttrs(kv []attribute.KeyValue, ev *Event, queryText bool) []attribute.KeyValue {
	kv = appendStr(kv, semconv.DBSystemNameKey, ev.System)
	kv = appendStr(kv, semconv.DBNamespaceKey, ev.Namespace)
	kv = appendStr(kv, semconv.DBOperationNameKey, ev.Operation)
	kv = appendStr(kv, semconv.DBCollectionNameKey, ev.Collection)
	if queryText {
		kv = appendStr(kv, semconv.DBQueryTextKey, ev.QueryText)
	}
	kv = appendStr(kv, semconv.DBQuerySummaryKey, ev.Summary)
	kv = appendStr(kv, semconv.ServerAddressKey, ev.ServerAddress)
	if ev.ServerPort > 0 {
		kv = append(kv, semconv.ServerPortKey.Int(ev.ServerPort))
	}
	return kv
}

// ordinaryMethod reports whether method is one of the ways every statement
// runs (a query or an exec, direct or prepared), which the operation name
// says enough about; any other (a raw connection) is always recorded.
func ordinaryMethod(method string) bool {
	switch method {
	case "query", "exec", "stmt.query", "stmt.exec":
		return true
	}
	return false
}

// shapeAttrs appends the attributes of the statement and of the verdict;
// all adds those recorded only with WithAllAttributes.
func shapeAttrs(kv []attribute.KeyValue, ev *Event, all bool) []attribute.KeyValue {
	if all || !ordinaryMethod(ev.Method) {
		kv = appendStr(kv, methodKey, ev.Method)
	}
	if len(ev.Reads) > 0 {
		kv = append(kv, tablesReadKey.StringSlice(ev.Reads))
	}
	if len(ev.Writes) > 0 {
		kv = append(kv, tablesWrittenKey.StringSlice(ev.Writes))
	}
	if ev.Stacked {
		kv = append(kv, stackedKey.Bool(true))
	}
	if all || !ev.Complete {
		kv = append(kv, completeKey.Bool(ev.Complete))
	}
	kv = appendStr(kv, decisionKey, ev.Decision)
	kv = appendStr(kv, ruleKey, ev.Rule)
	kv = appendStr(kv, reasonKey, ev.Reason)
	if all || ev.Mode != "enforce" {
		// A verdict is enforced unless it says otherwise.
		kv = appendStr(kv, modeKey, ev.Mode)
	}
	kv = appendStr(kv, approvalIDKey, ev.ApprovalID)
	return appendStr(kv, approvalReviewerKey, ev.Reviewer)
}
