package guard

import (
	"errors"
	"strconv"
)

// ErrTooManyRows is returned when a statement changed more rows than the
// policy's [Verdict.MaxRowsAffected] allows ([MaxRows]); the driver
// returns it. Use errors.Is; use errors.As with
// *RowsAffectedError for the counts.
var ErrTooManyRows = errors.New("guard: statement affects more rows than allowed")

// RowsAffectedError is the detail of ErrTooManyRows.
type RowsAffectedError struct {
	// Rule names the policy rule that set the limit.
	Rule string
	// Limit is the policy's MaxRowsAffected; Affected what the statement
	// reported.
	Limit, Affected int64
	// RolledBack is true when sqlvigil ran the statement in its own
	// transaction and rolled it back: nothing changed. When false the
	// statement ran inside the caller's transaction, which the caller must
	// roll back.
	RolledBack bool
}

// Error implements error. It names the rule, the counts and what would be
// allowed; never a value.
func (e *RowsAffectedError) Error() string {
	s := "guard: statement affects " + strconv.FormatInt(e.Affected, 10) +
		" rows, more than the " + strconv.FormatInt(e.Limit, 10) + " allowed"
	if e.Rule != "" {
		s += " by rule " + e.Rule
	}
	if e.RolledBack {
		return s + " (rolled back); " + e.Hint()
	}
	return s + " (roll back the transaction); " + e.Hint()
}

// Hint says what would be allowed: a stable text for a caller (an agent)
// to act on.
func (e *RowsAffectedError) Hint() string {
	return "narrow the WHERE to at most " + strconv.FormatInt(e.Limit, 10) + " rows, or change them in batches"
}

// Unwrap returns ErrTooManyRows.
func (e *RowsAffectedError) Unwrap() error { return ErrTooManyRows }
