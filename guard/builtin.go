package guard

import (
	"context"
	"strings"

	"github.com/sqlvigil/sqlvigil/internal/rulename"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// statements calls visit for every statement of s and every statement one
// of them wraps (EXPLAIN, PREPARE), stopping at the first that reports true.
// It is written as a loop over a value receiver so that it inlines and does
// not allocate.

// deny is a rule's denial: why, and what would be allowed instead.
func deny(reason, hint string) Verdict { return Verdict{Decision: Deny, Reason: reason, Hint: hint} }

// DestructiveDDL denies DROP (of any object), TRUNCATE, ALTER … DROP
// (COLUMN or CONSTRAINT), renames (ALTER … RENAME, MySQL RENAME TABLE: the
// object is gone under its name), CREATE OR REPLACE TABLE (MariaDB drops
// the existing table) and PostgreSQL ALTER … TYPE … USING (every value
// rewritten) in the given environments; with none, in every environment.
// A request with no environment counts as production: the rule fails
// closed.
//
// It catches these statements wherever they sit in a stacked script or
// behind EXPLAIN. It cannot see DDL that runs inside a function, a
// procedure, a DO block or dynamic SQL (EXECUTE), nor data loss through a
// type change without USING (MySQL MODIFY to a narrower type).
func DestructiveDDL(environments ...string) NamedRule {
	return Named(rulename.DestructiveDDL, &destructiveDDL{envs: environments})
}

type destructiveDDL struct{ envs []string }

func (d *destructiveDDL) Check(_ context.Context, r *Request) Verdict {
	if d.objects(r) {
		return deny("destructive DDL (DROP, TRUNCATE, ALTER … DROP, RENAME or a rewrite)", "destructive DDL is not allowed here: run it as a reviewed migration")
	}
	return Verdict{}
}

func (d *destructiveDDL) objects(r *Request) bool {
	if len(d.envs) > 0 && r.Environment != "" {
		in := false
		for _, e := range d.envs {
			if strings.EqualFold(e, r.Environment) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	if r.Script.Any(isDestructive) {
		return true
	}
	return false
}

func isDestructive(st *sqlstmt.Statement) bool {
	switch {
	case st.Kind == sqlparse.KindDrop, st.Effect == sqlparse.KindDrop:
		return true
	case st.Kind == sqlparse.KindTruncate, st.Effect == sqlparse.KindTruncate:
		return true
	case st.DropsColumn, st.Renames, st.Replaces, st.RewritesColumn:
		return true
	}
	return false
}

// MissingWhere denies a statement that runs an UPDATE or DELETE without a
// WHERE clause, or with one that cannot single out rows
// ([sqlparse.Where.Trivial] lists exactly what counts: a predicate that
// reads no column of the written table — WHERE 1=1, WHERE true, WHERE NOT
// (1=0), WHERE 2 > 1, WHERE 1 IN (1,2), WHERE 'a' LIKE '%', WHERE EXISTS
// (SELECT 1), WHERE (SELECT 1) = 1, WHERE coalesce(1,0)=1, WHERE 1::bool,
// WHERE $1 = $2 —, a column compared with itself — id = id, id IS NOT
// DISTINCT FROM id, name LIKE '%', id IN (SELECT id FROM t) on t itself
// —, an OR with such a branch — … OR
// 1=1, … OR $1 — and an OR of a condition and its negation — id = 1 OR
// id <> 1, x IS NULL OR x IS NOT NULL), and a row's own value taken as a
// truth value by no comparison — WHERE id, WHERE rowid, WHERE NOT flag,
// WHERE id IS NOT NULL, alone or ANDed only with such terms (MySQL and
// SQLite read any non-zero value as true; in PostgreSQL WHERE flag on a
// boolean column is a real filter, denied all the same: write WHERE flag =
// true). A constant the analyser knows to be false (WHERE 1=0) changes no
// row and passes.
//
// It judges every UPDATE and DELETE the statement runs: the statement
// itself, a data-modifying CTE (WITH d AS (DELETE FROM t RETURNING *)
// SELECT … is denied, the same with WHERE id = 1 inside passes), the
// statement under EXPLAIN ANALYZE (plain EXPLAIN runs nothing and
// passes), the statement PREPARE … AS prepares and an EXECUTE in the same
// text runs. An upsert (ON CONFLICT DO UPDATE, ON DUPLICATE KEY UPDATE,
// MySQL REPLACE, SQLite INSERT OR REPLACE) of listed rows passes: it
// changes at most the rows it lists; one whose rows come from a query
// (REPLACE INTO t SELECT … FROM t rewrites every row), and a MERGE that
// deletes, are denied.
//
// It cannot recognise tautologies over real columns (WHERE id > 0 on a
// positive key, WHERE id IN (SELECT id FROM t WHERE true), WHERE id + 0),
// and it
// cannot see UPDATE or DELETE inside functions, procedures, triggers or
// rules. A LIMIT does not satisfy it: cap rows with [MaxRows].
func MissingWhere() NamedRule { return Named(rulename.MissingWhere, missingWhere{}) }

type missingWhere struct{}

func (x missingWhere) Check(_ context.Context, r *Request) Verdict {
	if x.objects(r) {
		return deny("UPDATE or DELETE without a restricting WHERE clause", "compare a column of the written table in WHERE (WHERE id = …)")
	}
	return Verdict{}
}

func (missingWhere) objects(r *Request) bool { return unbounded(r.Script) }

// unbounded reports a script that runs an UPDATE or DELETE without a
// restricting WHERE. The analyser states it for each statement
// (Restriction); a statement that does not (one built by hand) is judged
// by its own WHERE and those of the statements it wraps, which fails
// closed for data-modifying CTEs.
func unbounded(s *sqlstmt.Script) bool {
	if s == nil {
		return false
	}
	for i := range s.Statements {
		st := &s.Statements[i]
		switch st.Restriction {
		case sqlparse.RestrictionMissing:
			return true
		case sqlparse.RestrictionAll, sqlparse.RestrictionNoWrites:
			continue
		}
		for ; st != nil; st = st.Inner {
			if isUnbounded(st) {
				return true
			}
		}
	}
	return false
}

func isUnbounded(st *sqlstmt.Statement) bool {
	if st.Effect != sqlparse.KindUpdate && st.Effect != sqlparse.KindDelete &&
		st.Kind != sqlparse.KindUpdate && st.Kind != sqlparse.KindDelete {
		return false
	}
	return !st.Where.Present || st.Where.Trivial
}

// StackedStatements denies a text that holds more than one statement
// ("SELECT 1; DROP TABLE t"), the shape of most SQL injection. It counts
// statements as the analyser separates them, with the dialect's own rules
// for comments and quotes. It denies legitimate batches too: send them one
// statement at a time.
func StackedStatements() NamedRule { return Named(rulename.Stacked, stacked{}) }

type stacked struct{}

func (x stacked) Check(_ context.Context, r *Request) Verdict {
	if x.objects(r) {
		return deny("several statements in one text", "send one statement per call")
	}
	return Verdict{}
}

func (stacked) objects(r *Request) bool {
	if r.Script != nil && r.Script.Stacked() {
		return true
	}
	return false
}

// isDangerousName reports functions that read or write server files, reach
// other servers, run code the analyser cannot read, stall the server or
// kill sessions. Names are lowercase, as the analyser reports them.
func isDangerousName(name string) bool {
	switch name {
	case
		// PostgreSQL: server files and programs, other servers, dynamic SQL,
		// sleeping, administration.
		"pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file",
		"pg_ls_logdir", "pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir",
		"pg_file_write", "pg_file_rename", "pg_file_unlink", "pg_logdir_ls",
		"lo_import", "lo_export", "lo_from_bytea", "lo_put",
		"dblink", "dblink_exec", "dblink_connect", "dblink_connect_u",
		"dblink_send_query", "dblink_open", "dblink_fetch",
		"query_to_xml", "query_to_xml_and_xmlschema", "query_to_xmlschema",
		"cursor_to_xml", "database_to_xml", "database_to_xml_and_xmlschema",
		"schema_to_xml", "schema_to_xml_and_xmlschema", "schema_to_xmlschema",
		"table_to_xml", "table_to_xml_and_xmlschema", "table_to_xmlschema",
		"database_to_xmlschema", "cursor_to_xmlschema",
		// Functions that run a query given as text, out of the analyser's
		// sight.
		"ts_stat", "ts_rewrite",
		// Large objects: server-side storage read and written outside
		// any table the policy names.
		"lo_get", "lo_open", "loread", "lowrite", "lo_truncate", "lo_truncate64",
		"lo_unlink", "lo_create", "lo_creat", "lo_lseek", "lo_lseek64",
		"pg_sleep", "pg_sleep_for", "pg_sleep_until",
		"pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf",
		"pg_rotate_logfile", "pg_promote",
		// MySQL / MariaDB.
		"sleep", "benchmark", "load_file", "sys_exec", "sys_eval",
		// SQLite.
		"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer":
		return true
	}
	return false
}

// funcIs reports whether the function name, without its schema, satisfies
// is.
// Names are lowercase as the analyser reports them; a name with upper-case
// letters (a quoted identifier) is folded without allocating when short.
func funcIs(is func(string) bool, name string) bool {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	if is(name) {
		return true
	}
	var buf [64]byte
	if len(name) > len(buf) {
		return is(strings.ToLower(name))
	}
	lower := buf[:len(name)]
	changed := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			changed = true
		}
		lower[i] = c
	}
	if !changed {
		return false
	}
	return is(string(lower))
}

// DangerousCalls denies commands and functions that leave the database's
// own tables or run code the guard cannot read:
//   - COPY … PROGRAM, COPY to or from a server file (any COPY not to
//     STDOUT or from STDIN), SELECT … INTO OUTFILE or DUMPFILE, LOAD DATA
//     (LOCAL or not), SQLite ATTACH and VACUUM INTO: the analyser's
//     Program, Local, IntoFile and ReadsFile facts;
//   - PostgreSQL DO blocks and MySQL DO, and PostgreSQL LOAD of a shared
//     library;
//   - MySQL and MariaDB server administration: KILL, SHUTDOWN, FLUSH,
//     INSTALL / UNINSTALL PLUGIN, PURGE BINARY LOGS, RESET MASTER and the
//     like (the analyser's FLUSH kind);
//   - statements that store code the server runs later, or load it:
//     CREATE [OR REPLACE] FUNCTION, PROCEDURE, AGGREGATE, TRIGGER, EVENT
//     TRIGGER, RULE, MySQL EVENT, CREATE EXTENSION (the DefinesCode
//     fact): a body is a string the guard does not read, and it runs
//     later under another statement's name;
//   - calls to server-file, large-object, dblink, dynamic-SQL
//     (query_to_xml and kin), sleep (pg_sleep, SLEEP, BENCHMARK),
//     session-killing and extension-loading functions, with or without a
//     schema qualifier.
//
// It does not deny CALL of an existing procedure, a SELECT of a
// user-defined function, or MySQL HANDLER, which many applications use;
// what such code does is not visible to any built-in. Deny CALL of the
// procedures a policy does not list with [Routines]; deny them all to AI
// agents with [ReadOnly] (which denies CALL and HANDLER, and with
// [ReadAccess].KnownFunctionsOnly unknown functions), and give such
// identities a database role without write privileges. Migrations that
// create functions or triggers should run under an identity this rule
// does not apply to ([NamedRule.When]).
func DangerousCalls() NamedRule { return Named(rulename.Dangerous, dangerous{}) }

type dangerous struct{}

func (x dangerous) Check(_ context.Context, r *Request) Verdict {
	if x.objects(r) {
		return deny("command or function that reaches outside the database, runs unreadable code or stalls the server", "use plain SELECT, INSERT, UPDATE or DELETE on tables, without that command or function")
	}
	return Verdict{}
}

func (dangerous) objects(r *Request) bool {
	if r.Script.Any(isDangerous) {
		return true
	}
	return false
}

func isDangerous(st *sqlstmt.Statement) bool {
	if st.Program || st.Local || st.IntoFile || st.ReadsFile || st.DefinesCode {
		return true
	}
	switch st.Kind {
	case sqlparse.KindLoadData, sqlparse.KindAttach, sqlparse.KindDo, sqlparse.KindFlush:
		return true
	case sqlparse.KindCreate:
		switch st.Object {
		case sqlparse.ObjectFunction, sqlparse.ObjectProcedure, sqlparse.ObjectTrigger, sqlparse.ObjectExtension:
			return true
		}
	}
	for _, f := range st.Functions {
		if funcIs(isDangerousName, f) {
			return true
		}
	}
	return false
}

// PrivilegeChanges denies GRANT, REVOKE, CREATE / ALTER / DROP / RENAME of a
// role or user, ALTER DEFAULT PRIVILEGES, session identity changes (SET
// ROLE, SET SESSION AUTHORIZATION, SET role = …, RESET ROLE, MySQL SET
// DEFAULT ROLE, SET PASSWORD: the analyser's PrivilegeSetting fact, per
// statement), and calls of set_config, whose setting name (role,
// session_authorization) is a literal the guard does not read.
//
// It cannot see privilege changes made inside functions, procedures or
// dynamic SQL, nor ownership and row-level-security changes (ALTER … OWNER
// TO, ALTER TABLE … DISABLE ROW LEVEL SECURITY, CREATE POLICY).
func PrivilegeChanges() NamedRule { return Named(rulename.Privileges, privileges{}) }

type privileges struct{}

func (x privileges) Check(_ context.Context, r *Request) Verdict {
	if x.objects(r) {
		return deny("privilege or role change", "privileges and roles are not changed through this connection")
	}
	return Verdict{}
}

func (privileges) objects(r *Request) bool { return r.Script.Any(isPrivilegeChange) }

func isPrivilegeChange(st *sqlstmt.Statement) bool {
	if st.PrivilegeSetting || callsSetConfig(st) {
		return true
	}
	switch st.Kind {
	case sqlparse.KindGrant, sqlparse.KindRevoke:
		return true
	case sqlparse.KindCreate, sqlparse.KindAlter, sqlparse.KindDrop, sqlparse.KindRename:
		if st.Object == sqlparse.ObjectRole {
			return true
		}
	}
	return st.Effect == sqlparse.KindGrant || st.Effect == sqlparse.KindRevoke
}

func callsSetConfig(st *sqlstmt.Statement) bool {
	for _, f := range st.Functions {
		if i := strings.LastIndexByte(f, '.'); i >= 0 {
			f = f[i+1:]
		}
		if strings.EqualFold(f, "set_config") {
			return true
		}
	}
	return false
}

// LexingSettings denies statements that change how the server lexes later
// statements: PostgreSQL standard_conforming_strings, backslash_quote and
// client_encoding; MySQL sql_mode (ANSI_QUOTES, NO_BACKSLASH_ESCAPES), SET
// NAMES and character sets; RESET ALL; ALTER DATABASE / ROLE / USER /
// SYSTEM … SET or RESET of one of these for later sessions; a write to
// pg_settings; and any call of set_config, whose setting name is a literal
// the guard does not read.
// It reads the analyser's LexingSetting fact of each statement (and of the
// statements it wraps) and the functions called.
//
// Make it a review ([NamedRule.Reviewed]) where a service legitimately
// changes one of these. It cannot see settings changed by a function or
// procedure, or in the server configuration file.
func LexingSettings() NamedRule { return Named(rulename.LexingSettings, lexing{}) }

type lexing struct{}

func (x lexing) Check(_ context.Context, r *Request) Verdict {
	if x.objects(r) {
		return deny("change of a setting that alters how SQL text is read", "send the statement without changing how SQL is read")
	}
	return Verdict{}
}

func (lexing) objects(r *Request) bool { return r.Script.Any(changesLexing) }

func changesLexing(st *sqlstmt.Statement) bool { return st.LexingSetting || callsSetConfig(st) }

// MaxRows caps the rows one UPDATE, DELETE or MERGE may change at n. The
// policy only states the cap ([Verdict.MaxRowsAffected]); the driver
// enforces it: inside a caller's transaction, exceeding it returns an error
// so the caller rolls back; outside one, the driver runs the statement in
// its own transaction where the dialect allows and rolls it back.
func MaxRows(n int64) NamedRule { return Named(rulename.MaxRows, maxRows{n: n}) }

type maxRows struct{ n int64 }

func (m maxRows) Check(_ context.Context, r *Request) Verdict {
	if r.Script.Any(isRowWrite) {
		return Verdict{MaxRowsAffected: m.n}
	}
	return Verdict{}
}

func isRowWrite(st *sqlstmt.Statement) bool {
	switch st.Effect {
	case sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindMerge:
		return true
	}
	switch st.Kind {
	case sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindMerge:
		return true
	}
	return false
}
