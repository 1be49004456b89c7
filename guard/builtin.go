package guard

import (
	"context"
	"strings"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// Names of the built-in rules, as a policy file spells them after
// "builtin:" and as verdicts name them unless renamed.
const (
	RuleDestructiveDDL  = "destructive-ddl"
	RuleMissingWhere    = "missing-where"
	RuleStacked         = "stacked"
	RuleDangerous       = "dangerous"
	RulePrivileges      = "privileges"
	RuleLexingSettings  = "lexing-settings"
	RuleReadOnly        = "read-only"
	RuleTables          = "tables"
	RuleRequireIdentity = "require-identity"
	RuleMaxRows         = "max-rows"
	RuleUnmaskReview    = "unmask-review"
	// RuleUnknown names the policy's own treatment of statements the
	// analyser could not fully read (see [WithUnknown]).
	RuleUnknown = "unknown"
)

// statements calls visit for every statement of s and every statement one
// of them wraps (EXPLAIN, PREPARE), stopping at the first that reports true.
// It is written as a loop over a value receiver so that it inlines and does
// not allocate.
func anyStatement(s *Script, match func(*Statement) bool) bool {
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

func deny(reason string) Outcome { return Outcome{Decision: Deny, Reason: reason} }

// DestructiveDDL denies DROP (of any object), TRUNCATE and ALTER … DROP
// (COLUMN or CONSTRAINT) in the given environments; with none, in every
// environment. A request with no environment counts as production: the rule
// fails closed.
//
// It catches these statements wherever they sit in a stacked script or
// behind EXPLAIN. It cannot see DDL that runs inside a function, a
// procedure, a DO block or dynamic SQL (EXECUTE), nor data loss through
// other DDL (ALTER COLUMN … TYPE, CREATE OR REPLACE, RENAME).
func DestructiveDDL(environments ...string) NamedRule {
	return Named(RuleDestructiveDDL, &destructiveDDL{envs: environments})
}

type destructiveDDL struct{ envs []string }

func (d *destructiveDDL) Check(_ context.Context, r *Request) Outcome {
	if d.objects(r) {
		return deny("destructive DDL (DROP, TRUNCATE or ALTER … DROP)")
	}
	return Outcome{}
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
	if anyStatement(r.Script, isDestructive) {
		return true
	}
	return false
}

func isDestructive(st *Statement) bool {
	switch {
	case st.Kind == sqlparse.KindDrop, st.Effect == sqlparse.KindDrop:
		return true
	case st.Kind == sqlparse.KindTruncate, st.Effect == sqlparse.KindTruncate:
		return true
	case st.DropsColumn:
		return true
	}
	return false
}

// MissingWhere denies an UPDATE or DELETE without a WHERE clause, or with
// one the analyser recognises as always true (WHERE 1=1, WHERE true,
// … OR 1=1, WHERE id = id). It looks at the statement's effect, so a DELETE
// inside a CTE, or under EXPLAIN ANALYZE, is caught too; when the analyser
// does not describe such a nested WHERE, the rule denies (fails closed).
//
// It cannot recognise every tautology (WHERE id > 0 on a positive key,
// WHERE f(x) for a function that is always true), and a LIMIT does not
// satisfy it: cap rows with [MaxRows].
func MissingWhere() NamedRule { return Named(RuleMissingWhere, missingWhere{}) }

type missingWhere struct{}

func (x missingWhere) Check(_ context.Context, r *Request) Outcome {
	if x.objects(r) {
		return deny("UPDATE or DELETE without a restricting WHERE clause")
	}
	return Outcome{}
}

func (missingWhere) objects(r *Request) bool {
	if anyStatement(r.Script, isUnbounded) {
		return true
	}
	return false
}

func isUnbounded(st *Statement) bool {
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
func StackedStatements() NamedRule { return Named(RuleStacked, stacked{}) }

type stacked struct{}

func (x stacked) Check(_ context.Context, r *Request) Outcome {
	if x.objects(r) {
		return deny("several statements in one text")
	}
	return Outcome{}
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
		"schema_to_xml",
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
// own tables: COPY … PROGRAM, COPY to or from a server file (any COPY not
// to STDOUT or from STDIN), SELECT … INTO OUTFILE or
// DUMPFILE, LOAD DATA (LOCAL or not), SQLite ATTACH, PostgreSQL DO blocks
// (code the analyser cannot read), and calls to server-file, large-object,
// dblink, dynamic-SQL (query_to_xml and kin), sleep (pg_sleep, SLEEP,
// BENCHMARK), session-killing and extension-loading functions, with or
// without a schema qualifier.
//
// It cannot see these calls when they are made inside a user-defined
// function or procedure, or through a function it does not list.
func DangerousCalls() NamedRule { return Named(RuleDangerous, dangerous{}) }

type dangerous struct{}

func (x dangerous) Check(_ context.Context, r *Request) Outcome {
	if x.objects(r) {
		return deny("command or function that reaches outside the database, runs unreadable code or stalls the server")
	}
	return Outcome{}
}

func (dangerous) objects(r *Request) bool {
	if anyStatement(r.Script, isDangerous) || copiesServerFile(r.Script) {
		return true
	}
	return false
}

// copiesServerFile reports a COPY that is not to or from the client: the
// model flags COPY … TO a file but not COPY … FROM a server file, so a COPY
// passes only as the single statement of a script whose literal-free text
// names STDIN or STDOUT.
func copiesServerFile(s *Script) bool {
	if s == nil {
		return false
	}
	for i := range s.Statements {
		if s.Statements[i].Kind != sqlparse.KindCopy {
			continue
		}
		if len(s.Statements) != 1 {
			return true
		}
		return !containsWordFold(s.Normalized, "stdin") && !containsWordFold(s.Normalized, "stdout")
	}
	return false
}

func isDangerous(st *Statement) bool {
	if st.Program || st.Local || st.IntoFile {
		return true
	}
	switch st.Kind {
	case sqlparse.KindLoadData, sqlparse.KindAttach, sqlparse.KindDo:
		return true
	}
	for _, f := range st.Functions {
		if funcIs(isDangerousName, f) {
			return true
		}
	}
	return false
}

// PrivilegeChanges denies GRANT, REVOKE, CREATE / ALTER / DROP / RENAME of a
// role or user, and session identity changes (SET ROLE, SET SESSION
// AUTHORIZATION, SET PASSWORD, ALTER DEFAULT PRIVILEGES).
//
// It recognises SET forms by their words in the literal-free text of the
// script, so in a stacked script a role word in any statement marks every
// SET of it. It cannot see privilege changes made inside functions,
// procedures or dynamic SQL.
func PrivilegeChanges() NamedRule { return Named(RulePrivileges, privileges{}) }

type privileges struct{}

func (x privileges) Check(_ context.Context, r *Request) Outcome {
	if x.objects(r) {
		return deny("privilege or role change")
	}
	return Outcome{}
}

func (privileges) objects(r *Request) bool {
	if r.Script == nil {
		return false
	}
	for i := range r.Script.Statements {
		for st := &r.Script.Statements[i]; st != nil; st = st.Inner {
			if isPrivilegeChange(st, r.Script.Normalized) {
				return true
			}
		}
	}
	return false
}

func isPrivilegeChange(st *Statement, text string) bool {
	switch st.Kind {
	case sqlparse.KindGrant, sqlparse.KindRevoke:
		return true
	case sqlparse.KindCreate, sqlparse.KindAlter, sqlparse.KindDrop, sqlparse.KindRename:
		if st.Object == sqlparse.ObjectRole {
			return true
		}
		if st.Kind == sqlparse.KindAlter && containsWordFold(text, "privileges") {
			return true
		}
	case sqlparse.KindSet, sqlparse.KindReset:
		return containsWordFold(text, "role") || containsWordFold(text, "authorization") ||
			containsWordFold(text, "password")
	}
	return st.Effect == sqlparse.KindGrant || st.Effect == sqlparse.KindRevoke
}

// LexingSettings denies statements that change how the server lexes later
// statements: PostgreSQL standard_conforming_strings, backslash_quote and
// client_encoding; MySQL sql_mode (ANSI_QUOTES, NO_BACKSLASH_ESCAPES), SET
// NAMES and character sets; and any call of set_config, whose setting name
// is a literal the guard does not read. It looks at SET, RESET and ALTER …
// SET statements by the words of the literal-free text.
//
// Make it a review ([NamedRule.Reviewed]) where a service legitimately
// changes one of these. It cannot see settings changed by a function or
// procedure, or in the server or role configuration.
func LexingSettings() NamedRule { return Named(RuleLexingSettings, lexing{}) }

type lexing struct{}

func (x lexing) Check(_ context.Context, r *Request) Outcome {
	if x.objects(r) {
		return deny("change of a setting that alters how SQL text is read")
	}
	return Outcome{}
}

func (lexing) objects(r *Request) bool {
	if r.Script == nil {
		return false
	}
	for i := range r.Script.Statements {
		for st := &r.Script.Statements[i]; st != nil; st = st.Inner {
			if changesLexing(st, r.Script.Normalized) {
				return true
			}
		}
	}
	return false
}

func changesLexing(st *Statement, text string) bool {
	for _, f := range st.Functions {
		if i := strings.LastIndexByte(f, '.'); i >= 0 {
			f = f[i+1:]
		}
		if strings.EqualFold(f, "set_config") {
			return true
		}
	}
	switch st.Kind {
	case sqlparse.KindSet, sqlparse.KindReset, sqlparse.KindAlter:
	default:
		return false
	}
	// These settings change how the server splits the text into tokens; the
	// analyser reads text with the defaults, so changing one on a live
	// connection could make a later statement mean something else to the
	// server than to the guard.
	for _, w := range [...]string{
		"standard_conforming_strings", "backslash_quote", "client_encoding",
		"sql_mode", "ansi_quotes", "no_backslash_escapes", "names", "charset",
		"character", "character_set_client", "character_set_connection",
	} {
		if containsWordFold(text, w) {
			return true
		}
	}
	return false
}

// MaxRows caps the rows one UPDATE, DELETE or MERGE may change at n. The
// policy only states the cap ([Verdict.MaxRowsAffected]); the driver
// enforces it: inside a caller's transaction, exceeding it returns an error
// so the caller rolls back; outside one, the driver runs the statement in
// its own transaction where the dialect allows and rolls it back.
func MaxRows(n int64) NamedRule { return Named(RuleMaxRows, maxRows{n: n}) }

type maxRows struct{ n int64 }

func (m maxRows) Check(_ context.Context, r *Request) Outcome {
	if anyStatement(r.Script, isRowWrite) {
		return Outcome{MaxRowsAffected: m.n}
	}
	return Outcome{}
}

func isRowWrite(st *Statement) bool {
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

// containsWordFold reports whether s contains word (lowercase ASCII) as a
// whole word, ignoring ASCII case. Word characters are letters, digits, '_'
// and '$'.
func containsWordFold(s, word string) bool {
	n := len(word)
	for i := 0; i+n <= len(s); i++ {
		if i > 0 && isWordByte(s[i-1]) {
			continue
		}
		if i+n < len(s) && isWordByte(s[i+n]) {
			continue
		}
		match := true
		for j := 0; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != word[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}
