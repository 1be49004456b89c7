package identity_test

import (
	"context"
	"fmt"

	"github.com/sqlvigil/sqlvigil/identity"
)

func ExampleNewContext() {
	// An agent's tool call, acting for a user, sets who is asking once; every
	// statement issued with ctx carries it.
	ctx := identity.NewContext(context.Background(), identity.Identity{
		Kind:    identity.KindAgent,
		Subject: "support-agent",
		Roles:   []string{"readonly"},
		Agent:   &identity.Agent{Name: "helpdesk", Tool: "sql_query", ToolCallID: "call_01", OnBehalfOf: "alice"},
		Purpose: "answer ticket 4521",
	})

	id, _ := identity.FromContext(ctx)
	fmt.Println(id.Kind, id.Subject, id.Agent.OnBehalfOf, id.HasRole("readonly"))
	// Output: agent support-agent alice true
}
