package mask_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

func TestNewRefusesBadConfig(t *testing.T) {
	ok := mask.Rule{Name: "ok", Columns: []string{"email"}, Strategy: mask.Redact()}
	tests := []struct {
		name string
		give []mask.Option
	}{
		{"no name", []mask.Option{mask.WithRules(mask.Rule{Columns: []string{"a"}, Strategy: mask.Redact()})}},
		{"no strategy", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a"}})}},
		{"no selector", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Strategy: mask.Redact()})}},
		{"duplicate name", []mask.Option{mask.WithRules(ok, ok)}},
		{"bad glob", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a["}, Strategy: mask.Redact()})}},
		{"empty table", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{".a"}, Strategy: mask.Redact()})}},
		{"tokenize without key", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a"}, Strategy: mask.Tokenize()})}},
		{"digits without key", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a"}, Strategy: mask.Digits(4)})}},
		{"json tokenize without key", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a"}, Strategy: mask.JSON(mask.Field("x", mask.Tokenize()))})}},
		{"short key", []mask.Option{mask.WithKey([]byte("short")), mask.WithRules(ok)}},
		{"fixed of a bad type", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a"}, Strategy: mask.Fixed(struct{}{})})}},
		{"zero step", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a"}, Strategy: mask.GeneralizeNumber(0)})}},
		{"json no field", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a"}, Strategy: mask.JSON()})}},
		{"json empty segment", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a"}, Strategy: mask.JSON(mask.Field("a..b", mask.Redact()))})}},
		{"json nil strategy", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a"}, Strategy: mask.JSON(mask.Field("a", nil))})}},
		{"min score", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Detect: []string{"US_SSN"}, MinScore: 2, Strategy: mask.Redact()})}},
		{"empty purpose", []mask.Option{mask.WithRules(mask.Rule{Name: "r", Columns: []string{"a"}, Purposes: []string{""}, Strategy: mask.Redact()})}},
		{"unknown mode", []mask.Option{mask.WithUnattributed(9), mask.WithRules(ok)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mask.New(tt.give...)
			if !errors.Is(err, mask.ErrConfig) {
				t.Errorf("New = %v, %v; want an error matching ErrConfig", m, err)
			}
		})
	}
}

func TestNilMaskerAndPlan(t *testing.T) {
	var m *mask.Masker
	p, err := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{{Name: "email"}}})
	if p != nil || err != nil {
		t.Errorf("nil Masker: Plan = %v, %v; want nil, nil", p, err)
	}
	if err := p.Apply([]driver.Value{"x"}); err != nil {
		t.Errorf("nil Plan: Apply = %v", err)
	}
	if r := p.Report(); r != nil {
		t.Errorf("nil Plan: Report = %v", r)
	}
	e := errors.New("boom")
	if got := m.RedactError(e); got != e {
		t.Errorf("nil Masker: RedactError changed the error")
	}
}

func attributed(name string, sources ...string) mask.Column {
	return mask.Column{Name: name, Sources: sources, Attributed: true}
}

// maskedColumns plans cols for in and returns which columns it masks.
func maskedColumns(t *testing.T, m *mask.Masker, in mask.Input) ([]string, error) {
	t.Helper()
	p, err := m.Plan(context.Background(), in)
	if err != nil || p == nil {
		return nil, err
	}
	row := make([]driver.Value, len(in.Columns))
	for i := range row {
		row[i] = "clear"
	}
	if err := p.Apply(row); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var out []string
	for i, v := range row {
		if v != "clear" {
			out = append(out, in.Columns[i].Name)
		}
	}
	return out, nil
}

func TestPlanSelection(t *testing.T) {
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Redact()},
		mask.Rule{Name: "ssn", Columns: []string{"*_ssn", "ssn"}, Strategy: mask.Redact()},
		mask.Rule{Name: "phone", NamePattern: regexp.MustCompile(`^(mobile|phone)(_\w+)?$`), Strategy: mask.Redact()},
		mask.Rule{Name: "card", Columns: []string{"billing.cards.number"}, Strategy: mask.Redact()},
		mask.Rule{Name: "note", Columns: []string{"people.note"}, Strategy: mask.Redact()},
	))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		give []mask.Column
		want []string
	}{
		{"exact", []mask.Column{attributed("id", "people.id"), attributed("email", "people.email")}, []string{"email"}},
		{"case", []mask.Column{attributed("EMAIL", "PEOPLE.EMAIL")}, []string{"EMAIL"}},
		{"glob", []mask.Column{attributed("tax_ssn", "people.tax_ssn"), attributed("ssn_x", "people.ssn_x")}, []string{"tax_ssn"}},
		{"regexp", []mask.Column{attributed("phone_home"), attributed("phones")}, []string{"phone_home"}},
		{"alias", []mask.Column{attributed("e", "people.email")}, []string{"e"}},
		{"expression", []mask.Column{{Name: "lower", Sources: []string{"people.email"}, Expr: true, Attributed: true}}, []string{"lower"}},
		{"concat", []mask.Column{{Name: "concat", Sources: []string{"people.name", "people.email"}, Expr: true, Attributed: true}}, []string{"concat"}},
		{"substr", []mask.Column{{Name: "substr", Sources: []string{"ssn"}, Expr: true, Attributed: true}}, []string{"substr"}},
		{"count star", []mask.Column{{Name: "count", Expr: true, Attributed: true}}, nil},
		{"table scoped", []mask.Column{attributed("number", "cards.number"), attributed("number", "orders.number")}, []string{"number"}},
		{"table scoped schema", []mask.Column{attributed("n", "billing.cards.number"), attributed("n2", "public.cards.number")}, []string{"n"}},
		{"table scoped unqualified source", []mask.Column{attributed("note", "note")}, []string{"note"}},
		{"table scoped by Table", []mask.Column{{Name: "note", Table: "people", Attributed: true}}, []string{"note"}},
		{"table scoped other table", []mask.Column{{Name: "note", Table: "orders", Attributed: true}}, nil},
		{"output name of another table's column", []mask.Column{attributed("note", "orders.note")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := maskedColumns(t, m, mask.Input{Columns: tt.give})
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("masked %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPlanUnattributed(t *testing.T) {
	nameOnly := mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Redact()}
	scoped := mask.Rule{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact(), ExemptRoles: []string{"hr"}}
	unknown := []mask.Column{{Name: "x"}, {Name: "email"}}
	tests := []struct {
		name    string
		mode    mask.Unattributed
		rules   []mask.Rule
		give    []mask.Column
		id      identity.Identity
		want    []string
		wantErr bool
	}{
		{"names only: by name", mask.UnattributedRefuseScoped, []mask.Rule{nameOnly}, unknown, identity.Identity{}, []string{"email"}, false},
		{"scoped: refused", mask.UnattributedRefuseScoped, []mask.Rule{nameOnly, scoped}, unknown, identity.Identity{}, nil, true},
		{"scoped, exempt reader", mask.UnattributedRefuseScoped, []mask.Rule{nameOnly, scoped}, unknown, identity.Identity{Roles: []string{"hr"}}, []string{"email"}, false},
		{"scoped, column part matches name", mask.UnattributedRefuseScoped, []mask.Rule{scoped}, []mask.Column{{Name: "ssn"}}, identity.Identity{}, []string{"ssn"}, false},
		{"by name: scoped masks by column part", mask.UnattributedByName, []mask.Rule{nameOnly, scoped}, []mask.Column{{Name: "x"}, {Name: "ssn"}}, identity.Identity{}, []string{"ssn"}, false},
		{"refuse: names only", mask.UnattributedRefuse, []mask.Rule{nameOnly}, unknown, identity.Identity{}, nil, true},
		{"refuse: all masked", mask.UnattributedRefuse, []mask.Rule{nameOnly}, []mask.Column{{Name: "email"}}, identity.Identity{}, []string{"email"}, false},
		// An exempt name rule must not let an unattributed column through
		// when a scoped rule is in force: x could be people.ssn.
		{"exempt name rule, scoped in force", mask.UnattributedRefuseScoped, []mask.Rule{{Name: "x", Columns: []string{"x"}, Strategy: mask.Redact(), ExemptRoles: []string{"a"}}, scoped}, []mask.Column{{Name: "x"}}, identity.Identity{Roles: []string{"a"}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mask.New(mask.WithUnattributed(tt.mode), mask.WithRules(tt.rules...))
			if err != nil {
				t.Fatal(err)
			}
			got, err := maskedColumns(t, m, mask.Input{Identity: tt.id, Columns: tt.give})
			if tt.wantErr {
				var ue *mask.UnattributedError
				if !errors.Is(err, mask.ErrUnattributed) || !errors.As(err, &ue) {
					t.Fatalf("Plan error = %v; want ErrUnattributed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("masked %v, want %v", got, tt.want)
			}
		})
	}
}

// The default fails closed: with name rules alone, a column the analyser
// could not attribute (a whole row, a user function's result) is refused,
// not returned in clear under a name no rule matches.
func TestPlanUnattributedDefaultRefuses(t *testing.T) {
	m, err := mask.New(mask.WithRules(mask.Rule{Name: "ssn", Columns: []string{"ssn"}, Strategy: mask.Redact(), ExemptRoles: []string{"hr"}}))
	if err != nil {
		t.Fatal(err)
	}
	whole := []mask.Column{{Name: "p"}}
	if _, err := m.Plan(context.Background(), mask.Input{Columns: whole}); !errors.Is(err, mask.ErrUnattributed) {
		t.Fatalf("Plan error = %v; want ErrUnattributed", err)
	}
	if _, err := m.Plan(context.Background(), mask.Input{Identity: identity.Identity{Roles: []string{"hr"}}, Columns: whole}); err != nil {
		t.Fatalf("exempt reader: Plan error = %v; want none", err)
	}
}

func TestPlanWhoSees(t *testing.T) {
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Redact(), ExemptRoles: []string{"pii:read"}},
		mask.Rule{Name: "ssn", Columns: []string{"ssn"}, Strategy: mask.Redact(), ExemptRoles: []string{"hr"}, Purposes: []string{"payroll"}},
		mask.Rule{Name: "note", Columns: []string{"note"}, Strategy: mask.Redact(), Purposes: []string{"support case"}},
		mask.Rule{Name: "card", Columns: []string{"card"}, Strategy: mask.Redact(), ExemptRoles: []string{"pii:read"}, NeverUnmask: true},
	))
	if err != nil {
		t.Fatal(err)
	}
	cols := []mask.Column{attributed("email"), attributed("ssn"), attributed("note"), attributed("card")}
	all := []string{"email", "ssn", "note", "card"}
	tests := []struct {
		name   string
		id     identity.Identity
		unmask bool
		want   []string
	}{
		{"anonymous", identity.Identity{}, false, all},
		{"pii reader", identity.Identity{Roles: []string{"pii:read"}}, false, []string{"ssn", "note"}},
		{"untrusted pii reader", identity.Identity{Roles: []string{"pii:read"}, Untrusted: true}, false, all},
		{"hr without purpose", identity.Identity{Roles: []string{"hr"}}, false, all},
		{"hr for payroll", identity.Identity{Roles: []string{"hr"}, Purpose: "payroll"}, false, []string{"email", "note", "card"}},
		{"support case", identity.Identity{Purpose: "support case"}, false, []string{"email", "ssn", "card"}},
		{"untrusted support case", identity.Identity{Purpose: "support case", Untrusted: true}, false, all},
		{"unmask granted", identity.Identity{}, true, []string{"card"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := maskedColumns(t, m, mask.Input{Identity: tt.id, Columns: cols, Unmask: tt.unmask})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("masked %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFirstRuleDecides(t *testing.T) {
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "work email", Columns: []string{"work_email"}, Strategy: mask.Redact(), ExemptRoles: []string{"staff"}},
		mask.Rule{Name: "emails", Columns: []string{"*email"}, Strategy: mask.Email()},
	))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := maskedColumns(t, m, mask.Input{Identity: identity.Identity{Roles: []string{"staff"}}, Columns: []mask.Column{attributed("work_email"), attributed("email")}})
	if want := []string{"email"}; !reflect.DeepEqual(got, want) {
		t.Errorf("masked %v, want %v", got, want)
	}
}

func TestApplyAndReport(t *testing.T) {
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email()},
		mask.Rule{Name: "ssn", Columns: []string{"ssn"}, Strategy: mask.Redact()},
	))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{attributed("id"), attributed("email"), attributed("ssn")}})
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]driver.Value{
		{int64(1), "alice@example.com", "123-45-6789"},
		{int64(2), nil, "987-65-4321"},
	}
	for _, r := range rows {
		if err := p.Apply(r); err != nil {
			t.Fatal(err)
		}
	}
	if rows[1][1] != nil {
		t.Errorf("NULL became %v", rows[1][1])
	}
	want := []mask.Masked{
		{Column: "email", Rule: "email", Strategy: "email", Count: 1},
		{Column: "ssn", Rule: "ssn", Strategy: "redact", Count: 2},
	}
	if got := p.Report(); !reflect.DeepEqual(got, want) {
		t.Errorf("Report = %+v, want %+v", got, want)
	}
	if err := p.Apply([]driver.Value{int64(1)}); !errors.Is(err, mask.ErrRowShape) {
		t.Errorf("Apply of a short row = %v; want ErrRowShape", err)
	}
}

