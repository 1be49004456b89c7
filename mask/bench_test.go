package mask_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/mask"
)

// benchTable is 10,000 rows of 8 columns, text as []byte as the network
// drivers return it.
func benchTable(rows int) *fakeTable {
	t := &fakeTable{cols: []mask.Column{
		attributed("id", "people.id"), attributed("name", "people.name"), attributed("email", "people.email"),
		attributed("ssn", "people.ssn"), attributed("created", "people.created"), attributed("amount", "people.amount"),
		attributed("active", "people.active"), attributed("city", "people.city"),
	}}
	created := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range rows {
		t.rows = append(t.rows, []driver.Value{
			int64(i), []byte(fmt.Sprintf("Person %d", i)), []byte(fmt.Sprintf("person%d@example.com", i)),
			[]byte(fmt.Sprintf("%03d-%02d-%04d", 100+i%800, 1+i%99, 1+i%9999)), created, float64(i) * 1.5, i%2 == 0,
			[]byte("Springfield"),
		})
	}
	return t
}

func benchMasker(b *testing.B, s mask.Strategy, columns ...string) *mask.Masker {
	m, err := mask.New(mask.WithKey(testKey), mask.WithRules(mask.Rule{Name: "pii", Columns: columns, Strategy: s}))
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkScan reads 10,000 rows × 8 columns through database/sql with the
// rows wrapped as the driver wraps them. "unmasked" has a Masker whose rules
// select none of the columns; the others mask email and ssn by name.
func BenchmarkScan(b *testing.B) {
	table := benchTable(10000)
	tests := []struct {
		name string
		m    func(*testing.B) *mask.Masker
	}{
		{"unmasked", func(b *testing.B) *mask.Masker { return benchMasker(b, mask.Redact(), "password") }},
		{"redact", func(b *testing.B) *mask.Masker { return benchMasker(b, mask.Redact(), "email", "ssn") }},
		{"partial", func(b *testing.B) *mask.Masker { return benchMasker(b, mask.Partial(0, 4), "email", "ssn") }},
		{"tokenize", func(b *testing.B) *mask.Masker { return benchMasker(b, mask.Tokenize(), "email", "ssn") }},
	}
	for _, tt := range tests {
		b.Run("mask="+tt.name, func(b *testing.B) {
			db := openFake(b, table, tt.m(b))
			ctx := context.Background()
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
			b.ReportAllocs()
			for b.Loop() {
				rows, err := db.QueryContext(ctx, "SELECT")
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
					if err := rows.Scan(&id, &name, &email, &ssn, &created, &amount, &active, &city); err != nil {
						b.Fatal(err)
					}
				}
				if err := rows.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApply measures Plan.Apply alone over 10,000 rows.
func BenchmarkApply(b *testing.B) {
	table := benchTable(10000)
	for _, s := range []mask.Strategy{mask.Redact(), mask.Partial(0, 4), mask.Email(), mask.Tokenize()} {
		b.Run(s.String(), func(b *testing.B) {
			m := benchMasker(b, s, "email", "ssn")
			row := make([]driver.Value, 8)
			b.ReportAllocs()
			for b.Loop() {
				p, err := m.Plan(context.Background(), mask.Input{Columns: table.cols})
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range table.rows {
					copy(row, r)
					if err := p.Apply(row); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// Apply allocates nothing for the columns it does not mask, and nothing for
// values masked to a fixed token.
func TestApplyAllocations(t *testing.T) {
	m, err := mask.New(mask.WithRules(mask.Rule{Name: "pii", Columns: []string{"email", "ssn"}, Strategy: mask.Redact()}))
	if err != nil {
		t.Fatal(err)
	}
	table := benchTable(1)
	p, err := m.Plan(context.Background(), mask.Input{Columns: table.cols})
	if err != nil {
		t.Fatal(err)
	}
	stringRow := []driver.Value{int64(1), []byte("Person 1"), "a@example.com", "123-45-6789", time.Now(), 1.5, true, []byte("Springfield")}
	row := make([]driver.Value, 8)
	if n := testing.AllocsPerRun(1000, func() {
		copy(row, stringRow)
		_ = p.Apply(row)
	}); n != 0 {
		t.Errorf("Apply allocated %v times per row with string values; want 0", n)
	}
	// []byte values masked to a token share one new slice per result set.
	if n := testing.AllocsPerRun(1000, func() {
		copy(row, table.rows[0])
		_ = p.Apply(row)
	}); n != 0 {
		t.Errorf("Apply allocated %v times per row with two masked []byte values; want 0", n)
	}
}

// A masked string costs one allocation, its boxing into a driver.Value:
// its bytes come from the result set's arena.
func TestApplyStringAllocations(t *testing.T) {
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email()},
		mask.Rule{Name: "name", Columns: []string{"name"}, Strategy: mask.Partial(1, 0)}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{
		{Name: "name", Attributed: true, Sources: []string{"people.name"}},
		{Name: "email", Attributed: true, Sources: []string{"people.email"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	row := make([]driver.Value, 2)
	n := testing.AllocsPerRun(1000, func() {
		row[0], row[1] = "User 7", "user7@example.com"
		if err := p.Apply(row); err != nil {
			t.Fatal(err)
		}
	})
	if n > 2 {
		t.Errorf("%v allocations per row of two masked strings, want at most 2", n)
	}
	if row[0] != "U*****" || row[1] != "****@example.com" {
		t.Errorf("masked row = %q, want [U***** ****@example.com]", row)
	}
}
