package driver

import (
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"strconv"

	"github.com/sqlvigil/sqlvigil/guard"
)

// ErrTooManyRows is returned when a statement changed more rows than the
// policy's MaxRowsAffected allows. Use errors.Is; use errors.As with
// *RowsAffectedError for the counts.
var ErrTooManyRows = errors.New("sqlvigil: statement affects more rows than allowed")

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

// Error implements error.
func (e *RowsAffectedError) Error() string {
	s := "sqlvigil: statement affects " + strconv.FormatInt(e.Affected, 10) +
		" rows, more than the " + strconv.FormatInt(e.Limit, 10) + " allowed"
	if e.Rule != "" {
		s += " by rule " + e.Rule
	}
	if e.RolledBack {
		return s + " (rolled back)"
	}
	return s + " (roll back the transaction)"
}

// Unwrap returns ErrTooManyRows.
func (e *RowsAffectedError) Unwrap() error { return ErrTooManyRows }

// errNotExecuted ends the record of a statement database/sql gave up on
// between the driver's ErrSkip and the prepared statement's execution (an
// argument it could not convert, for instance).
var errNotExecuted = errors.New("sqlvigil: statement not executed")

// errConnClosed ends the record of a transaction whose connection closed
// before it was committed or rolled back.
var errConnClosed = errors.New("sqlvigil: connection closed")

// noBadConn makes sure an error of sqlvigil's own never matches
// driver.ErrBadConn, which database/sql would answer by running the
// statement again on another connection.
func noBadConn(err error) error {
	if err == nil || !errors.Is(err, sqldriver.ErrBadConn) {
		return err
	}
	return fmt.Errorf("%w: %s", guard.ErrBlocked, err.Error())
}
