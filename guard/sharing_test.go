package guard_test

import (
	"context"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// sharing is a SharingRule that counts the states its group opens and
// closes, and objects when told to.
type sharing struct {
	group        *int // the group: rules with the same pointer share
	opened       *int
	closed       *int
	deny         bool
	checkedAlone *int
}

func (s sharing) Check(ctx context.Context, r *guard.Request) guard.Verdict {
	*s.checkedAlone++
	return s.CheckWith(ctx, nil)
}
func (s sharing) Group() any              { return s.group }
func (s sharing) Open(*guard.Request) any { *s.opened++; return s.group }
func (s sharing) Close(any)               { *s.closed++ }
func (s sharing) CheckWith(_ context.Context, state any) guard.Verdict {
	if s.deny {
		return guard.Verdict{Decision: guard.Deny, Reason: "told to"}
	}
	return guard.Verdict{}
}

// TestSharingRule: the rules of one group run on one state per request,
// opened once and closed once, also when a rule of the group denies; rules
// of another group get a state of their own; Check is never called for a
// rule the policy can run with its group's state.
func TestSharingRule(t *testing.T) {
	var g1, g2, opened, closed, alone int
	rule := func(name string, g *int, deny bool) guard.NamedRule {
		return guard.Named(name, sharing{group: g, opened: &opened, closed: &closed, deny: deny, checkedAlone: &alone})
	}
	r := func() *guard.Request {
		return request(alice, script("SELECT …", stmt(sqlparse.KindSelect, reads("t"))))
	}
	tests := []struct {
		name       string
		rules      []guard.NamedRule
		wantOpened int
		wantDenied bool
	}{
		{"one group", []guard.NamedRule{rule("a", &g1, false), rule("b", &g1, false), rule("c", &g1, false)}, 1, false},
		{"two groups", []guard.NamedRule{rule("a", &g1, false), rule("b", &g2, false)}, 2, false},
		{"a denial closes the state", []guard.NamedRule{rule("a", &g1, false), rule("b", &g1, true), rule("c", &g1, false)}, 1, true},
	}
	for _, tt := range tests {
		opened, closed, alone = 0, 0, 0
		p := mustPolicy(t, guard.WithRules(tt.rules...))
		_, err := p.Check(context.Background(), r())
		if (err != nil) != tt.wantDenied {
			t.Errorf("%s: got error %v, want denied %v", tt.name, err, tt.wantDenied)
		}
		if opened != tt.wantOpened || closed != opened || alone != 0 {
			t.Errorf("%s: opened %d, closed %d, checked alone %d; want %d, %d, 0", tt.name, opened, closed, alone, tt.wantOpened, tt.wantOpened)
		}
	}
}
