package difftest

import (
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// The same texts as internal/sqlparse's benchmarks; both parsers accept
// them.
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

// BenchmarkParse runs the analyser and both reference parsers on the same
// texts in one run: compare them with benchstat.
func BenchmarkParse(b *testing.B) {
	vt, err := sqlparser.New(sqlparser.Options{MySQLServerVersion: "8.0.40"})
	if err != nil {
		b.Fatal(err)
	}
	cache := sqlparse.NewCache(1024)
	for _, q := range []struct{ name, text string }{{"short", shortQuery}, {"2KB", longQuery()}} {
		b.Run("sqlvigil-pg/"+q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if s := sqlparse.Analyze(sqlparse.PostgreSQL, q.text); !s.Complete {
					b.Fatal(s.Reason)
				}
			}
		})
		b.Run("sqlvigil-mysql/"+q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if s := sqlparse.Analyze(sqlparse.MySQL, q.text); !s.Complete {
					b.Fatal(s.Reason)
				}
			}
		})
		b.Run("sqlvigil-cachehit/"+q.name, func(b *testing.B) {
			cache.Analyze(sqlparse.PostgreSQL, q.text)
			b.ReportAllocs()
			for b.Loop() {
				cache.Analyze(sqlparse.PostgreSQL, q.text)
			}
		})
		b.Run("pg_query/"+q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pg.Parse(q.text); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("vitess/"+q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := vt.Parse(q.text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
