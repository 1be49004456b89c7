package audit

import (
	"reflect"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/sqlvigil/sqlvigil/identity"
)

// TestIDCache checks that the cache answers exactly what building the
// attributes answers, for identities that each differ in one field from
// the one seen just before them.
func TestIDCache(t *testing.T) {
	base := func() identity.Identity {
		return identity.Identity{
			Kind: identity.KindAgent, Subject: "agent-7", Name: "Support bot",
			Roles: []string{"support"}, Tenant: "acme", Service: "helpdesk",
			Purpose: "support case", Ticket: "CASE-42",
			Agent:      &identity.Agent{Name: "helper", Model: "gpt-x", Tool: "run_sql", ToolCallID: "call_1", OnBehalfOf: "u-9"},
			Attributes: map[string]string{"region": "eu"},
		}
	}
	var shared identity.Identity // changed in place, as a caller might
	fresh := func() identity.Identity { shared = base(); return shared }
	tests := []struct {
		name   string
		before func() identity.Identity // default: base
		give   func() identity.Identity
	}{
		{"first", nil, base},
		{"same again", nil, base},
		{"kind", nil, func() identity.Identity { id := base(); id.Kind = identity.KindUser; return id }},
		{"name", nil, func() identity.Identity { id := base(); id.Name = "Other"; return id }},
		{"roles", nil, func() identity.Identity { id := base(); id.Roles = []string{"support", "dba"}; return id }},
		{"role changed in place", fresh, func() identity.Identity { shared.Roles[0] = "dba"; return shared }},
		{"no roles", nil, func() identity.Identity { id := base(); id.Roles = nil; return id }},
		{"tenant", nil, func() identity.Identity { id := base(); id.Tenant = "other"; return id }},
		{"service", nil, func() identity.Identity { id := base(); id.Service = "other"; return id }},
		{"purpose", nil, func() identity.Identity { id := base(); id.Purpose = "other"; return id }},
		{"ticket", nil, func() identity.Identity { id := base(); id.Ticket = "CASE-43"; return id }},
		{"untrusted", nil, func() identity.Identity { id := base(); id.Untrusted = true; return id }},
		{"tool call", nil, func() identity.Identity { id := base(); id.Agent.ToolCallID = "call_2"; return id }},
		{"agent changed in place", fresh, func() identity.Identity { shared.Agent.Model = "gpt-y"; return shared }},
		{"no agent", nil, func() identity.Identity { id := base(); id.Agent = nil; return id }},
		{"attribute", nil, func() identity.Identity { id := base(); id.Attributes["region"] = "us"; return id }},
		{"attribute empty", nil, func() identity.Identity { id := base(); id.Attributes["region"] = ""; return id }},
		{"attribute absent", nil, func() identity.Identity { id := base(); id.Attributes = nil; return id }},
		{"other subject", nil, func() identity.Identity { id := base(); id.Subject = "agent-8"; return id }},
		{"anonymous", nil, func() identity.Identity { return identity.Identity{} }},
		{"back to first", nil, base},
	}
	keys := []string{"region"}
	c := newIDCache(keys, true)
	check := func(name string, id identity.Identity) {
		t.Helper()
		want := identityAttrs(nil, id, keys, true)
		prefix := []attribute.KeyValue{methodKey.String("query")}
		got := c.appendAttrs(slices.Clone(prefix), &id)
		if !slices.Equal(got[:1], prefix) || !slices.Equal(got[1:], want) {
			t.Errorf("%s: got %v, want %v after %v", name, got[1:], want, prefix)
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

// TestIDCacheFields fails when identity.Identity gains a field: the cache
// must compare it (or know it needs not) before the field is recorded, or
// a statement would be recorded with the attributes of the identity seen
// before it.
func TestIDCacheFields(t *testing.T) {
	handled := map[string]bool{
		"Subject": true, // the cache's key
		"Kind":    true, "Name": true, "Roles": true, "Tenant": true, "Service": true,
		"Agent": true, "Purpose": true, "Ticket": true, "Untrusted": true,
		"Attributes": true, // compared for the configured keys only
	}
	typ := reflect.TypeFor[identity.Identity]()
	for i := range typ.NumField() {
		if f := typ.Field(i); !handled[f.Name] {
			t.Errorf("identity.Identity.%s is not compared by idCache.same", f.Name)
		}
	}
}
