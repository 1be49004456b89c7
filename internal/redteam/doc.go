// Package redteam holds black-box attacks on sqlvigil, run through the
// wrapped driver against the real servers; it has no library code.
//
// Each test plays a hostile caller that holds only the *sql.DB (an AI
// agent's SQL tool, a compromised dependency) against a pool configured as
// a security team would configure it: destructive DDL blocked in
// production, missing WHERE, stacked statements, dangerous calls, privilege
// and lexing-setting changes refused, AI agents read-only, a table deny
// list, statements the analyser cannot read denied; e-mail, SSN and card
// columns masked, with an exempt role; an auditor with a span recorder and
// a sink.
//
// The ground truth is what the engine does, not what the analyser says:
//
//   - destructive attacks (comments, quoting, dollar quotes, MySQL
//     executable comments, stacked statements, data-modifying CTEs,
//     EXPLAIN ANALYZE, PREPARE/EXECUTE, NUL bytes, unicode and whitespace
//     tricks, tautologies, opaque executors, server files and programs,
//     shared libraries, sleeps, lexing settings changed on the same
//     connection, pg_settings included) are sent through the wrapped
//     database; the test asserts a guard.ErrBlocked error, one audit record
//     and one span of the denial, and, raw, that the victim table is
//     intact. Where the raw driver
//     sends texts whole (lib/pq, go-sql-driver/mysql with multiStatements,
//     modernc.org/sqlite), the same text is then sent raw to prove that it
//     does harm the engine;
//   - texts that only look dangerous (a DROP in a nested comment, a MySQL
//     "-- " comment, a doubled quote) are allowed and harm nothing, raw or
//     wrapped;
//   - every database/sql path (Exec, Query, QueryRow, Prepare + Stmt, Tx,
//     Conn, and go-sql-driver/mysql's driver.ErrSkip fallback) is attacked,
//     and a denial leaves the transaction or connection usable;
//   - placeholders hidden in strings, comments and identifiers, with
//     arguments that would break out of them, on the drivers that write
//     arguments into the text (go-sql-driver/mysql with interpolateParams,
//     pgx in simple-protocol mode);
//   - masking attacks (aliases, column aliases on derived tables and CTEs,
//     expressions, subqueries, LATERAL, UNION, JSON aggregation, stars,
//     whole rows, composite fields, routines made earlier, MariaDB user
//     variables, XML dumps of a table, RETURNING, error messages) must
//     return no seeded clear value, in any value or any error text; where
//     the library refuses the read (a column it cannot trace to its
//     source, a dangerous call), the test asserts the refusal;
//   - code made earlier (operators, casts, domains, triggers, rules,
//     generated columns, views' WHERE) carries no masked value; nobody
//     renames a masked column;
//   - a read-only AI agent cannot change state through a function called
//     in a SELECT (lowrite);
//   - every attempt leaves exactly one audit record, and no span attribute
//     or sink record holds a bound argument or seeded personal data.
//
// Attacks that succeed are kept, skipped, in known_bypass_test.go, each
// with its reproduction (run with SQLVIGIL_REDTEAM_BYPASS=1), until the
// package at fault is mended on every backend; none is open today. The
// servers are found as internal/testdb says; tests skip (or fail, with
// CI=true) when one is unreachable.
package redteam
