package guard_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

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
			"guard: read budget of rule read-budget reached: at most 100 rows for this statement; filter with WHERE, add a LIMIT, paginate or aggregate"},
		{guard.BudgetError{Rule: "read-budget", Bytes: true, Limit: 4096, Returned: 4000},
			"guard: read budget of rule read-budget reached: at most 4096 bytes for this statement; select fewer or shorter columns, filter with WHERE, add a LIMIT or aggregate"},
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

// TestReadBudgetWindowPeriods checks a budget over a period at the policy:
// what a statement is given and gives back, that a denial by a later rule
// gives the reservation back at once, that the period renews, that the
// budget is per tenant and subject, and that statements of one identity at
// once never get more than the period's budget together.
func TestReadBudgetWindowPeriods(t *testing.T) {
	agents := guard.Who{Kinds: []identity.Kind{identity.KindAgent}}
	p, err := guard.New(guard.WithRules(
		guard.ReadBudget(guard.Budget{Who: agents, Window: time.Minute, WindowRows: 10, WindowBytes: 1000}),
		guard.Named("no-drop", guard.RuleFunc(func(_ context.Context, r *guard.Request) guard.Verdict {
			if strings.HasPrefix(r.SQL, "DROP") {
				return guard.Verdict{Decision: guard.Deny, Reason: "no"}
			}
			return guard.Verdict{}
		})),
	))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	check := func(subject, tenant, sql string, at time.Time) (guard.Verdict, error) {
		return p.Check(context.Background(), &guard.Request{
			Identity: identity.Identity{Kind: identity.KindAgent, Subject: subject, Tenant: tenant},
			Script:   guard.Analyze(sqlstmt.PostgreSQL, sql), SQL: sql, Time: at,
		})
	}
	v, err := check("bot", "t1", "SELECT 1", t0)
	if err != nil || v.MaxReturnRows != 10 || v.MaxReturnBytes != 1000 || v.Spend == nil {
		t.Fatalf("first statement: got %+v, %v; want all of the period's budget", v, err)
	}
	v.Spend(4, 100)
	v.Spend(9, 900) // a second call settles nothing
	if _, err := check("bot", "t1", "DROP TABLE x", t0); !errors.Is(err, guard.ErrBlocked) {
		t.Fatalf("DROP: got %v, want a denial", err)
	}
	v, err = check("bot", "t1", "SELECT 1", t0.Add(time.Second))
	if err != nil || v.MaxReturnRows != 6 || v.MaxReturnBytes != 900 {
		t.Fatalf("after 4 rows and a denied statement: got %d rows %d bytes, %v; want 6 and 900", v.MaxReturnRows, v.MaxReturnBytes, err)
	}
	// Two statements at once: the first holds what is left.
	w, err := check("bot", "t1", "SELECT 2", t0.Add(2*time.Second))
	var be *guard.BlockedError
	if !errors.As(err, &be) || be.Rule != "read-budget" || be.Hint == "" || w.Spend != nil {
		t.Fatalf("while the rest is reserved: got %+v, %v; want a read-budget denial with a hint", w, err)
	}
	if v, err := check("bot", "t2", "SELECT 1", t0); err != nil || v.MaxReturnRows != 10 {
		t.Errorf("another tenant: got %d, %v; want a budget of its own", v.MaxReturnRows, err)
	}
	v.Spend(6, 0)
	if _, err := check("bot", "t1", "SELECT 1", t0.Add(3*time.Second)); !errors.Is(err, guard.ErrBlocked) {
		t.Fatalf("after 10 rows: got %v, want a denial", err)
	}
	if v, err := check("bot", "t1", "SELECT 1", t0.Add(time.Minute)); err != nil || v.MaxReturnRows != 10 {
		t.Errorf("next period: got %d, %v; want the whole budget again", v.MaxReturnRows, err)
	}

	// Concurrent statements of one identity never share out more than the
	// period's rows, whatever they spend.
	q, err := guard.New(guard.WithRules(guard.ReadBudget(guard.Budget{Who: agents, MaxRows: 3, Window: time.Hour, WindowRows: 50})))
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int64
	)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				v, err := q.Check(context.Background(), &guard.Request{
					Identity: identity.Identity{Kind: identity.KindAgent, Subject: "bot"},
					Script:   guard.Analyze(sqlstmt.PostgreSQL, "SELECT 1"), Time: t0,
				})
				if err != nil {
					continue
				}
				mu.Lock()
				total += v.MaxReturnRows
				mu.Unlock()
				v.Spend(v.MaxReturnRows, 0)
			}
		}()
	}
	wg.Wait()
	if total != 50 {
		t.Errorf("concurrent statements were given %d rows in all, want the period's 50", total)
	}
}
