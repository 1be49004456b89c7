package guard_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

func TestReadBudgetVerdict(t *testing.T) {
	agents := guard.Who{Kinds: []identity.Kind{identity.KindAgent}}
	p, err := guard.New(guard.WithRules(
		guard.ReadBudget(guard.Budget{Who: agents, MaxRows: 100, MaxBytes: 1 << 20}),
		guard.Named("tight", guard.RuleFunc(func(context.Context, *guard.Request) guard.Verdict {
			return guard.Verdict{MaxReturnRows: 10}
		})),
	))
	if err != nil {
		t.Fatal(err)
	}
	sel := guard.Analyze(sqlstmt.PostgreSQL, "SELECT id FROM t")
	tests := []struct {
		name                 string
		give                 identity.Kind
		wantRows, wantBytes  int64
		wantRowsRule, wantBR string
	}{
		{name: "agent: smallest of each kind", give: identity.KindAgent, wantRows: 10, wantBytes: 1 << 20, wantRowsRule: "tight", wantBR: "read-budget"},
		{name: "user: only the other rule", give: identity.KindUser, wantRows: 10, wantRowsRule: "tight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := p.Check(context.Background(), &guard.Request{Identity: identity.Identity{Kind: tt.give, Subject: "x"}, Script: sel})
			if err != nil {
				t.Fatal(err)
			}
			if v.MaxReturnRows != tt.wantRows || v.MaxReturnBytes != tt.wantBytes ||
				v.MaxReturnRowsRule != tt.wantRowsRule || v.MaxReturnBytesRule != tt.wantBR {
				t.Errorf("got %d/%q rows, %d/%q bytes, want %d/%q, %d/%q", v.MaxReturnRows, v.MaxReturnRowsRule,
					v.MaxReturnBytes, v.MaxReturnBytesRule, tt.wantRows, tt.wantRowsRule, tt.wantBytes, tt.wantBR)
			}
		})
	}
}

func TestReadBudgetInvalid(t *testing.T) {
	tests := []struct {
		name string
		give guard.Budget
	}{
		{name: "nobody", give: guard.Budget{MaxRows: 1}},
		{name: "no limit", give: guard.Budget{Who: guard.Who{Kinds: []identity.Kind{identity.KindAgent}}}},
		{name: "negative", give: guard.Budget{Who: guard.Who{Kinds: []identity.Kind{identity.KindAgent}}, MaxRows: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := guard.New(guard.WithRules(guard.ReadBudget(tt.give))); !errors.Is(err, guard.ErrInvalidPolicy) {
				t.Errorf("got %v, want ErrInvalidPolicy", err)
			}
		})
	}
}

// TestBudgetErrorText pins the texts an agent reads: stable, with the rule,
// the limit and what would be allowed.
func TestBudgetErrorText(t *testing.T) {
	tests := []struct {
		give guard.BudgetError
		want string
	}{
		{guard.BudgetError{Rule: "read-budget", Limit: 100, Returned: 100},
			"guard: read budget of rule read-budget reached: at most 100 rows per statement; filter with WHERE, add a LIMIT, paginate or aggregate"},
		{guard.BudgetError{Rule: "read-budget", Bytes: true, Limit: 4096, Returned: 4000},
			"guard: read budget of rule read-budget reached: at most 4096 bytes per statement; select fewer or shorter columns, filter with WHERE, add a LIMIT or aggregate"},
	}
	for _, tt := range tests {
		if got := tt.give.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
		if !errors.Is(&tt.give, guard.ErrBudget) || errors.Is(&tt.give, guard.ErrBlocked) {
			t.Errorf("%v: matches ErrBudget %v, ErrBlocked %v; want true, false", tt.give, errors.Is(&tt.give, guard.ErrBudget), errors.Is(&tt.give, guard.ErrBlocked))
		}
		if !strings.Contains(tt.give.Error(), tt.give.Hint()) {
			t.Errorf("the text does not carry the hint")
		}
	}
}
