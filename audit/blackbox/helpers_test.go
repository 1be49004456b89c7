package blackbox_test

import (
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/identity"
)

var errDisk = errors.New("disk full")

const secret = "alice@example.com" // a clear value that must never be recorded

// newAuditor returns an auditor that writes to the given sinks. Spans go to
// the global (no-op) provider: a black box sees every record regardless.
func newAuditor(t *testing.T, opts ...audit.Option) *audit.Auditor {
	t.Helper()
	a, err := audit.New(append([]audit.Option{audit.WithEndDelay(0)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// selectEvent is an agent's query whose literal and argument are secret.
func selectEvent() *audit.Event {
	return &audit.Event{
		Identity: identity.Identity{
			Kind:       identity.KindAgent,
			Subject:    "agent-7",
			Roles:      []string{"support"},
			Agent:      &identity.Agent{Name: "helper", Model: "gpt-x", Tool: "run_sql"},
			Attributes: map[string]string{"email": secret},
		},
		System:    "postgresql",
		Namespace: "shop",
		Method:    "query",
		Operation: "SELECT",
		Summary:   "SELECT customers",
		QueryText: "SELECT id, email FROM customers WHERE email = ?",
		Text:      "SELECT id, email FROM customers WHERE email = '" + secret + "'",
		Reads:     []string{"customers"},
		Complete:  true,
		Decision:  "allow",
		Mode:      "enforce",
		Args:      []driver.NamedValue{{Ordinal: 1, Value: secret}},
	}
}
