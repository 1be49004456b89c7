package approval_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// TestGrantScopeTrust: a grant given to an identity the service
// established covers no identity a caller merely asserted (baggage), nor
// another kind of principal that happens to share the subject; and a
// time-boxed grant is never given to an asserted identity, which anyone can
// assert again.
func TestGrantScopeTrust(t *testing.T) {
	ctx := context.Background()
	for _, grantFor := range []time.Duration{0, 10 * time.Minute} {
		r := newReplica(t, nil, newClock(), true)
		id := fileTicket(t, r, dropRequest(alice, "x"))
		if _, err := r.q.Decide(ctx, id, reviewer("bob", ""), approval.Ruling{Approve: true, GrantFor: grantFor}); err != nil {
			t.Fatal(err)
		}
		asserted := alice
		asserted.Untrusted = true
		service := alice
		service.Kind = identity.KindService
		for name, who := range map[string]identity.Identity{"asserted alice": asserted, "service alice": service} {
			if _, err := r.p.Check(ctx, dropRequest(who, "x")); !errors.Is(err, guard.ErrReviewPending) {
				t.Errorf("grant for %v: %s got %v, want a new pending review", grantFor, name, err)
			}
		}
		if _, err := r.p.Check(ctx, dropRequest(alice, "x")); err != nil {
			t.Errorf("grant for %v: alice herself: %v", grantFor, err)
		}
	}

	r := newReplica(t, nil, newClock(), true)
	asserted := alice
	asserted.Untrusted = true
	id := fileTicket(t, r, dropRequest(asserted, "x"))
	tk, err := r.q.Get(ctx, id)
	if err != nil || !tk.Untrusted {
		t.Fatalf("ticket of an asserted identity: %+v, %v; want Untrusted shown to the reviewer", tk, err)
	}
	if _, err := r.q.Decide(ctx, id, reviewer("bob", ""), approval.Ruling{Approve: true, GrantFor: time.Minute}); !errors.Is(err, approval.ErrRuling) {
		t.Errorf("time-boxed grant for an asserted identity: %v, want ErrRuling", err)
	}
	if st := status(t, r, id); st != approval.StatusPending {
		t.Errorf("ticket is %s after a refused ruling, want pending", st)
	}
}

// TestSelfApprovalUnicode: a subject spelled with other code points that
// read the same — compatibility forms (fullwidth letters, ligatures),
// invisible format characters, full case folding — is the same subject.
func TestSelfApprovalUnicode(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	ctx := context.Background()
	tests := []struct {
		requester, reviewer string
	}{
		{"dana", "ｄａｎａ"},
		{"dana", "da\u200bna"},
		{"dana", "\ufeffdana"},
		{"dana", "dan\u00ada"},
		{"dana", "dana\u2060"},
		{"dana", "da\u3164na"},
		{"fiona", "ﬁona"},
		{"strasse", "STRAßE"},
		{"dana", "\u00a0Dana\u3000"},
	}
	for _, tt := range tests {
		who := identity.Identity{Kind: identity.KindUser, Subject: tt.requester}
		id := fileTicket(t, r, dropRequest(who, tt.reviewer))
		if _, err := r.q.Decide(ctx, id, reviewer(tt.reviewer, ""), approval.Ruling{Approve: true}); !errors.Is(err, approval.ErrSelfApproval) {
			t.Errorf("%q deciding %q's request: %v, want ErrSelfApproval", tt.reviewer, tt.requester, err)
		}
		self := guard.ApproverFunc(func(context.Context, *guard.ApprovalRequest) (guard.Answer, error) {
			return guard.Answer{Approved: true, ID: "x", Reviewer: tt.reviewer}, nil
		})
		p := mustPolicy(t, guard.WithRules(guard.DestructiveDDL().Reviewed()), guard.WithApprover(self))
		if _, err := p.Check(ctx, dropRequest(who, "x")); !errors.Is(err, guard.ErrBlocked) {
			t.Errorf("approver answering as %q for %q: %v, want blocked", tt.reviewer, tt.requester, err)
		}
	}
	for _, other := range [][2]string{{"dana", "danb"}, {"dana", "dána"}, {"dana", "dan"}, {"", "\u200b"}} {
		if guard.SameSubject(other[0], other[1]) {
			t.Errorf("SameSubject(%q, %q) = true, want false", other[0], other[1])
		}
	}
}

