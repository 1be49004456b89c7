package identity_test

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/baggage"

	"github.com/sqlvigil/sqlvigil/identity"
)

func TestContextRoundTrip(t *testing.T) {
	roles := []string{"support", "pii:read"}
	attrs := map[string]string{"region": "eu"}
	want := identity.Identity{
		Kind:       identity.KindAgent,
		Subject:    "agent-7",
		Roles:      roles,
		Agent:      &identity.Agent{Name: "helpdesk", Model: "m-1", Tool: "sql_query", ToolCallID: "call-1", OnBehalfOf: "alice"},
		Purpose:    "ticket triage",
		Attributes: attrs,
	}
	ctx := identity.NewContext(context.Background(), want)

	// The context holds a copy: later changes by the caller do not leak in.
	roles[1] = "dba"
	attrs["region"] = "us"
	want.Agent.Tool = "drop_tables"

	got, ok := identity.FromContext(ctx)
	if !ok {
		t.Fatal("FromContext: got no identity, want one")
	}
	if got.Subject != "agent-7" || got.Kind != identity.KindAgent {
		t.Fatalf("got %+v, want subject agent-7 kind agent", got)
	}
	if !got.HasRole("pii:read") || got.HasRole("dba") {
		t.Fatalf("roles: got %v, want [support pii:read]", got.Roles)
	}
	if v, _ := got.Attribute("region"); v != "eu" {
		t.Fatalf("attribute region: got %q, want eu", v)
	}
	if got.Agent.Tool != "sql_query" {
		t.Fatalf("agent tool: got %q, want sql_query", got.Agent.Tool)
	}
}

func TestFromContextEmpty(t *testing.T) {
	if _, ok := identity.FromContext(context.Background()); ok {
		t.Fatal("got an identity from an empty context, want none")
	}
	//nolint:staticcheck // a nil context must not panic
	if _, ok := identity.FromContext(nil); ok {
		t.Fatal("got an identity from a nil context, want none")
	}
}

func TestIsZero(t *testing.T) {
	if !(identity.Identity{}).IsZero() {
		t.Fatal("zero identity: IsZero false")
	}
	if (identity.Identity{Subject: "x"}).IsZero() {
		t.Fatal("identity with subject: IsZero true")
	}
}

func TestBaggageRoundTripIsUntrusted(t *testing.T) {
	id := identity.Identity{
		Kind:    identity.KindUser,
		Subject: "alice",
		Name:    "Alice Example",
		Roles:   []string{"pii:read", "support"},
		Tenant:  "acme",
		Purpose: "refund #42",
		Agent:   &identity.Agent{Name: "assistant", ToolCallID: "c1"},
	}
	ctx, err := identity.ToBaggage(context.Background(), id)
	if err != nil {
		t.Fatalf("ToBaggage: %v", err)
	}
	got, ok := identity.FromBaggage(ctx)
	if !ok {
		t.Fatal("FromBaggage: got no identity, want one")
	}
	if !got.Untrusted {
		t.Fatal("identity from baggage: Untrusted false, want true")
	}
	if got.Subject != "alice" || got.Name != "Alice Example" || got.Tenant != "acme" || got.Purpose != "refund #42" || got.Kind != identity.KindUser {
		t.Fatalf("got %+v", got)
	}
	if len(got.Roles) != 2 || got.Roles[0] != "pii:read" {
		t.Fatalf("roles: got %v", got.Roles)
	}
	// Roles asserted by the caller grant nothing.
	if got.HasRole("pii:read") {
		t.Fatal("untrusted identity HasRole(pii:read) = true, want false")
	}
	if got.Agent == nil || got.Agent.Name != "assistant" || got.Agent.ToolCallID != "c1" {
		t.Fatalf("agent: got %+v", got.Agent)
	}
}

func TestFromBaggageWithoutIdentity(t *testing.T) {
	m, err := baggage.NewMember("unrelated", "1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := baggage.New(m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := baggage.ContextWithBaggage(context.Background(), b)
	if id, ok := identity.FromBaggage(ctx); ok {
		t.Fatalf("got %+v from unrelated baggage, want none", id)
	}
}

func TestToBaggageRejectsCommaInRole(t *testing.T) {
	_, err := identity.ToBaggage(context.Background(), identity.Identity{Roles: []string{"a,b"}})
	if !errors.Is(err, identity.ErrBaggage) {
		t.Fatalf("got %v, want ErrBaggage", err)
	}
}
