package main

import (
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

// Names of the example's own rules.
const (
	// RuleToolReadOnly refuses writes made through the query tool.
	RuleToolReadOnly = "query-tool-read-only"
	// RuleWritesReviewed sends writes made through request_approval to a
	// reviewer.
	RuleWritesReviewed = "agent-writes-reviewed"
	// RuleSensitiveTables sends agents' access to sensitive tables to a
	// reviewer.
	RuleSensitiveTables = "sensitive-tables"
)

// Limits is the read budget of agents and the tables they need approval
// for.
type Limits struct {
	// MaxRows and MaxBytes are what one statement may return to an agent.
	MaxRows, MaxBytes int64
	// WindowRows is what one agent may read over Window, however it pages.
	Window     time.Duration
	WindowRows int64
	// Reviewed lists tables an agent reads or writes only with a
	// reviewer's approval.
	Reviewed []string
}

// DefaultLimits: 100 rows or 64 KiB a statement, 1000 rows an hour;
// payroll needs approval.
var DefaultLimits = Limits{MaxRows: 100, MaxBytes: 64 << 10, Window: time.Hour, WindowRows: 1000, Reviewed: []string{"payroll"}}

// rules is the example's policy for agents: the built-in guardrails, the
// read budget, the query tool read-only, writes and sensitive tables
// reviewed. The query tool never writes; request_approval writes only
// once a reviewer approves.
func rules(l Limits) []guard.NamedRule {
	agents := guard.Who{Kinds: []identity.Kind{identity.KindAgent}}
	ro := guard.ReadOnlyAccess(guard.ReadAccess{Who: guard.Who{Roles: []string{roleQuery}}, KnownFunctionsOnly: true})
	ro.Name = RuleToolReadOnly
	writes := guard.ReadOnly(guard.Who{Roles: []string{roleRequest}}).Reviewed()
	writes.Name = RuleWritesReviewed
	rs := []guard.NamedRule{
		guard.RequireIdentity(),
		guard.StackedStatements(),
		guard.DestructiveDDL(),
		guard.MissingWhere(),
		guard.DangerousCalls(),
		guard.PrivilegeChanges(),
		guard.LexingSettings(),
		guard.CatalogWrites(),
		guard.IntegritySettings(),
		guard.Maintenance(),
		guard.MaxRows(100),
		ro,
		writes,
		guard.ReadBudget(guard.Budget{Who: agents, MaxRows: l.MaxRows, MaxBytes: l.MaxBytes, Window: l.Window, WindowRows: l.WindowRows}),
	}
	if len(l.Reviewed) > 0 {
		t := guard.Tables(guard.TableAccess{Who: agents, Deny: l.Reviewed}).Reviewed()
		t.Name = RuleSensitiveTables
		rs = append(rs, t)
	}
	return rs
}

// Policy returns the policy the server's database runs under, reviews
// answered by approver.
func Policy(l Limits, approver guard.Approver) (*guard.Policy, error) {
	return guard.New(guard.WithApprover(approver), guard.WithRules(rules(l)...))
}

// probePolicy is the same rules with reviews turned into denials and no
// approver: describe asks it whether an agent may read a table without
// filing a request.
func probePolicy(l Limits) (*guard.Policy, []string, error) {
	rs := rules(l)
	var reviewed []string
	for k := range rs {
		if rs[k].Review {
			reviewed = append(reviewed, rs[k].Name)
			rs[k].Review = false
		}
	}
	p, err := guard.New(guard.WithRules(rs...))
	return p, reviewed, err
}

// Masker masks what agents read: e-mails keep their domain, SSNs their
// last four characters; holders of pii:read see clear values.
func Masker() (*mask.Masker, error) {
	exempt := []string{"pii:read"}
	return mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email(), ExemptRoles: exempt},
		mask.Rule{Name: "ssn", Columns: []string{"*ssn"}, Strategy: mask.Partial(0, 4), ExemptRoles: exempt},
	))
}
