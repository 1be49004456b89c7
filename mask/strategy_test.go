package mask_test

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/mask"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// maskOne masks v in a one-column result set named "c" with s.
func maskOne(t *testing.T, s mask.Strategy, v driver.Value) driver.Value {
	t.Helper()
	m, err := mask.New(mask.WithKey(testKey), mask.WithRules(mask.Rule{Name: "r", Columns: []string{"c"}, Strategy: s}))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p, err := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{{Name: "c", Attributed: true}}})
	if err != nil || p == nil {
		t.Fatalf("Plan = %v, %v; want a plan", p, err)
	}
	row := []driver.Value{v}
	if err := p.Apply(row); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return row[0]
}

type myInt int32
type myString string

func TestStrategies(t *testing.T) {
	when := time.Date(1984, 7, 23, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		s    mask.Strategy
		give driver.Value
		want driver.Value
	}{
		{"redact string", mask.Redact(), "alice", "****"},
		{"redact bytes", mask.Redact(), []byte("alice"), []byte("****")},
		{"redact int", mask.Redact(), int64(42), int64(0)},
		{"redact float", mask.Redact(), 4.2, 0.0},
		{"redact bool", mask.Redact(), true, false},
		{"redact time", mask.Redact(), when, time.Unix(0, 0).UTC()},
		{"redact nil", mask.Redact(), nil, nil},
		{"redact with", mask.RedactWith("[x]"), "alice", "[x]"},
		{"redact named int", mask.Redact(), myInt(7), myInt(0)},
		{"redact named string", mask.Redact(), myString("secret"), myString("****")},
		{"redact uint64", mask.Redact(), uint64(99), uint64(0)},
		{"redact other type", mask.Redact(), struct{ A int }{1}, "****"},
		{"redact float32", mask.Redact(), float32(1.5), float32(0)},
		{"redact named bytes", mask.Redact(), json.RawMessage(`"x"`), json.RawMessage("****")},
		{"null string", mask.Null(), "alice", nil},
		{"null int", mask.Null(), int64(1), nil},
		{"partial card", mask.Partial(0, 4), "4111111111111111", "************1111"},
		{"partial first last", mask.Partial(2, 2), "abcdefgh", "ab****gh"},
		{"partial short", mask.Partial(2, 2), "abcd", "****"},
		{"partial unicode", mask.Partial(1, 1), "Zoë Ünal", "Z******l"},
		{"partial bytes", mask.Partial(0, 4), []byte("4111111111111111"), []byte("************1111")},
		{"partial bytes short", mask.Partial(2, 2), []byte("abc"), []byte("***")},
		{"partial bytes unicode", mask.Partial(1, 1), []byte("Zoë Ünal"), []byte("Z******l")},
		{"partial int", mask.Partial(0, 2), int64(123456), int64(100056)},
		{"partial negative int", mask.Partial(1, 1), int64(-98765), int64(-90005)},
		{"partial float", mask.Partial(1, 1), 3.14, 0.0},
		{"email", mask.Email(), "alice@example.com", "****@example.com"},
		{"email bytes", mask.Email(), []byte("bob@corp.example"), []byte("****@corp.example")},
		{"email not an address", mask.Email(), "not an email", "****"},
		{"email bytes not an address", mask.Email(), []byte("a@b c"), []byte("****")},
		{"email int", mask.Email(), int64(5), int64(0)},
		{"fixed string", mask.Fixed("n/a"), "alice", "n/a"},
		{"fixed string on bytes", mask.Fixed("n/a"), []byte("alice"), []byte("n/a")},
		{"fixed int", mask.Fixed(7), int64(42), int64(7)},
		{"fixed int on string", mask.Fixed(7), "42", "7"},
		{"fixed int on float", mask.Fixed(7), 4.2, 7.0},
		{"fixed word on int", mask.Fixed("n/a"), int64(42), int64(0)},
		{"fixed time", mask.Fixed(when), time.Now(), when},
		{"date month", mask.GeneralizeDate(mask.Month), when, time.Date(1984, 7, 1, 0, 0, 0, 0, time.UTC)},
		{"date year", mask.GeneralizeDate(mask.Year), when, time.Date(1984, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"date string", mask.GeneralizeDate(mask.Month), "1984-07-23", "1984-07-01"},
		{"date bytes", mask.GeneralizeDate(mask.Year), []byte("1984-07-23 10:30:00"), []byte("1984-01-01 00:00:00")},
		{"date rfc3339", mask.GeneralizeDate(mask.Month), "1984-07-23T10:30:00Z", "1984-07-01T00:00:00Z"},
		{"date unparseable", mask.GeneralizeDate(mask.Month), "soon", "****"},
		{"date with zone", mask.GeneralizeDate(mask.Month), "1984-07-23 10:30:00+05:30", "1984-07-01 00:00:00+05:30"},
		{"date int", mask.GeneralizeDate(mask.Year), int64(1984), int64(0)},
		{"number int", mask.GeneralizeNumber(10), int64(37), int64(30)},
		{"number negative", mask.GeneralizeNumber(10), int64(-3), int64(-10)},
		{"number float", mask.GeneralizeNumber(0.5), 3.7, 3.5},
		{"number string", mask.GeneralizeNumber(1000), "52345", "52000"},
		{"number bad string", mask.GeneralizeNumber(1000), "lots", "****"},
		{"json", mask.JSON(mask.Field("ssn", mask.Redact()), mask.Field("contact.email", mask.Email())),
			`{"name":"Al","ssn":"123-45-6789","contact":{"email":"al@x.org","phone":"555"}}`,
			`{"contact":{"email":"****@x.org","phone":"555"},"name":"Al","ssn":"****"}`},
		{"json wildcard", mask.JSON(mask.Field("$.cards.*.number", mask.Partial(0, 4))),
			[]byte(`{"cards":[{"number":"4111111111111111"},{"number":"5500000000000004"}]}`),
			[]byte(`{"cards":[{"number":"************1111"},{"number":"************0004"}]}`)},
		{"json number and object", mask.JSON(mask.Field("age", mask.GeneralizeNumber(10)), mask.Field("addr", mask.Redact())),
			`{"age":37,"addr":{"city":"Paris"}}`, `{"addr":"****","age":30}`},
		{"json invalid", mask.JSON(mask.Field("a", mask.Redact())), `{"a":"secret"`, `null`},
		{"json trailing", mask.JSON(mask.Field("a", mask.Redact())), `{"a":1} {"a":"secret"}`, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := maskOne(t, tt.s, tt.give)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v (%T), want %#v (%T)", got, got, tt.want, tt.want)
			}
		})
	}
}

