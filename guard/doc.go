// Package guard decides whether a statement may run: guardrails and
// approvals as a policy that can be read, tested and dry-run. It knows
// nothing of drivers, of the policy-file language (package
// [github.com/sqlvigil/sqlvigil/guard/policyfile]) or of the review service
// (package [github.com/sqlvigil/sqlvigil/guard/approval]).
//
// The driver calls [Policy.Check] once for every statement a caller issues,
// on every path, with a [Request]: who asks (an identity.Identity), the
// analysis of the text (a sqlstmt.Script, as [Analyze] makes it), the
// environment and the time. The [Verdict] says allow, deny or review, which
// rule decided and why, and what the audit trail records.
//
// # Errors
//
// A denial is an error matching [ErrBlocked]; errors.As with a
// *[BlockedError] gives the rule and the reason, with a *[ReviewError] the
// ticket of a review, with a *[RowsAffectedError] a row cap exceeded
// ([ErrTooManyRows]). A denied statement never reaches the database, and
// inside a transaction it leaves the connection usable. Reasons and errors
// never contain a literal of the SQL text or an argument value.
//
// # Rules
//
// A [Rule] has one method, Check, that returns a [Verdict]; [RuleFunc]
// adapts a function. A policy holds rules as [NamedRule] values: a name, a
// mode (enforce or monitor: the dry run), an optional condition and whether
// a denial becomes a review. Built-ins, each documented with what it catches
// and what it cannot: [DestructiveDDL], [MissingWhere], [StackedStatements],
// [DangerousCalls], [PrivilegeChanges], [LexingSettings], [ReadOnly],
// [ReadOnlyAccess], [Tables], [RequireIdentity], [MaxRows], [UnmaskReview],
// and against harmful sequences on one pooled connection [CatalogWrites],
// [IntegritySettings], [Maintenance] and [Routines]. They read the
// analyser's facts, never words of the text.
//
// Fail closed: a statement the analyser could not fully read is denied
// under the rule name "unknown" (see [WithUnknown]), and so is a review
// that times out, fails, or is approved by its own requester. How rules
// combine, modes and sequences: see [Policy]; reviews: see [Approver].
//
// # Example
//
//	p, err := guard.New(
//		guard.WithEnvironment("production"),
//		guard.WithRules(
//			guard.DestructiveDDL("production"),
//			guard.MissingWhere().Monitored(), // recorded, never blocks
//			guard.ReadOnly(guard.Who{Kinds: []identity.Kind{identity.KindAgent}}),
//		),
//	)
//	db, err := sqlvigil.Open("postgres", dsn, sqlvigil.WithPolicy(p))
//
// # Concurrency
//
// A Policy is safe for concurrent use. Rules, conditions and approvers must
// be too, and must treat the Request as read-only (the policy itself only
// fills an empty Environment and Time).
package guard
