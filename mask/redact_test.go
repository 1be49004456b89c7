package mask_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"

	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

func redactMasker(t *testing.T) *mask.Masker {
	t.Helper()
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email(), ExemptRoles: []string{"pii:read"}},
		mask.Rule{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact(), ExemptRoles: []string{"pii:read"}},
	))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// printed returns every way err may be printed or inspected.
func printed(err error) string {
	s := fmt.Sprintf("%v|%+v|%#v|%s|%q", err, err, err, err, err)
	var pe *pq.Error
	if errors.As(err, &pe) {
		s += "|" + pe.Detail + "|" + pe.Message + "|" + pe.ErrorWithDetail() + fmt.Sprintf("|%#v", pe)
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		s += "|" + pg.Detail + "|" + pg.Message + fmt.Sprintf("|%#v", pg)
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		s += "|" + me.Message
	}
	return s
}

func TestRedactError(t *testing.T) {
	m := redactMasker(t)
	tests := []struct {
		name   string
		give   error
		secret string
		keep   string // text that must survive
	}{
		{"pq unique", &pq.Error{Code: "23505", Message: `duplicate key value violates unique constraint "people_email_key"`, Detail: "Key (email)=(alice@example.com) already exists."}, "alice@example.com", "Key (email)=([redacted]) already exists."},
		{"pq unique expression", &pq.Error{Code: "23505", Message: "duplicate key", Detail: "Key (lower(email::text))=(alice@example.com) already exists."}, "alice@example.com", "already exists"},
		{"pq unique composite", &pq.Error{Code: "23505", Message: "duplicate key", Detail: "Key (tenant, ssn)=(7, 123-45-6789) already exists."}, "123-45-6789", "Key (tenant, ssn)="},
		{"pq value with parens", &pq.Error{Code: "23505", Message: "duplicate key", Detail: "Key (email)=(a) already exists (b)@x.org) already exists."}, "(b)@x.org", "already exists."},
		{"pq foreign key", &pq.Error{Code: "23503", Message: "insert or update violates foreign key constraint", Detail: `Key (email)=(bob@example.com) is not present in table "people".`}, "bob@example.com", `is not present in table "[redacted]"`},
		{"pq failing row", &pq.Error{Code: "23514", Message: `new row for relation "people" violates check constraint "c"`, Detail: "Failing row contains (1, Alice, alice@example.com, 123-45-6789)."}, "alice@example.com", "Failing row contains ([redacted])."},
		{"pq invalid input", &pq.Error{Code: "22P02", Message: `invalid input syntax for type integer: "123-45-6789"`}, "123-45-6789", "invalid input syntax for type integer"},
		{"mysql duplicate", &mysql.MySQLError{Number: 1062, SQLState: [5]byte{'2', '3', '0', '0', '0'}, Message: "Duplicate entry 'alice@example.com' for key 'email'"}, "alice@example.com", "Duplicate entry '[redacted]'"},
		{"mysql duplicate odd key", &mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'x' for key 'a' for key 'uniq_contact'"}, "x' for key 'a", "Error 1062"},
		{"mysql incorrect value", &mysql.MySQLError{Number: 1366, Message: "Incorrect integer value: 'alice@example.com' for column `t`.`people`.`age` at row 1"}, "alice@example.com", "Incorrect integer value: [redacted]"},
		// Every quoted span goes, whatever the message.
		{"pq regclass", &pq.Error{Code: "0A000", Message: `cross-database references are not implemented: "alice@example.com"`}, "alice@example.com", "not implemented: [redacted]"},
		{"pq unquoted after colon", &pq.Error{Code: "42601", Message: "improper relation name (too many dotted names): p01.leak@example.com"}, "p01.leak@example.com", "improper relation name (too many dotted names): [redacted]"},
		{"pq regproc", &pq.Error{Code: "42883", Message: `function "123-45-6789" does not exist`}, "123-45-6789", "does not exist"},
		{"pq setting", &pq.Error{Code: "42704", Message: `unrecognized configuration parameter "alice@example.com"`}, "alice@example.com", "unrecognized configuration parameter"},
		{"pq to_date piece", &pq.Error{Code: "22007", Message: `invalid value "ice@" for "YYYY"`, Detail: "Value must be an integer."}, "ice@", `invalid value "[redacted]"`},
		{"pq quote in value", &pq.Error{Code: "22007", Message: `invalid value "O"Br" for "YYYY"`}, "Br", "invalid value"},
		{"pq apostrophe in value", &pq.Error{Code: "42704", Message: `unrecognized configuration parameter "o'brien' x"`}, "brien", "unrecognized"},
		{"pq xml detail", &pq.Error{Code: "2200N", Message: "invalid XML document", Detail: "line 1: Start tag expected, '<' not found\nalice@example.com\n^"}, "alice@example.com", "invalid XML document"},
		{"pq json where", &pq.Error{Code: "22P02", Message: "invalid input syntax for type json", Detail: `Token "alice" is invalid.`, Where: "JSON data, line 1: alice..."}, "alice", "invalid input syntax for type json"},
		{"pq hint", &pq.Error{Code: "42703", Message: "x", Hint: `Perhaps you meant "alice@example.com".`}, "alice@example.com", "Perhaps you meant"},
		{"pgconn detail", &pgconn.PgError{Severity: "ERROR", Code: "2200N", Message: "invalid XML content", Detail: "alice@example.com", InternalQuery: "SELECT 'alice@example.com'"}, "alice@example.com", "SQLSTATE 2200N"},
		{"sqlite json path", errors.New("bad JSON path: 'alice@example.com'"), "alice@example.com", "bad JSON path: '[redacted]'"},
		{"detail label", errors.New("ERROR: x\nDETAIL: alice@example.com is bad"), "alice@example.com", "DETAIL: [redacted]"},
		{"key of any column", &pq.Error{Code: "23505", Message: "duplicate key", Detail: "Key (id)=(alice@example.com) already exists."}, "alice@example.com", "Key (id)=([redacted]) already exists."},
		{"wrapped text", fmt.Errorf("insert: %w", &mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'alice@example.com' for key 'email'"}), "alice@example.com", "insert: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.RedactError(tt.give)
			if !errors.Is(got, mask.ErrRedacted) {
				t.Fatalf("RedactError = %v; want ErrRedacted", got)
			}
			if p := printed(got); strings.Contains(p, tt.secret) {
				t.Errorf("printed error holds %q: %s", tt.secret, p)
			}
			if !strings.Contains(printed(got), tt.keep) {
				t.Errorf("printed error lost %q: %s", tt.keep, printed(got))
			}
			// A driver error keeps matching as its own type.
			switch tt.give.(type) {
			case *pq.Error, *pgconn.PgError, *mysql.MySQLError:
				if errors.Unwrap(got) == nil {
					t.Errorf("no redacted copy of %T: errors.As would fail", tt.give)
				}
			}
			var re *mask.RedactedError
			if !errors.As(got, &re) || re.Unredacted() != tt.give {
				t.Errorf("Unredacted does not return the original")
			}
		})
	}
}

func TestRedactErrorKeepsMatching(t *testing.T) {
	m := redactMasker(t)
	orig := &pq.Error{Code: "23505", Message: "duplicate key", Detail: "Key (email)=(alice@example.com) already exists.", Constraint: "people_email_key"}
	got := m.RedactError(orig)
	var pe *pq.Error
	if !errors.As(got, &pe) {
		t.Fatalf("errors.As(*pq.Error) failed on %v", got)
	}
	if pe == orig || pe.Code != "23505" || pe.Constraint != "people_email_key" || strings.Contains(pe.Detail, "alice") {
		t.Errorf("As gave %#v; want a redacted copy keeping Code and Constraint", pe)
	}
	if orig.Detail != "Key (email)=(alice@example.com) already exists." {
		t.Errorf("the original error was changed: %q", orig.Detail)
	}
	me := &mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'alice@example.com' for key 'email'"}
	if got := m.RedactError(me); !errors.Is(got, &mysql.MySQLError{Number: 1062}) {
		t.Errorf("errors.Is by MySQL number lost on %v", got)
	}
	// An error holding the value in an unexported field is not exposed.
	wrapped := fmt.Errorf("exec: %w", sql.ErrNoRows)
	hidden := fmt.Errorf("Duplicate entry 'alice@example.com' for key 'email': %w", wrapped)
	got = m.RedactError(hidden)
	if errors.Unwrap(got) != nil {
		t.Errorf("Unwrap = %v; want nil for an error that cannot be cleaned", errors.Unwrap(got))
	}
	if !errors.Is(got, sql.ErrNoRows) {
		t.Errorf("errors.Is(sql.ErrNoRows) lost")
	}
}

func TestRedactErrorLeavesOthers(t *testing.T) {
	m := redactMasker(t)
	for _, e := range []error{
		driver.ErrBadConn, driver.ErrSkip, io.EOF, context.Canceled, sql.ErrNoRows,
		&pq.Error{Code: "42601", Message: "syntax error at end of input", Position: "12"},
		errors.New("UNIQUE constraint failed: people.email"),
	} {
		if got := m.RedactError(e); got != e {
			t.Errorf("RedactError(%v) = %v; want the same error", e, got)
		}
	}
	if got := m.RedactError(nil); got != nil {
		t.Errorf("RedactError(nil) = %v", got)
	}
}

func TestRedactErrorFor(t *testing.T) {
	m := redactMasker(t)
	e := &pq.Error{Code: "23505", Message: "duplicate key", Detail: "Key (email)=(alice@example.com) already exists."}
	if got := m.RedactErrorFor(identity.Identity{Roles: []string{"pii:read"}}, false, e); got != e {
		t.Errorf("exempt reader: got %v; want the original", got)
	}
	if got := m.RedactErrorFor(identity.Identity{Roles: []string{"pii:read"}, Untrusted: true}, false, e); got == e {
		t.Errorf("untrusted reader: got the original")
	}
	if got := m.RedactErrorFor(identity.Identity{}, true, e); got != e {
		t.Errorf("unmask granted: got %v; want the original", got)
	}
	if got := m.RedactErrorFor(identity.Identity{}, false, e); got == e {
		t.Errorf("anonymous reader: got the original")
	}
}

// BenchmarkRedactError measures redacting a driver error for a masked
// reader (a copy, reflection over its fields) and passing one through for
// an exempt reader.
func BenchmarkRedactError(b *testing.B) {
	m, err := mask.New(mask.WithRules(mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email(), ExemptRoles: []string{"pii:read"}}))
	if err != nil {
		b.Fatal(err)
	}
	e := &pq.Error{Code: "23505", Message: `duplicate key value violates unique constraint "people_email_key"`, Detail: "Key (email)=(alice@example.com) already exists.", Constraint: "people_email_key"}
	b.Run("masked", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if m.RedactErrorFor(identity.Identity{}, false, e) == error(e) {
				b.Fatal("not redacted")
			}
		}
	})
	b.Run("exempt", func(b *testing.B) {
		id := identity.Identity{Roles: []string{"pii:read"}}
		b.ReportAllocs()
		for b.Loop() {
			if m.RedactErrorFor(id, false, e) != error(e) {
				b.Fatal("redacted")
			}
		}
	})
}

