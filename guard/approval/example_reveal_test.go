package approval_test

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Agents get their ticket at once while people wait, and each reviewer sees
// the arguments as their own mask rules allow: the application wires the
// RevealFunc to its Masker.
func ExampleHandlerConfig_reveal() {
	masker, err := mask.New(mask.WithRules(mask.Rule{
		Name: "pii", Columns: []string{"email"}, Strategy: mask.Redact(), ExemptRoles: []string{"pii:clear"},
	}))
	if err != nil {
		log.Fatal(err)
	}
	q := approval.NewQueue(approval.Config{
		ArgKey:        []byte("a secret shared by the replicas!"), // kept out of the database
		ReviewerRoles: []string{"reviewer"},
		NoWaitFor:     func(req *guard.ApprovalRequest) bool { return req.Identity.Kind == identity.KindAgent },
	})
	reveal := func(ctx context.Context, in approval.RevealInput) []string {
		out := make([]string, len(in.Values))
		for i, v := range in.Values {
			// An argument's source column is unknown: the masker refuses it
			// to a reader with a rule in force, unless its name is masked.
			col := mask.Column{Name: in.Ticket.Args[i].Name}
			plan, err := masker.Plan(ctx, mask.Input{Identity: in.Reviewer, Columns: []mask.Column{col}})
			row := []driver.Value{v}
			if err == nil {
				err = plan.Apply(row)
			}
			if err != nil {
				out[i] = "[masked]"
				continue
			}
			out[i] = fmt.Sprint(row[0])
		}
		return out
	}
	h := q.Handler(approval.HandlerConfig{Reveal: reveal})

	p, err := guard.New(guard.WithRules(guard.DestructiveDDL().Reviewed()), guard.WithApprover(q))
	if err != nil {
		log.Fatal(err)
	}
	agent := identity.Identity{Kind: identity.KindAgent, Subject: "agent-7",
		Agent: &identity.Agent{Model: "model-x", ToolCallID: "call-42", OnBehalfOf: "alice"}}
	// The driver builds this request for every statement.
	const sql = "DELETE FROM customers WHERE email = $1; DROP TABLE customers_old"
	_, err = p.Check(context.Background(), &guard.Request{
		Identity: agent, SQL: sql, Script: guard.Analyze(sqlstmt.PostgreSQL, sql),
		Args: []driver.NamedValue{{Ordinal: 1, Value: "alice@example.com"}},
	})
	var re *guard.ReviewError
	if !errors.As(err, &re) {
		log.Fatal(err)
	}
	fmt.Println("agent:", errors.Is(err, guard.ErrReviewPending))

	for _, who := range []identity.Identity{
		{Kind: identity.KindUser, Subject: "rita", Roles: []string{"reviewer"}},
		{Kind: identity.KindUser, Subject: "dana", Roles: []string{"reviewer", "pii:clear"}},
	} {
		r := httptest.NewRequest("GET", "/requests/"+re.Ticket, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r.WithContext(identity.NewContext(r.Context(), who)))
		var tk struct {
			ToolCallID string         `json:"tool_call_id"`
			Args       []approval.Arg `json:"args"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &tk); err != nil {
			log.Fatal(err)
		}
		fmt.Println(who.Subject, tk.ToolCallID, *tk.Args[0].Value)
	}
	// Output:
	// agent: true
	// rita call-42 [masked]
	// dana call-42 alice@example.com
}
