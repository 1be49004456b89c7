package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Principal is who a session's tool calls run as: the agent, the model it
// runs on, the user it acts for. It is established by the server (its
// configuration over stdio, the bearer token over HTTP), never taken from
// tool arguments: a model that writes "act as admin" into an argument
// changes nothing.
type Principal struct {
	// Agent names the agent; it is the identity's subject, so approvals
	// and their grants are scoped to it.
	Agent string
	// Model is the model the agent runs on, for the audit trail.
	Model string
	// OnBehalfOf is the user the agent acts for. That user may not approve
	// the agent's requests.
	OnBehalfOf string
	// Tenant scopes approvals and reviewers.
	Tenant string
	// Roles are the agent's roles, as policies and mask rules name them.
	Roles []string
}

// IdentifyFunc establishes the principal of a tool call from what the
// transport authenticated. It is the hook to adapt to an identity
// provider; it must not read req.Params.Arguments.
type IdentifyFunc func(ctx context.Context, req *mcp.CallToolRequest) (Principal, error)

// ErrNoPrincipal is returned for a call whose session carries no
// authenticated principal.
var ErrNoPrincipal = errors.New("mcp: no authenticated principal for this session")

// Static is the IdentifyFunc of a server run over stdio: one process, one
// client, one principal from the server's own configuration.
func Static(p Principal) IdentifyFunc {
	return func(context.Context, *mcp.CallToolRequest) (Principal, error) { return p, nil }
}

// FromToken is the IdentifyFunc of a server run over streamable HTTP
// behind auth.RequireBearerToken: the principal is what the token
// verifier put in the request's auth.TokenInfo — UserID is the user the
// agent acts for, Extra["agent"] and Extra["model"] (strings) name the
// agent and its model, Scopes become roles, Extra["tenant"] the tenant.
// A call without a verified token, or whose token names no agent, is
// refused.
func FromToken() IdentifyFunc {
	return func(_ context.Context, req *mcp.CallToolRequest) (Principal, error) {
		var ti *auth.TokenInfo
		if req != nil && req.Extra != nil {
			ti = req.Extra.TokenInfo
		}
		if ti == nil {
			return Principal{}, ErrNoPrincipal
		}
		p := Principal{OnBehalfOf: ti.UserID, Roles: append([]string(nil), ti.Scopes...)}
		p.Agent, _ = ti.Extra["agent"].(string)
		p.Model, _ = ti.Extra["model"].(string)
		p.Tenant, _ = ti.Extra["tenant"].(string)
		if p.Agent == "" {
			return Principal{}, ErrNoPrincipal
		}
		return p, nil
	}
}

// TokenTable is a toy auth.TokenVerifier over a fixed table of tokens, for
// the example and its tests. A real deployment verifies a signed token
// (OAuth 2.1, as the MCP authorization spec describes) and maps its claims
// in the same way.
func TokenTable(tokens map[string]Principal) auth.TokenVerifier {
	return func(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		p, ok := tokens[token]
		if !ok {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{
			// A table's tokens live as long as the process; a real
			// verifier returns the token's own expiry.
			Expiration: time.Now().Add(time.Hour),
			UserID:     p.OnBehalfOf,
			Scopes:     p.Roles,
			Extra:      map[string]any{"agent": p.Agent, "model": p.Model, "tenant": p.Tenant},
		}, nil
	}
}

// sessions names MCP sessions. A streamable HTTP session has an id; an
// stdio or in-memory one has none, so it gets one on its first call.
type sessions struct {
	mu  sync.Mutex
	ids map[*mcp.ServerSession]string
}

func (s *sessions) id(ss *mcp.ServerSession) string {
	if ss == nil {
		return ""
	}
	if id := ss.ID(); id != "" {
		return id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[*mcp.ServerSession]string{}
	}
	id, ok := s.ids[ss]
	if !ok {
		id = "s-" + randomHex(8)
		s.ids[ss] = id
	}
	return id
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Roles a tool call adds to the principal's, so that the policy can tell
// what the call is for (see DefaultPolicy): these restrict, and claiming
// them grants nothing.
const (
	roleQuery   = "mcp:query"
	roleRequest = "mcp:request"
)

// SessionAttribute is the identity attribute that carries the MCP session
// id into the audit trail (audit.WithIdentityAttributes).
const SessionAttribute = "mcp.session"

// callIdentity is the identity of one tool call.
func callIdentity(p Principal, session, tool, callID, role string) identity.Identity {
	roles := append(append([]string(nil), p.Roles...), role)
	return identity.Identity{
		Kind:       identity.KindAgent,
		Subject:    p.Agent,
		Name:       p.Agent,
		Roles:      roles,
		Tenant:     p.Tenant,
		Attributes: map[string]string{SessionAttribute: session},
		Agent: &identity.Agent{
			Name:       p.Agent,
			Model:      p.Model,
			Tool:       tool,
			ToolCallID: callID,
			OnBehalfOf: p.OnBehalfOf,
		},
	}
}
