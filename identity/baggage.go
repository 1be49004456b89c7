package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/baggage"
)

// Baggage member keys written by [ToBaggage] and read by [FromBaggage]
// (listed in the package documentation for services in other languages).
const (
	baggageKind       = "sqlvigil.identity.kind"
	baggageSubject    = "sqlvigil.identity.subject"
	baggageName       = "sqlvigil.identity.name"
	baggageRoles      = "sqlvigil.identity.roles" // comma-separated
	baggageTenant     = "sqlvigil.identity.tenant"
	baggageService    = "sqlvigil.identity.service"
	baggagePurpose    = "sqlvigil.identity.purpose"
	baggageTicket     = "sqlvigil.identity.ticket"
	baggageAgentName  = "sqlvigil.agent.name"
	baggageAgentModel = "sqlvigil.agent.model"
	baggageAgentTool  = "sqlvigil.agent.tool"
	baggageToolCallID = "sqlvigil.agent.tool_call_id"
	baggageOnBehalfOf = "sqlvigil.agent.on_behalf_of"
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
		{baggageKind, kind},
		{baggageSubject, id.Subject},
		{baggageName, id.Name},
		{baggageRoles, strings.Join(id.Roles, ",")},
		{baggageTenant, id.Tenant},
		{baggageService, id.Service},
		{baggagePurpose, id.Purpose},
		{baggageTicket, id.Ticket},
		{baggageAgentName, agent.Name},
		{baggageAgentModel, agent.Model},
		{baggageAgentTool, agent.Tool},
		{baggageToolCallID, agent.ToolCallID},
		{baggageOnBehalfOf, agent.OnBehalfOf},
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
		Subject:   get(baggageSubject),
		Name:      get(baggageName),
		Tenant:    get(baggageTenant),
		Service:   get(baggageService),
		Purpose:   get(baggagePurpose),
		Ticket:    get(baggageTicket),
		Untrusted: true,
	}
	switch get(baggageKind) {
	case "user":
		id.Kind = KindUser
	case "service":
		id.Kind = KindService
	case "agent":
		id.Kind = KindAgent
	}
	if roles := get(baggageRoles); roles != "" {
		id.Roles = strings.Split(roles, ",")
	}
	agent := Agent{
		Name:       get(baggageAgentName),
		Model:      get(baggageAgentModel),
		Tool:       get(baggageAgentTool),
		ToolCallID: get(baggageToolCallID),
		OnBehalfOf: get(baggageOnBehalfOf),
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
