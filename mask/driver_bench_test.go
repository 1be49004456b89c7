package mask_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/mask"
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
			opts := []sqlvigil.Option{sqlvigil.WithDialect(sqlvigil.SQLite)}
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

// BenchmarkDriverSQLite reads 10,000 rows × 8 columns from an in-memory
// SQLite database through the wrapped driver.
func BenchmarkDriverSQLite(b *testing.B) {
	dsn := testdb.SQLite(b)
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	ctx := context.Background()
	if _, err := raw.ExecContext(ctx, "CREATE TABLE people (id INTEGER, name TEXT, email TEXT, ssn TEXT, created DATETIME, amount REAL, active BOOLEAN, city TEXT)"); err != nil {
		b.Fatal(err)
	}
	tx, _ := raw.BeginTx(ctx, nil)
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
