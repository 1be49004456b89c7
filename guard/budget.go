package guard

import (
	"context"
	"errors"
	"strconv"

	"github.com/sqlvigil/sqlvigil/internal/rulename"
)

// ErrBudget is matched by the error that ends the rows of a statement once
// they reach the read budget of the policy ([Verdict.MaxReturnRows],
// [Verdict.MaxReturnBytes]). The rows before it were returned. Use
// errors.Is; use errors.As with *[BudgetError] for the rule and the limit.
var ErrBudget = errors.New("guard: read budget reached")

// Budget is what one statement may return to the identities Who selects.
// A zero MaxRows or MaxBytes sets no limit of that kind.
type Budget struct {
	Who Who
	// MaxRows is how many rows one statement may return, over all its
	// result sets.
	MaxRows int64
	// MaxBytes is how many bytes of values one statement may return: the
	// length of strings and byte slices, 8 for numbers and times, 1 for a
	// boolean, 0 for NULL, counted after masking.
	MaxBytes int64
}

// ReadBudget limits how much one statement may return to the identities b
// selects: typically AI agents, whose every row lands in a model's context
// and in a provider's logs. The policy only states the budget
// ([Verdict.MaxReturnRows], [Verdict.MaxReturnBytes]); the driver enforces
// it while the rows stream: the caller gets the rows within the budget,
// then the rows end with a *[BudgetError] (Rows.Err), and the audit record
// says they were truncated. The row that would have crossed the budget is
// read from the database but never returned.
//
// Of the budgets of all enforced rules the smallest of each kind applies.
func ReadBudget(b Budget) NamedRule { return Named(rulename.ReadBudget, &readBudget{b: b}) }

type readBudget struct{ b Budget }

func (rb *readBudget) Check(_ context.Context, r *Request) Verdict {
	if !rb.b.Who.Match(&r.Identity) {
		return Verdict{}
	}
	return Verdict{MaxReturnRows: rb.b.MaxRows, MaxReturnBytes: rb.b.MaxBytes}
}

func (rb *readBudget) validate() error {
	if rb.b.Who.IsZero() {
		return errors.New("selects no identity (set kinds, roles or subjects)")
	}
	if rb.b.MaxRows < 0 || rb.b.MaxBytes < 0 {
		return errors.New("a budget cannot be negative")
	}
	if rb.b.MaxRows == 0 && rb.b.MaxBytes == 0 {
		return errors.New("sets neither MaxRows nor MaxBytes")
	}
	return nil
}

// BudgetError is the detail of [ErrBudget]: which rule's budget the rows
// reached, of what, and how much was returned before it.
type BudgetError struct {
	// Rule names the rule that set the budget.
	Rule string
	// Bytes is true when the byte budget was reached, false for the row
	// budget.
	Bytes bool
	// Limit is the budget; Returned the rows (or bytes) returned before
	// the rows ended.
	Limit    int64
	Returned int64
}

// Error implements error. It names the rule and the limit, and what would
// be allowed; never a value.
func (e *BudgetError) Error() string {
	unit := " rows"
	if e.Bytes {
		unit = " bytes"
	}
	return "guard: read budget of rule " + e.Rule + " reached: at most " +
		strconv.FormatInt(e.Limit, 10) + unit + " per statement; " + e.Hint()
}

// Hint says what would be allowed: a stable text for a caller (an agent)
// to act on.
func (e *BudgetError) Hint() string {
	if e.Bytes {
		return "select fewer or shorter columns, filter with WHERE, add a LIMIT or aggregate"
	}
	return "filter with WHERE, add a LIMIT, paginate or aggregate"
}

// Unwrap returns ErrBudget.
func (e *BudgetError) Unwrap() error { return ErrBudget }