// faultyStore fails (or panics in) the calls it is told to, with an error
// that quotes an argument value, as a driver's error might.
type faultyStore struct {
	approval.Store
	failDecide, panicDecide, failGet bool
}

var errStoreDown = errors.New("store down: value s3cr3t-arg")

func (s *faultyStore) Decide(ctx context.Context, id string, d approval.Ruling) (approval.Ticket, error) {
	if s.panicDecide {
		panic("store bug: s3cr3t-arg")
	}
	if s.failDecide {
		return approval.Ticket{}, errStoreDown
	}
	return s.Store.Decide(ctx, id, d)
}

func (s *faultyStore) Get(ctx context.Context, id string) (approval.Ticket, error) {
	if s.failGet {
		return approval.Ticket{}, errStoreDown
	}
	return s.Store.Get(ctx, id)
}

// postRaw sends a decision through a real server and returns the status
// and body; a connection cut without an answer fails the test.
func postRaw(t *testing.T, srv *httptest.Server, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: no answer: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func bobHandler(q *approval.Queue, cfg approval.HandlerConfig) http.Handler {
	cfg.Reviewer = func(*http.Request) (identity.Identity, bool) { return reviewer("bob", ""), true }
	return q.Handler(cfg)
}

// TestHandlerStoreFaults: a store that fails or panics while a decision
// is made gets a clear 500 that quotes nothing the store said, and leaves
// the request undecided.
func TestHandlerStoreFaults(t *testing.T) {
	tests := []struct {
		name string
		arm  func(*faultyStore)
	}{
		{"decide fails", func(s *faultyStore) { s.failDecide = true }},
		{"decide panics", func(s *faultyStore) { s.panicDecide = true }},
		{"get fails", func(s *faultyStore) { s.failGet = true }},
	}
	for _, tt := range tests {
		fs := &faultyStore{Store: approval.NewMemoryStore()}
		q := approval.NewQueue(approval.Config{Store: fs, NoWait: true})
		p := mustPolicy(t, guard.WithRules(guard.DestructiveDDL().Reviewed()), guard.WithApprover(q))
		_, err := p.Check(context.Background(), dropRequest(alice, "s3cr3t-arg"))
		var re *guard.ReviewError
		if !errors.As(err, &re) {
			t.Fatalf("Check: %v", err)
		}
		tt.arm(fs)
		srv := httptest.NewServer(bobHandler(q, approval.HandlerConfig{}))
		code, body := postRaw(t, srv, "/requests/"+re.Ticket+"/approve", `{}`)
		srv.Close()
		if code != http.StatusInternalServerError || strings.Contains(body, "s3cr3t") || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s, want 500 with a JSON error quoting nothing", tt.name, code, body)
		}
		*fs = faultyStore{Store: fs.Store}
		if tk, err := q.Get(context.Background(), re.Ticket); err != nil || tk.Status != approval.StatusPending {
			t.Errorf("%s: ticket after the fault: %+v, %v; want pending", tt.name, tk, err)
		}
	}
}

// TestHandlerBodyFaults: a body too large is refused as such (413), and a
// body that does not arrive is given up on (408) instead of holding the
// handler as long as the client likes; neither decides anything.
func TestHandlerBodyFaults(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	id := fileTicket(t, r, dropRequest(alice, "x"))
	srv := httptest.NewServer(bobHandler(r.q, approval.HandlerConfig{BodyTimeout: 100 * time.Millisecond}))
	defer srv.Close()
	huge := `{"comment":"` + strings.Repeat("a", 1<<20) + `"}`
	if code, body := postRaw(t, srv, "/requests/"+id+"/approve", huge); code != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB body: %d %s, want 413", code, body)
	}

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second)) // the test's deadline, not a measure
	fmt.Fprintf(conn, "POST /requests/%s/approve HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"comm",
		id, srv.Listener.Addr())
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("slow body: no answer: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestTimeout {
		t.Errorf("slow body: %d, want 408", res.StatusCode)
	}
	if st := status(t, r, id); st != approval.StatusPending {
		t.Errorf("ticket is %s after refused bodies, want pending", st)
	}
}

