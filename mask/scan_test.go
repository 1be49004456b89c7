package mask_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/mask"
)

// upper is a custom sql.Scanner.
type upper struct{ s string }

func (u *upper) Scan(v any) error {
	switch x := v.(type) {
	case string:
		u.s = x
	case []byte:
		u.s = string(x)
	case nil:
		u.s = ""
	default:
		return fmt.Errorf("upper: cannot scan %T", v)
	}
	return nil
}

// Masked values scan into the caller's variables as clear values do.
func TestScanAfterMasking(t *testing.T) {
	born := time.Date(1984, 7, 23, 10, 30, 0, 0, time.UTC)
	table := &fakeTable{
		cols: []mask.Column{
			attributed("email"), attributed("raw"), attributed("nick"), attributed("phone"),
			attributed("salary"), attributed("score"), attributed("born"), attributed("custom"), attributed("gone"),
		},
		rows: [][]driver.Value{
			{"alice@example.com", []byte("4111111111111111"), "ally", []byte("+1 555 0100"), int64(52345), 97.25, born, "secret", nil},
			{"bob@example.org", []byte("5500000000000004"), nil, []byte("+1 555 0199"), int64(61000), 12.5, born.AddDate(1, 1, 1), "hidden", nil},
		},
	}
	m, err := mask.New(mask.WithKey(testKey), mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email()},
		mask.Rule{Name: "raw", Columns: []string{"raw"}, Strategy: mask.Partial(0, 4)},
		mask.Rule{Name: "nick", Columns: []string{"nick"}, Strategy: mask.Redact()},
		mask.Rule{Name: "phone", Columns: []string{"phone"}, Strategy: mask.Digits(2)},
		mask.Rule{Name: "salary", Columns: []string{"salary"}, Strategy: mask.GeneralizeNumber(10000)},
		mask.Rule{Name: "score", Columns: []string{"score"}, Strategy: mask.Tokenize()},
		mask.Rule{Name: "born", Columns: []string{"born"}, Strategy: mask.GeneralizeDate(mask.Year)},
		mask.Rule{Name: "custom", Columns: []string{"custom"}, Strategy: mask.Redact()},
		mask.Rule{Name: "gone", Columns: []string{"gone"}, Strategy: mask.Null()},
	))
	if err != nil {
		t.Fatal(err)
	}
	db := openFake(t, table, m)
	rows, err := db.QueryContext(context.Background(), "SELECT …")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var (
		email  string
		raw    sql.RawBytes
		nick   sql.NullString
		phone  []byte
		salary int64
		score  float64
		bornAt time.Time
		custom upper
		gone   sql.NullString
		raws   []string
	)
	n := 0
	for rows.Next() {
		if err := rows.Scan(&email, &raw, &nick, &phone, &salary, &score, &bornAt, &custom, &gone); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		raws = append(raws, string(raw))
		if n == 0 {
			if email != "****@example.com" || nick.String != "****" || !nick.Valid || salary != 50000 ||
				bornAt != time.Date(1984, 1, 1, 0, 0, 0, 0, time.UTC) || custom.s != "****" || gone.Valid {
				t.Errorf("row 0: got %q %q %v %d %v %q %v", email, nick.String, nick.Valid, salary, bornAt, custom.s, gone)
			}
			if len(phone) != len("+1 555 0100") || string(phone[len(phone)-2:]) != "00" || string(phone) == "+1 555 0100" {
				t.Errorf("row 0: phone %q", phone)
			}
			if score == 97.25 || score != float64(int64(score)) {
				t.Errorf("row 0: score %v, want an integral token", score)
			}
		} else if nick.Valid {
			t.Errorf("row 1: NULL nick became %q", nick.String)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("got %d rows, want 2", n)
	}
	if raws[0] != "************1111" || raws[1] != "************0004" {
		t.Errorf("RawBytes: got %q", raws)
	}
}
