package guard_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/guard/policyfile"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// A policy in Go: agents may only read, nobody drops tables in production.
func Example() {
	p, err := guard.New(
		guard.WithEnvironment("production"),
		guard.WithRules(
			guard.RequireIdentity(),
			guard.DestructiveDDL("production"),
			guard.ReadOnly(guard.Who{Kinds: []identity.Kind{identity.KindAgent}}),
			guard.MissingWhere().Monitored(), // a dry run before enforcing it
		),
	)
	if err != nil {
		log.Fatal(err)
	}
	agent := identity.Identity{Kind: identity.KindAgent, Subject: "agent-1"}
	for _, sql := range []string{
		"SELECT name FROM users WHERE id = 42",
		"UPDATE users SET name = 'x' WHERE id = 42",
		"DROP TABLE users",
	} {
		// The driver builds this request for every statement.
		r := &guard.Request{Identity: agent, Script: sqlparse.Analyze(sqlstmt.PostgreSQL, sql), SQL: sql}
		_, err := p.Check(context.Background(), r)
		var be *guard.BlockedError
		if errors.As(err, &be) {
			fmt.Printf("blocked by %s: %s\n", be.Rule, be.Reason)
			continue
		}
		fmt.Println("allowed")
	}
	// Output:
	// allowed
	// blocked by read-only: identity may only read
	// blocked by destructive-ddl: destructive DDL (DROP, TRUNCATE, ALTER … DROP, RENAME or a rewrite)
}

// A policy file, with a condition in CEL.
func ExampleParse() {
	p, err := policyfile.Parse("policy.yaml", []byte(`
version: 1
rules:
  - name: no-stacked
    builtin: stacked
  - name: billing-reads-need-a-purpose
    when: '"billing.invoices" in statement.reads && identity.purpose == ""'
    reason: reading invoices needs a declared purpose
`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Rules())

	_, err = policyfile.Parse("bad.yaml", []byte(`
version: 1
rules:
  - name: typo
    when: identity.role == "dba"
    reason: x
`))
	fmt.Println(err)
	// Output:
	// [no-stacked billing-reads-need-a-purpose]
	// guard: invalid policy: bad.yaml:5:11: rule "typo": when: undeclared reference to 'identity.role' (did you mean 'identity.roles'?)
}

// Reviews through a queue, answered over HTTP by someone else than the
// requester.
func ExampleQueue() {
	q := approval.NewQueue(approval.Config{ReviewerRoles: []string{"dba"}})
	p, err := guard.New(
		guard.WithRules(guard.DestructiveDDL().Reviewed()),
		guard.WithApprover(q),
	)
	if err != nil {
		log.Fatal(err)
	}
	// Mount behind the service's authentication, which puts the reviewer's
	// identity in the request context.
	mux := http.NewServeMux()
	mux.Handle("/approvals/", http.StripPrefix("/approvals", q.Handler(approval.HandlerConfig{})))
	fmt.Println(p.Rules())
	// Output: [destructive-ddl]
}
