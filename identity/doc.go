// Package identity says who is asking: the human user, service or AI agent on
// whose behalf a statement runs, and why.
//
// An [Identity] travels with each request in its [context.Context]. Set it
// once where the request enters the service (an HTTP middleware, an RPC
// interceptor, an agent's tool-call handler) with [NewContext]; every
// statement issued with that context is then attributed, checked and recorded
// under it. Identity is per statement, never per pooled connection.
//
// # Kinds of caller
//
// One model covers a human user (Subject, Name, Roles, Tenant), a service
// (Service) and an AI agent acting for someone ([Agent]: agent name, model,
// tool, tool-call id, on-behalf-of user). Purpose and Ticket say why the
// access happens; Attributes carry anything else a policy needs.
//
// # Baggage
//
// [FromBaggage] reads an identity propagated upstream as OpenTelemetry
// baggage, and [ToBaggage] writes one. Baggage is supplied by the caller of a
// service: anyone who can send a request can set it. An identity read from
// baggage is therefore marked [Identity.Untrusted]; policies must not grant
// privileges to it unless the user explicitly decides to trust it. The
// members are sqlvigil.identity.{kind,subject,name,roles,tenant,service,
// purpose,ticket} (roles comma-separated) and sqlvigil.agent.{name,model,
// tool,tool_call_id,on_behalf_of}.
//
// # Concurrency
//
// Identity values are immutable once placed in a context: [NewContext] copies
// the slices and map it is given, and [FromContext] returns a value that
// shares them, which callers must treat as read-only. All functions are safe
// for concurrent use.
package identity