func TestKeyedStrategies(t *testing.T) {
	tests := []struct {
		name string
		s    mask.Strategy
		give driver.Value
	}{
		{"tokenize string", mask.Tokenize(), "alice@example.com"},
		{"tokenize bytes", mask.Tokenize(), []byte("alice@example.com")},
		{"tokenize int", mask.Tokenize(), int64(123456789)},
		{"tokenize float", mask.Tokenize(), 12.5},
		{"tokenize time", mask.Tokenize(), time.Date(1984, 7, 23, 0, 0, 0, 0, time.UTC)},
		{"tokenize bool", mask.Tokenize(), true},
		{"digits string", mask.Digits(4), "+1 (555) 123-4567"},
		{"digits int", mask.Digits(0), int64(987654321)},
		{"digits float", mask.Digits(0), 1234.5678},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := maskOne(t, tt.s, tt.give)
			b := maskOne(t, tt.s, tt.give)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("same input gave %#v then %#v; want equal", a, b)
			}
			if reflect.TypeOf(a) != reflect.TypeOf(tt.give) {
				t.Errorf("got type %T, want %T", a, tt.give)
			}
			if _, isBool := tt.give.(bool); !isBool && reflect.DeepEqual(a, tt.give) {
				t.Errorf("got %#v, the clear value", a)
			}
		})
	}
	t.Run("digits keep format", func(t *testing.T) {
		got := maskOne(t, mask.Digits(4), "+1 (555) 123-4567").(string)
		if len(got) != len("+1 (555) 123-4567") || !strings.HasSuffix(got, "4567") || got[0] != '+' || got[3] != '(' {
			t.Errorf("got %q, want the format of +1 (555) 123-4567 ending in 4567", got)
		}
	})
	t.Run("digits int keeps length", func(t *testing.T) {
		got := maskOne(t, mask.Digits(0), int64(987654321)).(int64)
		if got < 100000000 || got > 999999999 {
			t.Errorf("got %d, want nine digits", got)
		}
	})
	t.Run("tokens differ by value and key", func(t *testing.T) {
		a := maskOne(t, mask.Tokenize(), "alice")
		b := maskOne(t, mask.Tokenize(), "bob")
		if a == b {
			t.Errorf("alice and bob both gave %v", a)
		}
		m, err := mask.New(mask.WithKey([]byte("another key of sixteen+ bytes")), mask.WithRules(mask.Rule{Name: "r", Columns: []string{"c"}, Strategy: mask.Tokenize()}))
		if err != nil {
			t.Fatal(err)
		}
		p, _ := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{{Name: "c", Attributed: true}}})
		row := []driver.Value{"alice"}
		_ = p.Apply(row)
		if row[0] == a {
			t.Errorf("two keys gave the same token %v", a)
		}
	})
	t.Run("tokens of string and []byte agree", func(t *testing.T) {
		s := maskOne(t, mask.Tokenize(), "alice").(string)
		b := maskOne(t, mask.Tokenize(), []byte("alice")).([]byte)
		if s != string(b) {
			t.Errorf("string gave %q, []byte %q", s, b)
		}
	})
	t.Run("json tokenize", func(t *testing.T) {
		got := maskOne(t, mask.JSON(mask.Field("id", mask.Tokenize())), `{"id":"u-1"}`).(string)
		var doc map[string]string
		if err := json.Unmarshal([]byte(got), &doc); err != nil || !strings.HasPrefix(doc["id"], "tok_") {
			t.Errorf("got %s (%v), want a token for id", got, err)
		}
	})
}

