package sqlstmt

// Dialect is the SQL dialect a text is read in. The zero value is
// DialectUnknown, which the analyser refuses to guess: everything it reads
// in an unknown dialect is incomplete.
type Dialect uint8

// Dialects.
const (
	DialectUnknown Dialect = iota
	PostgreSQL
	MySQL // MySQL and MariaDB
	SQLite
)

// String returns the dialect's name as OpenTelemetry's db.system.name spells
// it ("postgresql", "mysql", "sqlite").
func (d Dialect) String() string {
	switch d {
	case PostgreSQL:
		return "postgresql"
	case MySQL:
		return "mysql"
	case SQLite:
		return "sqlite"
	default:
		return "unknown"
	}
}

// ParseDialect returns the dialect a name stands for: the names String
// returns (OpenTelemetry's db.system.name) and "mariadb". Anything else is
// DialectUnknown.
func ParseDialect(name string) Dialect {
	switch name {
	case "postgresql":
		return PostgreSQL
	case "mysql", "mariadb":
		return MySQL
	case "sqlite":
		return SQLite
	}
	return DialectUnknown
}

// Kind is what a statement is, by its leading keywords: the upper-case SQL
// keyword, the same string a policy file's statement.kind and an audit
// span's db.operation.name carry. The analyser sets one of
//
//	SELECT, INSERT, UPDATE, DELETE, MERGE, REPLACE, CREATE, ALTER, DROP,
//	TRUNCATE, RENAME, COMMENT, GRANT, REVOKE, COPY, LOAD DATA, CALL, DO,
//	PREPARE, EXECUTE, DEALLOCATE, SET, RESET, SHOW, BEGIN, COMMIT,
//	ROLLBACK, SAVEPOINT, RELEASE, EXPLAIN, LOCK, UNLOCK, VACUUM, ANALYZE,
//	USE, ATTACH, PRAGMA, LISTEN, CHECKPOINT, DISCARD, REINDEX, CLUSTER,
//	REFRESH, SECURITY LABEL, IMPORT, HANDLER, FLUSH, VALUES, TABLE, OTHER
//
// The zero value, "", is a statement the analyser could not classify; its
// String is "UNKNOWN". OTHER is recognised but in no class above. Some kinds
// stand for a family: REPLACE is MySQL REPLACE and SQLite INSERT OR REPLACE;
// COMMENT is COMMENT ON; COPY is PostgreSQL COPY; LOAD DATA also LOAD XML;
// ATTACH also DETACH; LISTEN also NOTIFY and UNLISTEN; REFRESH is REFRESH
// MATERIALIZED VIEW; IMPORT is IMPORT FOREIGN SCHEMA; FLUSH also KILL,
// SHUTDOWN and other MySQL server administration; VALUES is a bare VALUES
// list; TABLE is PostgreSQL TABLE name.
type Kind string

// ObjectType is the object a DDL, GRANT or REVOKE statement acts on, in
// upper-case SQL words:
//
//	TABLE, VIEW, MATERIALIZED VIEW, INDEX, SEQUENCE, SCHEMA, DATABASE,
//	FUNCTION, PROCEDURE, TRIGGER, TYPE, EXTENSION, ROLE, POLICY,
//	TABLESPACE, OTHER
//
// TYPE covers CREATE TYPE and DOMAIN, ROLE covers ROLE, USER and GROUP.
// NONE is a statement that is not DDL; the zero value, "", is an object
// the analyser could not read, and its String is "UNKNOWN".
type ObjectType string

// Table names a relation, schema-qualified where the text qualifies it,
// folded to the case the dialect folds unquoted names to.
//
// Relations are schema-qualified as written and folded as the server
// resolves them: PostgreSQL lowers unquoted names (ASCII only) and truncates
// names to 63 bytes; MySQL keeps names as written, because table names are
// case-sensitive on servers with lower_case_table_names=0 (the Linux
// default) — a policy naming MySQL tables must match their case; SQLite
// compares names without regard to ASCII case, so every name is lowered,
// quoted or not. Function names are lowered in every dialect.
type Table struct {
	Schema string // "" when unqualified
	Name   string
}

