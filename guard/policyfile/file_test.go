package policyfile_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/policyfile"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantLine   int
		wantColumn int
		wantRule   string
		wantMsg    string
	}{
		{"not yaml", "version: 1\nrules: [\n", 2, 0, "", "did not find"},
		{"empty", "", 0, 0, "", "empty policy"},
		{"no version", "rules:\n  - name: a\n    builtin: stacked\n", 1, 1, "", "version"},
		{"bad version", "version: 2\nrules: []\n", 1, 10, "", "unsupported version"},
		{"no rules", "version: 1\nrules: []\n", 2, 8, "", "enforce nothing"},
		{"rules missing", "version: 1\n", 1, 1, "", "enforce nothing"},
		{"unknown top-level setting", "version: 1\nmod: monitor\nrules:\n  - {name: a, builtin: stacked}\n", 2, 1, "", "unknown setting"},
		{"mode typo", "version: 1\nmode: enforced\nrules:\n  - {name: a, builtin: stacked}\n", 2, 7, "", "enforce or monitor"},
		{"unknown builtin", "version: 1\nrules:\n  - name: a\n    builtin: no-drops\n", 4, 14, "a", "unknown built-in"},
		{"param of another builtin", "version: 1\nrules:\n  - name: a\n    builtin: stacked\n    environments: [production]\n", 5, 5, "a", "not a setting of built-in stacked"},
		{"unnamed rule", "version: 1\nrules:\n  - builtin: stacked\n", 3, 5, "", "no name"},
		{"duplicate rule names", "version: 1\nrules:\n  - {name: a, builtin: stacked}\n  - {name: a, builtin: dangerous}\n", 4, 12, "a", "duplicate"},
		{"read-only for nobody", "version: 1\nrules:\n  - name: ro\n    builtin: read-only\n", 4, 14, "ro", "select nobody"},
		{"empty who", "version: 1\nrules:\n  - name: ro\n    builtin: read-only\n    who: {}\n", 5, 10, "ro", "selects nobody"},
		{"bad kind", "version: 1\nrules:\n  - name: ro\n    builtin: read-only\n    who: {kinds: [robot]}\n", 5, 19, "ro", "user, service, agent"},
		{"functions without known_functions_only", "version: 1\nrules:\n  - name: ro\n    builtin: read-only\n    who: {kinds: [agent]}\n    functions: [f]\n", 6, 16, "ro", "no effect"},
		{"known_functions_only not a bool", "version: 1\nrules:\n  - name: ro\n    builtin: read-only\n    who: {kinds: [agent]}\n    known_functions_only: yes\n", 6, 27, "ro", "true or false"},
		{"tables without lists", "version: 1\nrules:\n  - name: tb\n    builtin: tables\n    who: {roles: [x]}\n", 4, 14, "tb", "neither"},
		{"zero cap", "version: 1\nrules:\n  - name: cap\n    builtin: max-rows\n    limit: 0\n", 5, 12, "cap", "positive"},
		{"budget without limits", "version: 1\nrules:\n  - name: b\n    builtin: read-budget\n    who: {kinds: [agent]}\n", 4, 14, "b", "set max_rows, max_bytes or both"},
		{"window without rows", "version: 1\nrules:\n  - name: b\n    builtin: read-budget\n    who: {kinds: [agent]}\n    window: 1h\n", 6, 13, "b", "needs window_rows"},
		{"window rows without window", "version: 1\nrules:\n  - name: b\n    builtin: read-budget\n    who: {kinds: [agent]}\n    window_rows: 5\n", 6, 18, "b", "needs window"},
		{"zero budget", "version: 1\nrules:\n  - name: b\n    builtin: read-budget\n    who: {kinds: [agent]}\n    max_rows: 0\n", 6, 15, "b", "positive"},
		{"empty environments", "version: 1\nrules:\n  - name: d\n    builtin: destructive-ddl\n    environments: []\n", 5, 19, "d", "apply nowhere"},
		{"allow on a builtin", "version: 1\nrules:\n  - name: d\n    builtin: stacked\n    action: allow\n", 5, 13, "d", "do nothing"},
		{"allow granting nothing", "version: 1\nrules:\n  - name: c\n    when: 'true'\n    action: allow\n", 5, 13, "c", "grants nothing"},
		{"condition without reason", "version: 1\nrules:\n  - name: c\n    when: 'true'\n", 3, 5, "c", "needs a reason"},
		{"neither builtin nor condition", "version: 1\nrules:\n  - name: c\n    reason: x\n", 3, 5, "c", "builtin or a when"},
		{"unknown attribute", "version: 1\nrules:\n  - name: c\n    when: identity.role == \"x\"\n    reason: r\n", 4, 11, "c", "undeclared reference to 'identity.role'"},
		{"unknown attribute, quoted", "version: 1\nrules:\n  - name: c\n    when: 'true && statement.colour == \"red\"'\n    reason: r\n", 4, 20, "c", "statement.colour"},
		{"unknown attribute, block", "version: 1\nrules:\n  - name: c\n    when: |\n      true &&\n      request.user == \"x\"\n    reason: r\n", 6, 0, "c", "request.user"},
		{"always false", "version: 1\nrules:\n  - name: c\n    builtin: stacked\n    when: 1 == 2 && identity.subject == \"x\"\n", 5, 11, "c", "always false"},
		{"not boolean", "version: 1\nrules:\n  - name: c\n    when: identity.subject\n    reason: r\n", 4, 11, "c", "not bool"},
		{"syntax error", "version: 1\nrules:\n  - name: c\n    when: identity.subject ==\n    reason: r\n", 4, 0, "c", "Syntax error"},
		{"review without approver", "version: 1\nrules:\n  - name: d\n    builtin: destructive-ddl\n    action: review\n", 5, 13, "d", "no approver"},
		{"unmask review without approver", "version: 1\nrules:\n  - name: u\n    builtin: unmask-review\n", 4, 14, "u", "no approver"},
		{"unknown review without approver", "version: 1\nunknown: review\nrules:\n  - {name: a, builtin: stacked}\n", 2, 10, "", "no approver"},
		{"unknown unknown", "version: 1\nunknown: maybe\nrules:\n  - {name: a, builtin: stacked}\n", 2, 10, "", "deny, review or allow"},
		{"bad timeout", "version: 1\napproval: {timeout: soon}\nrules:\n  - {name: a, builtin: stacked}\n", 2, 21, "", "positive duration"},
		{"setting twice", "version: 1\nrules:\n  - name: a\n    builtin: stacked\n    builtin: dangerous\n", 5, 5, "", "set twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policyfile.Parse("p.yaml", []byte(tt.give))
			var pe *guard.PolicyError
			if !errors.As(err, &pe) || !errors.Is(err, guard.ErrInvalidPolicy) {
				t.Fatalf("Parse: %v, want a *PolicyError", err)
			}
			if pe.File != "p.yaml" || !strings.HasPrefix(err.Error(), "guard: invalid policy: p.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
			if (tt.wantLine != 0 && pe.Line != tt.wantLine) || (tt.wantColumn != 0 && pe.Column != tt.wantColumn) || pe.Rule != tt.wantRule {
				t.Errorf("error %q at %d:%d rule %q, want %d:%d rule %q", err, pe.Line, pe.Column, pe.Rule, tt.wantLine, tt.wantColumn, tt.wantRule)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q, want it to say %q", err, tt.wantMsg)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	if _, err := policyfile.Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(path, []byte("version: 1\nmode: monitor\nrules:\n  - {name: s, builtin: stacked}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := policyfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Check(context.Background(), request(bob, script("SELECT ?; SELECT ?", stmt(sqlparse.KindSelect), stmt(sqlparse.KindSelect))))
	if err != nil || v.Mode != guard.ModeMonitor || v.Rule != "s" {
		t.Errorf("monitor policy from file: %v %+v", err, v)
	}
}

func TestConditionVocabulary(t *testing.T) {
	r := request(agent, script("DELETE FROM app.orders WHERE id = ?",
		stmt(sqlparse.KindDelete, writes("app.orders"), reads("app.items"), funcs("lower"), where(true, false))))
	r.Time = time.Date(2026, 1, 2, 23, 30, 0, 0, time.UTC)
	r.InTx = true
	r.Args = append(r.Args, namedValue(1, int64(1)))
	r.Identity.Attributes = map[string]string{"team": "ops"}
	tests := []struct {
		expr string
		want bool
	}{
		{`identity.kind == "agent"`, true},
		{`identity.subject == "agent-7"`, true},
		{`"agent" in identity.roles`, true},
		{`identity.agent.name == "helper" && identity.agent.on_behalf_of == "carol" && identity.agent.model == "m"`, true},
		{`identity.attributes["team"] == "ops"`, true},
		{`identity.untrusted || identity.anonymous`, false},
		{`statement.kind == "DELETE" && statement.effect == "DELETE"`, true},
		{`"app.orders" in statement.writes && "app.items" in statement.reads && size(statement.tables) == 2`, true},
		{`statement.functions == ["lower"]`, true},
		{`statement.objects == ["NONE"]`, true},
		{`statement.complete && !statement.stacked && statement.count == 1 && !statement.unbounded`, true},
		{`statement.text.startsWith("DELETE") && statement.summary != "" && statement.dialect == "postgresql"`, true},
		{`request.args == 1 && request.in_tx && !request.unmask`, true},
		{`environment == "production"`, true},
		{`now.getHours("UTC") == 23 && now.getDayOfWeek("UTC") == 5`, true},
		{`!statement.drops_column && !statement.into_file && size(identity.claimed_roles) == 1`, true},
		{`identity.name.lowerAscii() == ""`, true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			when, err := policyfile.Condition(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := when(r); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("untrusted roles are hidden", func(t *testing.T) {
		when, err := policyfile.Condition(`"dba" in identity.roles`)
		if err != nil {
			t.Fatal(err)
		}
		id := identity.Identity{Subject: "x", Roles: []string{"dba"}, Untrusted: true}
		if when(request(id, script("SELECT ?", stmt(sqlparse.KindSelect)))) {
			t.Errorf("an untrusted identity's claimed role counted")
		}
	})
	t.Run("unknown attribute refused", func(t *testing.T) {
		if _, err := policyfile.Condition(`identity.password == "x"`); !errors.Is(err, guard.ErrInvalidPolicy) {
			t.Errorf("Condition: %v", err)
		}
	})
}

func TestParseCompilesOnce(t *testing.T) {
	// A condition is compiled at load: evaluating it needs no compiler.
	p, err := policyfile.Parse("p.yaml", []byte(`version: 1
rules:
  - name: agents-no-users
    when: identity.kind == "agent" && "users" in statement.reads
    reason: agents do not read users
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, got := decide(t, p, request(agent, script("SELECT * FROM users", stmt(sqlparse.KindSelect, reads("users"))))); got != "agents-no-users" {
		t.Errorf("blocked by %q", got)
	}
	if _, got := decide(t, p, request(alice, script("SELECT * FROM users", stmt(sqlparse.KindSelect, reads("users"))))); got != "" {
		t.Errorf("blocked by %q", got)
	}
}

// TestReadBudgetFile: a policy file states a read budget for agents.
func TestReadBudgetFile(t *testing.T) {
	p, err := policyfile.Parse("budget.yaml", []byte("version: 1\nrules:\n  - name: agents-read\n    builtin: read-budget\n    who: {kinds: [agent]}\n    max_rows: 50\n    max_bytes: 4096\n"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Check(context.Background(), &guard.Request{
		Identity: identity.Identity{Kind: identity.KindAgent, Subject: "bot"},
		Script:   guard.Analyze(sqlstmt.PostgreSQL, "SELECT id FROM t"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.MaxReturnRows != 50 || v.MaxReturnBytes != 4096 || v.MaxReturnRowsRule != "agents-read" {
		t.Errorf("got %d rows, %d bytes by %q, want 50, 4096 by agents-read", v.MaxReturnRows, v.MaxReturnBytes, v.MaxReturnRowsRule)
	}
}

// TestReadBudgetWindowFile: a policy file states a budget over a period.
func TestReadBudgetWindowFile(t *testing.T) {
	p, err := policyfile.Parse("budget.yaml", []byte("version: 1\nrules:\n  - name: agents-read\n    builtin: read-budget\n    who: {kinds: [agent]}\n    max_rows: 50\n    window: 1h\n    window_rows: 70\n"))
	if err != nil {
		t.Fatal(err)
	}
	check := func() (guard.Verdict, error) {
		return p.Check(context.Background(), &guard.Request{
			Identity: identity.Identity{Kind: identity.KindAgent, Subject: "bot"},
			Script:   guard.Analyze(sqlstmt.PostgreSQL, "SELECT id FROM t"),
		})
	}
	v, err := check()
	if err != nil || v.MaxReturnRows != 50 || v.Spend == nil {
		t.Fatalf("first: got %d, %v; want 50 rows of the period's 70", v.MaxReturnRows, err)
	}
	v.Spend(50, 0)
	if v, err = check(); err != nil || v.MaxReturnRows != 20 {
		t.Fatalf("second: got %d, %v; want the 20 left", v.MaxReturnRows, err)
	}
}
