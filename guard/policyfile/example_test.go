package policyfile_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/policyfile"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// The policy of the package documentation, checked against three
// statements.
func ExampleParse() {
	p, err := policyfile.Parse("policy.yaml", []byte(`
version: 1
mode: enforce
environment: production
unknown: deny
approval: {timeout: 2m}
limits: {condition_cost: 1000000}
rules:
  - name: no-drops
    builtin: destructive-ddl
    environments: [production]
  - name: agents-read-only
    builtin: read-only
    who: {kinds: [agent]}
  - name: billing-needs-a-purpose
    when: '"billing.invoices" in statement.reads && identity.purpose == ""'
    reason: reading invoices needs a declared purpose
    action: deny
`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Rules())

	agent := identity.Identity{Kind: identity.KindAgent, Subject: "agent-1"}
	for _, sql := range []string{
		"SELECT total FROM billing.invoices WHERE id = 7",
		"DELETE FROM orders WHERE id = 7",
		"SELECT name FROM users WHERE id = 7",
	} {
		r := &guard.Request{Identity: agent, Script: guard.Analyze(sqlstmt.PostgreSQL, sql), SQL: sql}
		_, err := p.Check(context.Background(), r)
		var be *guard.BlockedError
		if errors.As(err, &be) {
			fmt.Printf("blocked by %s: %s\n", be.Rule, be.Reason)
			continue
		}
		fmt.Println("allowed")
	}
	// Output:
	// [no-drops agents-read-only billing-needs-a-purpose]
	// blocked by billing-needs-a-purpose: reading invoices needs a declared purpose
	// blocked by agents-read-only: identity may only read
	// allowed
}

// A file is refused at load, with the position of what is wrong.
func ExampleParse_invalid() {
	_, err := policyfile.Parse("bad.yaml", []byte(`
version: 1
rules:
  - name: typo
    when: identity.role == "dba"
    reason: x
`))
	fmt.Println(errors.Is(err, guard.ErrInvalidPolicy))
	fmt.Println(err)
	// Output:
	// true
	// guard: invalid policy: bad.yaml:5:11: rule "typo": when: undeclared reference to 'identity.role' (did you mean 'identity.roles'?)
}

// A CEL condition limits a built-in rule written in Go.
func ExampleCondition() {
	onlyProduction, err := policyfile.Condition(`environment == "production"`)
	if err != nil {
		log.Fatal(err)
	}
	rule := guard.MissingWhere()
	rule.When = onlyProduction
	p, err := guard.New(guard.WithRules(rule))
	if err != nil {
		log.Fatal(err)
	}
	for _, env := range []string{"staging", "production"} {
		sql := "DELETE FROM orders"
		r := &guard.Request{Script: guard.Analyze(sqlstmt.SQLite, sql), SQL: sql, Environment: env}
		_, err := p.Check(context.Background(), r)
		fmt.Println(env, errors.Is(err, guard.ErrBlocked))
	}
	// Output:
	// staging false
	// production true
}
