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
//     database; so does, with a masker, a write that would store a value
//     masked for the writer where it would read in clear (guard rule
//     "mask-copy", below);
//  4. record: the auditor ([WithAuditor]) opens a record; if it fails, the
//     statement does not run;
//  5. execute: the wrapped driver, untouched;
//  6. mask: each result set gets a plan from the masker ([WithMasker]),
//     made again after NextResultSet, applied to each row in Next;
//  7. close: the record ends with rows returned or affected, masked
//     columns and the error, when the rows close or the Exec returns.
//
// Database errors pass through the masker (mask.Masker.RedactErrorFor) for
// the statement's identity and the clear values the guard granted it, so a
// reader a rule exempts sees the database's own error and others see the
// quoted values redacted: errors of Exec, Query, Next, NextResultSet and
// Close (a later statement of a stacked script fails there), of Prepare,
// and of Commit (a deferred constraint). Transactions get a record of their
// own (auditor.StartTx) that parents their statements and ends with
// "commit" or "rollback".
//
// # What the masker is told about each column
//
// Each result column is described to the masker (mask.Column) from the
// statement analysis:
//
//   - Without a star, the output items match the columns by position.
//   - A star cannot rename a column: each column a star returns is a table
//     column under its own name. When every star expands one table the
//     source is "table.column"; over a join it is the bare column name, so
//     a table-scoped rule ("people.ssn") masks a column of that name from
//     any of the joined tables (over-masking rather than refusing). The
//     star of RETURNING in INSERT, UPDATE and DELETE expands the written
//     table. As a join with USING or NATURAL reorders columns, a column of
//     a statement with a star also gets the sources of the item at its
//     position and of every item returned under its name. A star naming
//     something other than a table the statement reads or writes (a CTE, a
//     derived table) leaves the columns unattributed, and so does an
//     analysis that is incomplete or whose item count does not match.
//   - In a stacked script, result set k is described by the k-th statement
//     that returns rows only where that is certain: the driver returns one
//     result set per such statement in order (lib/pq, go-sql-driver/mysql
//     with multiStatements) and every statement is known to return rows or
//     not (no SHOW, CALL, EXECUTE, no SELECT … INTO). Otherwise (SQLite,
//     which returns the last statement's rows; other drivers) every column
//     of every result set gets the union of the sources of all statements,
//     marked computed, so it is masked as any of them would be. When even
//     that is unknown (a statement whose output the analysis does not
//     describe, such as SHOW, EXPLAIN or CALL), the result set is refused
//     with mask.ErrUnattributed whenever a rule is in force for the reader,
//     whatever the masker's Unattributed mode.
//
// The analysis cannot see through a view: a view's columns are attributed
// to the view, so name its columns in rules too. Known gap: a star over a
// FROM clause that also holds a set-returning function or a column alias
// list (FROM people, unnest(…) u; FROM people AS p(a, b)) is reported as
// expanding the table alone, so the function's or renamed columns are
// taken for the table's own; deny such statements by policy until the
// analysis reports them as incomplete.
//
// Masking is data-flow control, decided before the statement runs (see
// flow.go): for a reader with a masking rule in force, a statement that
// would carry a value read from a table anywhere but into a masked result
// column or a predicate — a store not masked by the same rule (rule
// guard.RuleMaskCopy), a variable, a setting, a function with effects, a
// message, a catalog that copies data, or a lineage the analyser cannot
// follow (rule guard.RuleMaskFlow) — is refused with a *guard.BlockedError
// that also matches mask.ErrFlow. Views the statement reads are traced to
// their base columns through the catalog, on the statement's own
// connection, and cached per handle. Values of literals and arguments are
// not masked data. RETURNING a written column takes the sources of the
// value stored in it.
//
// With no policy, masker or auditor, statements pass straight through.
//
// A statement runs as the text that was decided on, or not at all: an
// argument that makes the driver rewrite the text (pgx runs the text a
// QueryRewriter argument returns) is refused with guard.ErrBlocked, except
// pgx's own NamedArgs and StrictNamedArgs, which only number placeholders.
//
// # Exactly once
//
// The pipeline runs once per statement a caller issues. When a driver
// answers driver.ErrSkip (go-sql-driver/mysql with arguments and without
// interpolateParams), database/sql prepares the statement and executes the
// prepared statement on the same connection: that execution continues the
// same run.
//
// When a driver answers driver.ErrBadConn, database/sql tries the call
// again (DB.retry: at most three attempts in all, the last on a new
// connection), on the caller's goroutine, with the same context, text and
// arguments, and nothing else in between. A run is therefore kept for its
// retry under the goroutine that ran it — never under the context, which
// callers share (every db.Exec uses context.Background()) — and only when
// the failing attempt ran under DB.retry (a statement on a sql.Conn or in
// a transaction is not retried). The goroutine's next statement either is
// the retry, which continues the run (the approver is asked once, one
// record is written, its span covers every attempt), or shows that
// database/sql gave up, which ends the run. Attempts that fail before the
// driver sees the statement (a connection that cannot be made, a pooled
// one whose ResetSession answers driver.ErrBadConn) count in the same
// record.
//
// A retry after an attempt that ran under an approval is refused with a
// [guard.BlockedError]: drivers such as lib/pq answer driver.ErrBadConn
// when the connection is lost after the server ran the statement, and an
// approval admits one execution. The caller asks again. (The verdict does
// not tell a one-time grant from a time-boxed one; both are treated so.)
//
// A call whose every attempt fails before reaching the driver (an
// unreachable or blackholed database) is recorded as method "connect",
// under the identity of its context, with the error: database/sql asks for
// a connection before it hands over the statement, so the record cannot
// say what was to run. Attempts that database/sql ends before the
// statement reaches the driver count too: a pooled connection past
// SetConnMaxLifetime, which it closes and counts as a bad connection, and
// a connection it fails to open in its own goroutine for a caller waiting
// on a full pool, whose error it hands to that caller (sqlvigil returns
// that error wrapped, so as to learn which caller got it: errors.Is and
// errors.As see the driver's error, and it reads the same). Such a
// failure that no caller waits for ends no call and leaves no record;
// while one is unclaimed, a run whose last attempt is still to come is
// ended rather than continued (at worst two records for one call, never
// one for two). A run still waiting after a minute, or whose context
// ends, is ended; a connection that closes ends the records it still
// holds.
//
// Preparing a statement runs no policy: the pipeline runs when a prepared
// statement executes, once per execution.
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
// # Session state
//
// A pooled connection keeps what a statement left on it (settings, role,
// search path, PRAGMAs, temporary tables, prepared statements, advisory
// locks, user variables, LISTEN, an open transaction begun by text). A
// statement that may leave such state marks its connection dirty, with
// its identity. Before a dirty connection serves a statement of another
// identity — one that differs in any field but the display name and an
// agent's tool call id — sqlvigil resets it, or closes it:
//
//   - PostgreSQL is reset in place: ROLLBACK, then what DISCARD ALL does
//     except DEALLOCATE ALL (so statements the driver prepared, and pgx's
//     statement cache, keep working); statements prepared with PREPARE in
//     SQL are deallocated. Settings given at connect (DSN parameters) are
//     kept, as RESET ALL returns to them. A library loaded (LOAD), a dblink
//     connection opened or a text not fully read closes the connection
//     instead.
//   - SQLite is reset in place (attached databases detached, temporary
//     objects dropped, the PRAGMAs of connection settings restored) unless
//     the change cannot be undone (another PRAGMA, an extension loaded, a
//     transaction begun by text): then the connection is closed. An
//     in-memory database lives in its connections: closing the last one
//     loses it.
//   - MySQL and MariaDB are closed: go-sql-driver/mysql does not send
//     COM_RESET_CONNECTION, and user variables, temporary tables and
//     prepared statements cannot be listed to be undone.
//   - A connection handed out by [RawConn] is closed.
//
// On a pooled connection this happens when database/sql takes it from the
// pool (driver.SessionResetter, which sqlvigil offers for every driver and
// which calls the driver's own first; closing is its driver.ErrBadConn
// answer). On a held connection (sql.Conn, a transaction) it happens before
// the statement, or before BeginTx; where it cannot (inside a transaction, or when the
// connection would have to be closed), the statement is refused with
// [ErrSessionState]. Each reset or close is recorded ("RESET SESSION",
// "DISCARD CONNECTION", method "reset") under the identity about to use
// the connection. The same identity keeps its state, as without sqlvigil.
// With no policy, masker or auditor, nothing is tracked.
//
// # Faithful wrapping
//
// A wrapped connection, statement, rows or connector offers an optional
// driver interface if and only if the wrapped one does (except
// SessionResetter, see "Session state"), so database/sql behaves as with
// the raw driver: the same argument converters (NamedValueChecker,
// ColumnConverter), the same column types, database/sql's own errors for transaction options a driver
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
// recorded, and the connection is closed before it serves another
// identity.
//
// # Concurrency
//
// Wrapped drivers and connectors are safe for concurrent use, as
// database/sql requires; the policy, masker and auditor must be too.
package driver
