package identity

import (
	"context"
	"maps"
	"slices"
)

// Kind says what sort of caller an [Identity] describes. The zero value is
// [KindUnspecified].
type Kind uint8

// Kinds of caller.
const (
	KindUnspecified Kind = iota
	KindUser             // a human user
	KindService          // a service acting on its own account
	KindAgent            // an AI agent, usually acting for a user
)

// String returns the kind's lowercase name, as recorded in audit records.
func (k Kind) String() string {
	switch k {
	case KindUser:
		return "user"
	case KindService:
		return "service"
	case KindAgent:
		return "agent"
	default:
		return "unspecified"
	}
}

// Identity is who issues a statement, and why.
//
// The zero Identity is anonymous: it names nobody and holds no role.
type Identity struct {
	// Kind is the sort of caller.
	Kind Kind
	// Subject is the stable identifier of the caller (a user id, a service
	// account, an agent id).
	Subject string
	// Name is a display name, for people reading the audit trail.
	Name string
	// Roles are the roles or groups the caller holds, as policies name them
	// (for example "pii:read" or "dba").
	Roles []string
	// Tenant is the tenant or organisation the caller acts within.
	Tenant string
	// Service is the service that issues the statement on the caller's behalf.
	Service string
	// Agent describes the AI agent and the tool call, when an agent acts.
	Agent *Agent
	// Purpose is the declared reason for the access ("support case", "billing
	// export"); policies can require one.
	Purpose string
	// Ticket is a change, incident or approval reference.
	Ticket string
	// Attributes holds anything else a policy or the audit trail needs.
	Attributes map[string]string
	// Untrusted is true when the identity was asserted by the caller of the
	// service rather than established by it (see [FromBaggage]). Policies
	// should grant no privilege to an untrusted identity.
	Untrusted bool
}

// Agent describes an AI agent and the tool call through which it issues a
// statement.
type Agent struct {
	// Name of the agent.
	Name string
	// Model is the model the agent runs on.
	Model string
	// Tool is the name of the tool the model called.
	Tool string
	// ToolCallID identifies the tool call.
	ToolCallID string
	// OnBehalfOf is the subject of the user the agent acts for.
	OnBehalfOf string
}

// IsZero reports whether id names nobody.
func (id Identity) IsZero() bool {
	return id.Kind == KindUnspecified && id.Subject == "" && id.Name == "" &&
		len(id.Roles) == 0 && id.Tenant == "" && id.Service == "" &&
		id.Agent == nil && id.Purpose == "" && id.Ticket == "" &&
		len(id.Attributes) == 0
}

// HasRole reports whether id holds role. An untrusted identity holds no role.
func (id Identity) HasRole(role string) bool {
	if id.Untrusted {
		return false
	}
	return slices.Contains(id.Roles, role)
}

// Attribute returns the attribute named key.
func (id Identity) Attribute(key string) (string, bool) {
	v, ok := id.Attributes[key]
	return v, ok
}

// Clone returns a deep copy of id.
func (id Identity) Clone() Identity {
	id.Roles = slices.Clone(id.Roles)
	id.Attributes = maps.Clone(id.Attributes)
	if id.Agent != nil {
		a := *id.Agent
		id.Agent = &a
	}
	return id
}

type contextKey struct{}

// NewContext returns a copy of ctx that carries id. The identity is copied,
// so later changes to the caller's slices or map do not affect it.
func NewContext(ctx context.Context, id Identity) context.Context {
	c := id.Clone()
	return context.WithValue(ctx, contextKey{}, &c)
}

// FromContext returns the identity carried by ctx, if any. The returned
// value shares its slices and map with the context's copy: treat them as
// read-only.
func FromContext(ctx context.Context) (Identity, bool) {
	if ctx == nil {
		return Identity{}, false
	}
	p, ok := ctx.Value(contextKey{}).(*Identity)
	if !ok || p == nil {
		return Identity{}, false
	}
	return *p, true
}
