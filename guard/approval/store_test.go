package approval_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

type storeMaker struct {
	name string
	make func(t *testing.T) approval.Store
}

func sqlStore(t *testing.T, driverName, dsn string, d sqlstmt.Dialect) approval.Store {
	t.Helper()
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := approval.NewSQLStore(db, d, "sqlvigil_approvals")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Init(context.Background()); err != nil {
		t.Fatalf("Init twice: %v", err)
	}
	return s
}

func stores() []storeMaker {
	return []storeMaker{
		{"memory", func(*testing.T) approval.Store { return approval.NewMemoryStore() }},
		{"postgresql", func(t *testing.T) approval.Store {
			return sqlStore(t, "postgres", testdb.Postgres(t), sqlstmt.PostgreSQL)
		}},
		{"mariadb", func(t *testing.T) approval.Store { return sqlStore(t, "mysql", testdb.MySQL(t), sqlstmt.MySQL) }},
		{"sqlite", func(t *testing.T) approval.Store { return sqlStore(t, "sqlite", testdb.SQLite(t), sqlstmt.SQLite) }},
	}
}

func TestStores(t *testing.T) {
	t0 := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, sm := range stores() {
		t.Run(sm.name, func(t *testing.T) {
			t.Parallel()
			s := sm.make(t)
			ctx := context.Background()
			mk := func(id, digest string, created time.Time) approval.Ticket {
				return approval.Ticket{ID: id, Status: approval.StatusPending, Requester: "alice", Kind: "user", Rule: "r", Reason: "why",
					Statement: "DELETE FROM t WHERE id = ?", Digest: digest, Created: created}
			}
			for _, tk := range []approval.Ticket{mk("a", "d1", t0), mk("b", "d2", t0.Add(time.Second)), mk("old", "d3", t0.Add(-48*time.Hour))} {
				if err := s.Create(ctx, tk); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Get(ctx, "a")
			if err != nil || got.Statement != "DELETE FROM t WHERE id = ?" || got.Digest != "d1" || !got.Created.Equal(t0) || got.Status != approval.StatusPending {
				t.Errorf("Get: %+v %v", got, err)
			}
			if _, err := s.Get(ctx, "zz"); !errors.Is(err, approval.ErrNoTicket) {
				t.Errorf("Get of a missing id: %v", err)
			}
			pending, err := s.Pending(ctx, t0.Add(-time.Hour))
			if err != nil || len(pending) != 2 || pending[0].ID != "a" || pending[1].ID != "b" {
				t.Errorf("Pending: %+v %v", pending, err)
			}
			if f, ok, err := s.FindPending(ctx, approval.GrantQuery{Requester: "alice", Kind: "user", Statement: "DELETE FROM t WHERE id = ?", Rule: "r", Digest: "d2", Since: t0.Add(-time.Hour)}); err != nil || !ok || f.ID != "b" {
				t.Errorf("FindPending: %+v %v %v", f, ok, err)
			}
			if _, ok, _ := s.FindPending(ctx, approval.GrantQuery{Requester: "alice", Kind: "user", Statement: "DELETE FROM t WHERE id = ?", Rule: "r", Digest: "d3", Since: t0.Add(-time.Hour)}); ok {
				t.Errorf("FindPending found an expired request")
			}
			// One-time grant on a.
			d, err := s.Decide(ctx, "a", approval.Ruling{Approve: true, Reviewer: "bob", Comment: "ok", Decided: t0})
			if err != nil || d.Status != approval.StatusApproved || d.Reviewer != "bob" {
				t.Fatalf("Decide: %+v %v", d, err)
			}
			if _, err := s.Decide(ctx, "a", approval.Ruling{Reviewer: "dave"}); !errors.Is(err, approval.ErrDecided) {
				t.Errorf("second Decide: %v", err)
			}
			q := approval.GrantQuery{Requester: "alice", Kind: "user", Statement: "DELETE FROM t WHERE id = ?", Rule: "r", Digest: "d9", Now: t0}
			if _, ok, err := s.Claim(ctx, q); ok || err != nil {
				t.Errorf("Claim with another digest: %v %v", ok, err)
			}
			q.Digest = "d1"
			if c, ok, err := s.Claim(ctx, q); !ok || err != nil || c.ID != "a" || !c.Consumed {
				t.Errorf("Claim: %+v %v %v", c, ok, err)
			}
			if _, ok, _ := s.Claim(ctx, q); ok {
				t.Errorf("one-time grant claimed twice")
			}
			// Time-boxed grant on b.
			if _, err := s.Decide(ctx, "b", approval.Ruling{Approve: true, Reviewer: "bob", Decided: t0, GrantUntil: t0.Add(10 * time.Minute)}); err != nil {
				t.Fatal(err)
			}
			q = approval.GrantQuery{Requester: "alice", Kind: "user", Statement: "DELETE FROM t WHERE id = ?", Rule: "r", Digest: "any", Now: t0.Add(5 * time.Minute)}
			for range 2 {
				if c, ok, err := s.Claim(ctx, q); !ok || err != nil || c.ID != "b" {
					t.Errorf("time-boxed Claim: %+v %v %v", c, ok, err)
				}
			}
			q.Now = t0.Add(11 * time.Minute)
			if _, ok, _ := s.Claim(ctx, q); ok {
				t.Errorf("expired time-boxed grant claimed")
			}
			q = approval.GrantQuery{Requester: "mallory", Kind: "user", Statement: "DELETE FROM t WHERE id = ?", Rule: "r", Digest: "d1", Now: t0}
			if _, ok, _ := s.Claim(ctx, q); ok {
				t.Errorf("grant claimed by another requester")
			}
			// Denial.
			if err := s.Create(ctx, mk("c", "d4", t0)); err != nil {
				t.Fatal(err)
			}
			if d, err := s.Decide(ctx, "c", approval.Ruling{Reviewer: "bob", Decided: t0}); err != nil || d.Status != approval.StatusDenied {
				t.Errorf("deny: %+v %v", d, err)
			}
			if _, ok, _ := s.Claim(ctx, approval.GrantQuery{Requester: "alice", Kind: "user", Statement: "DELETE FROM t WHERE id = ?", Rule: "r", Digest: "d4", Now: t0.Add(time.Hour)}); ok {
				t.Errorf("denied request claimed")
			}
			// Prune forgets what was created before the cut.
			if err := s.(approval.Pruner).Prune(ctx, t0.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "old"); !errors.Is(err, approval.ErrNoTicket) {
				t.Errorf("old ticket after Prune: %v", err)
			}
			if _, err := s.Get(ctx, "a"); err != nil {
				t.Errorf("recent ticket after Prune: %v", err)
			}
		})
	}
}

// TestSharedStoreReplicas runs two queues, as two replicas would, on one
// database table: a request filed on one is approved through the other.
func TestSharedStoreReplicas(t *testing.T) {
	for _, sm := range stores()[1:] {
		t.Run(sm.name, func(t *testing.T) {
			t.Parallel()
			s := sm.make(t)
			a := approval.NewQueue(approval.Config{Store: s, PollInterval: 10 * time.Millisecond})
			b := approval.NewQueue(approval.Config{Store: s, PollInterval: 10 * time.Millisecond})
			key := []byte("shared key")
			pa := mustPolicy(t, guard.WithRules(guard.DestructiveDDL().Reviewed()), guard.WithApprover(a), guard.WithGrantKey(key))
			res := make(chan error, 1)
			go func() {
				_, err := pa.Check(context.Background(), dropRequest(alice, "x"))
				res <- err
			}()
			var id string
			for id == "" {
				ts, err := b.Pending(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if len(ts) > 0 {
					id = ts[0].ID
				}
			}
			if _, err := b.Decide(context.Background(), id, identity.Identity{Subject: "bob"}, approval.Ruling{Approve: true, Comment: "ok"}); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-res:
				if err != nil {
					t.Errorf("approved on the other replica: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("replica never saw the approval")
			}
		})
	}
}

func TestNewSQLStoreRefuses(t *testing.T) {
	db, err := sql.Open("sqlite", testdb.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{"", "a;drop table x", "a.b.c", "1abc", "x-y"} {
		if _, err := approval.NewSQLStore(db, sqlstmt.SQLite, name); err == nil {
			t.Errorf("table name %q accepted", name)
		}
	}
	if _, err := approval.NewSQLStore(db, sqlstmt.DialectUnknown, "t"); err == nil {
		t.Errorf("unknown dialect accepted")
	}
}