// twoPools opens the store of each database twice, on two connection
// pools, as two replicas (or two processes) would.
func twoPools(t *testing.T) map[string][2]approval.Store {
	t.Helper()
	open := func(driverName, dsn string, d sqlstmt.Dialect) approval.Store {
		db, err := sql.Open(driverName, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s, err := approval.NewSQLStore(db, d, "approvals")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Init(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	out := map[string][2]approval.Store{}
	mem := approval.NewMemoryStore()
	out["memory"] = [2]approval.Store{mem, mem}
	pg, my := testdb.Postgres(t), testdb.MySQL(t)
	lite := "file:" + filepath.Join(t.TempDir(), "approvals.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	out["postgresql"] = [2]approval.Store{open("postgres", pg, sqlstmt.PostgreSQL), open("postgres", pg, sqlstmt.PostgreSQL)}
	out["mariadb"] = [2]approval.Store{open("mysql", my, sqlstmt.MySQL), open("mysql", my, sqlstmt.MySQL)}
	out["sqlite"] = [2]approval.Store{open("sqlite", lite, sqlstmt.SQLite), open("sqlite", lite, sqlstmt.SQLite)}
	return out
}

// TestDecisionRace: an approval and a denial of one request, sent at once
// through two replicas, and replays of each: exactly one decides, the
// others get ErrDecided (409), and the request keeps the winner's answer.
func TestDecisionRace(t *testing.T) {
	ctx := context.Background()
	for name, pair := range twoPools(t) {
		t.Run(name, func(t *testing.T) {
			a := newReplica(t, pair[0], newClock(), true)
			b := newReplica(t, pair[1], newClock(), true)
			for i := range 10 {
				id := fileTicket(t, a, dropRequest(alice, fmt.Sprint("race ", i)))
				type res struct {
					approve bool
					err     error
				}
				out := make(chan res, 4)
				for j, r := range []*replica{a, b, a, b} {
					go func() {
						approve := j%2 == 0
						_, err := r.q.Decide(ctx, id, reviewer(fmt.Sprint("rev", j), ""), approval.Ruling{Approve: approve})
						out <- res{approve, err}
					}()
				}
				var won []bool
				for range 4 {
					r := <-out
					switch {
					case r.err == nil:
						won = append(won, r.approve)
					case !errors.Is(r.err, approval.ErrDecided):
						t.Errorf("losing decision: %v, want ErrDecided", r.err)
					}
				}
				if len(won) != 1 {
					t.Fatalf("%d decisions succeeded on one request, want 1", len(won))
				}
				want := approval.StatusDenied
				if won[0] {
					want = approval.StatusApproved
				}
				for _, r := range []*replica{a, b} {
					if st := status(t, r, id); st != want {
						t.Errorf("request is %s, want the winner's %s", st, want)
					}
				}
			}
		})
	}
}

// TestTicketIDAliases: only an id the queue could have minted names a
// request, whatever the store's collation makes of another spelling
// (MariaDB compares case- and trailing-space-insensitively).
func TestTicketIDAliases(t *testing.T) {
	ctx := context.Background()
	for name, pair := range twoPools(t) {
		t.Run(name, func(t *testing.T) {
			r := newReplica(t, pair[0], newClock(), true)
			id := fileTicket(t, r, dropRequest(alice, "alias"))
			rita := reviewer("rita", "")
			for _, alias := range []string{strings.ToUpper(id), id + " ", id + "\t", " " + id, id[:len(id)-1], id + "%", "%", ""} {
				if _, err := r.q.GetFor(ctx, alias, rita); !errors.Is(err, approval.ErrNoTicket) {
					t.Errorf("GetFor(%q): %v, want ErrNoTicket", alias, err)
				}
				if _, err := r.q.Decide(ctx, alias, rita, approval.Ruling{Approve: true}); !errors.Is(err, approval.ErrNoTicket) {
					t.Errorf("Decide(%q): %v, want ErrNoTicket", alias, err)
				}
			}
			if st := status(t, r, id); st != approval.StatusPending {
				t.Errorf("request is %s after decisions on aliases, want pending", st)
			}
		})
	}
}

// TestGrantClockSkew: a replica whose clock is behind the one that gave a
// grant does not stretch it: a grant covers statements from its decision
// to its end, on the claiming replica's clock.
func TestGrantClockSkew(t *testing.T) {
	ctx := context.Background()
	for name, pair := range twoPools(t) {
		t.Run(name, func(t *testing.T) {
			fast, slow := newClock(), newClock()
			slow.Add(-2 * time.Hour)
			a, b := newReplica(t, pair[0], fast, true), newReplica(t, pair[1], slow, true)
			for _, grantFor := range []time.Duration{0, 10 * time.Minute} {
				arg := fmt.Sprint("skew ", grantFor)
				id := fileTicket(t, a, dropRequest(alice, arg))
				if _, err := a.q.Decide(ctx, id, reviewer("bob", ""), approval.Ruling{Approve: true, GrantFor: grantFor}); err != nil {
					t.Fatal(err)
				}
				if _, err := b.p.Check(ctx, dropRequest(alice, arg)); err == nil {
					t.Errorf("grant for %v used two hours before it was given, on a replica whose clock is behind", grantFor)
				}
			}
			slow.Add(2*time.Hour + 5*time.Minute)
			if _, err := b.p.Check(ctx, dropRequest(alice, "skew 10m0s")); err != nil {
				t.Errorf("time-boxed grant once the clock caught up: %v", err)
			}
		})
	}
}

// TestGrantScopeEnvironment: one approval service for several
// environments — a grant a reviewer gave for staging does not run the
// statement in production, through a policy that shares the queue and
// the grant key.
func TestGrantScopeEnvironment(t *testing.T) {
	ctx := context.Background()
	for _, grantFor := range []time.Duration{0, 10 * time.Minute} {
		q := approval.NewQueue(approval.Config{NoWait: true})
		policy := func(env string) *guard.Policy {
			return mustPolicy(t, guard.WithRules(guard.DestructiveDDL().Reviewed()), guard.WithApprover(q),
				guard.WithEnvironment(env), guard.WithGrantKey([]byte("one key for every environment")))
		}
		staging, production := policy("staging"), policy("production")
		drop := func() *guard.Request {
			r := dropRequest(alice, "x")
			r.Environment = "" // the policy's
			return r
		}
		_, err := staging.Check(ctx, drop())
		var re *guard.ReviewError
		if !errors.As(err, &re) {
			t.Fatalf("Check: %v", err)
		}
		if _, err := q.Decide(ctx, re.Ticket, reviewer("bob", ""), approval.Ruling{Approve: true, GrantFor: grantFor}); err != nil {
			t.Fatal(err)
		}
		if _, err := production.Check(ctx, drop()); !errors.Is(err, guard.ErrReviewPending) {
			t.Errorf("grant for %v in staging, used in production: %v, want a new pending review", grantFor, err)
		}
		if _, err := staging.Check(ctx, drop()); err != nil {
			t.Errorf("grant for %v in staging, used in staging: %v", grantFor, err)
		}
	}
}

// TestAgentCannotReview: a review waits for a person. An AI agent, even
// one holding the reviewer role, decides nothing — least of all a request
// of the user it acts for, which would be that user approving their own.
func TestAgentCannotReview(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	ctx := context.Background()
	id := fileTicket(t, r, dropRequest(alice, "x"))
	forAlice := agentFor("alice", "")
	forAlice.Roles = []string{"reviewer"}
	forCarol := agentFor("carol", "")
	forCarol.Roles = []string{"reviewer"}
	forCarol.Subject = "agent-9"
	kindOnly := reviewer("robot", "")
	kindOnly.Kind = identity.KindAgent
	for name, who := range map[string]identity.Identity{"agent for alice": forAlice, "agent for carol": forCarol, "agent kind": kindOnly} {
		if _, err := r.q.Decide(ctx, id, who, approval.Ruling{Approve: true}); !errors.Is(err, approval.ErrNotReviewer) && !errors.Is(err, approval.ErrSelfApproval) {
			t.Errorf("%s: %v, want ErrNotReviewer or ErrSelfApproval", name, err)
		}
		if code, out := serve(t, r.h, &who, "POST", "/requests/"+id+"/approve", `{}`, jsonHdr); code != http.StatusForbidden {
			t.Errorf("%s over HTTP: %d %v, want 403", name, code, out)
		}
	}
	if st := status(t, r, id); st != approval.StatusPending {
		t.Errorf("request is %s after agents tried to decide it, want pending", st)
	}
}

// TestStoreDownMidDecision: the store's database goes away between the
// request and its decision (its pool closed, the server gone): the
// decision is a 500 that quotes nothing, the waiting statement is refused
// without the store's words, and the request is still pending when the
// database is back.
func TestStoreDownMidDecision(t *testing.T) {
	ctx := context.Background()
	dbs := []struct {
		name, driver string
		dsn          string
		d            sqlstmt.Dialect
	}{
		{"postgresql", "postgres", testdb.Postgres(t), sqlstmt.PostgreSQL},
		{"mariadb", "mysql", testdb.MySQL(t), sqlstmt.MySQL},
		{"sqlite", "sqlite", "file:" + filepath.Join(t.TempDir(), "a.db"), sqlstmt.SQLite},
	}
	for _, tt := range dbs {
		t.Run(tt.name, func(t *testing.T) {
			open := func() (*sql.DB, approval.Store) {
				db, err := sql.Open(tt.driver, tt.dsn)
				if err != nil {
					t.Fatal(err)
				}
				s, err := approval.NewSQLStore(db, tt.d, "approvals_down")
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Init(ctx); err != nil {
					t.Fatal(err)
				}
				return db, s
			}
			db, s := open()
			r := newReplica(t, s, newClock(), true)
			id := fileTicket(t, r, dropRequest(alice, "s3cr3t-arg"))
			db.Close() // the database is gone
			srv := httptest.NewServer(bobHandler(r.q, approval.HandlerConfig{}))
			defer srv.Close()
			if code, body := postRaw(t, srv, "/requests/"+id+"/approve", `{}`); code != http.StatusInternalServerError || strings.Contains(body, "s3cr3t") || strings.Contains(body, "sql:") {
				t.Errorf("decision with the store down: %d %s, want a 500 that quotes nothing", code, body)
			}
			_, err := r.p.Check(ctx, dropRequest(alice, "s3cr3t-arg"))
			if !errors.Is(err, guard.ErrBlocked) || strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "closed") {
				t.Errorf("statement with the store down: %v, want blocked, quoting nothing", err)
			}
			db2, s2 := open()
			defer db2.Close()
			if tk, err := s2.Get(ctx, id); err != nil || tk.Status != approval.StatusPending {
				t.Errorf("request once the database is back: %+v, %v; want pending", tk, err)
			}
		})
	}
}

// TestHandlerOriginScheme: on a TLS connection, a page of the same host
// served over plain HTTP (which anyone on the path can write) is another
// origin.
func TestHandlerOriginScheme(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	id := fileTicket(t, r, dropRequest(alice, "x"))
	bobR := reviewer("bob", "")
	send := func(origin string) int {
		req := httptest.NewRequest("POST", "https://approvals.example/requests/"+id+"/approve", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		req = req.WithContext(identity.NewContext(req.Context(), bobR))
		rec := httptest.NewRecorder()
		r.h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := send("http://approvals.example"); code != http.StatusForbidden {
		t.Errorf("plain-HTTP origin on a TLS request: %d, want 403", code)
	}
	if st := status(t, r, id); st != approval.StatusPending {
		t.Fatalf("request is %s, want pending", st)
	}
	if code := send("https://approvals.example"); code != http.StatusOK {
		t.Errorf("same origin over TLS: %d, want 200", code)
	}
}

// TestGrantScopeShapeCollision: a time-boxed grant covers statements of
// the granted shape, the literal-free text, not whatever shares its 64-bit
// fingerprint. The fingerprint is FNV-1a, which is no defence against a
// requester (an agent writes its own SQL) crafting another statement with
// the granted one's fingerprint; this test stands in for such a collision.
func TestGrantScopeShapeCollision(t *testing.T) {
	ctx := context.Background()
	r := newReplica(t, nil, newClock(), true)
	granted := *dropT
	granted.Fingerprint = 0x5eed
	req := request(alice, &granted)
	id := fileTicket(t, r, req)
	if _, err := r.q.Decide(ctx, id, reviewer("bob", ""), approval.Ruling{Approve: true, GrantFor: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.p.Check(ctx, request(alice, &granted)); err != nil {
		t.Fatalf("the granted shape: %v", err)
	}
	crafted := granted
	crafted.Normalized = "DROP TABLE customers /* chosen to collide */"
	crafted.Summary = "DROP customers"
	if _, err := r.p.Check(ctx, request(alice, &crafted)); !errors.Is(err, guard.ErrReviewPending) {
		t.Errorf("another statement with the granted fingerprint: %v, want a new pending review", err)
	}
}
