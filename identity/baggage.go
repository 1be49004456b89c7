package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/baggage"
)

// Baggage member keys written by [ToBaggage] and read by [FromBaggage].
const (
	BaggageKind       = "sqlvigil.identity.kind"
	BaggageSubject    = "sqlvigil.identity.subject"
	BaggageName       = "sqlvigil.identity.name"
	BaggageRoles      = "sqlvigil.identity.roles" // comma-separated
	BaggageTenant     = "sqlvigil.identity.tenant"
	BaggageService    = "sqlvigil.identity.service"
	BaggagePurpose    = "sqlvigil.identity.purpose"
	BaggageTicket     = "sqlvigil.identity.ticket"
	BaggageAgentName  = "sqlvigil.agent.name"
	BaggageAgentModel = "sqlvigil.agent.model"
	BaggageAgentTool  = "sqlvigil.agent.tool"
	BaggageToolCallID = "sqlvigil.agent.tool_call_id"
	BaggageOnBehalfOf = "sqlvigil.agent.on_behalf_of"
)

// ErrBaggage reports an identity that cannot be written to baggage. Use
// errors.Is to match it.
var ErrBaggage = errors.New("identity: cannot encode as baggage")

// ToBaggage returns a copy of ctx whose OpenTelemetry baggage carries id, so
// that a downstream service can read it with [FromBaggage]. Attributes are
// not propagated. Existing baggage members are kept.
func ToBaggage(ctx context.Context, id Identity) (context.Context, error) {
	for _, r := range id.Roles {
		if strings.Contains(r, ",") {
			return ctx, fmt.Errorf("%w: role names may not contain a comma", ErrBaggage)
		}
	}
	bag := baggage.FromContext(ctx)
	set := func(key, value string) error {
		if value == "" {
			bag = bag.DeleteMember(key)
			return nil
		}
		m, err := baggage.NewMemberRaw(key, value)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrBaggage, key, err)
		}
		bag, err = bag.SetMember(m)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrBaggage, key, err)
		}
		return nil
	}
	kind := ""
	if id.Kind != KindUnspecified {
		kind = id.Kind.String()
	}
	var agent Agent
	if id.Agent != nil {
		agent = *id.Agent
	}
	pairs := [...][2]string{
		{BaggageKind, kind},
		{BaggageSubject, id.Subject},
		{BaggageName, id.Name},
		{BaggageRoles, strings.Join(id.Roles, ",")},
		{BaggageTenant, id.Tenant},
		{BaggageService, id.Service},
		{BaggagePurpose, id.Purpose},
		{BaggageTicket, id.Ticket},
		{BaggageAgentName, agent.Name},
		{BaggageAgentModel, agent.Model},
		{BaggageAgentTool, agent.Tool},
		{BaggageToolCallID, agent.ToolCallID},
		{BaggageOnBehalfOf, agent.OnBehalfOf},
	}
	for _, p := range pairs {
		if err := set(p[0], p[1]); err != nil {
			return ctx, err
		}
	}
	return baggage.ContextWithBaggage(ctx, bag), nil
}

// FromBaggage reads an identity from the OpenTelemetry baggage of ctx. It
// reports false when the baggage carries no identity member.
//
// Baggage is asserted by whoever sent the request, so the identity returned
// has Untrusted set: [Identity.HasRole] reports false for it, and a policy
// must not grant privileges to it. Clear Untrusted only when the baggage
// comes from a caller the service authenticates.
func FromBaggage(ctx context.Context) (Identity, bool) {
	bag := baggage.FromContext(ctx)
	if bag.Len() == 0 {
		return Identity{}, false
	}
	get := func(key string) string { return bag.Member(key).Value() }
	id := Identity{
		Subject:   get(BaggageSubject),
		Name:      get(BaggageName),
		Tenant:    get(BaggageTenant),
		Service:   get(BaggageService),
		Purpose:   get(BaggagePurpose),
		Ticket:    get(BaggageTicket),
		Untrusted: true,
	}
	switch get(BaggageKind) {
	case "user":
		id.Kind = KindUser
	case "service":
		id.Kind = KindService
	case "agent":
		id.Kind = KindAgent
	}
	if roles := get(BaggageRoles); roles != "" {
		id.Roles = strings.Split(roles, ",")
	}
	agent := Agent{
		Name:       get(BaggageAgentName),
		Model:      get(BaggageAgentModel),
		Tool:       get(BaggageAgentTool),
		ToolCallID: get(BaggageToolCallID),
		OnBehalfOf: get(BaggageOnBehalfOf),
	}
	if agent != (Agent{}) {
		id.Agent = &agent
	}
	id.Untrusted = true
	if id.IsZero() {
		return Identity{}, false
	}
	return id, true
}
