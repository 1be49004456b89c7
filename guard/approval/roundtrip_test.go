package approval_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

// TestAgentRoundTripThroughDriver is the README's round trip through
// database/sql: request → ticket → approval over HTTP → retry, which runs
// once and only for the same arguments.
func TestAgentRoundTripThroughDriver(t *testing.T) {
	clock := newClock()
	q := approval.NewQueue(approval.Config{Now: clock.Now, ReviewerRoles: []string{"reviewer"}, NoWait: true})
	deletes := guard.RuleFunc(func(_ context.Context, r *guard.Request) guard.Verdict {
		for _, st := range r.Script.Statements {
			if st.Effect == sqlparse.KindDelete {
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

// joinStore signals when a request joins a ticket already pending.
type joinStore struct {
	approval.Store
	joined chan string
}

func (s *joinStore) FindPending(ctx context.Context, q approval.GrantQuery) (approval.Ticket, bool, error) {
	t, ok, err := s.Store.FindPending(ctx, q)
	if ok {
		s.joined <- t.ID
	}
	return t, ok, err
}

// TestApprovalUsedThroughDriver: two identical statements wait on one
// ticket; the one-time grant runs one of them, and the other hears that
// the approval was used — never that a reviewer denied it.
func TestApprovalUsedThroughDriver(t *testing.T) {
	store := &joinStore{Store: approval.NewMemoryStore(), joined: make(chan string, 1)}
	q := approval.NewQueue(approval.Config{Store: store, ReviewerRoles: []string{"reviewer"}, PollInterval: 5 * time.Millisecond})
	deletes := guard.RuleFunc(func(_ context.Context, r *guard.Request) guard.Verdict {
		for _, st := range r.Script.Statements {
			if st.Effect == sqlparse.KindDelete {
				return guard.Verdict{Decision: guard.Review, Reason: "deletes need a reviewer"}
			}
		}
		return guard.Verdict{}
	})
	p := mustPolicy(t, guard.WithRules(guard.Named("deletes", deletes)), guard.WithApprover(q), guard.WithApprovalTimeout(10*time.Second))
	db, err := sqlvigil.Open("sqlite", testdb.SQLite(t), sqlvigil.WithPolicy(p))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindUser, Subject: "alice", Tenant: "acme"})
	for _, s := range []string{"CREATE TABLE orders (id INTEGER)", "INSERT INTO orders VALUES (1), (2), (3)"} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	res := make(chan error, 2)
	del := func() {
		_, err := db.ExecContext(ctx, "DELETE FROM orders WHERE id = ?", 1)
		res <- err
	}
	go del()
	var id string
	for id == "" {
		ts, err := q.Pending(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) > 0 {
			id = ts[0].ID
		}
		time.Sleep(time.Millisecond)
	}
	go del()
	if joined := <-store.joined; joined != id {
		t.Fatalf("second statement joined %s, want %s", joined, id)
	}
	bob := reviewer("bob", "acme")
	h := q.Handler(approval.HandlerConfig{})
	if code, out := serve(t, h, &bob, "POST", "/requests/"+id+"/approve", `{"comment":"ok"}`, jsonHdr); code != http.StatusOK {
		t.Fatalf("approve: %d %v", code, out)
	}
	var ran, used int
	for range 2 {
		err := <-res
		var re *guard.ReviewError
		switch {
		case err == nil:
			ran++
		case errors.As(err, &re) && re.Used && re.Ticket == id && errors.Is(err, guard.ErrApprovalUsed) && errors.Is(err, guard.ErrBlocked):
			used++
			if errors.Is(err, guard.ErrReviewPending) || strings.Contains(err.Error(), "denied") {
				t.Errorf("used grant reported as %v", err)
			}
			if want := "approval already used (ticket " + id + ")"; !strings.Contains(re.Error(), want) {
				t.Errorf("got %q, want it to say %q", re.Error(), want)
			}
		default:
			t.Errorf("second statement: %v, want the approval already used", err)
		}
	}
	if ran != 1 || used != 1 {
		t.Errorf("ran %d, told used %d; want 1 and 1", ran, used)
	}
}
