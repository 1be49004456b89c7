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
// # When it says incomplete
//
// A statement or script is incomplete (Complete false, Reason a constant
// phrase that never quotes the text) when the text holds:
//   - an unterminated string, quoted name, dollar quote or comment (SQLite
//     accepts an unterminated block comment; the analyser still doubts it);
//   - a NUL byte, invalid UTF-8, or more than [MaxTextLen] bytes (1 MiB);
//   - more than 4096 statements: the first 4096 are read, and the rest of
//     the text is one incomplete statement of KindUnknown, so that the
//     analysis of any text takes memory bounded by a small multiple of its
//     length;
//   - a MySQL versioned executable comment /*!NNNNN … */ or /*M!NNNNNN … */,
//     whose contents run only on servers of that version or later;
//   - a string whose end depends on a session setting: a backslash before a
//     quote in a plain PostgreSQL string (standard_conforming_strings=off),
//     in a MySQL string (NO_BACKSLASH_ESCAPES), or a MySQL "…" text whose
//     end differs when it is an identifier (ANSI_QUOTES);
//   - a MySQL stored program or compound statement (CREATE PROCEDURE,
//     FUNCTION, TRIGGER, EVENT; BEGIN NOT ATOMIC, IF, LOOP … outside them),
//     which the analyser does not read: the rest of the text is one
//     incomplete statement;
//   - code the analyser does not read: PostgreSQL's DO blocks, an EXECUTE
//     of a statement not prepared earlier in the same text (or prepared
//     from a variable), MariaDB's SET STATEMENT … FOR, CREATE TABLE … AS
//     EXECUTE, CREATE SCHEMA with schema elements;
//   - a data-modifying statement where PostgreSQL does not run one as the
//     text suggests (in a subquery, a nested WITH), SELECT INTO inside
//     another statement, an unknown statement or construct, unbalanced
//     parentheses or brackets, nesting deeper than 64 levels, more than 512
//     tables or functions in one statement.
//
// A panic inside the analyser, which would be a defect, is recovered and
// reported as an incomplete script ("internal error").
//
// Statements that change how later text is lexed on the same connection
// (standard_conforming_strings, backslash_quote, client_encoding, sql_mode,
// SET NAMES, RESET ALL, set_config, ALTER DATABASE / ROLE / SYSTEM … SET of
// one) have LexingSetting set: treat them as sensitive.
//
// [Script.ChangesSession] says whether a text may leave state on its
// connection that a later statement would see (settings, role, temporary
// objects, prepared statements, locks, user variables, …), erring towards
// yes; the driver resets such a connection before another identity uses it.
//
// # Facts for the guard
//
// Beyond kinds and tables, a [Statement] states what the guard must not
// guess from words of the text: ReadsFile and IntoFile (COPY from or to a
// server file or program, LOAD DATA, ATTACH, INTO OUTFILE), LexingSetting,
// PrivilegeSetting (SET ROLE, SET SESSION AUTHORIZATION, SET PASSWORD, …),
// DefinesCode (CREATE FUNCTION, PROCEDURE, TRIGGER, RULE, EVENT,
// EXTENSION: code that runs later and is not read here), and Restriction,
// which says whether every UPDATE and DELETE the statement runs — itself,
// in a data-modifying CTE, under EXPLAIN ANALYZE, prepared by PREPARE … AS
// or run by a resolved EXECUTE — has a WHERE that restricts rows.
// Settings lists the settings a PRAGMA, SET or ALTER … SET reads or
// assigns, with the value (when it is one plain token) and the scope
// (session, transaction, global, persisted, later sessions, server);
// Database, RewritesTables, ReindexScope, LockMode and Routine describe
// USE, table rewrites (VACUUM FULL, CLUSTER, OPTIMIZE, SQLite VACUUM),
// REINDEX, LOCK and CALL.
// [Where.Trivial] documents exactly which WHERE clauses do not: the
// principle is that a condition reading no column of the written table
// has one value for every row.
//
// # Column lineage
//
// [Statement.Columns] gives each output item its name and the columns it
// reads, through aliases, derived tables, CTEs, column alias lists
// (AS s(a, b), WITH c(a, b) — mapped by position), set operations and
// LATERAL or correlated references to an enclosing query. Where the
// lineage cannot be told, Columns is nil rather than a plain column or
// star that hides a value's origin: a relation used as a value (in
// PostgreSQL, SELECT p, p::text, row_to_json(p), to_jsonb(p.*), (p).email
// read every column of p); a function in FROM (its columns come from its
// arguments, or from any table for a user's function); a table or join
// whose columns an alias list renames; a derived table whose columns are
// unknown, or a column it is not known to return; a call of a function not
// known to compute from its arguments alone (SELECT people_fn() may return
// any table's rows); a MySQL user variable (@x holds whatever was stored in
// it); PostgreSQL's current_setting (a custom setting holds whatever
// set_config stored).
//
// A write copies values too: [Statement.Stores] traces each value an
// INSERT, REPLACE, UPDATE, upsert, CREATE TABLE / VIEW … AS or SELECT INTO
// stores to the columns it is read from, by the same rules, and
// StoresUnknown says where that cannot be told (a MERGE, a user's
// function, a variable). A RETURNING list of such a write returns what
// was stored: a written column it returns takes the sources of the value
// stored in it, and a star over stored values is unknown.
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
// # Names
//
// Relations are schema-qualified as written and folded as the server
// resolves them: PostgreSQL lowers unquoted names (ASCII only) and truncates
// names to 63 bytes; MySQL keeps names as written, because table names are
// case-sensitive on servers with lower_case_table_names=0 (the Linux
// default) — a policy naming MySQL tables must match their case; SQLite
// compares names without regard to ASCII case, so every name is lowered,
// quoted or not. Function names are lowered in every dialect.
//
// # Concurrency
//
// [Analyze] is safe for concurrent use and keeps no state between calls.
// [Cache] is safe for concurrent use. The [Script] values both return may be
// shared between callers: treat them, and every slice they hold, as
// read-only.
package sqlparse
