package driver

import (
	"slices"
	"testing"

	"github.com/sqlvigil/sqlvigil/identity"
)

func TestSameIdentity(t *testing.T) {
	base := identity.Identity{Kind: identity.KindAgent, Subject: "a", Name: "A", Roles: []string{"r"},
		Tenant: "t", Attributes: map[string]string{"k": "v"},
		Agent: &identity.Agent{Name: "n", Model: "m", Tool: "x", ToolCallID: "1", OnBehalfOf: "u"}}
	with := func(f func(*identity.Identity)) identity.Identity {
		c := base.Clone()
		f(&c)
		return c
	}
	tests := []struct {
		name string
		give identity.Identity
		want bool
	}{
		{"itself", base.Clone(), true},
		{"another display name", with(func(c *identity.Identity) { c.Name = "B" }), true},
		{"another tool call", with(func(c *identity.Identity) { c.Agent.ToolCallID = "2" }), true},
		{"another subject", with(func(c *identity.Identity) { c.Subject = "b" }), false},
		{"another kind", with(func(c *identity.Identity) { c.Kind = identity.KindUser }), false},
		{"another tenant", with(func(c *identity.Identity) { c.Tenant = "u" }), false},
		{"another role", with(func(c *identity.Identity) { c.Roles = append(c.Roles, "dba") }), false},
		{"untrusted", with(func(c *identity.Identity) { c.Untrusted = true }), false},
		{"another purpose", with(func(c *identity.Identity) { c.Purpose = "p" }), false},
		{"another attribute", with(func(c *identity.Identity) { c.Attributes["k"] = "w" }), false},
		{"another tool", with(func(c *identity.Identity) { c.Agent.Tool = "y" }), false},
		{"another principal", with(func(c *identity.Identity) { c.Agent.OnBehalfOf = "w" }), false},
		{"no agent", with(func(c *identity.Identity) { c.Agent = nil }), false},
		{"anonymous", identity.Identity{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameIdentity(base, tt.give); got != tt.want {
				t.Errorf("sameIdentity() = %v, want %v", got, tt.want)
			}
			if got := sameIdentity(tt.give, base); got != tt.want {
				t.Errorf("sameIdentity() reversed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPragmasSet(t *testing.T) {
	tests := []struct {
		give   string
		want   []string
		wantOK bool
	}{
		{"PRAGMA foreign_keys = ?", []string{"foreign_keys"}, true},
		{"PRAGMA main.busy_timeout=?", []string{"busy_timeout"}, true},
		{"PRAGMA query_only(?)", []string{"query_only"}, true},
		{"PRAGMA foreign_keys", nil, true},
		{"PRAGMA table_info(people)", nil, true},
		{"SELECT ?; PRAGMA cache_size = ?; PRAGMA cache_size = ?", []string{"cache_size"}, true},
		{"PRAGMA case_sensitive_like = ?", nil, false},
		{"PRAGMA journal_mode = ?", nil, false},
		{"PRAGMA other.foreign_keys = ?", nil, false},
		{`PRAGMA "foreign_keys" = ?`, nil, false},
		{"PRAGMA temp.cache_size", nil, true},
		{"PRAGMA aux.table_info(t)", nil, true},
		{"PRAGMA temp.cache_size = ?", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, ok := pragmasSet(tt.give)
			if !slices.Equal(got, tt.want) || ok != tt.wantOK {
				t.Errorf("pragmasSet() = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
