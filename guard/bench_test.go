package guard_test

import (
	"context"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/policyfile"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// tenRules is a 10-rule policy of built-ins, as a service would run it.
func tenRules(tb testing.TB) *guard.Policy {
	return mustPolicy(tb, guard.WithRules(allBuiltins()...))
}

// BenchmarkCheckAllow measures a decision on a statement whose analysis is
// cached (the Script is built once, as the driver's cache hands it out):
// the target is ≤ 1 µs and 0 allocations on allow.
func BenchmarkCheckAllow(b *testing.B) {
	p := tenRules(b)
	ctx := context.Background()
	for _, bc := range []struct{ name, sql string }{
		{"select", "SELECT id, total FROM public.orders WHERE customer_id = $1 AND created > $2"},
		{"update", "UPDATE public.orders SET total = $1 WHERE id = $2"},
		{"join", "SELECT o.id, c.name FROM public.orders o JOIN public.customers c ON c.id = o.customer_id WHERE o.id = $1"},
	} {
		r := request(alice, sqlparse.Analyze(sqlparse.PostgreSQL, bc.sql))
		if _, err := p.Check(ctx, r); err != nil {
			b.Fatalf("%s: %v", bc.name, err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			lockThread()
			defer unlockThread()
			start, ok := threadCPU()
			for b.Loop() {
				if _, err := p.Check(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
			if end, ok2 := threadCPU(); ok && ok2 {
				b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// BenchmarkCheckDeny measures a denial (which allocates its error).
func BenchmarkCheckDeny(b *testing.B) {
	p := tenRules(b)
	ctx := context.Background()
	r := request(alice, sqlparse.Analyze(sqlparse.PostgreSQL, "DELETE FROM public.orders"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Check(ctx, r); err == nil {
			b.Fatal("allowed")
		}
	}
}

// BenchmarkCheckCEL measures a policy of ten CEL conditions (no built-in):
// CEL is compiled at load; evaluation allocates.
func BenchmarkCheckCEL(b *testing.B) {
	src := "version: 1\nrules:\n"
	conds := []string{
		`identity.kind == "agent" && statement.effect != "SELECT"`,
		`statement.stacked`,
		`"DROP" in statement.kinds && environment == "production"`,
		`statement.unbounded`,
		`statement.functions.exists(f, f == "pg_sleep")`,
		`"GRANT" in statement.kinds`,
		`identity.anonymous`,
		`statement.into_file`,
		`"secrets" in statement.reads`,
		`now.getHours("UTC") > 25`,
	}
	for i, c := range conds {
		src += "  - name: r" + string(rune('a'+i)) + "\n    when: '" + c + "'\n    reason: r\n"
	}
	p, err := policyfile.Parse("bench.yaml", []byte(src))
	if err != nil {
		b.Fatal(err)
	}
	r := request(alice, sqlparse.Analyze(sqlparse.PostgreSQL, "SELECT id FROM public.orders WHERE id = $1"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Check(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCheckAllowDoesNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count")
	}
	p := tenRules(t)
	r := request(alice, sqlparse.Analyze(sqlparse.PostgreSQL, "SELECT id FROM public.orders WHERE id = $1"))
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := p.Check(ctx, r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("allow allocates %v times, want 0", allocs)
	}
}