// A masked []byte is a new slice: the driver's buffer is never written.
func TestBytesNotWrittenInPlace(t *testing.T) {
	for _, s := range []mask.Strategy{mask.Redact(), mask.Partial(1, 1), mask.Email(), mask.Tokenize(), mask.Digits(2), mask.GeneralizeDate(mask.Year), mask.JSON(mask.Field("a", mask.Redact()))} {
		t.Run(s.String(), func(t *testing.T) {
			buf := []byte("alice@example.com 2024-01-02 123")
			orig := string(buf)
			got := maskOne(t, s, buf)
			if string(buf) != orig {
				t.Errorf("driver buffer changed to %q", buf)
			}
			g, ok := got.([]byte)
			if !ok || (len(g) > 0 && &g[0] == &buf[0]) {
				t.Errorf("got %T sharing the driver's buffer; want a new []byte", got)
			}
			// Appending to one masked value never writes into another.
			m, err := mask.New(mask.WithKey(testKey), mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a", "b"}, Strategy: s}))
			if err != nil {
				t.Fatal(err)
			}
			p, _ := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{attributed("a"), attributed("b")}})
			row := []driver.Value{[]byte(orig), []byte(orig + "x")}
			_ = p.Apply(row)
			second := string(row[1].([]byte))
			first := row[0].([]byte)
			_ = append(first, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"...)
			if string(row[1].([]byte)) != second {
				t.Errorf("appending to one masked value changed the next from %q to %q", second, row[1])
			}
		})
	}
}
