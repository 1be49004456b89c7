// Package sqlparse is the statement analyser: a dialect-aware lexer and a
// shallow statement analyser for PostgreSQL, MySQL/MariaDB and SQLite.
//
// It is a security control. It must never be confidently wrong: whatever it
// cannot fully read is reported with Complete == false, and callers treat an
// incomplete statement as unknown.
package sqlparse
