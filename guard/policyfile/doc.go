// Package policyfile is the policy language: guard policies written as YAML
// rules with CEL conditions, checked completely when loaded. The guard core
// knows nothing of it; [Load] and [Parse] return an ordinary *guard.Policy,
// and [Condition] compiles one CEL expression for guard.NamedRule.When.
//
// # The file
//
//	version: 1
//	mode: enforce            # or monitor: decide and record, never block
//	environment: production
//	unknown: deny            # statements the analyser cannot read; deny | review | allow
//	approval: {timeout: 2m}
//	limits: {condition_cost: 1000000}
//	rules:
//	  - name: no-drops
//	    builtin: destructive-ddl
//	    environments: [production]
//	  - name: agents-read-only
//	    builtin: read-only
//	    who: {kinds: [agent]}
//	  - name: billing-needs-a-purpose
//	    when: '"billing.invoices" in statement.reads && identity.purpose == ""'
//	    reason: reading invoices needs a declared purpose
//	    action: deny          # or review, or allow with unmask: true
//
// Every setting and what the loader refuses (with a *guard.PolicyError
// naming the file, rule, line and column) are on [Load]. The attribute
// vocabulary of conditions (identity.*, statement.*, request.*,
// environment, now) is listed on [Condition]; argument values and literals
// are deliberately not in it.
//
// # Fail closed, bounded
//
// A condition that fails at run time counts as true for a when (the
// guardrail still applies) and as a denial for a condition rule. Every
// condition is bounded: one whose estimated cost could exceed the limit is
// refused at load, and one that iterates stops at that cost or at the
// statement's deadline and denies with an error matching
// [ErrConditionLimit]; see [DefaultConditionCostLimit].
//
// # Concurrency
//
// The policies and conditions it returns are safe for concurrent use.
// Importing this package brings in cel-go and a YAML parser; importing the
// root package or guard does not.
package policyfile
