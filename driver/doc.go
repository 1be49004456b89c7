// Package driver is the mechanics of sqlvigil: it wraps a database/sql
// driver or connector so that every statement runs through the pipeline a
// [Config] describes. It is the only package that knows the wrapping layer
// (github.com/ngrok/sqlmw, through a patched copy in internal/sqlmw). Most
// programs use the root package's Open, OpenDB and Register, whose options
// fill a Config; use [New] and [NewConnector] to build on the Config
// directly.
//
// # The pipeline
//
// For each statement a caller issues — Exec, Query, a prepared statement's
// execution, in or out of a transaction or a sql.Conn — exactly once:
// analyse the text, identify the caller, decide (guard), open the record
// (audit), execute on the wrapped driver, mask each result set's rows, close
// the record. A denied statement never reaches the database and is still
// recorded. Details on [Config] (the steps, what the masker is told about
// each column, masking as data-flow control, row caps) and [New] (exactly
// once across driver.ErrSkip and driver.ErrBadConn retries, faithful
// wrapping of optional interfaces).
//
// # Fail closed
//
// A policy error or any decision but Allow stops the statement; so does an
// audit record that cannot be opened when recording is mandatory, and a
// flow that would carry a masked value out. No error of sqlvigil's own
// matches driver.ErrBadConn, and driver.ErrSkip is returned unwrapped.
// A connection whose session state another identity left is reset or
// closed before it serves the next identity, or the statement is refused
// with [ErrSessionState] (see [SessionStateError]). A driver whose dialect
// cannot be told from its type is refused with [ErrUnknownDialect] unless
// Config.Dialect is set.
//
// # The escape hatch
//
// sql.Conn.Raw hands its callback sqlvigil's connection; [RawConn] returns
// the driver's own from it and records the access. What is sent on that
// connection is neither checked, masked nor recorded, and the connection is
// closed before it serves another identity.
//
// # Example
//
//	d, err := driver.New(&sqlite.Driver{}, driver.Config{Policy: policy})
//	sql.Register("vigil-sqlite", d) // or sql.OpenDB over NewConnector
//	db, err := sql.Open("vigil-sqlite", dsn)
//
// # Concurrency
//
// Wrapped drivers and connectors are safe for concurrent use, as
// database/sql requires; the policy, masker and auditor must be too.
package driver
