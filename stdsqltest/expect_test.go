package stdsqltest

import (
	"slices"

	"github.com/sqlvigil/sqlvigil/stdsqltest/vigilwrap"
)

// expectation is a known difference from the raw fake driver.
type expectation struct {
	// configs lists the configurations the test fails in; empty means
	// every wrapped one.
	configs []string
	reason  string
}

func (e expectation) in(cfg string) bool {
	return len(e.configs) == 0 || slices.Contains(e.configs, cfg)
}

// Reasons.
const (
	// fakeType: the test asserts the fake driver's own type on a value
	// database/sql holds (rows.rowsi.(*rowsCursor), tx.txi.(*fakeTx)) or
	// compares it with the fake driver (db.Driver() != fdriver). Wrapped,
	// the value is sqlvigil's (internal/sqlmw), and these kinds do not
	// offer Unwrap, so seeThrough cannot reach the fake one. Not a
	// behaviour difference.
	fakeType = "asserts the fake driver's own type or identity"

	// nilResult: a defect of sqlvigil, being fixed on another branch. The
	// fake driver's ColumnConverter statement returns a nil driver.Result;
	// with an auditor, driver/statement.go:165 (interceptor.exec) calls
	// RowsAffected on it and panics. Remove the entry once the fix is
	// merged.
	nilResult = "sqlvigil defect: RowsAffected on a nil driver.Result (driver/statement.go)"
)

// expectations lists, by test name, the tests of database/sql that pass
// with the raw fake driver and fail wrapped, and why. Update it when
// database/sql's tests or sqlvigil change: the run names the entry to add
// or remove.
var expectations = map[string]expectation{
	"TestOpenDB":                      {reason: fakeType}, // db.Driver() != fdriver
	"TestRowsImplicitClose":           {reason: fakeType}, // rows.rowsi.(*rowsCursor)
	"TestRowsCloseError":              {reason: fakeType}, // rows.rowsi.(*rowsCursor)
	"TestTxCannotCommitAfterRollback": {reason: fakeType}, // tx.txi.(*fakeTx)
	"TestColumnConverterWithUnknownInputCount": {
		configs: []string{vigilwrap.Audit},
		reason:  nilResult,
	},
}
