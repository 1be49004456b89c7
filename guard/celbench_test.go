package guard_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// manyRules returns a policy file of n condition rules, in the shapes a
// large generated policy has: per-tenant, per-table and per-kind rules.
func manyRules(n int) []byte {
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
		fmt.Fprintf(&b, "  - name: r%d\n    when: '%s'\n    reason: generated\n", i, cond)
	}
	return []byte(b.String())
}

// BenchmarkCELRules measures one allowed statement against policies of
// 1, 100 and 20,000 condition rules, none of which matches.
func BenchmarkCELRules(b *testing.B) {
	r := request(alice, sqlparse.Analyze(sqlparse.PostgreSQL, "SELECT id FROM public.orders WHERE id = $1"))
	ctx := context.Background()
	for _, n := range []int{1, 100, 20000} {
		p, err := guard.Parse("bench.yaml", manyRules(n))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Check(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
