package guard

// This file fixes the API the driver package calls. Fields and functions may
// be added; none of these may be renamed or change signature without changing
// the driver in the same commit.

import (
	"context"
	"database/sql/driver"
	"errors"
	"time"

	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// ErrBlocked is returned for a statement a policy denies. Use errors.Is; use
// errors.As with *BlockedError for the rule and reason.
var ErrBlocked = errors.New("guard: statement blocked")

// Decision is what a policy decides for a statement. The zero value is
// DecisionUnspecified, which the driver treats as a denial.
type Decision uint8

// Decisions.
const (
	DecisionUnspecified Decision = iota
	Allow
	Deny
	Review
)

// Mode says whether a rule or a policy blocks (enforce) or only records
// (monitor). The zero value is ModeEnforce.
type Mode uint8

// Modes.
const (
	ModeEnforce Mode = iota
	ModeMonitor
)

// Request is what a policy decides on: one statement (or stacked script)
// about to run.
type Request struct {
	// Identity is who issues the statement.
	Identity identity.Identity
	// Script is the analysis of SQL.
	Script *sqlstmt.Script
	// SQL is the statement text as the caller wrote it. Rules must never
	// copy it, or any literal in it, into a reason or an error.
	SQL string
	// Args are the bound arguments. Never echoed.
	Args []driver.NamedValue
	// Environment names where the service runs ("production", "staging").
	Environment string
	// InTx is true inside a caller's transaction.
	InTx bool
	// Unmask is true when the caller asks to see clear values (see
	// mask.RequestUnmask).
	Unmask bool
	// Time is when the statement was issued.
	Time time.Time
}

// Verdict is a decision on a request, with what the audit trail records of
// it. A [Rule] returns one for its own judgement (Decision, Reason,
// MaxRowsAffected, MaxReturnRows, MaxReturnBytes, Unmask, Err; the zero
// Verdict has no objection and grants nothing); [Policy.Check] returns the
// policy's, with the deciding rule, mode and review filled in.
type Verdict struct {
	// Decision is Deny or Review when a rule objects; Allow or
	// DecisionUnspecified when it does not. A rule's Allow never overrides
	// another rule's Deny or Review. A policy's verdict is Allow or Deny (a
	// Review resolves to one of them once the approver answers).
	Decision Decision
	// Reason explains the decision. It never contains a literal or an
	// argument value.
	Reason string
	// Hint, with a denial, says what would be allowed instead ("send one
	// statement per call"): a stable text a caller, an AI agent in
	// particular, can act on. Like Reason it never contains a value.
	Hint string
	// MaxRowsAffected caps the rows an UPDATE or DELETE may change; 0 means
	// no cap. Of the caps of all enforced rules the smallest applies.
	MaxRowsAffected int64
	// Unmask, from a rule, grants clear values to a request that asks for
	// them ([Request.Unmask]); it is honoured only from an enforced rule and
	// only when the statement is allowed. In a policy's verdict it says that
	// this statement may see clear values.
	Unmask bool
	// Err, with a rule's Deny, says why the rule could not decide, when
	// that is the reason for the denial (a condition stopped at its cost
	// limit or by the statement's context). The policy's *BlockedError
	// wraps it.
	Err error

	// The fields below are set by the policy.

	// Rule names the rule that decided, or "" when no rule matched.
	Rule string
	// Mode is the deciding rule's mode. A monitored denial has Decision
	// Allow, Mode ModeMonitor and Rule set.
	Mode Mode
	// Reviewed is true when an approver was asked.
	Reviewed bool
	// Approval is the approver's answer, when one was given.
	Approval Answer
	// MaxRowsRule names the rule that set MaxRowsAffected, for the error
	// the driver returns when the cap is exceeded.
	MaxRowsRule string
	// MaxReturnRows and MaxReturnBytes are the read budget ([ReadBudget]):
	// how many rows, and bytes of values, the statement may return; 0 means
	// no limit. Of the budgets of all enforced rules the smallest of each
	// kind applies; a rule sets them, the policy keeps the smallest.
	MaxReturnRows  int64
	MaxReturnBytes int64
	// MaxReturnRowsRule and MaxReturnBytesRule name the rules that set
	// them, for the *[BudgetError] the driver returns.
	MaxReturnRowsRule  string
	MaxReturnBytesRule string
	// Spend, when set, settles a read budget over a period ([Budget.Window]):
	// the rule reserved MaxReturnRows and MaxReturnBytes of the identity's
	// budget for the statement, and Spend, called once when the statement
	// ends with the rows and bytes it returned, gives back what it did not
	// use. The policy combines the rules' and settles them itself when it
	// denies; the driver calls the one of an allowed statement, however the
	// statement ends.
	Spend func(rows, bytes int64)
}

// BlockedError is the detail of a denial.
type BlockedError struct {
	Rule   string
	Reason string
	// Hint says what would be allowed instead, when the rule knows: a
	// stable text, never a value (see [Verdict.Hint]). Error does not
	// include it, so that texts matched by existing callers stay as they
	// are.
	Hint string
	// Err, when set, is the error behind the block, which the block also
	// matches (errors.Is, errors.As): why a rule could not decide (a
	// condition stopped at its limit: ErrConditionLimit, and the context's
	// error), or the refusal of another package the driver reports (a
	// *mask.FlowError).
	Err error
}

// Error implements error. It names the rule and the reason, never a value.
func (e *BlockedError) Error() string {
	if e.Rule == "" {
		return "guard: statement blocked: " + e.Reason
	}
	return "guard: statement blocked by rule " + e.Rule + ": " + e.Reason
}

// Unwrap returns ErrBlocked, and Err when it is set.
func (e *BlockedError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrBlocked}
	}
	return []error{ErrBlocked, e.Err}
}

