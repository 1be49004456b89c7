package guard_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

func reviewPolicy(t *testing.T, a guard.Approver, opts ...guard.Option) *guard.Policy {
	t.Helper()
	opts = append([]guard.Option{
		guard.WithRules(guard.DestructiveDDL().Reviewed(), guard.UnmaskReview("pii:admin")),
		guard.WithApprover(a),
	}, opts...)
	return mustPolicy(t, opts...)
}

var dropT = script("DROP TABLE t", stmt(sqlparse.KindDrop, object(sqlparse.ObjectTable)))

func answer(a guard.Answer, err error) guard.Approver {
	return guard.ApproverFunc(func(context.Context, *guard.ApprovalRequest) (guard.Answer, error) { return a, err })
}

func TestReview(t *testing.T) {
	block := guard.ApproverFunc(func(ctx context.Context, _ *guard.ApprovalRequest) (guard.Answer, error) {
		<-ctx.Done()
		return guard.Answer{}, ctx.Err()
	})
	ignoresCtx := guard.ApproverFunc(func(context.Context, *guard.ApprovalRequest) (guard.Answer, error) {
		time.Sleep(time.Hour)
		return guard.Answer{Approved: true, Reviewer: "bob"}, nil
	})
	panics := guard.ApproverFunc(func(context.Context, *guard.ApprovalRequest) (guard.Answer, error) {
		panic("approver bug")
	})
	tests := []struct {
		name       string
		approver   guard.Approver
		ctx        func() (context.Context, context.CancelFunc)
		timeout    time.Duration
		wantAllow  bool
		wantReason string
	}{
		{"approved", answer(guard.Answer{Approved: true, ID: "a1", Reviewer: "bob", Comment: "ok"}, nil), nil, 0, true, "approved"},
		{"denied", answer(guard.Answer{Approved: false, ID: "a2", Reviewer: "bob"}, nil), nil, 0, false, "review denied"},
		{"one-time grant already used", answer(guard.Answer{Approved: true, Used: true, ID: "a3", Reviewer: "bob"}, nil), nil, 0, false, "approval already used"},
		{"approver error", answer(guard.Answer{Approved: true, Reviewer: "bob"}, errors.New("queue down")), nil, 0, false, "approver failed"},
		{"approver panics", panics, nil, 0, false, "approver failed"},
		{"no reviewer", answer(guard.Answer{Approved: true}, nil), nil, 0, false, "approval names no reviewer"},
		{"self approval", answer(guard.Answer{Approved: true, Reviewer: "alice"}, nil), nil, 0, false, "self-approval refused"},
		{"policy timeout", block, nil, 20 * time.Millisecond, false, "review timed out"},
		{"approver ignoring ctx still times out", ignoresCtx, nil, 20 * time.Millisecond, false, "review timed out"},
		{"ctx deadline", block, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}, 0, false, "review cancelled"},
		{"ctx cancelled", block, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(10*time.Millisecond, cancel)
			return ctx, cancel
		}, 0, false, "review cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []guard.Option
			if tt.timeout > 0 {
				opts = append(opts, guard.WithApprovalTimeout(tt.timeout))
			}
			p := reviewPolicy(t, tt.approver, opts...)
			ctx := context.Background()
			if tt.ctx != nil {
				var cancel context.CancelFunc
				ctx, cancel = tt.ctx()
				defer cancel()
			}
			v, err := p.Check(ctx, request(alice, dropT))
			if tt.wantAllow != (err == nil) {
				t.Fatalf("Check: err %v, want allowed %v", err, tt.wantAllow)
			}
			if err != nil && !errors.Is(err, guard.ErrBlocked) {
				t.Errorf("Check: %v does not match ErrBlocked", err)
			}
			if !v.Reviewed || v.Rule != "destructive-ddl" || v.Reason != tt.wantReason {
				t.Errorf("verdict %+v, want reviewed by %s with reason %q", v, "destructive-ddl", tt.wantReason)
			}
			if tt.wantAllow && (v.Approval.ID != "a1" || v.Approval.Reviewer != "bob" || v.Approval.Comment != "ok") {
				t.Errorf("approval %+v not recorded", v.Approval)
			}
		})
	}
}

func TestReviewRequestContent(t *testing.T) {
	var got *guard.ApprovalRequest
	p := reviewPolicy(t, guard.ApproverFunc(func(_ context.Context, r *guard.ApprovalRequest) (guard.Answer, error) {
		got = r
		return guard.Answer{Approved: true, Reviewer: "bob"}, nil
	}))
	r := request(agent, dropT)
	if _, err := p.Check(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got.Identity.Subject != "agent-7" || got.Rule != "destructive-ddl" || got.Statement != "DROP TABLE t" ||
		got.Reason == "" || got.Digest == "" || got.Environment != "production" {
		t.Errorf("approval request %+v lacks who, what or why", got)
	}
}

// TestReviewErrorCases: a requester tells a pending review, a used
// one-time grant and a denial apart, by sentinel and by message.
func TestReviewErrorCases(t *testing.T) {
	tests := []struct {
		name        string
		give        guard.Answer
		wantPending bool
		wantUsed    bool
		wantMsg     string
	}{
		{"pending", guard.Answer{Pending: true, ID: "t1"}, true, false, "guard: review pending (ticket t1)"},
		{"used", guard.Answer{Approved: true, Used: true, ID: "t2", Reviewer: "bob"}, false, true, "guard: approval already used (ticket t2)"},
		{"denied", guard.Answer{ID: "t3", Reviewer: "bob", Comment: "no"}, false, false, "guard: review denied by bob (ticket t3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := reviewPolicy(t, answer(tt.give, nil)).Check(context.Background(), request(alice, dropT))
			var re *guard.ReviewError
			if !errors.As(err, &re) || !errors.Is(err, guard.ErrBlocked) {
				t.Fatalf("got %v, want a *ReviewError matching ErrBlocked", err)
			}
			if got := errors.Is(err, guard.ErrReviewPending); got != tt.wantPending {
				t.Errorf("matches ErrReviewPending: got %v, want %v", got, tt.wantPending)
			}
			if got := errors.Is(err, guard.ErrApprovalUsed); got != tt.wantUsed {
				t.Errorf("matches ErrApprovalUsed: got %v, want %v", got, tt.wantUsed)
			}
			if re.Error() != tt.wantMsg || re.Ticket != tt.give.ID {
				t.Errorf("got %q (ticket %q), want %q", re.Error(), re.Ticket, tt.wantMsg)
			}
		})
	}
}

