package guard_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// TestDenialHints pins, for every built-in, the rule, the reason and the
// hint a denial carries: the texts an agent acts on. They are stable API;
// a change here is a change for every agent that reads them. None may
// carry a literal of the statement.
func TestDenialHints(t *testing.T) {
	agent := identity.Identity{Kind: identity.KindAgent, Subject: "bot"}
	user := identity.Identity{Kind: identity.KindUser, Subject: "dana", Roles: []string{"dev"}}
	tests := []struct {
		rule     guard.NamedRule
		id       identity.Identity
		sql      string
		wantRule string
		wantHint string
	}{
		{guard.DestructiveDDL(), user, "DROP TABLE secret_customers", "destructive-ddl",
			"destructive DDL is not allowed here: run it as a reviewed migration"},
		{guard.MissingWhere(), user, "DELETE FROM orders WHERE 'x7q' = 'x7q'", "missing-where",
			"compare a column of the written table in WHERE (WHERE id = …)"},
		{guard.StackedStatements(), user, "COMMIT; DROP TABLE orders", "stacked",
			"send one statement per call"},
		{guard.DangerousCalls(), user, "SELECT pg_read_file('/etc/x7q')", "dangerous",
			"use plain SELECT, INSERT, UPDATE or DELETE on tables, without that command or function"},
		{guard.PrivilegeChanges(), user, "GRANT ALL ON orders TO x7q", "privileges",
			"privileges and roles are not changed through this connection"},
		{guard.LexingSettings(), user, "SET standard_conforming_strings = off", "lexing-settings",
			"send the statement without changing how SQL is read"},
		{guard.ReadOnly(guard.Who{Kinds: []identity.Kind{identity.KindAgent}}), agent, "UPDATE orders SET item = 'x7q' WHERE id = 1", "read-only",
			"only reads are allowed to this identity: use SELECT"},
		{guard.Tables(guard.TableAccess{Who: guard.Who{Kinds: []identity.Kind{identity.KindAgent}}, Deny: []string{"payroll"}}), agent, "SELECT salary FROM payroll WHERE id = 42", "tables",
			"use only the tables this identity may access"},
		{guard.RequireIdentity(), identity.Identity{}, "SELECT 1", "require-identity",
			"issue the statement under an identity (identity.NewContext)"},
		{guard.CatalogWrites(), user, "UPDATE pg_catalog.pg_class SET relname = 'x7q' WHERE oid = 1", "catalog-writes",
			"write to tables only, never to the system catalog"},
		{guard.IntegritySettings(), user, "SET session_replication_role = replica", "integrity-settings",
			"send the statement without changing that setting"},
		{guard.Maintenance(), user, "VACUUM FULL orders", "maintenance",
			"run table maintenance as a reviewed operation"},
		{guard.Routines(), user, "CALL x7q()", "routines",
			"call only the routines the policy declares"},
		{guard.Named("none", guard.RuleFunc(func(context.Context, *guard.Request) guard.Verdict { return guard.Verdict{} })), user, "SELECT $$x7q", "unknown",
			"write the statement so it can be read: one plain statement, without dynamic SQL or unusual syntax"},
	}
	for _, tt := range tests {
		t.Run(tt.wantRule, func(t *testing.T) {
			p, err := guard.New(guard.WithRules(tt.rule))
			if err != nil {
				t.Fatal(err)
			}
			req := &guard.Request{Identity: tt.id, SQL: tt.sql, Script: guard.Analyze(sqlstmt.PostgreSQL, tt.sql)}
			v, err := p.Check(context.Background(), req)
			var be *guard.BlockedError
			if !errors.As(err, &be) {
				t.Fatalf("got %v, want a *guard.BlockedError", err)
			}
			if be.Rule != tt.wantRule || be.Hint != tt.wantHint || v.Hint != tt.wantHint {
				t.Errorf("got rule %q hint %q (verdict %q), want %q %q", be.Rule, be.Hint, v.Hint, tt.wantRule, tt.wantHint)
			}
			if be.Reason == "" {
				t.Errorf("no reason")
			}
			for _, s := range []string{be.Error(), be.Hint, v.Reason} {
				if strings.Contains(s, "x7q") || strings.Contains(s, "42") {
					t.Errorf("%q echoes a literal", s)
				}
			}
		})
	}
}

// TestReviewHints pins the hints of the outcomes of a review.
func TestReviewHints(t *testing.T) {
	tests := []struct {
		name     string
		answer   guard.Answer
		wantHint string
		pending  bool
	}{
		{"pending", guard.Answer{Pending: true, ID: "t-1"},
			"this statement needs a reviewer's approval: wait for it, then send the same statement with the same arguments again", true},
		{"denied", guard.Answer{ID: "t-2", Reviewer: "carol"},
			"a reviewer refused this statement: do not send it again unchanged", false},
		{"no reviewer", guard.Answer{Approved: true, ID: "t-3"},
			"the review could not be completed: ask for approval again", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := guard.New(
				guard.WithApprover(guard.ApproverFunc(func(context.Context, *guard.ApprovalRequest) (guard.Answer, error) { return tt.answer, nil })),
				guard.WithRules(guard.ReadOnly(guard.Who{Kinds: []identity.Kind{identity.KindAgent}}).Reviewed()),
			)
			if err != nil {
				t.Fatal(err)
			}
			q := "DELETE FROM orders WHERE id = 1"
			_, err = p.Check(context.Background(), &guard.Request{Identity: identity.Identity{Kind: identity.KindAgent, Subject: "bot"}, SQL: q, Script: guard.Analyze(sqlstmt.PostgreSQL, q)})
			var be *guard.BlockedError
			if !errors.As(err, &be) {
				t.Fatalf("got %v, want a *guard.BlockedError", err)
			}
			if be.Hint != tt.wantHint {
				t.Errorf("got hint %q, want %q", be.Hint, tt.wantHint)
			}
			if got := errors.Is(err, guard.ErrReviewPending); got != tt.pending {
				t.Errorf("got pending %v, want %v", got, tt.pending)
			}
		})
	}
}