// TestRedactErrorKeepsNames: a quoted span that holds only names — those
// the statement wrote, those the error's name fields carry, MySQL's key
// name — is kept; one value in a span redacts all of it.
func TestRedactErrorKeepsNames(t *testing.T) {
	m := redactMasker(t)
	dev := identity.Identity{Kind: identity.KindUser, Subject: "dev"}
	tests := []struct {
		name   string
		give   error
		keep   []string
		want   string // the redacted text
		secret string // must not appear anywhere
	}{
		{"misspelt column", &pq.Error{Code: "42703", Message: `column "emial" does not exist`}, []string{"SELECT", "emial", "FROM", "people"},
			`pq: column "emial" does not exist (42703)`, ""},
		{"not written", &pq.Error{Code: "42703", Message: `column "emial" does not exist`}, []string{"SELECT", "email"},
			`pq: column "[redacted]" does not exist (42703)`, "emial"},
		{"constraint field", &pq.Error{Code: "23505", Message: `duplicate key value violates unique constraint "items_sku_key"`, Detail: "Key (sku)=(sku-1) already exists.", Constraint: "items_sku_key"}, nil,
			`pq: duplicate key value violates unique constraint "items_sku_key" (23505)`, "sku-1"},
		{"mysql names and phrase", &mysql.MySQLError{Number: 1054, Message: "Unknown column 'emial' in 'field list'"}, []string{"emial"},
			"Error 1054: Unknown column 'emial' in 'field list'", ""},
		{"mysql duplicate key", &mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'alice@example.com' for key 'email'"}, nil,
			"Error 1062: Duplicate entry '[redacted]' for key 'email'", "alice@example.com"},
		{"mysql duplicate key forged", &mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'x' for key 'y' for key 'email'"}, nil,
			"Error 1062: Duplicate entry '[redacted]' for key 'email'", "for key 'y"},
		{"name beside a value", &mysql.MySQLError{Number: 1292, Message: "Truncated incorrect DOUBLE value: 'alice@example.com' in 'email'"}, []string{"email"},
			"", "alice@example.com"},
		{"mysql qualified name and a contraction", &mysql.MySQLError{Number: 1146, Message: "Table 'test.peple' doesn't exist"}, []string{"SELECT", "peple", "test"},
			"Error 1146: Table 'test.peple' doesn't exist", ""},
		{"qualified name not written", &mysql.MySQLError{Number: 1146, Message: "Table 'test.secret' doesn't exist"}, []string{"SELECT", "peple", "test"},
			"Error 1146: Table '[redacted]' doesn't exist", "secret"},
		{"apostrophe of a value", &mysql.MySQLError{Number: 1146, Message: "Table 'o'brien' doesn't exist"}, []string{"SELECT"},
			"", "brien"},
		{"pg relation exists", &pq.Error{Code: "42P07", Message: `relation "loot" already exists`}, []string{"CREATE", "TABLE", "loot"},
			`pq: relation "loot" already exists (42P07)`, ""},
	}
	for _, tt := range tests {
		err := m.RedactErrorFor(dev, false, tt.give, tt.keep...)
		if tt.want != "" && err.Error() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, err.Error(), tt.want)
		}
		if tt.secret != "" && strings.Contains(printed(err), tt.secret) {
			t.Errorf("%s: %q left in %s", tt.name, tt.secret, printed(err))
		}
	}
	// The constraint field survives, so errors.As finds a usable *pq.Error.
	err := m.RedactErrorFor(dev, false, tests[2].give)
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Constraint != "items_sku_key" || pe.Code != "23505" {
		t.Errorf("errors.As(*pq.Error): %v %+v", err, pe)
	}
}