// TestApprovalRequestArgValues: an approver reaches the values only
// through ArgValues; printing the request shows none.
func TestApprovalRequestArgValues(t *testing.T) {
	var got *guard.ApprovalRequest
	p := reviewPolicy(t, guard.ApproverFunc(func(_ context.Context, r *guard.ApprovalRequest) (guard.Answer, error) {
		got = r
		return guard.Answer{Approved: true, Reviewer: "bob"}, nil
	}))
	r := request(alice, dropT)
	r.Args = append(r.Args, namedValue(1, "s3cr3t-value"), namedValue(2, int64(7)))
	if _, err := p.Check(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	vs := got.ArgValues()
	if len(vs) != 2 || vs[0] != "s3cr3t-value" || vs[1] != int64(7) {
		t.Errorf("ArgValues: got %v", vs)
	}
	vs[0] = "changed"
	if got.ArgValues()[0] != "s3cr3t-value" {
		t.Errorf("ArgValues shares its slice with the caller")
	}
	for _, f := range []string{"%v", "%+v", "%#v"} {
		if s := fmt.Sprintf(f, got); strings.Contains(s, "s3cr3t") {
			t.Errorf("Sprintf(%q) shows a value: %s", f, s)
		}
	}
}

func TestReviewAgentsUserCannotApprove(t *testing.T) {
	p := reviewPolicy(t, answer(guard.Answer{Approved: true, Reviewer: "carol"}, nil))
	v, err := p.Check(context.Background(), request(agent, dropT))
	if err == nil || v.Reason != "self-approval refused" {
		t.Errorf("approval by the user the agent acts for: %v, %+v", err, v)
	}
}

func TestUnmaskReview(t *testing.T) {
	sel := script("SELECT email FROM users", stmt(sqlparse.KindSelect, reads("users")))
	tests := []struct {
		name       string
		approver   guard.Approver
		id         func() *guard.Request
		wantErr    bool
		wantUnmask bool
		wantReview bool
	}{
		{"no unmask asked", answer(guard.Answer{}, nil), func() *guard.Request { return request(alice, sel) }, false, false, false},
		{"unmask approved", answer(guard.Answer{Approved: true, Reviewer: "bob"}, nil), func() *guard.Request {
			r := request(alice, sel)
			r.Unmask = true
			return r
		}, false, true, true},
		{"unmask denied", answer(guard.Answer{Reviewer: "bob"}, nil), func() *guard.Request {
			r := request(alice, sel)
			r.Unmask = true
			return r
		}, true, false, true},
		{"exempt role", answer(guard.Answer{}, nil), func() *guard.Request {
			id := alice
			id.Roles = []string{"pii:admin"}
			r := request(id, sel)
			r.Unmask = true
			return r
		}, false, true, false},
		{"untrusted exempt role is not exempt", answer(guard.Answer{}, errors.New("no")), func() *guard.Request {
			id := alice
			id.Roles, id.Untrusted = []string{"pii:admin"}, true
			r := request(id, sel)
			r.Unmask = true
			return r
		}, true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := reviewPolicy(t, tt.approver)
			v, err := p.Check(context.Background(), tt.id())
			if (err != nil) != tt.wantErr || v.Unmask != tt.wantUnmask || v.Reviewed != tt.wantReview {
				t.Errorf("err %v, verdict %+v; want err %v, unmask %v, reviewed %v", err, v, tt.wantErr, tt.wantUnmask, tt.wantReview)
			}
		})
	}
}

func TestDigest(t *testing.T) {
	var digests []string
	p := reviewPolicy(t, guard.ApproverFunc(func(_ context.Context, r *guard.ApprovalRequest) (guard.Answer, error) {
		digests = append(digests, r.Digest)
		return guard.Answer{}, nil
	}), guard.WithGrantKey([]byte("k")))
	check := func(sql string, args ...any) {
		r := request(alice, dropT)
		r.SQL = sql
		for i, a := range args {
			r.Args = append(r.Args, namedValue(i+1, a))
		}
		_, _ = p.Check(context.Background(), r)
	}
	check("DROP TABLE t WHERE ?", int64(1))
	check("DROP TABLE t WHERE ?", int64(1))
	check("DROP TABLE t WHERE ?", int64(2))
	check("DROP TABLE t WHERE ?", "1")
	check("DROP TABLE  t WHERE ?", int64(1))
	if digests[0] != digests[1] {
		t.Errorf("same text and arguments: digests differ")
	}
	for i := 2; i < len(digests); i++ {
		if digests[i] == digests[0] {
			t.Errorf("digest %d equals the first for different text or arguments", i)
		}
	}
}
