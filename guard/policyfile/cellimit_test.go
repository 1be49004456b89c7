package policyfile_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/policyfile"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// list returns a CEL list literal of the integers 0 … n-1.
func list(n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, i)
	}
	b.WriteByte(']')
	return b.String()
}

// nested returns a condition of depth comprehensions, one inside the
// other, over a list of n integers built in the expression: n^depth
// iterations.
func nested(n, depth int) string {
	l := list(n)
	cond := "x0 >= 0"
	for d := depth - 1; d >= 0; d-- {
		cond = fmt.Sprintf("%s.all(x%d, %s)", l, d, cond)
	}
	return cond
}

func conditionPolicy(name, cond, extra string) []byte {
	return []byte("version: 1\nrules:\n  - name: " + name + "\n    when: '" + cond + "'\n" + extra)
}

func TestConditionCostRefusedAtLoad(t *testing.T) {
	tests := []struct {
		name  string
		cond  string
		limit uint64 // 0: the default
	}{
		{"nested comprehensions over a built list", nested(100, 4), 0},
		{"three loops over the tables", `statement.tables.all(a, statement.tables.all(b, statement.tables.all(c, a != b || b != c)))`, 0},
		{"regex over the text, lowered limit", `statement.text.matches("^(SELECT|WITH).*pg_sleep")`, 1_000},
		{"two loops, lowered limit", `statement.reads.exists(a, statement.writes.exists(b, a == b))`, 1_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policyfile.Parse("p.yaml", withLimit(conditionPolicy("slow", tt.cond, "    reason: r\n"), tt.limit))
			if !errors.Is(err, guard.ErrInvalidPolicy) {
				t.Fatalf("got %v, want an error matching ErrInvalidPolicy", err)
			}
			var pe *guard.PolicyError
			if !errors.As(err, &pe) || pe.Rule != "slow" || pe.Field != "when" || !strings.Contains(pe.Msg, "estimated cost") {
				t.Fatalf("got %#v, want a *PolicyError for rule slow, field when, about the estimated cost", err)
			}
		})
	}
}

func TestConditionCostAccepted(t *testing.T) {
	tests := []struct {
		name  string
		cond  string
		limit uint64
	}{
		{"membership", `"admin" in identity.roles && statement.kind == "DELETE"`, 0},
		{"one loop over the tables", `statement.tables.exists(t, t.startsWith("pii."))`, 0},
		{"regex over the text", `statement.text.matches("pg_sleep")`, 0},
		{"two loops over the tables, raised limit", `statement.reads.exists(a, statement.writes.exists(b, a == b))`, 3_000_000},
		{"nested, raised limit", nested(100, 4), 1 << 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := policyfile.Parse("p.yaml", withLimit(conditionPolicy("c", tt.cond, "    reason: r\n"), tt.limit)); err != nil {
				t.Fatalf("got %v, want the policy", err)
			}
		})
	}
}

// manyTables is a request reading n tables: larger than the load-time
// estimate assumes (256).
func manyTables(n int) *guard.Request {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("app.t%d", i)
	}
	r := request(alice, script("SELECT …", stmt(sqlparse.KindSelect, reads(names...))))
	r.Unmask = true
	return r
}

// stoppedAt checks that err denies for rule, for a condition stopped at a
// limit.
func stoppedAt(t *testing.T, v guard.Verdict, err error, rule string) {
	t.Helper()
	if !errors.Is(err, guard.ErrBlocked) || !errors.Is(err, policyfile.ErrConditionLimit) {
		t.Fatalf("got %v, want an error matching ErrBlocked and ErrConditionLimit", err)
	}
	var be *guard.BlockedError
	if !errors.As(err, &be) || be.Rule != rule {
		t.Fatalf("got %#v, want a *BlockedError naming rule %s", err, rule)
	}
	if v.Decision != guard.Deny || v.Rule != rule || v.Unmask {
		t.Fatalf("got verdict %+v, want a denial by %s granting nothing", v, rule)
	}
}

