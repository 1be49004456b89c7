package mask_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/hoophq/alcatraz"

	"github.com/sqlvigil/sqlvigil/mask"
)

func TestDetection(t *testing.T) {
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "id", Columns: []string{"id"}, Strategy: mask.Redact()},
		mask.Rule{Name: "pii in notes", Columns: []string{"note*"}, Detect: []string{"EMAIL_ADDRESS", "CREDIT_CARD"}, Strategy: mask.Redact()},
		mask.Rule{Name: "ssn anywhere", Detect: []string{"US_SSN"}, MinScore: 0.5, Strategy: mask.Redact(), ExemptRoles: []string{"hr"}},
	))
	if err != nil {
		t.Fatal(err)
	}
	cols := []mask.Column{attributed("id"), attributed("note"), attributed("other"), attributed("n")}
	p, err := m.Plan(context.Background(), mask.Input{Columns: cols})
	if err != nil || p == nil {
		t.Fatalf("Plan = %v, %v", p, err)
	}
	rows := [][]driver.Value{
		{"123-45-6789", "write to alice@example.com", "ssn 536-22-8745", int64(123456789)},
		{"x", []byte("card 4111 1111 1111 1111 please"), "nothing here", "078-05-1120"},
		{"y", "nothing to see", "id 123456789", "hello"},
	}
	for _, r := range rows {
		if err := p.Apply(r); err != nil {
			t.Fatal(err)
		}
	}
	want := [][]driver.Value{
		{"****", "****", "****", int64(123456789)},
		{"****", []byte("****"), "nothing here", "****"},
		{"****", "nothing to see", "id 123456789", "hello"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("got %q\nwant %q", rows, want)
	}
	wantReport := []mask.Masked{
		{Column: "id", Rule: "id", Strategy: "redact", Count: 3},
		{Column: "note", Rule: "pii in notes", Strategy: "redact", Count: 2},
		{Column: "other", Rule: "ssn anywhere", Strategy: "redact", Count: 1},
		{Column: "n", Rule: "ssn anywhere", Strategy: "redact", Count: 1},
	}
	if got := p.Report(); !reflect.DeepEqual(got, wantReport) {
		t.Errorf("Report = %+v\nwant %+v", got, wantReport)
	}
}

func TestWithDetector(t *testing.T) {
	var asked []string
	d := mask.DetectorFunc(func(q mask.Candidate) []mask.Match {
		asked = append(asked, q.Entities...)
		if i := strings.Index(q.Text, "secret"); i >= 0 {
			return []mask.Match{{Start: i, End: i + len("secret")}}
		}
		return nil
	})
	m, err := mask.New(mask.WithDetector(d), mask.WithRules(mask.Rule{Name: "s", Detect: []string{"SECRET"}, Strategy: mask.Redact()}))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{attributed("a")}})
	row := []driver.Value{"a secret"}
	_ = p.Apply(row)
	if row[0] != "****" || !reflect.DeepEqual(asked, []string{"SECRET"}) {
		t.Errorf("got %v, asked %v", row[0], asked)
	}
}

func TestMaskSpans(t *testing.T) {
	// A detector finding every word that starts with "s", plus bad spans
	// where the text says so.
	d := mask.DetectorFunc(func(q mask.Candidate) []mask.Match {
		var out []mask.Match
		for i := 0; i < len(q.Text); i++ {
			if q.Text[i] == 's' && (i == 0 || q.Text[i-1] == ' ') {
				j := i
				for j < len(q.Text) && q.Text[j] != ' ' {
					j++
				}
				out = append(out, mask.Match{Start: i, End: j}, mask.Match{Start: i + 1, End: j}) // overlapping
			}
		}
		if strings.Contains(q.Text, "bad") {
			out = append(out, mask.Match{Start: 3, End: len(q.Text) + 10})
		}
		return out
	})
	m, err := mask.New(mask.WithDetector(d), mask.WithRules(
		mask.Rule{Name: "s", Columns: []string{"a", "b"}, Detect: []string{"S"}, Strategy: mask.Redact(), MaskSpans: true},
		mask.Rule{Name: "p", Columns: []string{"c"}, Detect: []string{"S"}, Strategy: mask.Partial(1, 0), MaskSpans: true},
	))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{attributed("a"), attributed("b"), attributed("c"), {Name: "c", Attributed: true, Expr: true, Sources: []string{"t.c"}}}})
	tests := []struct {
		give, want driver.Value
	}{
		{"call secret soon ok", "call **** **** ok"},
		{[]byte("sa sb"), []byte("**** ****")},
		{"nothing", "nothing"},
		{"a bad secret", "****"},
	}
	for _, tt := range tests {
		row := []driver.Value{tt.give, tt.give, "see sam", "see sam"}
		if err := p.Apply(row); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(row[0], tt.want) {
			t.Errorf("%q: got %q, want %q", tt.give, row[0], tt.want)
		}
		if row[2] != "s** s**" || row[3] != "**** ****" {
			t.Errorf("partial spans: got %q and %q (expression), want %q and %q", row[2], row[3], "s** s**", "**** ****")
		}
	}
}

