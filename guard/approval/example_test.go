package approval_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// An agent's non-blocking round trip: request → ticket → approval → retry.
func ExampleQueue() {
	q := approval.NewQueue(approval.Config{NoWait: true})
	// Agents may only read; what else they send goes to review.
	p, err := guard.New(
		guard.WithApprover(q),
		guard.WithRules(guard.ReadOnly(guard.Who{Kinds: []identity.Kind{identity.KindAgent}}).Reviewed()),
	)
	if err != nil {
		log.Fatal(err)
	}
	db, err := sqlvigil.Open("sqlite", "file:example_queue?mode=memory&cache=shared", sqlvigil.WithPolicy(p))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	admin := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindService, Service: "setup"})
	if _, err := db.ExecContext(admin, "CREATE TABLE orders (id INTEGER)"); err != nil {
		log.Fatal(err)
	}
	if _, err := db.ExecContext(admin, "INSERT INTO orders VALUES (1), (2)"); err != nil {
		log.Fatal(err)
	}

	ctx := identity.NewContext(context.Background(), identity.Identity{
		Kind:    identity.KindAgent,
		Subject: "support-bot",
		Agent:   &identity.Agent{Name: "support-bot", OnBehalfOf: "alice"},
	})
	// 1. The request fails at once with a ticket.
	_, err = db.ExecContext(ctx, "DELETE FROM orders WHERE id = ?", 1)
	var re *guard.ReviewError
	if !errors.As(err, &re) || !errors.Is(err, guard.ErrReviewPending) {
		log.Fatal(err)
	}
	fmt.Println("2. waiting for approval:", re.Ticket != "")

	// 3. A reviewer approves over HTTP; the service's authentication puts
	// the reviewer's identity in the request context.
	carol := identity.Identity{Kind: identity.KindUser, Subject: "carol"}
	req := httptest.NewRequest(http.MethodPost, "/requests/"+re.Ticket+"/approve", strings.NewReader(`{"comment":"ok"}`))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(identity.NewContext(req.Context(), carol))
	rec := httptest.NewRecorder()
	q.Handler(approval.HandlerConfig{}).ServeHTTP(rec, req)
	fmt.Println("3. approve:", rec.Code)

	// 4. The same statement with the same arguments now runs, once.
	res, err := db.ExecContext(ctx, "DELETE FROM orders WHERE id = ?", 1)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := res.RowsAffected()
	fmt.Println("4. retry deleted", n)
	_, err = db.ExecContext(ctx, "DELETE FROM orders WHERE id = ?", 1)
	fmt.Println("   once more:", errors.Is(err, guard.ErrReviewPending))
	// Output:
	// 2. waiting for approval: true
	// 3. approve: 200
	// 4. retry deleted 1
	//    once more: true
}

// Answering in Go instead of over HTTP, and what the requester learns of a
// denial.
func ExampleQueue_Decide() {
	q := approval.NewQueue(approval.Config{NoWait: true})
	p, err := guard.New(guard.WithApprover(q), guard.WithRules(guard.DestructiveDDL().Reviewed()))
	if err != nil {
		log.Fatal(err)
	}
	agent := identity.Identity{Kind: identity.KindAgent, Subject: "bot", Agent: &identity.Agent{Name: "bot", OnBehalfOf: "alice"}}
	sql := "DROP TABLE scratch"
	r := &guard.Request{Identity: agent, Script: guard.Analyze(sqlstmt.PostgreSQL, sql), SQL: sql}
	_, err = p.Check(context.Background(), r)
	var re *guard.ReviewError
	if !errors.As(err, &re) {
		log.Fatal(err)
	}
	// The user the agent acts for may not approve its request.
	alice := identity.Identity{Kind: identity.KindUser, Subject: "alice"}
	_, err = q.Decide(context.Background(), re.Ticket, alice, approval.Ruling{Approve: true})
	fmt.Println(errors.Is(err, approval.ErrSelfApproval))

	carol := identity.Identity{Kind: identity.KindUser, Subject: "carol"}
	t, err := q.Decide(context.Background(), re.Ticket, carol, approval.Ruling{Approve: false, Comment: "use a migration"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.Status)
	// Output:
	// true
	// denied
}