func TestConditionCostLimitAtRuntime(t *testing.T) {
	// One loop over the tables costs about 5 per table: under the limit
	// for the 256 tables the load-time estimate assumes (1,282), over it
	// on 1,000 tables (5,002).
	const cond = `statement.reads.all(a, a != "")`
	tests := []struct {
		name      string
		extra     string
		wantSmall string // the rule that blocks a request of 10 tables
	}{
		{"deny rule", "    reason: r\n", "loops"},
		{"allow rule fails closed too", "    action: allow\n    unmask: true\n", ""},
		{"built-in limited by it", "    builtin: stacked\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policyfile.Parse("p.yaml", withLimit(conditionPolicy("loops", cond, tt.extra), 2_000))
			if err != nil {
				t.Fatal(err)
			}
			if _, rule := decide(t, p, manyTables(10)); rule != tt.wantSmall {
				t.Fatalf("10 tables: blocked by %q, want %q", rule, tt.wantSmall)
			}
			v, err := p.Check(context.Background(), manyTables(1000))
			stoppedAt(t, v, err, "loops")
		})
	}
}

func TestConditionStopsAtDeadline(t *testing.T) {
	// 100^4 iterations: hours of work were it not stopped. The limit is
	// raised so that the load-time estimate lets it through.
	cond := nested(100, 4)
	tests := []struct {
		name  string
		extra string
	}{
		{"condition rule", "    reason: r\n"},
		{"allow rule", "    action: allow\n    unmask: true\n"},
		{"built-in limited by it", "    builtin: stacked\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policyfile.Parse("p.yaml", withLimit(conditionPolicy("slow", cond, tt.extra), 1<<62))
			if err != nil {
				t.Fatal(err)
			}
			// A deadline already passed: the first look at the context
			// stops the evaluation. No wall-clock time is asserted.
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			defer cancel()
			r := request(alice, script("SELECT …", stmt(sqlparse.KindSelect, reads("app.orders"))))
			r.Unmask = true
			v, err := p.Check(ctx, r)
			stoppedAt(t, v, err, "slow")
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want an error matching context.DeadlineExceeded", err)
			}
		})
	}
}

func TestConditionCancelledMidway(t *testing.T) {
	p, err := policyfile.Parse("p.yaml", withLimit(conditionPolicy("slow", nested(100, 4), "    reason: r\n"), 1<<62))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.Check(ctx, request(alice, script("SELECT …", stmt(sqlparse.KindSelect))))
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, policyfile.ErrConditionLimit) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want an error matching ErrConditionLimit and context.Canceled", err)
	}
}

