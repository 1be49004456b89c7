// Package sqlvigil wraps a database/sql driver so that every statement is
// tied to an identity, checked by guardrails, returns masked rows where the
// caller may not see clear values, and leaves an audit record as an
// OpenTelemetry span — in process, with no proxy.
//
// # One line
//
// Replace sql.Open with [Open], or sql.OpenDB with [OpenDB]:
//
//	db, err := sqlvigil.Open("postgres", dsn, sqlvigil.WithPolicy(p))
//
// or register a wrapped driver under a new name for code (or a framework)
// that takes a driver name:
//
//	name, err := sqlvigil.RegisterOver("postgres") // "vigil:postgres"
//	db, err := sql.Open(name, dsn)
//
// [Register] and [RegisterOver] never panic: a name already taken is
// [ErrRegistered]. Nothing is registered unless you ask. Libraries that
// choose a placeholder style from the driver name (sqlx, for one) should be
// given the original name with the wrapped *sql.DB:
// sqlx.NewDb(db, "postgres").
//
// # Identity
//
// Set who is asking on the request's context with identity.NewContext;
// every statement issued with that context is checked and recorded under
// it. Statements without one use [WithDefaultIdentity], or the anonymous
// identity.
//
// # What runs for each statement
//
// Each statement a caller issues (Exec, Query, QueryRow, a prepared
// statement's execution) is analysed, attributed to an identity, decided by
// the policy ([WithPolicy]), recorded ([WithAuditor]), executed, and its
// rows masked ([WithMasker]) — exactly once, including across the prepare
// fallback of drivers that answer driver.ErrSkip and database/sql's retries
// after driver.ErrBadConn. A denied statement never reaches the database.
// See the driver package for the details.
//
// # Dialect
//
// The SQL dialect is told from the wrapped driver's type (lib/pq, pgx
// stdlib, go-sql-driver/mysql, modernc.org/sqlite, mattn/go-sqlite3); any
// other driver needs [WithDialect], or wrapping fails with
// [ErrUnknownDialect]. sqlvigil imports no driver.
//
// # The escape hatch
//
// sql.Conn.Raw hands out sqlvigil's connection; [RawConn] returns the
// driver's own from it and records the access. Statements sent on the
// driver's connection bypass sqlvigil entirely.
//
// # Concurrency
//
// The *sql.DB returned is safe for concurrent use, as always. Options are
// applied once, when the driver is wrapped.
package sqlvigil
