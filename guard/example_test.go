package guard_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
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
	// allowed
	// blocked by read-only: identity may only read
	// blocked by destructive-ddl: destructive DDL (DROP, TRUNCATE, ALTER … DROP, RENAME or a rewrite)
}