// ordinary returns n values of an ordinary, PII-free column kind.
func ordinary(kind string, n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, n)
	for i := range out {
		switch kind {
		case "9-digit id":
			out[i] = fmt.Sprintf("%09d", r.IntN(1_000_000_000))
		case "16-digit order number":
			out[i] = fmt.Sprintf("%016d", r.Int64N(10_000_000_000_000_000))
		case "10-digit invoice":
			out[i] = fmt.Sprintf("%010d", r.Int64N(10_000_000_000))
		case "uuid":
			out[i] = fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xfff, r.Uint64()&0xffffffffffff)
		case "price":
			out[i] = fmt.Sprintf("%d.%02d", r.IntN(100000), r.IntN(100))
		case "date":
			out[i] = fmt.Sprintf("20%02d-%02d-%02d", r.IntN(30), 1+r.IntN(12), 1+r.IntN(28))
		case "sku":
			out[i] = fmt.Sprintf("SKU-%03d-%02d-%04d", r.IntN(1000), r.IntN(100), r.IntN(10000))
		}
	}
	return out
}

var ordinaryKinds = []string{"9-digit id", "16-digit order number", "10-digit invoice", "uuid", "price", "date", "sku"}

// byEntity counts the values in which each entity type is found.
func byEntity(values []string, minScore float64) map[string]int {
	eng := alcatraz.NewEngine()
	out := map[string]int{}
	for _, v := range values {
		seen := map[string]bool{}
		for _, r := range eng.Analyze(v, alcatraz.Options{Threshold: &minScore}) {
			if !seen[r.EntityType] {
				seen[r.EntityType] = true
				out[r.EntityType]++
			}
		}
	}
	return out
}

// detectRate returns the share of values a rule with entities and minScore
// masks.
func detectRate(t testing.TB, values []string, entities []string, minScore float64) float64 {
	m, err := mask.New(mask.WithRules(mask.Rule{Name: "d", Detect: entities, MinScore: minScore, Strategy: mask.Redact()}))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{attributed("v")}})
	row := make([]driver.Value, 1)
	for _, v := range values {
		row[0] = v
		_ = p.Apply(row)
	}
	var n int64
	for _, r := range p.Report() {
		n += r.Count
	}
	return float64(n) / float64(len(values))
}

// TestDetectionFalsePositives measures how often detection fires on
// ordinary, PII-free values; run with -v to see the table.
func TestDetectionFalsePositives(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	const n = 2000
	for _, kind := range ordinaryKinds {
		values := ordinary(kind, n)
		all0 := detectRate(t, values, []string{mask.AnyEntity}, 0)
		all5 := detectRate(t, values, []string{mask.AnyEntity}, 0.5)
		ssn0 := detectRate(t, values, []string{"US_SSN"}, 0)
		ssn5 := detectRate(t, values, []string{"US_SSN"}, 0.5)
		t.Logf("%-22s all entities: %5.1f%% (score>=0.5: %5.1f%%)  US_SSN: %5.1f%% (score>=0.5: %5.1f%%)  by type at >=0.5: %v", kind, 100*all0, 100*all5, 100*ssn0, 100*ssn5, byEntity(values, 0.5))
		if kind == "9-digit id" {
			if ssn0 < 0.2 {
				t.Errorf("US_SSN fired on %.1f%% of random nine-digit ids; the measurement no longer shows the known false positives", 100*ssn0)
			}
			// alcatraz raises a validated bare number to score 1, so
			// MinScore does not filter these out: only column rules do.
			if ssn5 < 0.2 {
				t.Logf("note: MinScore 0.5 now filters bare nine-digit ids (%.1f%%); update the package documentation", 100*ssn5)
			}
		}
	}
	dashed := make([]string, 0, n)
	for _, v := range ordinary("9-digit id", n) {
		dashed = append(dashed, v[:3]+"-"+v[3:5]+"-"+v[5:])
	}
	t.Logf("%-22s US_SSN: %5.1f%% (score>=0.5: %5.1f%%)", "dashed ssn-shaped", 100*detectRate(t, dashed, []string{"US_SSN"}, 0), 100*detectRate(t, dashed, []string{"US_SSN"}, 0.5))
}

// BenchmarkDetect reports the cost of detection per value.
func BenchmarkDetect(b *testing.B) {
	note := "Customer called about order 4411; asked to update the delivery address and confirmed the invoice total of 129.90. Follow up next week."
	tests := []struct {
		name     string
		entities []string
		value    string
	}{
		{"all/short", []string{mask.AnyEntity}, "alice@example.com"},
		{"all/id", []string{mask.AnyEntity}, "123456789"},
		{"all/note", []string{mask.AnyEntity}, note},
		{"ssn/short", []string{"US_SSN"}, "123456789"},
		{"email/short", []string{"EMAIL_ADDRESS"}, "alice@example.com"},
		{"email+card/note", []string{"EMAIL_ADDRESS", "CREDIT_CARD"}, note},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			m, err := mask.New(mask.WithRules(mask.Rule{Name: "d", Detect: tt.entities, Strategy: mask.Redact()}))
			if err != nil {
				b.Fatal(err)
			}
			p, _ := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{attributed("v")}})
			row := make([]driver.Value, 1)
			b.ReportAllocs()
			for b.Loop() {
				row[0] = tt.value
				_ = p.Apply(row)
			}
		})
	}
}
