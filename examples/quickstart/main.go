// Command quickstart shows sqlvigil on an embedded SQLite database (pure Go,
// no server): one changed line at sql.Open, then identity travelling with
// every statement, guardrails, an approval, masked rows and the audit trail.
//
//	go -C examples run ./quickstart
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the driver sqlvigil wraps

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// trail keeps the audit records in memory, to print them at the end. A real
// service uses the black-box file, slog, or the OpenTelemetry spans.
type trail struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (t *trail) Write(_ context.Context, e *audit.Entry) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entries = append(t.entries, *e)
	return nil
}

func run(ctx context.Context, out io.Writer) error {
	// Guardrails. In production: no destructive DDL, no UPDATE or DELETE
	// without a real WHERE, agents only read, and any access to the payroll
	// table waits for a human's approval.
	reviewer := guard.ApproverFunc(func(ctx context.Context, req *guard.ApprovalRequest) (guard.Answer, error) {
		fmt.Fprintf(out, "   [approval] %s asks to run %q (%s): approved by carol\n",
			req.Identity.Subject, req.Statement, req.Reason)
		return guard.Answer{Approved: true, ID: "apr-1", Reviewer: "carol", Comment: "quarterly report"}, nil
	})
	policy, err := guard.New(
		guard.WithEnvironment("production"),
		guard.WithApprover(reviewer),
		guard.WithApprovalTimeout(30*time.Second),
		guard.WithRules(
			guard.DestructiveDDL("production"),
			guard.MissingWhere(),
			guard.StackedStatements(),
			guard.ReadOnly(guard.Who{Kinds: []identity.Kind{identity.KindAgent}}),
			guard.Tables(guard.TableAccess{Who: guard.Who{Kinds: []identity.Kind{identity.KindUser, identity.KindAgent}}, Deny: []string{"payroll"}}).Reviewed(),
		),
	)
	if err != nil {
		return err
	}

	// Masking: e-mails keep their domain, SSNs are redacted, unless the
	// reader holds pii:read.
	masker, err := mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email(), ExemptRoles: []string{"pii:read"}},
		mask.Rule{Name: "ssn", Columns: []string{"*ssn"}, Strategy: mask.Partial(0, 4), ExemptRoles: []string{"pii:read"}},
	))
	if err != nil {
		return err
	}

	// The audit trail.
	var records trail
	auditor, err := audit.New(audit.WithSink(&records))
	if err != nil {
		return err
	}

	// The one changed line: sqlvigil.Open in place of sql.Open.
	db, err := sqlvigil.Open("sqlite", "file:quickstart?mode=memory&cache=shared",
		sqlvigil.WithPolicy(policy), sqlvigil.WithMasker(masker), sqlvigil.WithAuditor(auditor),
		sqlvigil.WithEnvironment("production"))
	if err != nil {
		return err
	}
	defer db.Close()

	migrations := identity.NewContext(ctx, identity.Identity{Kind: identity.KindService, Subject: "migrations", Service: "crm"})
	for _, q := range []string{
		`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT, ssn TEXT)`,
		`INSERT INTO customers VALUES (1, 'Ada Lovelace', 'ada@example.com', '123-45-6789'), (2, 'Alan Turing', 'alan@example.org', '987-65-4321')`,
		`CREATE TABLE payroll (customer_id INTEGER, salary INTEGER)`,
		`INSERT INTO payroll VALUES (1, 120000), (2, 95000)`,
	} {
		if _, err := db.ExecContext(migrations, q); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}

	// 1. An AI agent, acting for alice through a tool call, reads customers:
	// the rows come back masked.
	agent := identity.NewContext(ctx, identity.Identity{
		Kind: identity.KindAgent, Subject: "support-bot",
		Agent:   &identity.Agent{Name: "support-bot", Model: "any-llm", Tool: "sql_query", ToolCallID: "call_42", OnBehalfOf: "alice"},
		Purpose: "answer ticket 4521",
	})
	fmt.Fprintln(out, "1. support-bot (agent for alice) reads customers:")
	if err := printRows(agent, db, out, `SELECT name, email, ssn FROM customers ORDER BY id`); err != nil {
		return err
	}

	// 2. The same agent tries to destroy data: refused before the database
	// sees it.
	fmt.Fprintln(out, "2. support-bot tries DROP TABLE and DELETE without WHERE:")
	for _, q := range []string{`DROP TABLE customers`, `DELETE FROM customers WHERE 1=1`, `SELECT 1; DROP TABLE customers`} {
		_, err := db.ExecContext(agent, q)
		var blocked *guard.BlockedError
		if !errors.As(err, &blocked) {
			return fmt.Errorf("%s: got %v, want a guard.BlockedError", q, err)
		}
		fmt.Fprintf(out, "   %-34s -> blocked by %s\n", q, blocked.Rule)
	}

	// 3. An analyst with pii:read sees clear values.
	analyst := identity.NewContext(ctx, identity.Identity{Kind: identity.KindUser, Subject: "dana", Roles: []string{"pii:read"}})
	fmt.Fprintln(out, "3. dana (pii:read) reads customers:")
	if err := printRows(analyst, db, out, `SELECT name, email, ssn FROM customers ORDER BY id`); err != nil {
		return err
	}

	// 4. Payroll is sensitive: the statement waits for an approval.
	fmt.Fprintln(out, "4. dana reads payroll (needs an approval):")
	if err := printRows(analyst, db, out, `SELECT customer_id, salary FROM payroll ORDER BY customer_id`); err != nil {
		return err
	}

	// 5. The audit trail: who, what, the decision, what was masked.
	fmt.Fprintln(out, "5. the audit trail:")
	records.mu.Lock()
	defer records.mu.Unlock()
	for _, e := range records.entries {
		if e.Identity == nil || e.Identity.Subject == "migrations" {
			continue
		}
		var masked []string
		for _, m := range e.Masked {
			masked = append(masked, fmt.Sprintf("%s(%s)x%d", m.Column, m.Rule, m.Count))
		}
		line := fmt.Sprintf("   %-11s %-6s %-22s rule=%-16s rows=%d", e.Identity.Subject, e.Decision, e.Summary, orDash(e.Rule), e.RowsReturned)
		if e.Reviewer != "" {
			line += " approved-by=" + e.Reviewer
		}
		if len(masked) > 0 {
			line += " masked=" + strings.Join(masked, ",")
		}
		fmt.Fprintln(out, line)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func printRows(ctx context.Context, db *sql.DB, out io.Writer, q string) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		fields := make([]string, len(cols))
		for i, v := range vals {
			fields[i] = v.String
		}
		fmt.Fprintf(out, "   %s\n", strings.Join(fields, " | "))
	}
	return rows.Err()
}
