package mask_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/lib/pq"

	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

// FuzzRedactError: no input panics, and a redacted value never survives in
// the text of a PostgreSQL key violation, a MySQL duplicate entry or any
// message that quotes it.
func FuzzRedactError(f *testing.F) {
	f.Add("email", "alice@example.com")
	f.Add("lower(email::text)", "a) already exists (b")
	f.Add("email, ssn", "x, 123-45-6789")
	f.Add("email", "')=('")
	m, err := mask.New(mask.WithRules(mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Redact()}))
	if err != nil {
		f.Fatal(err)
	}
	emailWord := regexp.MustCompile(`(?i)(^|[^\pL\pN_$])email($|[^\pL\pN_$])`)
	f.Fuzz(func(t *testing.T, cols, value string) {
		// A value may legitimately appear in the fixed text around it.
		survives := func(got, template string) bool {
			return len(value) >= 4 && strings.Contains(got, value) && !strings.Contains(template, value)
		}
		detail := "Key (" + cols + ")=(" + value + ") already exists."
		got := m.RedactError(&pq.Error{Code: "23505", Message: "duplicate key", Detail: detail})
		if emailWord.MatchString(cols) && !strings.Contains(cols, ")=(") {
			var pe *pq.Error
			if !errors.As(got, &pe) {
				pe = &pq.Error{}
			}
			if survives(got.Error()+pe.Detail, "pq: duplicate key (23505)Key ("+cols+")=([redacted]) already exists.") {
				t.Errorf("value %q survived in %q / %q", value, got.Error(), pe.Detail)
			}
		}
		got = m.RedactError(&mysql.MySQLError{Number: 1062, Message: "Duplicate entry '" + value + "' for key '" + cols + "'"})
		if survives(got.Error(), "Error 1062: Duplicate entry '[redacted]' for key '"+cols+"'") {
			t.Errorf("value %q survived in %q", value, got.Error())
		}
		// Any quoted value, whatever the message, whatever quotes it holds.
		const fixed = `pq: invalid value [redacted] for YYYY (22007)"'`
		for _, q := range []string{`"`, `'`} {
			got := m.RedactError(&pq.Error{Code: "22007", Message: "invalid value " + q + value + q + " for " + q + cols + q})
			var pe *pq.Error
			if got != error(nil) && !errors.As(got, &pe) {
				t.Errorf("no clean copy of %q: errors.As fails on %q", value, got.Error())
				pe = &pq.Error{}
			}
			if len(value) >= 4 && strings.Contains(got.Error()+pe.Message, value) && !strings.Contains(fixed+cols, value) {
				t.Errorf("quoted value %q survived in %q / %q", value, got.Error(), pe.Message)
			}
		}
		_ = m.RedactError(errors.New(cols + value))
	})
}

// FuzzStrategies: no value panics any strategy, and the type is kept.
func FuzzStrategies(f *testing.F) {
	f.Add("alice@example.com", int64(42), 4.5)
	f.Add(`{"a":{"b":[1,"x",null]},"ssn":"1"}`, int64(-1), -0.0)
	f.Add("2024-02-29 10:00:00+05:30", int64(-9223372036854775808), 1e308)
	f.Add("\xff\xfe@\x00", int64(9223372036854775807), -1e-308)
	strategies := []mask.Strategy{
		mask.Redact(), mask.Null(), mask.Partial(2, 3), mask.Email(), mask.Tokenize(), mask.Fixed("x"),
		mask.Digits(2), mask.GeneralizeDate(mask.Month), mask.GeneralizeNumber(7),
		mask.JSON(mask.Field("ssn", mask.Redact()), mask.Field("*.*", mask.Partial(1, 1)), mask.Field("a.b.0", mask.Tokenize())),
	}
	cols := make([]mask.Column, 4)
	for i := range cols {
		cols[i] = attributed(string(rune('a' + i)))
	}
	plans := make([]*mask.Plan, len(strategies))
	for i, s := range strategies {
		m, err := mask.New(mask.WithKey(testKey), mask.WithRules(mask.Rule{Name: "r", Columns: []string{"*"}, Strategy: s}))
		if err != nil {
			f.Fatal(err)
		}
		if plans[i], err = m.Plan(context.Background(), mask.Input{Columns: cols}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, s string, i int64, fl float64) {
		for k, p := range plans {
			row := []driver.Value{s, []byte(s), i, fl}
			if err := p.Apply(row); err != nil {
				t.Fatal(err)
			}
			if _, isNull := strategies[k].(interface{ String() string }); isNull && strategies[k].String() == "null" {
				continue
			}
			if _, ok := row[0].(string); !ok {
				t.Errorf("%s: string became %T", strategies[k], row[0])
			}
			if _, ok := row[1].([]byte); !ok {
				t.Errorf("%s: []byte became %T", strategies[k], row[1])
			}
			if _, ok := row[2].(int64); !ok {
				t.Errorf("%s: int64 became %T", strategies[k], row[2])
			}
			if _, ok := row[3].(float64); !ok {
				t.Errorf("%s: float64 became %T", strategies[k], row[3])
			}
		}
	})
}

// One Masker serves many goroutines at once; each plan is its own.
func TestConcurrentPlans(t *testing.T) {
	m, err := mask.New(mask.WithKey(testKey), mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Tokenize()},
		mask.Rule{Name: "notes", Columns: []string{"notes"}, Detect: []string{"EMAIL_ADDRESS"}, Strategy: mask.Partial(1, 1)},
	))
	if err != nil {
		t.Fatal(err)
	}
	cols := []mask.Column{attributed("email"), attributed("notes")}
	var wg sync.WaitGroup
	tokens := make([]driver.Value, 8)
	for g := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := m.Plan(identity.NewContext(context.Background(), identity.Identity{Subject: "x"}), mask.Input{Columns: cols})
			if err != nil {
				t.Error(err)
				return
			}
			for range 200 {
				row := []driver.Value{[]byte("alice@example.com"), "write to bob@example.com"}
				if err := p.Apply(row); err != nil {
					t.Error(err)
					return
				}
				tokens[g] = row[0]
			}
			_ = m.RedactError(&pq.Error{Detail: "Key (email)=(alice@example.com) already exists."})
		}()
	}
	wg.Wait()
	for _, tok := range tokens[1:] {
		if string(tok.([]byte)) != string(tokens[0].([]byte)) {
			t.Errorf("goroutines gave different tokens: %s and %s", tok, tokens[0])
		}
	}
}
