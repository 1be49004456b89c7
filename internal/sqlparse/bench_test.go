package sqlparse_test

import (
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// Benchmark texts, shared in spirit with difftest's comparative benchmarks
// (which must carry their own copy: they live in another module).
const shortQuery = "SELECT id, name FROM users WHERE email = 'a@b.example' LIMIT 10"

func longQuery() string {
	var b strings.Builder
	b.WriteString("SELECT o.id, o.created_at, c.name AS customer, c.email, lower(c.city) AS city, ")
	b.WriteString("CASE WHEN o.total > 1000 THEN 'large' WHEN o.total > 100 THEN 'medium' ELSE 'small' END AS size, ")
	b.WriteString("(SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS items ")
	b.WriteString("FROM orders o JOIN customers c ON c.id = o.customer_id LEFT JOIN shipments s ON s.order_id = o.id ")
	b.WriteString("WHERE o.status IN ('paid', 'shipped', 'delivered') AND o.created_at >= '2024-01-01' ")
	for i := 0; b.Len() < 1900; i++ {
		b.WriteString("AND (o.region_id = ")
		b.WriteString(strings.Repeat("7", 1+i%5))
		b.WriteString(" OR c.segment <> 'segment_")
		b.WriteString(strings.Repeat("x", 1+i%7))
		b.WriteString("') ")
	}
	b.WriteString("ORDER BY o.created_at DESC LIMIT 100")
	return b.String()
}

func BenchmarkAnalyze(b *testing.B) {
	long := longQuery()
	for _, bc := range []struct {
		name string
		q    string
	}{{"short", shortQuery}, {"2KB", long}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.q)))
			for b.Loop() {
				if s := sqlparse.Analyze(sqlparse.PostgreSQL, bc.q); !s.Complete {
					b.Fatal(s.Reason)
				}
			}
		})
	}
}

func BenchmarkCacheHit(b *testing.B) {
	c := sqlparse.NewCache(1024)
	c.Analyze(sqlparse.PostgreSQL, shortQuery)
	b.ReportAllocs()
	for b.Loop() {
		c.Analyze(sqlparse.PostgreSQL, shortQuery)
	}
}

func BenchmarkCacheHitParallel(b *testing.B) {
	c := sqlparse.NewCache(1024)
	c.Analyze(sqlparse.PostgreSQL, shortQuery)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Analyze(sqlparse.PostgreSQL, shortQuery)
		}
	})
}

// BenchmarkPathological measures texts built to make an analyser slow:
// each must stay linear in the text's length.
func BenchmarkPathological(b *testing.B) {
	const n = 1 << 18
	for _, bc := range []struct{ name, q string }{
		{"backslashes", strings.Repeat(`\`, n)},
		{"open-strings-mysql", strings.Repeat(`'\'`, n/3)},
		{"parens", strings.Repeat("(", n/2) + strings.Repeat(")", n/2)},
		{"semicolons", strings.Repeat(";", n)},
		{"statements", strings.Repeat("SELECT 1;", n/9)},
		{"or-chain", "DELETE FROM t WHERE " + strings.Repeat("a = 1 OR ", n/9) + "b = 2"},
		{"tables", "SELECT * FROM " + strings.Repeat("t, ", n/3) + "u"},
		{"dollar-tags", strings.Repeat("$a$ ", n/4)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.q)))
			for b.Loop() {
				sqlparse.Analyze(sqlparse.MySQL, bc.q)
				sqlparse.Analyze(sqlparse.PostgreSQL, bc.q)
			}
		})
	}
}

// BenchmarkAnalyze1MiB measures the analyser's allocation on texts at the
// length cap: one long INSERT, one SELECT with a long IN list, and one
// short statement repeated. Bytes allocated over bytes of text is reported
// as alloc/text.
func BenchmarkAnalyze1MiB(b *testing.B) {
	fill := func(head, item, tail string) string {
		var sb strings.Builder
		sb.WriteString(head)
		for i := 0; sb.Len()+len(item)+len(tail)+16 < sqlparse.MaxTextLen; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(strings.ReplaceAll(item, "N", strconv.Itoa(i)))
		}
		sb.WriteString(tail)
		return sb.String()
	}
	for _, bc := range []struct {
		name string
		q    string
	}{
		{"insert", fill("INSERT INTO notes (id, body) VALUES ", "(N, 'note N')", "")},
		{"select-in", fill("SELECT id, name FROM users WHERE id IN (", "N", ")")},
		{"select-1-repeated", strings.Repeat("SELECT 1;", sqlparse.MaxTextLen/len("SELECT 1;"))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.q)))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			n := 0
			for b.Loop() {
				sqlparse.Analyze(sqlparse.PostgreSQL, bc.q)
				n++
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n)/float64(len(bc.q)), "alloc/text")
		})
	}
}
