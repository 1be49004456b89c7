package approval_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// TestAgentRoundTripThroughDriver is the README's round trip through
// database/sql: request → ticket → approval over HTTP → retry, which runs
// once and only for the same arguments.
func TestAgentRoundTripThroughDriver(t *testing.T) {
	clock := newClock()
	q := approval.NewQueue(approval.Config{Now: clock.Now, ReviewerRoles: []string{"reviewer"}, NoWait: true})
	deletes := guard.RuleFunc(func(_ context.Context, r *guard.Request) guard.Verdict {
		for _, st := range r.Script.Statements {
			if st.Effect == sqlstmt.KindDelete {
				return guard.Verdict{Decision: guard.Review, Reason: "deletes need a reviewer"}
			}
		}
		return guard.Verdict{}
	})
	p := mustPolicy(t, guard.WithRules(guard.Named("deletes", deletes)), guard.WithApprover(q))
	db, err := sqlvigil.Open("sqlite", testdb.SQLite(t), sqlvigil.WithPolicy(p))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	who := agentFor("alice", "acme")
	ctx := identity.NewContext(context.Background(), who)
	for _, s := range []string{"CREATE TABLE orders (id INTEGER)", "INSERT INTO orders VALUES (1), (2), (3)"} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	del := func(id int) error {
		_, err := db.ExecContext(ctx, "DELETE FROM orders WHERE id = ?", id)
		return err
	}
	err = del(1)
	var re *guard.ReviewError
	if !errors.As(err, &re) || re.Ticket == "" || !errors.Is(err, guard.ErrReviewPending) || !errors.Is(err, guard.ErrBlocked) {
		t.Fatalf("request: %v, want a pending review with a ticket", err)
	}
	bob := reviewer("bob", "acme")
	h := q.Handler(approval.HandlerConfig{})
	if code, out := serve(t, h, &bob, "POST", "/requests/"+re.Ticket+"/approve", `{"comment":"ok"}`, jsonHdr); code != http.StatusOK {
		t.Fatalf("approve: %d %v", code, out)
	}
	if err := del(2); !errors.Is(err, guard.ErrReviewPending) {
		t.Errorf("other arguments after approval: %v", err)
	}
	if err := del(1); err != nil {
		t.Fatalf("retry after approval: %v", err)
	}
	if err := del(1); !errors.Is(err, guard.ErrReviewPending) {
		t.Errorf("second run of a one-time grant: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil || n != 2 {
		t.Errorf("rows left: %d %v, want 2", n, err)
	}
}
