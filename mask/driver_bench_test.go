package mask_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

const benchQuery = "SELECT id, name, email, ssn, created, amount, active, city FROM people"

// scanAll reads every row of benchQuery into typed variables.
func scanAll(b *testing.B, db *sql.DB) {
	var (
		id      int64
		name    string
		email   string
		ssn     string
		created time.Time
		amount  float64
		active  bool
		city    string
	)
	rows, err := db.QueryContext(context.Background(), benchQuery)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(&id, &name, &email, &ssn, &created, &amount, &active, &city); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Close(); err != nil || n != 10000 {
		b.Fatalf("%d rows, %v", n, err)
	}
}

// benchMaskers are the maskers the driver benchmarks compare: none, one
// that selects no column of the result, and one masking email and ssn by
// name.
func benchMaskers(b *testing.B) []struct {
	name string
	m    *mask.Masker
} {
	return []struct {
		name string
		m    *mask.Masker
	}{
		{"nomask", nil},
		{"unmasked", benchMasker(b, mask.Redact(), "password")},
		{"masked", benchMasker(b, mask.Redact(), "email", "ssn")},
		{"masked-partial", benchMasker(b, mask.Partial(0, 4), "email", "ssn")},
	}
}

// BenchmarkDriverFake reads 10,000 rows × 8 columns through the wrapped
// driver (sqlvigil.OpenDB) over an in-memory fake driver, so that the cost
// measured is the wrapping and the masking alone.
func BenchmarkDriverFake(b *testing.B) {
	table := benchTable(10000)
	for _, tt := range benchMaskers(b) {
		b.Run("mask="+tt.name, func(b *testing.B) {
			opts := []sqlvigil.Option{sqlvigil.WithDialect(sqlstmt.SQLite)}
			if tt.m != nil {
				opts = append(opts, sqlvigil.WithMasker(tt.m))
			}
			db, err := sqlvigil.OpenDB(&fakeConnector{table: table}, opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			b.ReportAllocs()
			for b.Loop() {
				scanAll(b, db)
			}
		})
	}
}

// seedBenchSQLite creates the 10,000-row people table in raw.
func seedBenchSQLite(b *testing.B, raw *sql.DB) {
	ctx := context.Background()
	if _, err := raw.ExecContext(ctx, "CREATE TABLE people (id INTEGER, name TEXT, email TEXT, ssn TEXT, created DATETIME, amount REAL, active BOOLEAN, city TEXT)"); err != nil {
		b.Fatal(err)
	}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	created := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 10000 {
		if _, err := tx.ExecContext(ctx, "INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?, ?)", i, fmt.Sprintf("Person %d", i),
			fmt.Sprintf("person%d@example.com", i), fmt.Sprintf("%03d-%02d-%04d", 100+i%800, 1+i%99, 1+i%9999), created, float64(i)*1.5, i%2 == 0, "Springfield"); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDriverSQLite reads 10,000 rows × 8 columns from an in-memory
// SQLite database through the wrapped driver.
func BenchmarkDriverSQLite(b *testing.B) {
	dsn := testdb.SQLite(b)
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	seedBenchSQLite(b, raw)
	for _, tt := range benchMaskers(b) {
		b.Run("mask="+tt.name, func(b *testing.B) {
			var opts []sqlvigil.Option
			if tt.m != nil {
				opts = append(opts, sqlvigil.WithMasker(tt.m))
			}
			db, err := sqlvigil.Open("sqlite", dsn, opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			b.ReportAllocs()
			for b.Loop() {
				scanAll(b, db)
			}
		})
	}
}

// BenchmarkOverhead reads the 10,000 × 8 result through the wrapped driver
// alternately with a Masker that masks nothing of it and one that masks two
// columns by name, and reports the medians of each and the overhead of
// masking. Pairing the two runs, in alternating order, cancels most of the
// noise of a shared machine, which single benchmarks cannot.
func BenchmarkOverhead(b *testing.B) {
	table := benchTable(10000)
	dsn := testdb.SQLite(b)
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	seedBenchSQLite(b, raw)
	for _, s := range []mask.Strategy{mask.Redact(), mask.Partial(0, 4), mask.Email()} {
		for _, backend := range []string{"fake", "sqlite"} {
			b.Run(backend+"/"+s.String(), func(b *testing.B) {
				open := func(m *mask.Masker) *sql.DB {
					var db *sql.DB
					var err error
					if backend == "fake" {
						db, err = sqlvigil.OpenDB(&fakeConnector{table: table}, sqlvigil.WithDialect(sqlstmt.SQLite), sqlvigil.WithMasker(m))
					} else {
						db, err = sqlvigil.Open("sqlite", dsn, sqlvigil.WithMasker(m))
					}
					if err != nil {
						b.Fatal(err)
					}
					return db
				}
				plain := open(benchMasker(b, s, "password"))
				defer plain.Close()
				masked := open(benchMasker(b, s, "email", "ssn"))
				defer masked.Close()
				var tp, tm []time.Duration
				run := func(db *sql.DB, into *[]time.Duration) {
					start := time.Now()
					scanAll(b, db)
					*into = append(*into, time.Since(start))
				}
				for i := 0; b.Loop(); i++ {
					if i%2 == 0 {
						run(plain, &tp)
						run(masked, &tm)
					} else {
						run(masked, &tm)
						run(plain, &tp)
					}
				}
				mp, mm := median(tp), median(tm)
				b.ReportMetric(float64(mp.Microseconds())/1000, "unmasked-ms")
				b.ReportMetric(float64(mm.Microseconds())/1000, "masked-ms")
				b.ReportMetric(100*(float64(mm)/float64(mp)-1), "overhead-%")
			})
		}
	}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	return s[len(s)/2]
}
