package audit

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestShapeCache checks that a cached shape has exactly the attributes
// building them gives, for events that each differ in one field from the
// one seen just before them.
func TestShapeCache(t *testing.T) {
	base := func() *Event {
		return &Event{
			System: "postgresql", Namespace: "shop", ServerAddress: "127.0.0.1", ServerPort: 5432,
			Method: "query", Operation: "SELECT", Collection: "customers", Summary: "SELECT customers",
			QueryText: "SELECT id FROM customers WHERE id = ?", Reads: []string{"customers"},
			Complete: true, Decision: "allow", Mode: "enforce",
		}
	}
	var shared *Event // its lists changed in place, as a caller might
	fresh := func() *Event { shared = base(); return shared }
	with := func(f func(*Event)) func() *Event { return func() *Event { ev := base(); f(ev); return ev } }
	tests := []struct {
		name   string
		before func() *Event // default: base
		give   func() *Event
	}{
		{"same again", nil, base},
		{"system", nil, with(func(ev *Event) { ev.System = "mysql" })},
		{"namespace", nil, with(func(ev *Event) { ev.Namespace = "other" })},
		{"server address", nil, with(func(ev *Event) { ev.ServerAddress = "::1" })},
		{"server port", nil, with(func(ev *Event) { ev.ServerPort = 5433 })},
		{"method", nil, with(func(ev *Event) { ev.Method = "stmt.query" })},
		{"operation", nil, with(func(ev *Event) { ev.Operation = "UPDATE" })},
		{"collection", nil, with(func(ev *Event) { ev.Collection = "orders" })},
		{"summary", nil, with(func(ev *Event) { ev.Summary = "SELECT customers orders" })},
		{"reads", nil, with(func(ev *Event) { ev.Reads = []string{"customers", "orders"} })},
		{"no reads", nil, with(func(ev *Event) { ev.Reads = nil })},
		{"read changed in place", fresh, func() *Event { shared.Reads[0] = "orders"; return shared }},
		{"writes", nil, with(func(ev *Event) { ev.Writes = []string{"audit_log"} })},
		{"stacked", nil, with(func(ev *Event) { ev.Stacked = true })},
		{"incomplete", nil, with(func(ev *Event) { ev.Complete = false })},
		{"decision", nil, with(func(ev *Event) { ev.Decision = "deny" })},
		{"rule", nil, with(func(ev *Event) { ev.Rule = "no-pii" })},
		{"reason", nil, with(func(ev *Event) { ev.Reason = "pii" })},
		{"mode", nil, with(func(ev *Event) { ev.Mode = "monitor" })},
		{"approval", nil, with(func(ev *Event) { ev.ApprovalID = "ap-1" })},
		{"reviewer", nil, with(func(ev *Event) { ev.Reviewer = "bob" })},
		{"other text", nil, with(func(ev *Event) { ev.QueryText = "SELECT 1" })},
		{"no text", nil, with(func(ev *Event) { ev.QueryText = "" })},
	}
	for _, queryText := range []bool{true, false} {
		c := newShapeCache(queryText, false)
		check := func(name string, ev *Event) {
			t.Helper()
			sh := c.get(ev)
			if sh == nil {
				t.Fatalf("%s: no shape", name)
			}
			if want := startAttrs(nil, ev, queryText); !slices.Equal(sh.start, want) {
				t.Errorf("%s (query text %v): start = %v, want %v", name, queryText, sh.start, want)
			}
			if want := shapeAttrs(nil, ev, false); !slices.Equal(sh.stmt, want) {
				t.Errorf("%s (query text %v): statement = %v, want %v", name, queryText, sh.stmt, want)
			}
		}
		for _, tt := range tests {
			before := tt.before
			if before == nil {
				before = base
			}
			check(tt.name+": before", before())
			check(tt.name, tt.give())
		}
	}
}

// TestShapeCacheBound checks that the cache stops growing at its bound and
// then answers nil for a shape it does not hold.
func TestShapeCacheBound(t *testing.T) {
	c := newShapeCache(true, false)
	for i := range maxCachedShapes {
		if c.get(&Event{QueryText: "SELECT " + strconv.Itoa(i)}) == nil {
			t.Fatalf("shape %d not cached", i)
		}
	}
	if sh := c.get(&Event{QueryText: "SELECT x"}); sh != nil {
		t.Errorf("got a shape past the bound, want nil")
	}
	if sh := c.get(&Event{QueryText: "SELECT 1"}); sh == nil {
		t.Errorf("got no shape for a cached text")
	}
	if n := len(c.m); n != maxCachedShapes {
		t.Errorf("cache holds %d shapes, want %d", n, maxCachedShapes)
	}
}

// TestShapeCacheFields fails when Event gains a field: sameShape must
// compare it (or know it is no part of a shape) before the field is
// recorded, or a statement would be recorded with the attributes of
// another statement of the same text.
func TestShapeCacheFields(t *testing.T) {
	handled := map[string]bool{
		"QueryText": true, // the cache's key
		"System":    true, "Namespace": true, "ServerAddress": true, "ServerPort": true,
		"Method": true, "Operation": true, "Collection": true, "Summary": true,
		"Reads": true, "Writes": true, "Stacked": true, "Complete": true,
		"Decision": true, "Rule": true, "Reason": true, "Mode": true,
		"ApprovalID": true, "Reviewer": true,
		// No part of a shape's attributes.
		"Identity": true, "Text": true, "Args": true, "InTx": true,
	}
	typ := reflect.TypeFor[Event]()
	for i := range typ.NumField() {
		if f := typ.Field(i); !handled[f.Name] {
			t.Errorf("Event.%s is not compared by sameShape", f.Name)
		}
	}
}

// TestShapeCacheBytes checks the bound in bytes: long texts are not cached,
// and texts near the limit fill the cache by bytes before entries.
func TestShapeCacheBytes(t *testing.T) {
	c := newShapeCache(true, false)
	long := "SELECT " + strings.Repeat("x, ", maxShapeText/3)
	if sh := c.get(&Event{QueryText: long}); sh != nil || len(c.m) != 0 {
		t.Errorf("a %d-byte text was given a shape or cached", len(long))
	}
	pad := strings.Repeat("y", maxShapeText-16)
	for i := range maxCachedShapes {
		c.get(&Event{QueryText: "SELECT " + strconv.Itoa(i) + pad})
	}
	if n := len(c.m); n >= maxCachedShapes || c.bytes > maxCachedShapeBytes || c.bytes < maxCachedShapeBytes-2*maxShapeText-shapeOverhead {
		t.Errorf("cache holds %d shapes, %d bytes; want fewer than %d shapes, filled to %d bytes", n, c.bytes, maxCachedShapes, maxCachedShapeBytes)
	}
}

// TestShapeCacheCopies checks that a cached shape keeps no part of the
// event it was made from.
func TestShapeCacheCopies(t *testing.T) {
	text := "SELECT a FROM big_table WHERE b = ?" + strings.Repeat(" ", 100)
	ev := &Event{QueryText: text[:35], Summary: text[:6], Collection: text[14:23], Reads: []string{text[14:23]}, Operation: text[:6]}
	sh := newShapeCache(true, false).get(ev)
	inside := func(s string) bool {
		p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(text)))
		return p >= lo && p < lo+uintptr(len(text))
	}
	for name, s := range map[string]string{"QueryText": sh.ev.QueryText, "Summary": sh.ev.Summary, "Collection": sh.ev.Collection, "Reads[0]": sh.ev.Reads[0], "Operation": sh.ev.Operation} {
		if inside(s) {
			t.Errorf("cached %s points into the caller's text", name)
		}
	}
}
