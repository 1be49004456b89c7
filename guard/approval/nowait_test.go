package approval_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
)

// TestNoWaitForAgents: one queue where agents are answered at once with
// their ticket while people wait for the reviewer.
func TestNoWaitForAgents(t *testing.T) {
	q := approval.NewQueue(approval.Config{
		Now: newClock().Now, PollInterval: 5 * time.Millisecond, ReviewerRoles: []string{"reviewer"},
		NoWaitFor: func(req *guard.ApprovalRequest) bool { return req.Identity.Kind == identity.KindAgent },
	})
	p := mustPolicy(t, guard.WithRules(guard.DestructiveDDL().Reviewed()), guard.WithApprover(q),
		guard.WithApprovalTimeout(10*time.Second))
	agentID := agentFor("alice", "acme")
	_, err := p.Check(context.Background(), dropRequest(agentID, "agent"))
	var re *guard.ReviewError
	if !errors.As(err, &re) || !re.Pending || re.Ticket == "" || !errors.Is(err, guard.ErrReviewPending) || !errors.Is(err, guard.ErrBlocked) {
		t.Fatalf("agent: got %v, want a pending review at once with its ticket", err)
	}
	agentTicket := re.Ticket

	human := identity.Identity{Kind: identity.KindUser, Subject: "carol", Tenant: "acme"}
	res := make(chan error, 1)
	go func() {
		_, err := p.Check(context.Background(), dropRequest(human, "human"))
		res <- err
	}()
	var humanTicket string
	for humanTicket == "" {
		ts, err := q.Pending(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts {
			if tk.Requester == "carol" {
				humanTicket = tk.ID
			}
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-res:
		t.Fatalf("person returned before any decision: %v, want them to wait", err)
	default:
	}
	if _, err := q.Decide(context.Background(), humanTicket, reviewer("bob", "acme"), approval.Ruling{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Errorf("person after approval: %v, want the statement to run", err)
	}
	if _, err := q.Decide(context.Background(), agentTicket, reviewer("bob", "acme"), approval.Ruling{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(context.Background(), dropRequest(agentID, "agent")); err != nil {
		t.Errorf("agent retry after approval: %v", err)
	}
}
