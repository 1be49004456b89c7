package policyfile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard/policyfile"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// manyRules returns a policy file of n condition rules, in the shapes a
// large generated policy has: per-tenant, per-table and per-kind rules.
func manyRules(n int) []byte { return generated(n, false) }

// generated returns n rules; opaque ones have no test of an attribute
// against a literal that the policy could skip them on.
func generated(n int, opaque bool) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n")
	for i := range n {
		var cond string
		switch i % 4 {
		case 0:
			cond = fmt.Sprintf(`statement.kind == "DELETE" && identity.tenant == "t%d"`, i)
		case 1:
			cond = fmt.Sprintf(`"app.t%d" in statement.writes`, i)
		case 2:
			cond = fmt.Sprintf(`statement.kind == "UPDATE" && statement.tables.exists(t, t == "app.t%d")`, i)
		case 3:
			cond = fmt.Sprintf(`identity.subject == "user%d" && "DROP" in statement.kinds`, i)
		}
		if opaque {
			cond = fmt.Sprintf(`identity.subject.startsWith("user%d") || statement.tables.exists(t, t.endsWith(".t%d"))`, i, i)
		}
		fmt.Fprintf(&b, "  - name: r%d\n    when: '%s'\n    reason: generated\n", i, cond)
	}
	return []byte(b.String())
}

// BenchmarkCELRules measures one allowed statement against policies of
// 1, 100 and 20,000 condition rules, none of which matches: rules the
// policy can skip on a precondition (statement.kind == "DELETE" && …),
// and opaque ones it must run.
func BenchmarkCELRules(b *testing.B) {
	r := request(alice, sqlparse.Analyze(sqlparse.PostgreSQL, "SELECT id FROM public.orders WHERE id = $1"))
	ctx := context.Background()
	for _, bc := range []struct {
		n      int
		opaque bool
	}{{1, false}, {100, false}, {20000, false}, {1, true}, {100, true}, {20000, true}} {
		p, err := policyfile.Parse("bench.yaml", generated(bc.n, bc.opaque))
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("rules=%d", bc.n)
		if bc.opaque {
			name = fmt.Sprintf("opaque/rules=%d", bc.n)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Check(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
