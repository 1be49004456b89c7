package approval_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// replica is one service replica: a queue on a store, a policy that asks
// it, and the queue's HTTP API with the reviewer taken from the context
// (as the service's authentication middleware would set it).
type replica struct {
	q *approval.Queue
	p *guard.Policy
	h http.Handler
}

func newReplica(t *testing.T, store approval.Store, clock *fakeClock, noWait bool) *replica {
	t.Helper()
	r := &replica{q: approval.NewQueue(approval.Config{
		Store: store, Now: clock.Now, PollInterval: 5 * time.Millisecond,
		ReviewerRoles: []string{"reviewer"}, NoWait: noWait,
	})}
	r.p = mustPolicy(t,
		guard.WithRules(guard.DestructiveDDL().Reviewed()),
		guard.WithApprover(r.q),
		guard.WithApprovalTimeout(5*time.Second),
		guard.WithGrantKey([]byte("replicas share this key")))
	r.h = r.q.Handler(approval.HandlerConfig{})
	return r
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func reviewer(sub, tenant string) identity.Identity {
	return identity.Identity{Kind: identity.KindUser, Subject: sub, Tenant: tenant, Roles: []string{"reviewer"}}
}

// serve sends one request through h as who (nil: nobody authenticated),
// with extra headers, and returns the status and decoded body.
func serve(t *testing.T, h http.Handler, who *identity.Identity, method, path, body string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, "http://approvals.example"+path, strings.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	if who != nil {
		r = r.WithContext(identity.NewContext(r.Context(), *who))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %q", method, path, rec.Body.String())
	}
	return rec.Code, out
}

var jsonHdr = map[string]string{"Content-Type": "application/json"}

// agentFor is an agent acting for user in tenant.
func agentFor(user, tenant string) identity.Identity {
	return identity.Identity{Kind: identity.KindAgent, Subject: "agent-7", Tenant: tenant, Roles: []string{"agent"},
		Agent: &identity.Agent{Name: "helper", Model: "model-x", Tool: "sql", ToolCallID: "call-42", OnBehalfOf: user}}
}

// fileTicket files a review without waiting and returns its ticket id.
func fileTicket(t *testing.T, r *replica, req *guard.Request) string {
	t.Helper()
	_, err := r.p.Check(context.Background(), req)
	var re *guard.ReviewError
	if !errors.As(err, &re) || re.Ticket == "" || !errors.Is(err, guard.ErrBlocked) || !errors.Is(err, guard.ErrReviewPending) {
		t.Fatalf("Check without waiting: %v, want a pending *ReviewError with a ticket", err)
	}
	return re.Ticket
}

func status(t *testing.T, r *replica, id string) approval.Status {
	t.Helper()
	tk, err := r.q.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk.Status
}

func TestHandlerRefusesCrossSite(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	id := fileTicket(t, r, dropRequest(alice, "x"))
	bobR := reviewer("bob", "")
	tests := []struct {
		name string
		body string
		hdr  map[string]string
		want int
	}{
		{"browser form post, empty body", "", map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"form post from an older browser", "", map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"same-site sibling", `{"comment":"ok"}`, map[string]string{
			"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"opaque origin", `{"comment":"ok"}`, map[string]string{"Content-Type": "application/json", "Origin": "null"}, http.StatusForbidden},
		{"text/plain grant", `{"comment":"=","grant_minutes":60}`, map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType},
		{"form post without metadata", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
		{"no content type", `{"comment":"ok"}`, nil, http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, out := serve(t, r.h, &bobR, "POST", "/requests/"+id+"/approve", tt.body, tt.hdr); code != tt.want {
				t.Errorf("got %d %v, want %d", code, out, tt.want)
			}
			if st := status(t, r, id); st != approval.StatusPending {
				t.Fatalf("ticket is %s after a refused request, want pending", st)
			}
		})
	}
	// Reads are refused cross-site too.
	if code, _ := serve(t, r.h, &bobR, "GET", "/pending", "", map[string]string{"Sec-Fetch-Site": "cross-site"}); code != http.StatusForbidden {
		t.Errorf("cross-site GET /pending: %d, want 403", code)
	}
	// The same-origin JSON request of the reviewer's own page passes.
	hdr := map[string]string{"Content-Type": "application/json; charset=utf-8", "Sec-Fetch-Site": "same-origin", "Origin": "http://approvals.example"}
	if code, out := serve(t, r.h, &bobR, "POST", "/requests/"+id+"/approve", `{"comment":"ok"}`, hdr); code != http.StatusOK {
		t.Errorf("same-origin approval: %d %v", code, out)
	}
}

func TestHandlerStrictBody(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	id := fileTicket(t, r, dropRequest(alice, "x"))
	bobR := reviewer("bob", "")
	for _, body := range []string{
		``, ` `, `null`, `[]`, `"x"`, `{} x`, `{}{}`, `{"comment":"a"} {"grant_minutes":60}`,
		`{"Comment":"x"}`, `{"GRANT_MINUTES":1}`, `{"comment":"a","comment":"b"}`,
		`{"comment":null}`, `{"grant_minutes":null}`, `{"comment":1}`,
		`{"grant_minutes":307445735}`, `{"grant_minutes":9223372036854775807}`, `{"grant_minutes":1e3}`,
		`{"grant_minutes":-1}`, `{"grant_minutes":1.5}`, `{"grant_minutes":"5"}`, `{"grant_minutes":61}`,
		`{"bogus":1}`,
	} {
		if code, out := serve(t, r.h, &bobR, "POST", "/requests/"+id+"/approve", body, jsonHdr); code != http.StatusBadRequest {
			t.Errorf("body %q: %d %v, want 400", body, code, out)
		}
	}
	if code, out := serve(t, r.h, &bobR, "POST", "/requests/"+id+"/deny", `{"grant_minutes":5}`, jsonHdr); code != http.StatusBadRequest {
		t.Errorf("grant on a denial: %d %v, want 400", code, out)
	}
	if st := status(t, r, id); st != approval.StatusPending {
		t.Fatalf("ticket is %s after refused bodies, want pending", st)
	}
	code, out := serve(t, r.h, &bobR, "POST", "/requests/"+id+"/approve", `{"comment":"ok","grant_minutes":60}`, jsonHdr)
	if code != http.StatusOK {
		t.Fatalf("approval: %d %v", code, out)
	}
	tk, _ := r.q.Get(context.Background(), id)
	if want := newClock().Now().Add(time.Hour); !tk.GrantUntil.Equal(want) {
		t.Errorf("grant until %v, want %v", tk.GrantUntil, want)
	}
}

func TestHandlerReadsNeedReviewer(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	idA := fileTicket(t, r, dropRequest(withTenant(alice, "acme"), "x"))
	idB := fileTicket(t, r, dropRequest(withTenant(bob, "globex"), "x"))
	nonReviewer := identity.Identity{Subject: "eve", Tenant: "acme"}
	untrusted := reviewer("eve", "acme")
	untrusted.Untrusted = true
	for _, path := range []string{"/pending", "/requests/" + idA} {
		if code, _ := serve(t, r.h, nil, "GET", path, "", nil); code != http.StatusUnauthorized {
			t.Errorf("GET %s anonymous: %d, want 401", path, code)
		}
		if code, _ := serve(t, r.h, &nonReviewer, "GET", path, "", nil); code != http.StatusForbidden {
			t.Errorf("GET %s without the reviewer role: %d, want 403", path, code)
		}
		if code, _ := serve(t, r.h, &untrusted, "GET", path, "", nil); code != http.StatusForbidden {
			t.Errorf("GET %s by an untrusted reviewer: %d, want 403", path, code)
		}
	}
	acme := reviewer("rita", "acme")
	code, out := serve(t, r.h, &acme, "GET", "/pending", "", nil)
	rs, _ := out["requests"].([]any)
	if code != http.StatusOK || len(rs) != 1 || rs[0].(map[string]any)["id"] != idA {
		t.Errorf("acme's pending list: %d %v, want only %s", code, out, idA)
	}
	if code, _ := serve(t, r.h, &acme, "GET", "/requests/"+idB, "", nil); code != http.StatusNotFound {
		t.Errorf("another tenant's request: %d, want 404", code)
	}
	if code, _ := serve(t, r.h, &acme, "POST", "/requests/"+idB+"/approve", `{}`, jsonHdr); code != http.StatusNotFound {
		t.Errorf("approving another tenant's request: %d, want 404", code)
	}
	if code, _ := serve(t, r.h, &acme, "GET", "/requests/"+idA, "", nil); code != http.StatusOK {
		t.Errorf("own tenant's request: %d, want 200", code)
	}
}

func withTenant(id identity.Identity, tenant string) identity.Identity {
	id.Tenant = tenant
	return id
}

func TestSelfApprovalCanonicalSubject(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	dana := identity.Identity{Kind: identity.KindUser, Subject: "dana"}
	idDana := fileTicket(t, r, dropRequest(dana, "x"))
	idAgent := fileTicket(t, r, dropRequest(agentFor("alice", ""), "x"))
	tests := []struct {
		id, reviewer string
	}{
		{idDana, "Dana"}, {idDana, "dana "}, {idDana, " DANA\t"}, {idAgent, "ALICE"}, {idAgent, "Alice "}, {idAgent, "AGENT-7"},
	}
	for _, tt := range tests {
		if _, err := r.q.Decide(context.Background(), tt.id, reviewer(tt.reviewer, ""), approval.Ruling{Approve: true}); !errors.Is(err, approval.ErrSelfApproval) {
			t.Errorf("reviewer %q: %v, want ErrSelfApproval", tt.reviewer, err)
		}
	}
	// An approver that answers for itself is held to the same comparison.
	self := guard.ApproverFunc(func(context.Context, *guard.ApprovalRequest) (guard.Answer, error) {
		return guard.Answer{Approved: true, ID: "x", Reviewer: " Alice"}, nil
	})
	p := mustPolicy(t, guard.WithRules(guard.DestructiveDDL().Reviewed()), guard.WithApprover(self))
	if _, err := p.Check(context.Background(), dropRequest(agentFor("alice", ""), "x")); !errors.Is(err, guard.ErrBlocked) {
		t.Errorf("approval by the agent's user, spelled differently: %v", err)
	}
	if !guard.SameSubject("Dana", "dana ") || guard.SameSubject("", " ") || guard.SameSubject("dana", "danb") {
		t.Errorf("SameSubject folds wrongly")
	}
}

func TestOneTimeGrantLapses(t *testing.T) {
	clock := newClock()
	r := newReplica(t, nil, clock, true)
	id := fileTicket(t, r, dropRequest(alice, "x"))
	if _, err := r.q.Decide(context.Background(), id, reviewer("bob", ""), approval.Ruling{Approve: true}); err != nil {
		t.Fatal(err)
	}
	clock.Add(30 * 24 * time.Hour)
	if _, err := r.p.Check(context.Background(), dropRequest(alice, "x")); !errors.Is(err, guard.ErrReviewPending) {
		t.Errorf("one-time grant 30 days later: %v, want a new pending review", err)
	}
}

// TestGrantScope: a grant covers the requester, the user an agent acts for,
// the tenant and the statement's shape — nothing else.
func TestGrantScope(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	checkGrantScope(t, r, r)
}

func checkGrantScope(t *testing.T, filer, approver *replica) {
	t.Helper()
	ctx := context.Background()
	onAlice := agentFor("alice", "acme")
	id := fileTicket(t, filer, dropRequest(onAlice, "1"))
	if _, err := approver.q.Decide(ctx, id, reviewer("bob", "acme"), approval.Ruling{Approve: true, GrantFor: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := filer.p.Check(ctx, dropRequest(onAlice, "2")); err != nil {
		t.Errorf("within the grant: %v", err)
	}
	asserted := onAlice
	asserted.Untrusted = true
	other := script("DROP TABLE secrets", stmt(sqlparse.KindDrop, object(sqlparse.ObjectTable)))
	other.Fingerprint = 99
	outside := map[string]*guard.Request{
		"on behalf of mallory": dropRequest(agentFor("mallory", "acme"), "2"),
		"for nobody":           dropRequest(agentFor("", "acme"), "2"),
		"in another tenant":    dropRequest(agentFor("alice", "globex"), "2"),
		"the user herself":     dropRequest(withTenant(alice, "acme"), "2"),
		"asserted by a caller": dropRequest(asserted, "2"),
		"another statement":    request(onAlice, other),
	}
	for name, req := range outside {
		if _, err := filer.p.Check(ctx, req); !errors.Is(err, guard.ErrReviewPending) {
			t.Errorf("%s: %v, want a new pending review", name, err)
		}
	}
}

func TestOneTimeGrantOnce(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	id := fileTicket(t, r, dropRequest(alice, "x"))
	if _, err := r.q.Decide(context.Background(), id, reviewer("bob", ""), approval.Ruling{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.p.Check(context.Background(), dropRequest(alice, "x")); err != nil {
		t.Fatalf("first execution: %v", err)
	}
	if _, err := r.p.Check(context.Background(), dropRequest(alice, "x")); !errors.Is(err, guard.ErrBlocked) {
		t.Errorf("second execution under a one-time grant: %v", err)
	}
}

func TestReviewerSeesWhatTheyApprove(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	who := agentFor("alice", "")
	who.Purpose = "refund case 7"
	req := dropRequest(who, "s3cr3t-arg")
	req.Args = append(req.Args, namedValue(2, int64(42)))
	id := fileTicket(t, r, req)
	rita := reviewer("rita", "")
	code, out := serve(t, r.h, &rita, "GET", "/requests/"+id, "", nil)
	raw, _ := json.Marshal(out)
	if code != http.StatusOK || strings.Contains(string(raw), "s3cr3t") {
		t.Fatalf("ticket: %d %s", code, raw)
	}
	var tk approval.Ticket
	if err := json.Unmarshal(raw, &tk); err != nil {
		t.Fatal(err)
	}
	want := []guard.ArgInfo{{Ordinal: 1, Type: "string", Length: len("s3cr3t-arg")}, {Ordinal: 2, Type: "int64"}}
	if tk.Statement != "DROP TABLE t" || tk.ToolCallID != "call-42" || tk.Model != "model-x" || tk.Tool != "sql" ||
		tk.Purpose != "refund case 7" || tk.OnBehalfOf != "alice" || len(tk.Args) != 2 || tk.Args[0] != want[0] || tk.Args[1] != want[1] {
		t.Errorf("reviewer sees %s, want statement, args %v, tool call, model and purpose", raw, want)
	}
}

func TestRequesterHearsBack(t *testing.T) {
	f := newQueueFixture(t, nil)
	res := f.checkAsync(context.Background(), dropRequest(alice, "x"))
	id := f.waitPending(t, 1)[0].(map[string]any)["id"].(string)
	if code, out := f.call(t, "POST", "/requests/"+id+"/deny", "bob", `{"comment":"use the archive job"}`); code != http.StatusOK {
		t.Fatalf("deny: %d %v", code, out)
	}
	got := <-res
	var re *guard.ReviewError
	if !errors.As(got.err, &re) || re.Ticket != id || re.Pending || re.Reviewer != "bob" || re.Comment != "use the archive job" {
		t.Errorf("denied requester got %v (%+v)", got.err, re)
	}
	if errors.Is(got.err, guard.ErrReviewPending) {
		t.Errorf("a denial matches ErrReviewPending")
	}

	// A statement that stops waiting still learns its ticket.
	ctx, cancel := context.WithCancel(context.Background())
	res = f.checkAsync(ctx, dropRequest(alice, "y"))
	f.waitPending(t, 1)
	cancel()
	got = <-res
	if !errors.As(got.err, &re) || re.Ticket == "" || !re.Pending || !errors.Is(got.err, guard.ErrReviewPending) {
		t.Errorf("cancelled requester got %v, want the pending ticket", got.err)
	}
}

// TestNoWaitRoundTrip is an agent's round trip: request → ticket →
// approval → retry.
func TestNoWaitRoundTrip(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	who := agentFor("alice", "acme")
	id := fileTicket(t, r, dropRequest(who, "x"))
	if again := fileTicket(t, r, dropRequest(who, "x")); again != id {
		t.Errorf("retry before approval filed %s, want the same ticket %s", again, id)
	}
	if _, err := r.q.Decide(context.Background(), id, reviewer("bob", "acme"), approval.Ruling{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.p.Check(context.Background(), dropRequest(who, "other args")); !errors.Is(err, guard.ErrReviewPending) {
		t.Errorf("other arguments after approval: %v", err)
	}
	v, err := r.p.Check(context.Background(), dropRequest(who, "x"))
	if err != nil || v.Approval.ID != id || v.Approval.Reviewer != "bob" {
		t.Errorf("retry after approval: %v %+v", err, v)
	}
}

// TestSQLStoreReplicasScopeAndExpiry runs two replicas, each with its own
// connection pool and SQLStore, on one real database.
func TestSQLStoreReplicasScopeAndExpiry(t *testing.T) {
	dbs := []struct {
		name, driver string
		dsn          func(testing.TB) string
		d            sqlstmt.Dialect
	}{
		{"postgresql", "postgres", testdb.Postgres, sqlstmt.PostgreSQL},
		{"sqlite", "sqlite", testdb.SQLite, sqlstmt.SQLite},
	}
	for _, tt := range dbs {
		t.Run(tt.name, func(t *testing.T) {
			dsn := tt.dsn(t)
			open := func() approval.Store {
				db, err := sql.Open(tt.driver, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				s, err := approval.NewSQLStore(db, tt.d, "approvals")
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Init(context.Background()); err != nil {
					t.Fatal(err)
				}
				return s
			}
			clock := newClock()
			a, b := newReplica(t, open(), clock, true), newReplica(t, open(), clock, true)
			t.Run("scope", func(t *testing.T) { checkGrantScope(t, a, b) })
			t.Run("once", func(t *testing.T) {
				id := fileTicket(t, a, dropRequest(alice, "once"))
				bob := reviewer("bob", "")
				if code, out := serve(t, b.h, &bob, "POST", "/requests/"+id+"/approve", `{}`, jsonHdr); code != http.StatusOK {
					t.Fatalf("approve on replica b: %d %v", code, out)
				}
				if _, err := b.p.Check(context.Background(), dropRequest(alice, "once")); err != nil {
					t.Fatalf("retry on replica b: %v", err)
				}
				if _, err := a.p.Check(context.Background(), dropRequest(alice, "once")); !errors.Is(err, guard.ErrReviewPending) {
					t.Errorf("one-time grant used again on replica a: %v", err)
				}
			})
			t.Run("expiry", func(t *testing.T) {
				id := fileTicket(t, a, dropRequest(alice, "late"))
				if _, err := b.q.Decide(context.Background(), id, reviewer("bob", ""), approval.Ruling{Approve: true}); err != nil {
					t.Fatal(err)
				}
				clock.Add(30 * 24 * time.Hour)
				if _, err := a.p.Check(context.Background(), dropRequest(alice, "late")); !errors.Is(err, guard.ErrReviewPending) {
					t.Errorf("one-time grant 30 days later on replica a: %v", err)
				}
			})
		})
	}
}

func TestHandlerTrustedOrigins(t *testing.T) {
	r := newReplica(t, nil, newClock(), true)
	id := fileTicket(t, r, dropRequest(alice, "x"))
	h := r.q.Handler(approval.HandlerConfig{TrustedOrigins: []string{"https://console.example"}})
	bobR := reviewer("bob", "")
	hdr := func(origin string) map[string]string {
		return map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-site", "Origin": origin}
	}
	if code, _ := serve(t, h, &bobR, "POST", "/requests/"+id+"/approve", `{}`, hdr("https://console.example.evil")); code != http.StatusForbidden {
		t.Errorf("origin sharing a trusted prefix: %d, want 403", code)
	}
	if code, _ := serve(t, h, &bobR, "POST", "/requests/"+id+"/approve", `{}`, hdr("http://console.example")); code != http.StatusForbidden {
		t.Errorf("trusted host over another scheme: %d, want 403", code)
	}
	if code, out := serve(t, h, &bobR, "POST", "/requests/"+id+"/approve", `{}`, hdr("https://console.example")); code != http.StatusOK {
		t.Errorf("trusted console: %d %v, want 200", code, out)
	}
}
