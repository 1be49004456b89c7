package approval_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
)

// queueFixture is a policy whose reviews go to a queue, served over HTTP
// with the reviewer named by a test header (standing in for the service's
// authentication middleware).
type queueFixture struct {
	q      *approval.Queue
	p      *guard.Policy
	srv    *httptest.Server
	clock  *fakeClock
	policy []guard.Option
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newQueueFixture(t *testing.T, store approval.Store, opts ...guard.Option) *queueFixture {
	t.Helper()
	f := &queueFixture{clock: &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	f.q = approval.NewQueue(approval.Config{Store: store, Now: f.clock.Now, PollInterval: 5 * time.Millisecond, ReviewerRoles: []string{"reviewer"}})
	opts = append([]guard.Option{
		guard.WithRules(guard.DestructiveDDL().Reviewed()),
		guard.WithApprover(f.q),
		guard.WithApprovalTimeout(5 * time.Second),
	}, opts...)
	f.p = mustPolicy(t, opts...)
	f.srv = httptest.NewServer(f.q.Handler(approval.HandlerConfig{Reviewer: func(r *http.Request) (identity.Identity, bool) {
		sub := r.Header.Get("X-Test-Reviewer")
		return identity.Identity{Subject: sub, Roles: []string{"reviewer"}}, sub != ""
	}}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *queueFixture) call(t *testing.T, method, path, reviewer, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if reviewer != "" {
		req.Header.Set("X-Test-Reviewer", reviewer)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, path, err)
	}
	return res.StatusCode, out
}

// waitPending waits until n requests are pending and returns them.
func (f *queueFixture) waitPending(t *testing.T, n int) []any {
	t.Helper()
	for range 2000 {
		code, out := f.call(t, "GET", "/pending", "rita", "")
		if code != http.StatusOK {
			t.Fatalf("GET /pending: %d %v", code, out)
		}
		if rs, _ := out["requests"].([]any); len(rs) >= n {
			return rs
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("never saw %d pending requests", n)
	return nil
}

type checkResult struct {
	v   guard.Verdict
	err error
}

// dropRequest is a reviewed statement with a secret literal argument.
func dropRequest(id identity.Identity, arg string) *guard.Request {
	r := request(id, dropT)
	r.SQL = "DROP TABLE t -- " + arg
	r.Args = append(r.Args, namedValue(1, arg))
	return r
}

func (f *queueFixture) checkAsync(ctx context.Context, r *guard.Request) chan checkResult {
	ch := make(chan checkResult, 1)
	go func() {
		v, err := f.p.Check(ctx, r)
		ch <- checkResult{v, err}
	}()
	return ch
}

func TestQueueApproveOverHTTP(t *testing.T) {
	f := newQueueFixture(t, nil)
	res := f.checkAsync(context.Background(), dropRequest(alice, "s3cr3t-arg"))
	pending := f.waitPending(t, 1)
	item := pending[0].(map[string]any)
	raw, _ := json.Marshal(item)
	if strings.Contains(string(raw), "s3cr3t") {
		t.Errorf("pending listing leaks an argument: %s", raw)
	}
	if item["requester"] != "alice" || item["statement"] != "DROP TABLE t" || item["rule"] != "destructive-ddl" || item["reason"] == "" {
		t.Errorf("pending item lacks who, what or why: %s", raw)
	}
	id := item["id"].(string)

	if code, out := f.call(t, "POST", "/requests/"+id+"/approve", "alice", `{"comment":"mine"}`); code != http.StatusForbidden {
		t.Errorf("self-approval: %d %v, want 403", code, out)
	}
	if code, out := f.call(t, "POST", "/requests/"+id+"/approve", "", `{}`); code != http.StatusUnauthorized {
		t.Errorf("anonymous approval: %d %v, want 401", code, out)
	}
	if code, out := f.call(t, "POST", "/requests/"+id+"/approve", "bob", `{"comment":"looks fine","bogus":1}`); code != http.StatusBadRequest {
		t.Errorf("unknown field: %d %v, want 400", code, out)
	}
	if code, out := f.call(t, "POST", "/requests/"+id+"/approve", "bob", `{"comment":"looks fine"}`); code != http.StatusOK || out["status"] != "approved" {
		t.Fatalf("approve: %d %v", code, out)
	}
	if code, out := f.call(t, "POST", "/requests/"+id+"/deny", "dave", `{}`); code != http.StatusConflict {
		t.Errorf("second decision: %d %v, want 409", code, out)
	}
	if code, _ := f.call(t, "GET", "/requests/nope", "rita", ""); code != http.StatusNotFound {
		t.Errorf("unknown id: %d, want 404", code)
	}
	got := <-res
	if got.err != nil {
		t.Fatalf("approved statement blocked: %v", got.err)
	}
	if got.v.Approval.ID != id || got.v.Approval.Reviewer != "bob" || got.v.Approval.Comment != "looks fine" || !got.v.Reviewed {
		t.Errorf("verdict %+v does not record approval %s by bob", got.v, id)
	}
}

func TestQueueDeny(t *testing.T) {
	f := newQueueFixture(t, nil)
	res := f.checkAsync(context.Background(), dropRequest(alice, "x"))
	id := f.waitPending(t, 1)[0].(map[string]any)["id"].(string)
	if code, out := f.call(t, "POST", "/requests/"+id+"/deny", "bob", `{"comment":"no"}`); code != http.StatusOK {
		t.Fatalf("deny: %d %v", code, out)
	}
	got := <-res
	if !errors.Is(got.err, guard.ErrBlocked) || got.v.Approval.Reviewer != "bob" || got.v.Reason != "review denied" {
		t.Errorf("denied review: err %v verdict %+v", got.err, got.v)
	}
}

func TestQueueOneTimeGrant(t *testing.T) {
	f := newQueueFixture(t, nil, guard.WithApprovalTimeout(50*time.Millisecond))
	// The statement gives up waiting; the request stays pending.
	if _, err := f.p.Check(context.Background(), dropRequest(alice, "one")); !errors.Is(err, guard.ErrBlocked) {
		t.Fatalf("unanswered review: %v", err)
	}
	id := f.waitPending(t, 1)[0].(map[string]any)["id"].(string)
	if _, err := f.q.Decide(context.Background(), id, identity.Identity{Subject: "bob", Roles: []string{"reviewer"}}, approval.Ruling{Approve: true}); err != nil {
		t.Fatal(err)
	}
	// Different arguments: not covered.
	if v, err := f.p.Check(context.Background(), dropRequest(alice, "two")); err == nil {
		t.Errorf("one-time grant reused for different arguments: %+v", v)
	}
	// Another identity: not covered.
	if v, err := f.p.Check(context.Background(), dropRequest(agent, "one")); err == nil {
		t.Errorf("one-time grant reused by another identity: %+v", v)
	}
	// The exact retry runs, once.
	v, err := f.p.Check(context.Background(), dropRequest(alice, "one"))
	if err != nil || v.Approval.ID != id {
		t.Fatalf("retry under the grant: %v %+v", err, v)
	}
	if v, err := f.p.Check(context.Background(), dropRequest(alice, "one")); err == nil {
		t.Errorf("one-time grant used twice: %+v", v)
	}
}

func TestQueueTimeBoxedGrant(t *testing.T) {
	f := newQueueFixture(t, nil, guard.WithApprovalTimeout(50*time.Millisecond))
	res := f.checkAsync(context.Background(), dropRequest(alice, "a"))
	id := f.waitPending(t, 1)[0].(map[string]any)["id"].(string)
	if code, out := f.call(t, "POST", "/requests/"+id+"/approve", "bob", `{"grant_minutes": 10}`); code != http.StatusOK {
		t.Fatalf("approve: %d %v", code, out)
	}
	if got := <-res; got.err != nil {
		t.Fatal(got.err)
	}
	for _, arg := range []string{"b", "c"} {
		if _, err := f.p.Check(context.Background(), dropRequest(alice, arg)); err != nil {
			t.Errorf("within the grant, %s: %v", arg, err)
		}
	}
	if _, err := f.p.Check(context.Background(), dropRequest(agent, "b")); err == nil {
		t.Errorf("time-boxed grant covered another identity")
	}
	f.clock.Add(11 * time.Minute)
	if _, err := f.p.Check(context.Background(), dropRequest(alice, "d")); err == nil {
		t.Errorf("time-boxed grant used after it expired")
	}
}

func TestQueueReviewerRole(t *testing.T) {
	q := approval.NewQueue(approval.Config{ReviewerRoles: []string{"dba"}})
	req := &guard.ApprovalRequest{Identity: alice, Rule: "r", Digest: "d"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := q.Approve(ctx, req); done <- err }()
	var id string
	for id == "" {
		ts, _ := q.Pending(context.Background())
		if len(ts) > 0 {
			id = ts[0].ID
		}
	}
	tests := []struct {
		name string
		who  identity.Identity
		want error
	}{
		{"no role", identity.Identity{Subject: "dave"}, approval.ErrNotReviewer},
		{"untrusted role", identity.Identity{Subject: "dave", Roles: []string{"dba"}, Untrusted: true}, approval.ErrNotReviewer},
		{"anonymous", identity.Identity{}, approval.ErrNotReviewer},
		{"self", identity.Identity{Subject: "alice", Roles: []string{"dba"}}, approval.ErrSelfApproval},
		{"unknown id", identity.Identity{Subject: "bob", Roles: []string{"dba"}}, approval.ErrNoTicket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tid := id
			if tt.want == approval.ErrNoTicket {
				tid = "missing"
			}
			if _, err := q.Decide(context.Background(), tid, tt.who, approval.Ruling{Approve: true}); !errors.Is(err, tt.want) {
				t.Errorf("Decide: %v, want %v", err, tt.want)
			}
		})
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Approve after cancel: %v", err)
	}
}

func TestQueueNoTimeBoxedGrantForAnonymous(t *testing.T) {
	q := approval.NewQueue(approval.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _, _ = q.Approve(ctx, &guard.ApprovalRequest{Rule: "r", Digest: "d"}) }()
	var id string
	for id == "" {
		ts, _ := q.Pending(context.Background())
		if len(ts) > 0 {
			id = ts[0].ID
		}
	}
	_, err := q.Decide(context.Background(), id, bob, approval.Ruling{Approve: true, GrantFor: time.Minute})
	if !errors.Is(err, approval.ErrRuling) {
		t.Errorf("time-boxed grant for an anonymous requester: %v", err)
	}
	if _, err := q.Decide(context.Background(), id, bob, approval.Ruling{Approve: true}); err != nil {
		t.Errorf("one-time grant for an anonymous requester: %v", err)
	}
}

func TestHandlerDefaultReviewerFromContext(t *testing.T) {
	q := approval.NewQueue(approval.Config{})
	h := q.Handler(approval.HandlerConfig{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/requests/x/approve", bytes.NewBufferString(`{}`)))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("no identity in context: %d, want 401", rec.Code)
	}
	rec = httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/requests/x/approve", bytes.NewBufferString(`{}`))
	r.Header.Set("Content-Type", "application/json")
	r = r.WithContext(identity.NewContext(r.Context(), bob))
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusNotFound {
		t.Errorf("identity in context, unknown id: %d, want 404", rec.Code)
	}
}
