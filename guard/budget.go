package guard

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqlvigil/sqlvigil/internal/rulename"
)

// ErrBudget is matched by the error that ends the rows of a statement once
// they reach the read budget of the policy ([Verdict.MaxReturnRows],
// [Verdict.MaxReturnBytes]). The rows before it were returned. Use
// errors.Is; use errors.As with *[BudgetError] for the rule and the limit.
var ErrBudget = errors.New("guard: read budget reached")

// Budget is what the identities Who selects may read: per statement
// (MaxRows, MaxBytes), and over a period (Window, WindowRows,
// WindowBytes), which paging through a table one allowed statement at a
// time cannot get around. A zero limit sets no limit of that kind.
type Budget struct {
	Who Who
	// MaxRows is how many rows one statement may return, over all its
	// result sets.
	MaxRows int64
	// MaxBytes is how many bytes of values one statement may return: the
	// length of strings and byte slices, 8 for numbers and times, 1 for a
	// boolean, 0 for NULL, counted after masking.
	MaxBytes int64
	// Window, with WindowRows or WindowBytes, is a budget per identity
	// (its tenant and subject) over a period that begins with the
	// identity's first statement and ends Window later: at most WindowRows
	// rows, and WindowBytes bytes, over all its statements of the period.
	// A statement is given what is left (and at most MaxRows, MaxBytes)
	// when it starts, and what it did not read is given back when it ends;
	// so two statements of one identity at once share what is left. Once
	// it is spent, the identity's statements are denied until the period
	// ends. The state is the policy's own, in memory: each process that
	// holds the policy counts apart, and a restart begins a new period.
	Window      time.Duration
	WindowRows  int64
	WindowBytes int64
}

// ReadBudget limits how much the identities b selects may read: typically
// AI agents, whose every row lands in a model's context and in a
// provider's logs. The policy only states what a statement may return
// ([Verdict.MaxReturnRows], [Verdict.MaxReturnBytes]); the driver
// enforces it while the rows stream: the caller gets the rows within the
// budget, then the rows end with a *[BudgetError] (Rows.Err), and the
// audit record says they were truncated. The row that would have crossed
// the budget is read from the database but never returned. A statement
// of an identity whose budget over the period is spent is denied.
//
// Of the budgets of all enforced rules the smallest of each kind applies.
func ReadBudget(b Budget) NamedRule {
	return Named(rulename.ReadBudget, &readBudget{b: b, meters: map[budgetKey]*meter{}})
}

type readBudget struct {
	b Budget

	mu     sync.Mutex
	meters map[budgetKey]*meter // per identity, for a Window
	pruned time.Time            // when meters of past periods were last dropped
}

type budgetKey struct{ tenant, subject string }

// meter is what an identity read, or has reserved, in the period that
// began at start.
type meter struct {
	start       time.Time
	rows, bytes int64
}

// Hints of a budget over a period that is spent.
const hintWindowSpent = "the read budget of this period is spent: wait for the period to end before reading more"

func (rb *readBudget) Check(_ context.Context, r *Request) Verdict {
	if !rb.b.Who.Match(&r.Identity) {
		return Verdict{}
	}
	b := &rb.b
	if b.Window <= 0 {
		return Verdict{MaxReturnRows: b.MaxRows, MaxReturnBytes: b.MaxBytes}
	}
	now := r.Time
	if now.IsZero() {
		now = time.Now()
	}
	key := budgetKey{r.Identity.Tenant, r.Identity.Subject}
	rb.mu.Lock()
	if now.Sub(rb.pruned) >= b.Window || now.Before(rb.pruned) {
		for k, m := range rb.meters {
			if rb.past(m, now) {
				delete(rb.meters, k)
			}
		}
		rb.pruned = now
	}
	m := rb.meters[key]
	if m == nil || rb.past(m, now) {
		m = &meter{start: now}
		rb.meters[key] = m
	}
	rows, okRows := reserve(b.MaxRows, b.WindowRows, m.rows)
	bytes, okBytes := reserve(b.MaxBytes, b.WindowBytes, m.bytes)
	if !okRows || !okBytes {
		rb.mu.Unlock()
		return Verdict{Decision: Deny, Reason: "read budget of the period spent", Hint: hintWindowSpent}
	}
	resRows, resBytes := int64(0), int64(0)
	if b.WindowRows > 0 {
		resRows = rows
	}
	if b.WindowBytes > 0 {
		resBytes = bytes
	}
	m.rows += resRows
	m.bytes += resBytes
	rb.mu.Unlock()
	var settled atomic.Bool
	return Verdict{MaxReturnRows: rows, MaxReturnBytes: bytes, Spend: func(nRows, nBytes int64) {
		if settled.Swap(true) {
			return
		}
		rb.mu.Lock()
		defer rb.mu.Unlock()
		if rb.meters[key] != m {
			return // the period ended; a new one counts afresh
		}
		if b.WindowRows > 0 {
			m.rows += max(nRows, 0) - resRows
		}
		if b.WindowBytes > 0 {
			m.bytes += max(nBytes, 0) - resBytes
		}
	}}
}

// past reports whether m's period has ended at now (or the clock went
// back before it began).
func (rb *readBudget) past(m *meter, now time.Time) bool {
	return now.Sub(m.start) >= rb.b.Window || now.Before(m.start)
}

// reserve returns what one statement may read of a kind: the smaller of
// the per-statement limit and what is left of the period's, 0 for no
// limit; ok is false when the period's is spent.
func reserve(perStatement, window, used int64) (n int64, ok bool) {
	if window <= 0 {
		return perStatement, true
	}
	left := window - used
	if left <= 0 {
		return 0, false
	}
	if perStatement > 0 && perStatement < left {
		return perStatement, true
	}
	return left, true
}

func (rb *readBudget) validate() error {
	b := &rb.b
	if b.Who.IsZero() {
		return errors.New("selects no identity (set kinds, roles or subjects)")
	}
	if b.MaxRows < 0 || b.MaxBytes < 0 || b.WindowRows < 0 || b.WindowBytes < 0 || b.Window < 0 {
		return errors.New("a budget cannot be negative")
	}
	if (b.Window > 0) != (b.WindowRows > 0 || b.WindowBytes > 0) {
		return errors.New("a budget over a period needs both Window and WindowRows or WindowBytes")
	}
	if b.MaxRows == 0 && b.MaxBytes == 0 && b.Window == 0 {
		return errors.New("sets neither MaxRows, MaxBytes nor a budget over a period")
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
		strconv.FormatInt(e.Limit, 10) + unit + " for this statement; " + e.Hint()
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