// TestPreconditionSkipIsExact checks the rules a policy skips on their
// precondition decide as CEL would: the skip is an optimisation only.
func TestPreconditionSkipIsExact(t *testing.T) {
	src := []byte(`version: 1
rules:
  - name: tenant-delete
    when: 'statement.kind == "DELETE" && identity.tenant == "t1"'
    reason: r
  - name: drop-by-carol
    when: 'identity.subject == "carol" && "DROP" in statement.kinds'
    reason: r
  - name: audit-writes
    when: '"app.audit" in statement.writes'
    reason: r
  - name: missing-key
    when: 'statement.kind == "UPDATE" && identity.attributes["team"] == "x"'
    reason: r
  - name: reversed
    when: '"INSERT" == statement.kind && request.in_tx'
    reason: r
`)
	p, err := policyfile.Parse("p.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	t1 := identity.Identity{Kind: identity.KindUser, Subject: "dan", Tenant: "t1"}
	carol := identity.Identity{Kind: identity.KindUser, Subject: "carol"}
	inTx := func(r *guard.Request) *guard.Request { r.InTx = true; return r }
	tests := []struct {
		name string
		give *guard.Request
		want string
	}{
		{"delete by tenant", request(t1, script("DELETE …", stmt(sqlparse.KindDelete, writes("app.x"), where(true, false)))), "tenant-delete"},
		{"select by tenant", request(t1, script("SELECT …", stmt(sqlparse.KindSelect, reads("app.x")))), ""},
		{"delete by another tenant", request(alice, script("DELETE …", stmt(sqlparse.KindDelete, writes("app.x"), where(true, false)))), ""},
		{"drop by carol", request(carol, script("DROP …", stmt(sqlparse.KindDrop, object(sqlparse.ObjectTable)))), "drop-by-carol"},
		{"drop by alice", request(alice, script("DROP …", stmt(sqlparse.KindDrop, object(sqlparse.ObjectTable)))), ""},
		{"write to the audit table", request(alice, script("INSERT …", stmt(sqlparse.KindInsert, writes("app.audit")))), "audit-writes"},
		{"read of the audit table", request(alice, script("SELECT …", stmt(sqlparse.KindSelect, reads("app.audit")))), ""},
		// The missing key is an evaluation error: CEL's false && error is
		// false, so only an UPDATE reaches it, and is denied.
		{"update without the attribute", request(alice, script("UPDATE …", stmt(sqlparse.KindUpdate, writes("app.x"), where(true, false)))), "missing-key"},
		{"select without the attribute", request(alice, script("SELECT …", stmt(sqlparse.KindSelect, reads("app.x")))), ""},
		{"insert in a transaction", inTx(request(alice, script("INSERT …", stmt(sqlparse.KindInsert, writes("app.x"))))), "reversed"},
		{"insert outside", request(alice, script("INSERT …", stmt(sqlparse.KindInsert, writes("app.x")))), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := decide(t, p, tt.give); got != tt.want {
				t.Errorf("blocked by %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConditionFuncCostRefused(t *testing.T) {
	_, err := policyfile.Condition(nested(100, 4))
	var pe *guard.PolicyError
	if !errors.Is(err, guard.ErrInvalidPolicy) || !errors.As(err, &pe) || !strings.Contains(pe.Msg, "estimated cost") {
		t.Fatalf("got %v, want a *PolicyError about the estimated cost", err)
	}
}

// TestConditionsConcurrent checks that requests checked at once do not
// see each other's attributes (a policy's rules share one activation per
// request, from a pool). Run it with -race.
func TestConditionsConcurrent(t *testing.T) {
	p, err := policyfile.Parse("p.yaml", manyRules(200))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		give *guard.Request
		want string
	}{
		{request(alice, script("SELECT …", stmt(sqlparse.KindSelect, reads("app.t1")))), ""},
		{request(alice, script("INSERT …", stmt(sqlparse.KindInsert, writes("app.t5")))), "r5"},
		{request(identity.Identity{Subject: "x", Tenant: "t8"}, script("DELETE …", stmt(sqlparse.KindDelete, writes("app.x")))), "r8"},
		{request(alice, script("UPDATE …", stmt(sqlparse.KindUpdate, writes("app.t10")))), "r10"},
	}
	done := make(chan error)
	for w := range 8 {
		go func() {
			var err error
			for i := range 200 {
				tt := tests[(w+i)%len(tests)]
				r := *tt.give // the policy fills the request's Time
				v, _ := p.Check(context.Background(), &r)
				got := v.Rule
				if got != tt.want && err == nil {
					err = fmt.Errorf("request %d: blocked by %q, want %q", (w+i)%len(tests), got, tt.want)
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestConditionCostLimitInFile(t *testing.T) {
	cond := `statement.reads.exists(a, statement.writes.exists(b, a == b))` // estimated 2,098,434
	tests := []struct {
		name    string
		limits  string
		opts    []guard.Option
		wantErr string // "" for a policy
	}{
		{"default refuses", "", nil, "estimated cost"},
		{"file raises", "limits: {condition_cost: 3000000}\n", nil, ""},
		{"after the rules too", "", nil, ""}, // see below: limits written last
		{"zero", "limits: {condition_cost: 0}\n", nil, "positive integer"},
		{"not a number", "limits: {condition_cost: lots}\n", nil, "positive integer"},
		{"unknown limit", "limits: {conditions: 5}\n", nil, "unknown setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "version: 1\n" + tt.limits + "rules:\n  - name: c\n    when: '" + cond + "'\n    reason: r\n"
			if tt.name == "after the rules too" {
				src += "limits: {condition_cost: 3000000}\n"
			}
			_, err := policyfile.Parse("p.yaml", []byte(src), tt.opts...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got %v, want the policy", err)
			case tt.wantErr != "" && (!errors.Is(err, guard.ErrInvalidPolicy) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got %v, want an invalid policy: %s", err, tt.wantErr)
			}
		})
	}
}

// withLimit sets a policy file's condition cost limit; 0 keeps the
// default.
func withLimit(policy []byte, limit uint64) []byte {
	if limit == 0 {
		return policy
	}
	return fmt.Appendf(policy, "limits: {condition_cost: %d}\n", limit)
}
