package driver

import (
	sqldriver "database/sql/driver"
	"errors"
	"fmt"

	"github.com/sqlvigil/sqlvigil/guard"
)

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
