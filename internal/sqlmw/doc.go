// Package sqlmw is a small, patched copy of the wrapping mechanics of
// github.com/ngrok/sqlmw (MIT licence, see LICENSE in this directory:
// Copyright (c) 2017 Expansive Worlds, 2017 Avalanche Studios, 2020 Alan
// Shreve).
//
// The interceptor it drives is upstream's own [Interceptor] type, so any
// sqlmw interceptor (and [NullInterceptor]) plugs in unchanged. What is
// patched is the layer between database/sql and the interceptor, where
// upstream has defects that a drop-in wrapper cannot mend from outside:
//
//   - A wrapped connection, statement, rows or connector offers an optional
//     driver interface if and only if the wrapped one does (upstream always
//     offers SessionResetter, Validator, NamedValueChecker and
//     ColumnConverter, which bypasses a driver's ColumnConverter and fakes
//     session checks). Go 1.27's driver.RowsColumnScanner is never offered,
//     so database/sql always reads rows through Next.
//   - A driver with neither Execer nor ExecerContext gets driver.ErrSkip,
//     never a panic; a driver with neither Queryer nor QueryerContext
//     likewise.
//   - A driver without ConnBeginTx gets database/sql's own errors for a
//     non-default isolation level or a read-only transaction, instead of a
//     silent plain Begin.
//   - The connector's io.Closer is forwarded, so sql.DB.Close closes it.
//   - ResetSession reaches the interceptor when it implements
//     [ConnResetInterceptor], and is then offered for every driver.
//   - NextResultSet reaches the interceptor when it implements
//     [NextResultSetInterceptor].
//   - Interceptors see the driver connection and statement as [*ParentConn]
//     and [*ParentStmt], allocated once per connection or statement and
//     carrying interceptor state, so that state can follow one caller
//     statement across driver.ErrSkip and the prepare fallback.
//   - Results are not wrapped (one allocation less per Exec): the
//     interceptor's ResultLastInsertId and ResultRowsAffected are not called.
//   - The legacy context-free methods run through the context ones, so no
//     path bypasses the interceptor.
package sqlmw
