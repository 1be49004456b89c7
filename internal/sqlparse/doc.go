// Package sqlparse is the statement analyser: a dialect-aware lexer and a
// shallow statement analyser for PostgreSQL, MySQL/MariaDB and SQLite.
//
// It is a security control. It must never be confidently wrong: whatever it
// cannot fully read is reported with Complete == false, and callers treat an
// incomplete statement as unknown.
//
// # Reading a text
//
// [Analyze] lexes the text by the dialect's rules, splits it into
// statements at top-level semicolons (keeping PostgreSQL BEGIN ATOMIC
// bodies and SQLite trigger bodies whole), and reads each statement's kind,
// most consequential effect, relations read and written, functions called,
// WHERE clause and LIMIT of UPDATE and DELETE, and the lineage of its
// output columns. [Cache] memoises it with bounded memory.
//
// # What it reports
//
// Whatever it cannot fully read — an unterminated quote or comment, a NUL
// byte, a MySQL versioned comment, a string whose end depends on a session
// setting, code it does not read (stored programs, DO, EXECUTE of what is
// not prepared in the same text), nesting or sizes past its limits (more
// than 4096 statements: the rest of the text is one) — is
// incomplete, with a Reason that never quotes the text; the full list is on
// sqlstmt.Script. A panic inside the analyser, which would be a defect, is
// recovered and reported as an incomplete script ("internal error").
// Statements that change how later text is lexed have LexingSetting set;
// [Script.ChangesSession] says, erring towards yes, whether a text may
// leave state on its connection.
//
// What a statement states for the guard (files, code, privileges,
// settings, restriction of every UPDATE and DELETE) is on
// sqlstmt.Statement, and [Where.Trivial] says which WHERE clauses do not
// restrict; column lineage and stored values on sqlstmt.Column and
// sqlstmt.Store; how names are folded per dialect on sqlstmt.Table.
//
// # Proof
//
// The tests hold each ground-truth bullet of DESIGN.md, run the bypass
// texts and 300 generated ones per server against PostgreSQL, MariaDB and
// SQLite (the analyser must find every DROP the server ran, or doubt), and
// FuzzAnalyze checks that a statement appended after any text is found or
// doubted. The difftest module compares the analyser with pg_query_go and
// vitess on their corpora.
//
// # Concurrency
//
// [Analyze] is safe for concurrent use and keeps no state between calls.
// [Cache] is safe for concurrent use. The [Script] values both return may be
// shared between callers: treat them, and every slice they hold, as
// read-only.
package sqlparse