// Policy decides on statements. A nil *Policy allows everything. The zero
// Policy has no rules and denies statements the analyser could not fully
// read; build one with [New]. A Policy is safe for concurrent use.
//
// Rules run in order; the first enforced denial decides; reviews are
// gathered and put to the approver once; an Allow from one rule never
// overrides another's denial. Statements the analyser could not fully read
// are denied under the rule name "unknown" (fail closed; see [WithUnknown]).
//
// A rule, or the whole policy ([WithMode]), runs in [ModeEnforce] or
// [ModeMonitor]. A monitored objection is decided and recorded but never
// blocks: the verdict is Allow with Mode ModeMonitor, and Rule and Reason
// name what would have happened. A monitored row cap is not applied.
//
// Sequences: database/sql pools connections, so what one statement leaves
// on a connection is there for the next, whoever sends it: two statements
// each allowed alone (PRAGMA writable_schema = ON, then DELETE FROM
// sqlite_master WHERE name = 'x') can destroy a database. [CatalogWrites],
// [IntegritySettings], [Maintenance] and [Routines] deny the first step of
// such sequences.
//
// Code the analyser cannot read: a PostgreSQL DO block, an EXECUTE of a
// statement not prepared in the same text and a MySQL stored program are
// incomplete, hence unknown; CREATE FUNCTION, PROCEDURE, TRIGGER, RULE,
// EVENT and EXTENSION are denied by [DangerousCalls] (their bodies run
// later); CALL of a procedure the policy does not list, DO and such an
// EXECUTE are denied by [Routines] even where unknown statements are
// allowed; CALL, HANDLER, DO and anything whose effect is not a read are
// denied by [ReadOnly]; a SELECT of a user-defined function is denied only
// by [ReadOnlyAccess] with KnownFunctionsOnly — no rule can see what such a
// function does.
//
// Row caps: [MaxRows] sets Verdict.MaxRowsAffected; the driver enforces it
// (see [RowsAffectedError]).
type Policy struct {
	rules    []NamedRule
	quick    []quickRule // per rule, when it has a cheaper allow path
	shared   []SharingRule
	groups   []int // per shared rule, an id of its Group
	mode     Mode
	env      string
	approver Approver
	timeout  time.Duration
	unknown  Decision
	grantKey []byte
	now      func() time.Time
}

// Check decides on r. A non-nil error means the statement must not run; it
// matches ErrBlocked for a denial (including a denied, timed-out or failed
// review). The verdict is filled in either case, for the audit trail.
//
// Check fills r.Environment from [WithEnvironment] when it is empty.
func (p *Policy) Check(ctx context.Context, r *Request) (Verdict, error) {
	if p == nil {
		return Verdict{Decision: Allow}, nil
	}
	return p.check(ctx, r)
}

// Analyze reads sql in dialect d as the driver does before a policy
// decides: for tools that judge recorded statements and for tests of
// rules. It never returns nil; what it cannot fully read is incomplete.
func Analyze(d sqlstmt.Dialect, sql string) *sqlstmt.Script { return sqlparse.Analyze(d, sql) }