// String returns "schema.name", or "name" when unqualified.
func (t Table) String() string {
	if t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

// Where describes the WHERE clause of an UPDATE or DELETE.
type Where struct {
	Present bool // a WHERE clause exists
	// Trivial is true when the clause cannot single out rows of the
	// written table:
	//   - it reads no column of the written table: a constant predicate,
	//     possibly with placeholders, functions or subqueries that read no
	//     such column (WHERE 1=1, WHERE true, WHERE NOT (1=0), WHERE
	//     EXISTS (SELECT 1), WHERE coalesce(1,0)=1, WHERE $1 = $2, WHERE
	//     random() < 2, UPDATE t … FROM o WHERE o.id = 5) — unless it is
	//     recognised as always false (WHERE 1=0, WHERE false), which
	//     changes no row;
	//   - it compares a column with itself (id = id, t.id >= t.id, id IS
	//     NOT DISTINCT FROM id), matches it with LIKE '%', or looks it up
	//     in the whole written table (id IN (SELECT id FROM t));
	//   - it takes a value of the row as a truth value, comparing nothing:
	//     a bare (possibly qualified) column or rowid, with an optional
	//     sign or PostgreSQL cast, NOT of one, x IS NOT NULL (WHERE id,
	//     WHERE rowid, WHERE NOT t.flag). MySQL and SQLite read any
	//     non-zero value as true; PostgreSQL accepts only a boolean, and
	//     WHERE flag there is a real filter, counted as trivial all the
	//     same: a write that means it says WHERE flag = true;
	//   - it is an OR with a branch of any kind above (… OR 1=1, … OR $1,
	//     … OR id), or with two branches that negate each other (id = 1 OR
	//     id <> 1, x < 5 OR x >= 5, x IS NULL OR x IS NOT NULL, p OR NOT
	//     p), or an AND of such clauses only (WHERE active AND id = 5
	//     restricts).
	//
	// A name counts as a column of the written table unless it is known to
	// be something else: a keyword, a function, a type, a table or alias
	// of a subquery, or a column qualified by another table. Unqualified
	// names count, also inside subqueries (they may be correlated), so
	// the analyser errs towards "not trivial"; in a MySQL multi-table
	// UPDATE or DELETE a column of any of its tables counts. Tautologies
	// over real columns otherwise (id > 0 on a positive key, id IN (SELECT
	// id FROM t WHERE true), id + 0 as a truth value) are not recognised.
	Trivial bool
}

// Restriction says whether the UPDATE and DELETE statements a statement
// runs are each restricted by a WHERE clause. The zero value,
// RestrictionUnknown, is never produced by the analyser: it marks a
// Statement built by hand, whose Where and Effect must then be judged.
type Restriction uint8

// Restrictions.
const (
	RestrictionUnknown Restriction = iota
	// RestrictionNoWrites: the statement runs no UPDATE or DELETE (an
	// EXPLAIN without ANALYZE runs none).
	RestrictionNoWrites
	// RestrictionAll: every UPDATE and DELETE it runs has a WHERE clause
	// that is present and not Trivial.
	RestrictionAll
	// RestrictionMissing: at least one UPDATE or DELETE it runs has no
	// WHERE clause or a Trivial one; also a MERGE that deletes, and an
	// upsert (ON CONFLICT DO UPDATE, ON DUPLICATE KEY UPDATE) whose rows
	// come from a query. An upsert of listed rows (a VALUES list, MySQL
	// SET, DEFAULT VALUES) updates at most the rows it lists, and counts
	// as restricted.
	RestrictionMissing
)

// String returns "unknown", "no writes", "all" or "missing".
func (r Restriction) String() string {
	switch r {
	case RestrictionNoWrites:
		return "no writes"
	case RestrictionAll:
		return "all"
	case RestrictionMissing:
		return "missing"
	}
	return "unknown"
}

// Column is one item of a SELECT list (or RETURNING list): the name it is
// returned under and the columns it is computed from.
//
// [Statement].Columns gives each output item its name and the columns it
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
type Column struct {
	// Name is the output name: the alias, or the column name for a bare
	// column reference, or "" for an unnamed expression.
	Name string
	// Sources are the columns the item reads, as "table.column" where the
	// table (or its alias, resolved) is known and "column" otherwise.
	Sources []string
	// Star is true for "*" or "t.*"; StarTable then names t, or is empty.
	Star      bool
	StarTable string
	// Expr is true when the item is not a bare column reference (a function
	// call, an operator, a subquery, a literal).
	Expr bool
}

// Store is one value a statement stores in a table or view from what it
// computes: the column it lands in, and the columns it is read from.
// Values of literals and placeholders alone are not listed.
type Store struct {
	// Table is the table or view written.
	Table Table
	// Column is the column written, folded; "" when the text does not name
	// it (INSERT without a column list): it may be any column of Table.
	Column string
	// Sources are the columns the value is read from, as Column.Sources.
	Sources []string
	// Star is true when whole rows are stored (INSERT … SELECT *, CREATE
	// VIEW … AS SELECT t.*): every column of StarTable (or, when it is
	// empty, of every relation read), under its own name.
	Star      bool
	StarTable string
	// Expr is true when the value is computed (a function, an operator, a
	// subquery), not a column copied as it is: a strategy that keeps part
	// of a value does not keep the same part of an expression over it.
	Expr bool
}

// Statement is the analysis of one statement of a script.
//
// Beyond kinds and tables, a Statement states what the guard must not
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
// Statement values are shared through the analyser's cache: treat every
// field, and every slice it holds, as read-only.
type Statement struct {
	// Kind is what the statement is, by its leading keywords (EXPLAIN for an
	// EXPLAIN statement).
	Kind Kind
	// Effect is the statement's most consequential effect: the Kind of the
	// most dangerous thing it does when executed. A DELETE inside a CTE of a
	// SELECT, or an EXPLAIN ANALYZE DELETE, has Effect DELETE. Also:
	// INSERT … ON CONFLICT DO UPDATE / ON DUPLICATE KEY UPDATE → UPDATE;
	// MERGE with a DELETE action → DELETE; SELECT … INTO a new table →
	// CREATE; SELECT … INTO OUTFILE / DUMPFILE → COPY (a write
	// outside the database, as COPY TO a file); EXPLAIN without ANALYZE →
	// EXPLAIN; EXECUTE of a statement prepared earlier in the same text →
	// that statement's effect (an EXECUTE of anything else is incomplete).
	// Otherwise Effect equals Kind.
	Effect Kind
	// Object is what a CREATE, ALTER, DROP, TRUNCATE, RENAME, GRANT or
	// REVOKE acts on; NONE for other statements.
	Object ObjectType
	// DropsColumn is true for an ALTER TABLE … DROP (COLUMN|CONSTRAINT).
	DropsColumn bool
	// Renames is true for an ALTER … RENAME or PostgreSQL ALTER … SET
	// SCHEMA (the object, a column or a constraint is gone under its name)
	// and for MySQL RENAME TABLE (Kind RENAME).
	Renames bool
	// Replaces is true for a CREATE OR REPLACE TABLE, which drops the
	// existing table and its rows (MariaDB).
	Replaces bool
	// RewritesColumn is true for a PostgreSQL ALTER … TYPE … USING, which
	// rewrites every value of the column.
	RewritesColumn bool
	// Reads and Writes are the relations read and written. Writes holds the
	// targets of INSERT, UPDATE, DELETE, MERGE, REPLACE, COPY FROM, LOAD
	// DATA, TRUNCATE, SELECT INTO, data-modifying CTEs, and the tables,
	// views, materialized views and sequences a CREATE, ALTER, DROP or
	// RENAME acts on (and the table of CREATE INDEX, MySQL DROP INDEX … ON).
	// A MySQL multi-table UPDATE lists all its tables in both. CTE names
	// are not relations.
	Reads  []Table
	Writes []Table
	// Functions are the functions called, lowercase, schema-qualified when
	// the text qualifies them.
	Functions []string
	// FunctionsOverNames are the functions of Functions called with an
	// argument that is more than literals and placeholders: a column, a
	// variable, a subquery, a keyword. A value read from a table may reach
	// them (setval('s', length(ssn)) stores it in a sequence;
	// nextval('s') receives nothing read).
	FunctionsOverNames []string
	// CustomSetting is true when a call of current_setting reads a setting
	// that is not a built-in one written as a literal (a name with a dot,
	// which set_config may have filled with anything, or a name computed
	// at run time).
	CustomSetting bool
	// Where describes the WHERE clause of an UPDATE or DELETE statement
	// itself; for the UPDATE and DELETE it runs in data-modifying CTEs,
	// under EXPLAIN ANALYZE or as a prepared statement, see Restriction.
	Where Where
	// Restriction aggregates the WHERE clauses of every UPDATE and DELETE
	// the statement runs: the statement itself, its data-modifying CTEs,
	// a COPY (DELETE … RETURNING) TO, the statement EXPLAIN ANALYZE (or
	// MariaDB's ANALYZE) runs, the statement PREPARE … AS prepares and a
	// resolved EXECUTE runs.
	Restriction Restriction
	// HasLimit is true when an UPDATE or DELETE carries a LIMIT.
	HasLimit bool
	// Limit is that LIMIT's value when it is a literal, else -1 (also when
	// there is no LIMIT).
	Limit int64
	// Columns is the output column list of a SELECT, or of a RETURNING
	// clause, in order; nil when not known, and whenever the origin of an
	// item cannot be told (see "Column lineage" in the package
	// documentation).
	Columns []Column
	// Stores lists the values the statement copies into tables and views
	// from columns: INSERT and REPLACE … SELECT or VALUES (subqueries,
	// MySQL SET), UPDATE … SET col = expr (other columns, FROM tables,
	// subqueries), upserts' DO UPDATE SET / ON DUPLICATE KEY UPDATE, CREATE
	// TABLE, VIEW or MATERIALIZED VIEW … AS (and MySQL CREATE TABLE …
	// SELECT), PostgreSQL SELECT INTO, and those of the statements it runs
	// (data-modifying CTEs, COPY (DML) TO, EXPLAIN ANALYZE, a resolved
	// EXECUTE). A RETURNING list of such a statement takes, for each
	// written column it returns, the sources of the values stored in it.
	Stores []Store
	// StoresUnknown is true when the statement stores values whose origin
	// the analysis cannot tell: a query whose lineage is unknown (a
	// function that may read any table, a user variable), a MERGE.
	StoresUnknown bool
	// Returning is true for an INSERT, UPDATE, DELETE, MERGE or REPLACE
	// with a RETURNING list: it returns rows, even when Columns is nil
	// because their lineage is unknown.
	Returning bool
	// IntoVariables is true for a MySQL SELECT … INTO @variable (or a
	// routine's local variable): the values read land in session state,
	// not in a result set.
	IntoVariables bool
	// IntoFile is true for SELECT … INTO OUTFILE / DUMPFILE, COPY … TO a
	// file or program, and similar writes outside the database.
	IntoFile bool
	// Program is true for COPY … FROM/TO PROGRAM.
	Program bool
	// Local is true for LOAD DATA LOCAL.
	Local bool
	// ReadsFile is true for statements that read a file or run a program
	// to get their data: COPY … FROM a file or PROGRAM, LOAD DATA [LOCAL].
	ReadsFile bool
	// LexingSetting is true for a SET or RESET of a setting that changes
	// how later text on the same connection is lexed
	// (standard_conforming_strings, backslash_quote, client_encoding,
	// sql_mode, NAMES, CHARACTER SET, RESET ALL), for an ALTER DATABASE,
	// ROLE, USER or SYSTEM that sets or resets one for later sessions, and
	// for a call of set_config (whose setting name is a literal) and a
	// PostgreSQL write to pg_settings, wherever it sits in the statement.
	// Treat it as sensitive.
	LexingSetting bool
	// PrivilegeSetting is true for a SET or RESET of the session's
	// identity or a password: SET [SESSION | LOCAL] ROLE, SET SESSION
	// AUTHORIZATION, SET role / session_authorization = …, RESET ROLE,
	// RESET SESSION AUTHORIZATION, MySQL SET ROLE, SET DEFAULT ROLE and SET
	// PASSWORD; PostgreSQL ALTER DEFAULT PRIVILEGES and a write to
	// pg_settings (which may set role).
	PrivilegeSetting bool
	// DefinesCode is true for a statement that stores or loads code the
	// server runs later, which the analyser does not read: CREATE [OR
	// REPLACE] FUNCTION, PROCEDURE, AGGREGATE, TRIGGER (and PostgreSQL
	// EVENT TRIGGER), RULE, MySQL EVENT, CREATE EXTENSION, and PostgreSQL
	// LOAD of a shared library.
	DefinesCode bool
	// Settings lists, in text order, the settings the statement reads,
	// assigns or resets: a SQLite PRAGMA (read or assigned), each
	// assignment of a SET (PostgreSQL, MySQL), and the SET or RESET of a
	// PostgreSQL ALTER DATABASE, ROLE, USER, SYSTEM, FUNCTION or
	// PROCEDURE. MySQL user
	// variables (@x) are not settings and are not listed.
	Settings []Setting
	// SettingsUnknown is true for a SET or ALTER … SET some of whose
	// assignments the analyser could not read: which settings it changes,
	// or to what, is not known.
	SettingsUnknown bool
	// Database is the database a MySQL USE makes current, folded; "" for
	// other statements. Unqualified names in later statements on the same
	// connection resolve in it.
	Database string
	// RewritesTables is true for maintenance that rewrites whole tables,
	// or the whole database file, under an exclusive lock: PostgreSQL
	// VACUUM FULL (also VACUUM (FULL [true])) and CLUSTER, MySQL OPTIMIZE
	// TABLE, SQLite VACUUM. SQLite VACUUM INTO writes a copy to a file
	// and rewrites nothing in place: it has IntoFile instead.
	RewritesTables bool
	// ReindexScope is what a REINDEX rebuilds: INDEX or TABLE
	// (PostgreSQL REINDEX INDEX, TABLE), SCHEMA (REINDEX SCHEMA),
	// DATABASE (PostgreSQL REINDEX DATABASE or SYSTEM, SQLite
	// REINDEX without a name), OTHER (SQLite REINDEX name: a table,
	// an index or a collation), "" when not read; ""
	// for other statements.
	ReindexScope ObjectType
	// LockMode is the lock a LOCK statement takes, upper case: for
	// PostgreSQL the mode named by IN … MODE ("ACCESS SHARE", …,
	// "EXCLUSIVE", "ACCESS EXCLUSIVE"), "ACCESS EXCLUSIVE" when no mode is
	// named (PostgreSQL's default); for MySQL LOCK TABLES "WRITE" when any
	// table is locked for writing, else "READ", and "BACKUP" for LOCK
	// INSTANCE FOR BACKUP; "" when not read, and for other statements.
	LockMode string
	// DisablesTriggers is true for a PostgreSQL ALTER TABLE … DISABLE
	// TRIGGER (a name, USER or ALL): with ALL, foreign keys are no longer
	// enforced on the table, for every session, until it is enabled again.
	DisablesTriggers bool
	// Routine is the procedure a CALL runs, lower case, schema-qualified
	// when the text qualifies it ("wipe", "app.refresh"); "" for other
	// statements. What it does is not known to the analyser.
	Routine string
	// Inner is the statement an EXPLAIN, PREPARE, EXECUTE or MariaDB
	// ANALYZE wraps, if any.
	Inner *Statement
	// Complete is true only when every token of the statement was
	// understood. When false, Kind and Effect are a best effort and must not
	// be relied upon to allow anything.
	Complete bool
	// Reason says, when Complete is false, the first thing not understood.
	// It never contains a literal from the text.
	Reason string
}

// Setting is one setting a statement reads, assigns or resets (see
// [Statement.Settings]).
type Setting struct {
	// Name is the setting's name in lower case (setting names ignore case
	// in every dialect), without a PRAGMA's schema, MySQL's @@ and scope
	// prefix or a structured variable's component (keycache.x is x); a
	// PostgreSQL customised option keeps its prefix ("app.tenant"). Special
	// forms are named by what they set: "timezone" (SET TIME ZONE),
	// "search_path" (SET SCHEMA), "client_encoding" (PostgreSQL SET
	// NAMES), "names", "character_set", "password", "role", "transaction"
	// (MySQL). It is "" when the name could not be read.
	Name string
	// Value is the value assigned when it is a single word, number (with
	// its sign) or quoted string without escapes, unquoted and in lower
	// case: "off", "0", "replica", "-1", "default". It is "" when nothing
	// is assigned and when the value is anything else (an expression, a
	// list, a variable, a placeholder): unknown. It is never recorded for
	// a password.
	Value string
	// Assigned is true when the statement gives the setting a value: SET,
	// PRAGMA name = value, and PRAGMA name(value), which SQLite reads as
	// an assignment for a setting (and as an argument for PRAGMA
	// table_info(t)). It is false for reading a PRAGMA and for RESET.
	Assigned bool
	// Scope is whom the change reaches.
	Scope SettingScope
}

// SettingScope is whom a setting's change reaches. The zero value is
// ScopeUnknown.
type SettingScope uint8

// Setting scopes.
const (
	ScopeUnknown SettingScope = iota
	// ScopeSession: the connection, until it ends or the setting is
	// changed again (SET, SET SESSION, MySQL SET LOCAL, SQLite PRAGMA —
	// some of which, such as journal_mode=WAL, the file keeps).
	ScopeSession
	// ScopeTransaction: PostgreSQL SET LOCAL, until the transaction ends.
	ScopeTransaction
	// ScopeGlobal: MySQL SET GLOBAL or @@global.: the server, for every
	// new session.
	ScopeGlobal
	// ScopePersist: MySQL SET PERSIST or PERSIST_ONLY: the server's
	// configuration, across restarts.
	ScopePersist
	// ScopeDatabase: PostgreSQL ALTER DATABASE, ROLE or USER … SET or
	// RESET: later sessions of that database or role; ALTER FUNCTION or
	// PROCEDURE … SET or RESET: later calls of that routine.
	ScopeDatabase
	// ScopeServer: PostgreSQL ALTER SYSTEM: the server's configuration
	// file.
	ScopeServer
)

// Script is the analysis of a whole text, which may hold several statements.
//
// A statement or script is incomplete (Complete false, Reason a constant
// phrase that never quotes the text) when the text holds:
//   - an unterminated string, quoted name, dollar quote or comment (SQLite
//     accepts an unterminated block comment; the analyser still doubts it);
//   - a NUL byte, invalid UTF-8, or more than 1 MiB (the analyser's MaxTextLen);
//   - more than 4096 statements: the first 4096 are read and the rest of
//     the text is one incomplete statement of "", so that reading
//     any text takes memory bounded by a small multiple of its length;
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
// Script values are shared through the analyser's cache: treat every field
// as read-only.
type Script struct {
	Dialect Dialect
	// Statements in text order; empty statements (lone semicolons) are not
	// listed.
	Statements []Statement
	// Complete is true only when the text was fully lexed and every
	// statement is complete.
	Complete bool
	// Reason says, when Complete is false, the first thing not understood.
	Reason string
	// Normalized is the text with every literal replaced by "?", comments
	// removed and whitespace collapsed: safe to record.
	Normalized string
	// Fingerprint is a 64-bit hash of Normalized and the dialect.
	Fingerprint uint64
	// Summary is a short low-cardinality description for span names and
	// db.query.summary, such as "SELECT users" or "DELETE orders".
	Summary string
	// Placeholders counts the placeholders the text holds where the
	// server reads code (never in a string or a comment).
	Placeholders Placeholders
	// Stateless is true when the analyser is sure that running the script
	// leaves nothing on its connection that a later statement would see
	// (see [Script.ChangesSession]). The zero value, false, is the safe one.
	Stateless bool
}

// ChangesSession reports whether running the script may leave state on its
// connection that outlives it and that a later statement on the same
// connection would see, whoever issues it: a setting, the role or session
// authorization, the search path or current database, a PRAGMA, a
// temporary object, a prepared statement or held cursor, a lock or
// advisory lock, a user variable, a LISTEN, an attached database, an open
// transaction begun by text.
//
// It errs towards true: an incomplete script, a statement of a kind that
// may change the session, a function that is not a known value function
// (a user function may call set_config or create a temporary table), a
// TEMP or TEMPORARY keyword or a pg_temp or temp schema anywhere in the
// text, and a MySQL user variable assigned (:=) or written by INTO all
// count. A plain SELECT, INSERT, UPDATE, DELETE, MERGE or DDL on ordinary
// objects does not. Values every write leaves behind (PostgreSQL currval
// and lastval, MySQL LAST_INSERT_ID and ROW_COUNT) are not counted.
func (s *Script) ChangesSession() bool { return s == nil || !s.Stateless }

// Placeholders counts the placeholders of a text by style.
type Placeholders struct {
	// Positional counts bare "?" placeholders (MySQL, SQLite).
	Positional int
	// MaxOrdinal is the highest n of "$n" (PostgreSQL, SQLite) or "?n"
	// (SQLite) placeholders.
	MaxOrdinal int
	// Named counts named placeholders (SQLite :name, @name, $name).
	Named int
}

// ArgsMatch reports whether n bound arguments fit the placeholders, as a
// driver that writes arguments into the text (go-sql-driver/mysql with
// interpolateParams, pgx's simple protocol) would have to find them. A
// mismatch means the driver and the server disagree on where code is — a
// placeholder hidden from one of them in what the other reads as a comment
// or a string — and the text must not be trusted. Texts with named
// placeholders are not judged (false is never returned for them).
func (p Placeholders) ArgsMatch(n int) bool {
	switch {
	case p.Named > 0:
		return true
	case p.Positional > 0 && p.MaxOrdinal > 0:
		return false
	case p.Positional > 0:
		return p.Positional == n
	default:
		return p.MaxOrdinal == n
	}
}

// Stacked reports whether the script holds more than one statement.
func (s *Script) Stacked() bool { return len(s.Statements) > 1 }

// String returns the kind, or "UNKNOWN" for the zero value.
func (k Kind) String() string {
	if k == "" {
		return "UNKNOWN"
	}
	return string(k)
}

// String returns the object type, or "UNKNOWN" for the zero value.
func (o ObjectType) String() string {
	if o == "" {
		return "UNKNOWN"
	}
	return string(o)
}

// Any reports whether match holds for a statement of s or for one a
// statement runs (Inner: the statement under EXPLAIN ANALYZE, PREPARE … AS,
// a resolved EXECUTE). A nil script has none.
func (s *Script) Any(match func(*Statement) bool) bool {
	if s == nil {
		return false
	}
	for i := range s.Statements {
		for st := &s.Statements[i]; st != nil; st = st.Inner {
			if match(st) {
				return true
			}
		}
	}
	return false
}
