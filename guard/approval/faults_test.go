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
