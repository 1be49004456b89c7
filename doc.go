// Package sqlvigil wraps a database/sql driver so that every statement is
// tied to an identity, checked by guardrails, returns masked rows where the
// caller may not see clear values, and leaves an audit record as an
// OpenTelemetry span — in process, with no proxy. It is the one package
// users import to wrap; the mechanics live in package
// [github.com/sqlvigil/sqlvigil/driver].
//
// # One line
//
// Replace sql.Open with [Open], or sql.OpenDB with [OpenDB]:
//
//	db, err := sqlvigil.Open("postgres", dsn, sqlvigil.WithPolicy(p))
//
// or register a wrapped driver under a new name for code (or a framework)
// that takes a driver name; [Wrap] and [WrapConnector] return the wrapped
// driver.Driver or driver.Connector:
//
//	name, err := sqlvigil.RegisterOver("postgres") // "vigil:postgres"
//	db, err := sql.Open(name, dsn)
//
// [Register] and [RegisterOver] never panic: a name already taken is
// [ErrRegistered]. Nothing is registered unless you ask. Libraries that
// choose a placeholder style from the driver name should be given the
// original name with the wrapped *sql.DB: sqlx.NewDb(db, "postgres"). For
// pgxpool, OpenDB(stdlib.GetPoolConnector(pool)); a connector hides its
// DSN, so add [WithNamespace] and [WithServer] for the audit records.
//
// # Identity and options
//
// Set who is asking on the request's context with identity.NewContext;
// statements without one use [WithDefaultIdentity] (give migrations and
// tools that send statements without your context an identity of their
// own), or the identity in OTel baggage with [WithBaggageIdentity]
// (untrusted). [WithPolicy], [WithMasker] and [WithAuditor] add the guard,
// masking and audit; with none of them statements pass straight through.
// Options are checked when the driver is wrapped: a nil policy, masker or
// auditor, which would look enforced but is not, is driver.ErrConfig.
//
// # What runs for each statement
//
// Each statement a caller issues is analysed, attributed to an identity,
// decided by the policy, recorded, executed, and its rows masked — exactly
// once, including across the prepare fallback of drivers that answer
// driver.ErrSkip and database/sql's retries after driver.ErrBadConn. A
// denied statement never reaches the database; its error matches
// guard.ErrBlocked (errors.As with a *guard.BlockedError for the rule).
//
// The SQL dialect is told from the wrapped driver's type (lib/pq, pgx
// stdlib, go-sql-driver/mysql, modernc.org/sqlite, mattn/go-sqlite3); any
// other driver needs [WithDialect], or wrapping fails with
// driver.ErrUnknownDialect. sqlvigil imports no driver. sql.Conn.Raw with
// driver.RawConn is the escape hatch: what is sent on the driver's own
// connection bypasses sqlvigil, and the access is recorded.
//
// # Concurrency
//
// The *sql.DB returned is safe for concurrent use, as always. Options are
// applied once, when the driver is wrapped.
package sqlvigil
