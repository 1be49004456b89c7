package bench_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// vigilContenders are sqlvigil in its three settings: nothing configured
// (the wrapping alone), audit only, and full governance.
func vigilContenders() []contender {
	return []contender{
		{name: "vigil-pass", open: openVigilPass},
		{name: "vigil-audit", open: openVigilAudit},
		{name: "vigil-full", open: openVigilFull},
	}
}

// agentIdentity is who the full-governance statements run as: an agent
// acting for a user, without the role that sees clear values.
func agentIdentity() identity.Identity {
	return identity.Identity{
		Kind:    identity.KindAgent,
		Subject: "agent-7",
		Roles:   []string{"support"},
		Tenant:  "acme",
		Service: "bench",
		Agent:   &identity.Agent{Name: "helper", Model: "m-1", Tool: "sql_query", OnBehalfOf: "user-42"},
		Purpose: "benchmark",
	}
}

// builtinRules are the built-in guard rules a production policy turns on.
func builtinRules() []guard.NamedRule {
	return []guard.NamedRule{
		guard.DestructiveDDL(),
		guard.MissingWhere(),
		guard.StackedStatements(),
		guard.DangerousCalls(),
		guard.PrivilegeChanges(),
		guard.LexingSettings(),
		guard.RequireIdentity(),
		guard.MaxRows(1000),
	}
}

// maskRules are the two column rules of the full setting.
func maskRules() []mask.Rule {
	return []mask.Rule{
		{Name: "email", Columns: []string{"email"}, Strategy: mask.Email(), ExemptRoles: []string{"pii:read"}},
		{Name: "name", Columns: []string{"name"}, Strategy: mask.Partial(1, 0), ExemptRoles: []string{"pii:read"}},
	}
}

// openVigil opens t through sqlvigil's facade, as a user would.
func openVigil(tb testing.TB, t *target, opts ...sqlvigil.Option) *sql.DB {
	tb.Helper()
	if t.dialect == "fake" {
		opts = append(opts, sqlvigil.WithDialect(sqlstmt.PostgreSQL))
	}
	db, err := sqlvigil.OpenDB(dsnConnector{t.drv, t.dsn}, opts...)
	if err != nil {
		tb.Fatalf("sqlvigil on %s: %v", t.name, err)
	}
	return db
}

func openVigilPass(tb testing.TB, e *env, t *target) (*sql.DB, context.Context) {
	return openVigil(tb, t), context.Background()
}

func newAuditor(tb testing.TB, e *env) *audit.Auditor {
	tb.Helper()
	a, err := audit.New(audit.WithTracerProvider(e.tp))
	if err != nil {
		tb.Fatalf("audit.New: %v", err)
	}
	e.auditors = append(e.auditors, a)
	return a
}

func openVigilAudit(tb testing.TB, e *env, t *target) (*sql.DB, context.Context) {
	return openVigil(tb, t, sqlvigil.WithAuditor(newAuditor(tb, e))), context.Background()
}

func openVigilFull(tb testing.TB, e *env, t *target) (*sql.DB, context.Context) {
	tb.Helper()
	p, err := guard.New(guard.WithRules(builtinRules()...))
	if err != nil {
		tb.Fatalf("guard.New: %v", err)
	}
	m, err := mask.New(mask.WithRules(maskRules()...))
	if err != nil {
		tb.Fatalf("mask.New: %v", err)
	}
	db := openVigil(tb, t,
		sqlvigil.WithPolicy(p),
		sqlvigil.WithMasker(m),
		sqlvigil.WithAuditor(newAuditor(tb, e)),
		sqlvigil.WithEnvironment("production"),
	)
	return db, identity.NewContext(context.Background(), agentIdentity())
}
