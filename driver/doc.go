// Package driver wraps a database/sql driver with sqlvigil's statement
// pipeline. It is the only package that knows the wrapping mechanics
// (github.com/ngrok/sqlmw, through a patched copy in internal/sqlmw); most
// programs use the root package's Open, OpenDB and Register instead.
//
// # The pipeline
//
// For each statement a caller issues, in order:
//
//  1. analyse: the text becomes a statement model (cached by text);
//  2. identify: identity.FromContext, else identity.FromBaggage with
//     [WithBaggageIdentity], else [WithDefaultIdentity];
//  3. decide: the policy ([WithPolicy]) sees a guard.Request; an error, or
//     any decision but Allow, stops the statement before it reaches the
//     database;
//  4. record: the auditor ([WithAuditor]) opens a record; if it fails, the
//     statement does not run;
//  5. execute: the wrapped driver, untouched;
//  6. mask: each result set gets a plan from the masker ([WithMasker]),
//     made again after NextResultSet, applied to each row in Next;
//  7. close: the record ends with rows returned or affected, masked
//     columns and the error, when the rows close or the Exec returns.
//
// Database errors pass through the masker's RedactError. Transactions get
// a record of their own (auditor.StartTx) that parents their statements and
// ends with "commit" or "rollback".
//
// With no policy, masker or auditor, statements pass straight through.
//
// # Exactly once
//
// The pipeline runs once per statement a caller issues. When a driver
// answers driver.ErrSkip (go-sql-driver/mysql with arguments and without
// interpolateParams), database/sql prepares the statement and executes the
// prepared statement on the same connection: that execution continues the
// same run. When a driver answers driver.ErrBadConn before running a
// statement, database/sql tries again (at most three attempts in all) with
// the same context: the retry continues the same run, so an approver is
// asked once and one record is written.
//
// Preparing a statement runs no policy: the pipeline runs when a prepared
// statement executes, once per execution.
//
// A retry is recognised by its context value and text. Two goroutines that
// retry the same text at the same moment with one shared context (such as
// context.Background()) may therefore swap runs, and a context whose type
// cannot be compared with == (a struct holding a slice, say) gets a new run
// per attempt. Request-scoped contexts, the usual case, have neither issue.
//
// # Row limits
//
// A verdict's MaxRowsAffected caps the rows an Exec may change. Inside the
// caller's transaction, exceeding it returns a [*RowsAffectedError]
// (ErrTooManyRows) and the caller must roll back. Outside one, the statement
// runs in a transaction of its own that is rolled back when the cap is
// exceeded; this holds for a single, fully analysed INSERT, UPDATE, DELETE,
// MERGE or REPLACE on a driver with transactions (and not for statements
// that commit implicitly, which is why others are refused with
// guard.ErrBlocked). A Query under a cap that may change rows (DELETE …
// RETURNING) is refused too.
//
// # Faithful wrapping
//
// A wrapped connection, statement, rows or connector offers an optional
// driver interface if and only if the wrapped one does, so database/sql
// behaves as with the raw driver: the same argument converters
// (NamedValueChecker, ColumnConverter), the same session checks, the same
// column types, database/sql's own errors for transaction options a driver
// cannot honour. Closing the sql.DB closes the wrapped connector.
// driver.RowsColumnScanner (Go 1.27) is never offered: every value passes
// through Next, where masking happens. driver.ErrSkip is returned
// unwrapped, and no error of sqlvigil's own matches driver.ErrBadConn.
//
// # The escape hatch
//
// sql.Conn.Raw hands its callback sqlvigil's connection. [RawConn] returns
// the driver's own connection from it and records the access (method
// "raw"); what is sent on that connection is neither checked, masked nor
// recorded.
//
// # Concurrency
//
// Wrapped drivers and connectors are safe for concurrent use, as
// database/sql requires; the policy, masker and auditor must be too.
package driver
