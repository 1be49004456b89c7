package guard

import (
	"context"
	"slices"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Rule is one guardrail: it looks at a request and says whether it objects.
//
// Check is called for every statement, concurrently, so it must be safe for
// concurrent use, must not block, and should not allocate on the path that
// has no objection. It must treat the request, and the Script it holds, as
// read-only. A Reason must never contain a literal of the SQL text or an
// argument value: name the rule's concern, not the data.
type Rule interface {
	Check(ctx context.Context, r *Request) Verdict
}

// RuleFunc adapts a function to [Rule].
type RuleFunc func(ctx context.Context, r *Request) Verdict

// Check calls f.
func (f RuleFunc) Check(ctx context.Context, r *Request) Verdict { return f(ctx, r) }

// NamedRule is a rule as a policy holds it: under a name that verdicts,
// errors and the audit trail record, in a mode, optionally limited to the
// requests a condition selects.
//
// The built-in constructors return a NamedRule under the built-in's name
// and ModeEnforce; change its fields to rename it, monitor it or limit it.
// The names are stable: a policy file spells them after "builtin:", and
// [BlockedError.Rule], [Verdict.Rule] and the audit trail carry them.
//
//	destructive-ddl     DestructiveDDL      missing-where    MissingWhere
//	stacked             StackedStatements   dangerous        DangerousCalls
//	privileges          PrivilegeChanges    lexing-settings  LexingSettings
//	read-only           ReadOnly, ReadOnlyAccess
//	tables              Tables              require-identity RequireIdentity
//	max-rows            MaxRows             unmask-review    UnmaskReview
//	catalog-writes      CatalogWrites       routines         Routines
//	integrity-settings  IntegritySettings   maintenance      Maintenance
//	read-budget         ReadBudget
//
// Three more names are not rules a policy holds. "unknown" is the
// policy's own refusal of a statement the analyser could not fully read
// ([WithUnknown]). When a masker is set, the driver refuses, before the
// statement runs and whatever the policy's mode, a write that would store
// a masked value where it is not masked the same way ("mask-copy"), and a
// statement that would carry one out by any other sink than a masked
// result column or such a store: a variable, a setting, a function with
// effects, a message, a catalog that copies data, or a result whose
// lineage the analyser cannot follow ("mask-flow").
type NamedRule struct {
	// Name identifies the rule; it must be unique within a policy.
	Name string
	// Mode is ModeEnforce (the zero value) or ModeMonitor.
	Mode Mode
	// Review, when true, turns the rule's denials into reviews: the
	// statement waits for an approver instead of being refused.
	Review bool
	// When, if set, limits the rule to the requests for which it reports
	// true. It must be safe for concurrent use and must not block.
	When func(*Request) bool
	// Rule decides.
	Rule Rule
}

// Named returns r under name, enforced.
func Named(name string, r Rule) NamedRule { return NamedRule{Name: name, Rule: r} }

// Monitored returns a copy of n in ModeMonitor: it decides and records, and
// never blocks.
func (n NamedRule) Monitored() NamedRule {
	n.Mode = ModeMonitor
	return n
}

// Reviewed returns a copy of n whose denials become reviews.
func (n NamedRule) Reviewed() NamedRule {
	n.Review = true
	return n
}

// Who selects identities for the rules that apply to some callers only
// ([ReadOnly], [Tables]). An identity is selected when it matches any of the
// lists; an empty Who selects nobody.
//
// Restrictions are meant to bind, so Who matches the roles an identity
// claims even when it is [identity.Identity.Untrusted]: claiming a role can
// only add restrictions, never lift one.
type Who struct {
	// Kinds selects by kind of caller (identity.KindAgent for AI agents).
	Kinds []identity.Kind
	// Roles selects identities that hold any of these roles.
	Roles []string
	// Subjects selects identities by subject.
	Subjects []string
}

// IsZero reports whether w selects nobody.
func (w Who) IsZero() bool {
	return len(w.Kinds) == 0 && len(w.Roles) == 0 && len(w.Subjects) == 0
}

// Match reports whether w selects id.
func (w Who) Match(id *identity.Identity) bool {
	if slices.Contains(w.Kinds, id.Kind) {
		return true
	}
	if id.Subject != "" && slices.Contains(w.Subjects, id.Subject) {
		return true
	}
	for _, r := range w.Roles {
		if slices.Contains(id.Roles, r) {
			return true
		}
	}
	return false
}

// trusted reports whether id holds any of roles, counting only an identity
// the service established (roles that lift a restriction or grant a
// privilege must not be taken from an untrusted caller).
func trustedRole(id *identity.Identity, roles []string) bool {
	if id.Untrusted {
		return false
	}
	for _, r := range roles {
		if slices.Contains(id.Roles, r) {
			return true
		}
	}
	return false
}