func TestPlanNilWhenNothingMasked(t *testing.T) {
	m, err := mask.New(mask.WithRules(mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Redact(), ExemptRoles: []string{"pii:read"}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []mask.Input{
		{Columns: []mask.Column{attributed("id"), attributed("name")}},
		{Identity: identity.Identity{Roles: []string{"pii:read"}}, Columns: []mask.Column{attributed("email")}},
		{Unmask: true, Columns: []mask.Column{attributed("email")}},
	} {
		if p, err := m.Plan(context.Background(), in); p != nil || err != nil {
			t.Errorf("Plan(%+v) = %v, %v; want nil, nil", in, p, err)
		}
	}
}

func TestUnmaskRequest(t *testing.T) {
	ctx := context.Background()
	if mask.UnmaskRequested(ctx) {
		t.Error("a bare context asks to unmask")
	}
	if !mask.UnmaskRequested(mask.RequestUnmask(ctx)) {
		t.Error("RequestUnmask is not seen")
	}
}

func TestReportHoldsNoValue(t *testing.T) {
	m, err := mask.New(mask.WithRules(mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Partial(1, 1)}))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{attributed("email")}})
	_ = p.Apply([]driver.Value{"alice@example.com"})
	for _, r := range p.Report() {
		if s := r.Column + r.Rule + r.Strategy; strings.Contains(s, "alice") {
			t.Errorf("report %+v holds the value", r)
		}
	}
}

