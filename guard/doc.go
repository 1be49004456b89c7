// Package guard decides whether a statement may run: guardrails and
// approvals as a policy that can be read, tested and dry-run.
//
// The driver package calls [Policy.Check] once for every statement a caller
// issues, on every path (Exec, Query, QueryRow, Prepare + Stmt, Tx, Conn),
// with a [Request]: who asks (an identity.Identity), the analysis of the SQL
// text ([Script]), the environment, the time. The [Verdict] says allow or
// deny, which rule decided and why, and what the audit trail records. A
// denial is an error matching [ErrBlocked] (use errors.As with
// *[BlockedError] for the rule and the reason); it never reaches the
// database, and inside a transaction it leaves the connection usable so
// that the caller can roll back. Reasons and errors never contain a literal
// of the SQL text or an argument value.
//
// # Rules
//
// A [Rule] is one method, Check, that returns an [Verdict]: no objection,
// Deny or Review, optionally a row cap or a grant of clear values. A policy
// holds rules as [NamedRule] values: a name (recorded in verdicts), a mode,
// an optional condition ([NamedRule.When]) and whether a denial becomes a
// review. [RuleFunc] adapts a function. Rules run in order; the first
// enforced denial decides; reviews are gathered and put to the approver
// once; an Allow from one rule never overrides another's denial.
//
// Built-in rules, each documented with what it catches and what it
// cannot: [DestructiveDDL], [MissingWhere], [StackedStatements],
// [DangerousCalls], [PrivilegeChanges], [LexingSettings], [ReadOnly]
// (and [ReadOnlyAccess], which can also restrict functions to known
// built-ins), [Tables], [RequireIdentity], [MaxRows] and [UnmaskReview].
// They read the analyser's facts (effects, Restriction, ReadsFile,
// IntoFile, DefinesCode, LexingSetting, PrivilegeSetting), never words of
// the text.
//
// # Sequences on one connection
//
// database/sql pools connections, so what one statement leaves on a
// connection is there for the next, whoever sends it: two statements each
// allowed alone (PRAGMA writable_schema = ON, then DELETE FROM
// sqlite_master WHERE name = 'x') can destroy a database. Four built-ins
// deny the first step of such sequences: [CatalogWrites] (any write to a
// system catalog: sqlite_master and the other sqlite_ tables, pg_catalog
// and pg_ tables, mysql, information_schema, performance_schema, sys),
// [IntegritySettings] (PRAGMAs and settings that switch off a check or
// durability, and any server-wide setting: writable_schema,
// foreign_keys=OFF, session_replication_role, foreign_key_checks=0, ALTER
// SYSTEM, SET GLOBAL …), [Maintenance] (VACUUM FULL, CLUSTER, REINDEX
// DATABASE, LOCK TABLE in an exclusive mode, OPTIMIZE TABLE, SQLite
// VACUUM) and [Routines] (CALL of a procedure the policy does not list
// with a declared effect, DO, EXECUTE of a statement not prepared in the
// same text: fail closed). They read the analyser's Writes, Settings,
// SettingsUnknown, Database, RewritesTables, ReindexScope, LockMode and
// Routine facts.
//
// Code the analyser cannot read is handled so: a PostgreSQL DO block, an
// EXECUTE of a statement not prepared in the same text and a MySQL stored
// program are incomplete, hence denied as unknown; CREATE FUNCTION,
// PROCEDURE, TRIGGER, RULE, EVENT and EXTENSION are denied by
// [DangerousCalls] (their bodies run later); CALL of a procedure the
// policy does not list, DO, and EXECUTE of a statement not prepared in the
// same text are denied by [Routines], even where unknown statements are
// allowed; CALL, MySQL HANDLER, DO and anything whose effect is not a read
// are denied by [ReadOnly]; a SELECT of a user-defined function is denied
// only by [ReadOnlyAccess] with KnownFunctionsOnly — no rule can see what
// such a function does.
//
// Statements the analyser could not fully read are denied by default
// (fail closed) under the rule name "unknown"; see [WithUnknown]. The zero
// Policy does the same and allows the rest; a nil *Policy allows everything.
//
// # Modes
//
// A rule, or the whole policy ([WithMode]), runs in ModeEnforce or
// ModeMonitor. A monitored objection is decided and recorded but never
// blocks: the verdict is Allow with Mode ModeMonitor, and Rule and Reason
// name what would have happened. A monitored row cap is not applied. Use it
// as the dry run before turning a rule on.
//
// # Approvals
//
// A Review holds the statement until the [Approver] answers, bounded by the
// request's context and [WithApprovalTimeout]. A timeout, a cancelled
// context, an approver error or panic, an answer without a reviewer, and an
// approval by the requester (or by the user an agent acts for) all deny:
// reviews fail closed. The approval's id, reviewer and comment land in
// [Verdict.Approval].
//
// [ApproverFunc] adapts a function. [Queue] keeps reviews as tickets in a
// [Store] ([MemoryStore], or [SQLStore] on a database table, shared by
// replicas) and answers them through [Queue.Decide] or its JSON HTTP API
// ([Queue.Handler]): list pending requests with who, what (the
// literal-free statement text) and why; approve or deny with the
// reviewer's identity and a comment. An approval is a one-time grant for
// that exact statement text and those argument values (one execution,
// lapsing QueueConfig.PendingTTL + MaxGrant after the request), or a
// time-boxed grant for N minutes. Either is scoped to the requester, the
// user an agent acts for, the tenant, the rules and the statement's
// fingerprint, and checked when claimed.
//
// Reviewers see the literal-free statement, its arguments by type and size
// ([ArgInfo]: guard holds no mask rules, so no value is shown), the agent's
// model, tool and tool call id, and the purpose. The requester of a
// statement that did not run gets a *[ReviewError] (inside the
// *[BlockedError]) with the ticket id, and on a denial the reviewer and
// comment. With QueueConfig.NoWait the statement does not wait: it fails at
// once with a pending *[ReviewError] (matching [ErrBlocked] and
// [ErrReviewPending]); the same statement with the same arguments runs once
// the ticket is approved.
//
// # Identities in approvals
//
// Self-approval is decided by [SameSubject]: subjects (the identity
// provider's ids, never display names) are compared trimmed and case-folded,
// against the requester and the user an agent acts for. Grants match
// subjects exactly, so folding only ever adds refusals. The HTTP API needs
// a reviewer on every route (HandlerConfig.Reviewer, by default
// identity.FromContext), refuses cross-site and non-JSON requests, and
// shows a reviewer only their own tenant's requests.
//
// # Row caps
//
// [MaxRows] sets [Verdict.MaxRowsAffected] for UPDATE, DELETE and MERGE; the
// driver enforces it. Inside a caller's transaction, exceeding the cap
// returns an error and the caller must roll back. Outside one, the driver
// runs a single, fully analysed statement in a transaction of its own and
// rolls it back when the cap is exceeded; where that is impossible
// (statements that commit implicitly, drivers without transactions, a
// Query that may change rows) it refuses the statement. See the driver
// package for the precise conditions.
//
// # Policy files
//
// [Load] and [Parse] read a YAML policy; the example in examples/policy
// shows every setting. At the top level: version (1), mode (enforce |
// monitor), environment, unknown (deny | review | allow), approval.timeout
// (a duration such as 2m), limits.condition_cost (see Condition limits)
// and rules. Each rule has a name and either a
// builtin (one of the Rule* names, with its parameters: environments;
// who {kinds, roles, subjects}; allow and deny; limit; exempt_roles; for
// routines, allow as a list of {name, effect}) or a condition rule (when, reason, and action deny | review | allow, where
// allow must grant unmask: true). Any rule may set mode, action (deny or
// review for a built-in) and when, a condition that limits it.
//
// A file is checked completely at load, and refused with a *[PolicyError]
// giving the file, the rule, the line and column and what is wrong, when it
// is malformed, names an unknown setting, built-in or attribute, or looks
// enforced but is not: a rule that selects nobody, an empty environment
// list, a condition that is always false, an allow rule that grants
// nothing, a review with no approver, a parameter that the built-in does
// not take, an empty rule list.
//
// # Condition attributes
//
// Conditions are CEL expressions (cel.dev/cel-go, with its string
// extension), compiled once at load; an attribute not listed here is an
// error at load. A condition that fails at run time counts as true for
// [NamedRule.When] (the guardrail still applies) and as a denial for a
// condition rule.
//
//	identity.kind            string  "user", "service", "agent", "unspecified"
//	identity.subject         string
//	identity.name            string
//	identity.tenant          string
//	identity.service         string
//	identity.purpose         string
//	identity.ticket          string
//	identity.roles           list(string)  roles, empty for an untrusted identity
//	identity.claimed_roles   list(string)  roles as claimed, even if untrusted
//	identity.untrusted       bool    asserted by the caller (baggage)
//	identity.anonymous       bool    no subject, service or agent name
//	identity.attributes      map(string, string)
//	identity.agent.name      string
//	identity.agent.model     string
//	identity.agent.tool      string
//	identity.agent.tool_call_id  string
//	identity.agent.on_behalf_of  string
//	statement.kind           string  first statement's kind: "SELECT", "DELETE", … (see [KindName])
//	statement.effect         string  its most consequential effect (a DELETE in a CTE: "DELETE")
//	statement.kinds          list(string)  every statement's kind, including wrapped ones
//	statement.effects        list(string)
//	statement.objects        list(string)  DDL object types: "TABLE", "ROLE", "NONE", … (see [ObjectName])
//	statement.reads          list(string)  relations read, "schema.name" or "name"
//	statement.writes         list(string)  relations written
//	statement.tables         list(string)  both
//	statement.functions      list(string)  functions called, lowercase
//	statement.complete       bool    fully understood
//	statement.stacked        bool    more than one statement
//	statement.count          int     number of statements
//	statement.unbounded      bool    runs an UPDATE/DELETE without a restricting WHERE (in a CTE, under EXPLAIN ANALYZE too)
//	statement.drops_column   bool    ALTER … DROP COLUMN/CONSTRAINT
//	statement.into_file      bool    writes or reads outside the database (INTO OUTFILE, COPY … PROGRAM, LOAD DATA LOCAL)
//	statement.text           string  literal-free text (literals replaced by "?")
//	statement.summary        string  short description ("DELETE orders")
//	statement.dialect        string  "postgresql", "mysql", "sqlite", "unknown"
//	request.args             int     number of bound arguments (never their values)
//	request.in_tx            bool    inside the caller's transaction
//	request.unmask           bool    clear values asked for
//	environment              string
//	now                      timestamp  when the statement was issued
//
// Argument values and literals are deliberately not in the vocabulary.
//
// # Condition limits
//
// Every condition is bounded, so that a policy cannot stall the statements
// it guards. At load, cel-go's static cost estimate, for requests of up to
// 256 list items, names of 256 characters and statement texts of 16 KiB,
// must not exceed the cost limit ([DefaultConditionCostLimit], or the
// file's limits.condition_cost, or [WithConditionCostLimit], which
// overrides the file): a condition that could (nested macros over
// long lists, a list built in the expression and iterated over) is refused
// with a *[PolicyError]. At run time a condition that iterates (a macro)
// stops when its actual cost reaches the limit, on a request larger than
// assumed, or when the statement's context is done (looked at every 64
// iterations); one that does not iterate runs in time linear in the
// request's size, and is not tracked. A stopped
// condition denies the statement, whatever the rule's action, with a
// *[BlockedError] naming the rule that matches [ErrConditionLimit] (and
// the context's error). [Condition], which has no context, is bounded by
// the default cost limit only.
//
// A rule whose condition is a conjunction with a test of a string
// attribute against a literal (statement.kind == "DELETE",
// "admin" in identity.roles, "app.audit" in statement.writes) is skipped
// without running when that test is false; thousands of such rules cost
// little more than the ones that can apply.
//
// # Concurrency
//
// A Policy, a Queue and the stores are safe for concurrent use. Rules and
// conditions must be too, and must treat the Request as read-only (the
// policy itself only fills an empty Environment and Time).
package guard