// A strategy that keeps part of a value is replaced by Redact on a computed,
// aliased or unattributed column: reverse(email) under Email would show the
// local part.
func TestExpressionsMaskedWhole(t *testing.T) {
	m, err := mask.New(mask.WithKey(testKey), mask.WithUnattributed(mask.UnattributedByName), mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email()},
		mask.Rule{Name: "phone", Columns: []string{"phone"}, Strategy: mask.Partial(0, 2)},
		mask.Rule{Name: "id", Columns: []string{"customer"}, Strategy: mask.Tokenize()},
	))
	if err != nil {
		t.Fatal(err)
	}
	cols := []mask.Column{
		attributed("email", "people.email"),
		{Name: "reverse", Sources: []string{"people.email"}, Expr: true, Attributed: true},
		{Name: "phone"},
		{Name: "c", Sources: []string{"people.customer"}, Expr: true, Attributed: true},
		attributed("contact", "people.email"),
	}
	p, err := m.Plan(context.Background(), mask.Input{Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	row := []driver.Value{"al@example.com", "moc.elpmaxe@la", "+1 555 0100", "C-1", "al@example.com"}
	if err := p.Apply(row); err != nil {
		t.Fatal(err)
	}
	if row[0] != "****@example.com" || row[1] != "****" || row[2] != "****" || !strings.HasPrefix(row[3].(string), "tok_") || row[4] != "****" {
		t.Errorf("got %q", row)
	}
	var strategies []string
	for _, r := range p.Report() {
		strategies = append(strategies, r.Strategy)
	}
	if want := []string{"email", "redact", "redact", "tokenize", "redact"}; !reflect.DeepEqual(strategies, want) {
		t.Errorf("reported strategies %v, want %v", strategies, want)
	}
}
