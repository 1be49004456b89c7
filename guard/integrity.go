package guard

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/sqlvigil/sqlvigil/internal/rulename"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Built-in rules for what one statement leaves behind for the next: a
// catalog edited by hand, a setting that switches a check off, a table
// rewritten or locked, a routine whose body the guard never reads. Each
// judges one statement, so that a sequence of allowed statements on a
// pooled connection cannot add up to a destroyed database.

// CatalogWrites denies any write to a system catalog: INSERT, UPDATE,
// DELETE, MERGE, REPLACE, COPY FROM, LOAD DATA, TRUNCATE, and CREATE,
// ALTER, DROP or RENAME of such a relation (the analyser's Writes), in
// every statement of a script and behind EXPLAIN ANALYZE. The catalogs
// are, by dialect:
//   - SQLite: every relation whose name begins with sqlite_ (sqlite_master,
//     sqlite_schema, sqlite_temp_master, sqlite_sequence, sqlite_stat1 …)
//     in any schema (main., temp., an attached one), quoted or not, in
//     any case. With PRAGMA writable_schema on, a DELETE or UPDATE of
//     sqlite_master leaves the file "malformed";
//   - PostgreSQL: the schemas pg_catalog, information_schema and pg_toast,
//     and unqualified names beginning with pg_ (pg_catalog is searched
//     first): UPDATE pg_class, UPDATE pg_settings …;
//   - MySQL and MariaDB: the schemas mysql, information_schema,
//     performance_schema and sys, in any case; also a USE of one of them,
//     after which unqualified names on the connection resolve there.
//
// With an unknown dialect every list applies. Reading a catalog (SELECT …
// FROM sqlite_master, pg_class, information_schema.tables) is not a
// write and passes. It cannot see catalog writes made inside functions,
// procedures or dynamic SQL.
func CatalogWrites() NamedRule { return Named(rulename.CatalogWrites, catalogWrites{}) }

type catalogWrites struct{}

func (x catalogWrites) Check(_ context.Context, r *Request) Verdict {
	if x.objects(r) {
		return deny("write to a system catalog", "write to tables only, never to the system catalog")
	}
	return Verdict{}
}

func (catalogWrites) objects(r *Request) bool {
	if r.Script == nil {
		return false
	}
	d := r.Script.Dialect
	for i := range r.Script.Statements {
		for st := &r.Script.Statements[i]; st != nil; st = st.Inner {
			for _, t := range st.Writes {
				if isCatalog(d, t) {
					return true
				}
			}
			if st.Database != "" && (d == sqlparse.MySQL || d == sqlparse.DialectUnknown) && isMySQLSystemSchema(st.Database) {
				return true
			}
		}
	}
	return false
}

// isCatalog reports a relation of the dialect's system catalogs.
func isCatalog(d sqlstmt.Dialect, t sqlstmt.Table) bool {
	all := d == sqlparse.DialectUnknown
	if (all || d == sqlparse.SQLite) && hasPrefixFold(t.Name, "sqlite_") {
		return true
	}
	if all || d == sqlparse.PostgreSQL {
		if t.Schema == "" && hasPrefixFold(t.Name, "pg_") {
			return true
		}
		for _, s := range [...]string{"pg_catalog", "information_schema", "pg_toast"} {
			if strings.EqualFold(t.Schema, s) {
				return true
			}
		}
	}
	if (all || d == sqlparse.MySQL) && isMySQLSystemSchema(t.Schema) {
		return true
	}
	return false
}

func isMySQLSystemSchema(s string) bool {
	for _, x := range [...]string{"mysql", "information_schema", "performance_schema", "sys"} {
		if strings.EqualFold(s, x) {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// IntegritySettings denies statements that switch off a check or weaken
// durability for the session, or change any setting for the whole server:
//   - any change beyond the session: PostgreSQL ALTER SYSTEM, and ALTER
//     DATABASE, ROLE or USER … SET or RESET (of any setting: every later
//     session of every identity starts with it, and a session reset
//     returns to it — app.tenant for a row-security policy, search_path),
//     MySQL SET GLOBAL, SET PERSIST, SET PERSIST_ONLY and @@global. /
//     @@persist. assignments (innodb_* globals among them);
//   - SQLite PRAGMAs: writable_schema, ignore_check_constraints,
//     trusted_schema, legacy_alter_table and defer_foreign_keys set to
//     anything but off (0, off, false, no); foreign_keys, cell_size_check
//     and query_only set to anything but on (a positive number, on, true,
//     yes); journal_mode to anything but delete, truncate, persist or wal
//     (OFF and MEMORY lose the rollback journal); synchronous to anything
//     but normal, full or extra (1 to 3); any write of schema_version or
//     user_version. recursive_triggers is not denied: it makes more
//     triggers fire, never fewer checks;
//   - PostgreSQL SET (also SET LOCAL, ALTER FUNCTION / PROCEDURE … SET
//     for later calls):
//     session_replication_role to anything but origin or
//     DEFAULT (replica stops foreign-key and user triggers),
//     synchronous_commit to off, any value of fsync or full_page_writes,
//     zero_damaged_pages or ignore_checksum_failure to anything but off;
//     and any call of set_config, whose setting name is a literal the
//     guard does not read;
//   - MySQL SET: foreign_key_checks, unique_checks, sql_log_bin and
//     MariaDB's check_constraint_checks to anything but on (1, ON, TRUE,
//     DEFAULT);
//   - read-only transactions switched off, where a DSN or the server may
//     have made them the session's guardrail: PostgreSQL
//     default_transaction_read_only and transaction_read_only, MySQL
//     transaction_read_only and tx_read_only set to anything but on; SET
//     [SESSION CHARACTERISTICS AS] TRANSACTION … READ WRITE, and BEGIN or
//     START TRANSACTION … READ WRITE;
//   - PostgreSQL ALTER TABLE … DISABLE TRIGGER (ALL and USER stop the
//     foreign-key triggers for every session);
//   - a SET or PRAGMA whose assignments the analyser could not all read.
//
// Reading a PRAGMA (no value) passes, and so do PRAGMA table_info(t) and
// the like. A value given as an expression, a variable or a placeholder
// is unknown and denied for the settings above. It cannot see settings
// changed by a function or procedure, or in a server configuration file;
// make it a review ([NamedRule.Reviewed]) where a migration must change
// one.
func IntegritySettings() NamedRule { return Named(rulename.IntegritySettings, integrity{}) }

type integrity struct{}

func (x integrity) Check(_ context.Context, r *Request) Verdict {
	if x.objects(r) {
		return deny("change of a setting that weakens integrity or durability, or of a server-wide setting", "send the statement without changing that setting")
	}
	return Verdict{}
}

func (integrity) objects(r *Request) bool {
	if r.Script == nil {
		return false
	}
	d := r.Script.Dialect
	for i := range r.Script.Statements {
		for st := &r.Script.Statements[i]; st != nil; st = st.Inner {
			if weakensIntegrity(d, st) || readWrite(st, r.Script.Normalized) {
				return true
			}
		}
	}
	return false
}

func weakensIntegrity(d sqlstmt.Dialect, st *sqlstmt.Statement) bool {
	if st.SettingsUnknown || st.DisablesTriggers || callsSetConfig(st) {
		return true
	}
	for _, s := range st.Settings {
		switch s.Scope {
		case sqlparse.ScopeGlobal, sqlparse.ScopePersist, sqlparse.ScopeServer:
			return true
		case sqlparse.ScopeDatabase:
			if st.Object != sqlparse.ObjectFunction && st.Object != sqlparse.ObjectProcedure {
				// Every later session of the database or role, of
				// every identity, starts with it, and a session reset
				// (RESET ALL) returns to it.
				return true
			}
		}
		if s.Assigned && weakSetting(d, s.Name, s.Value) {
			return true
		}
	}
	return false
}

// readWrite reports a statement that makes transactions read-write where
// the session's default may be read-only (a DSN's
// default_transaction_read_only, a server's read_only role): SET [SESSION
// CHARACTERISTICS AS] TRANSACTION … READ WRITE, BEGIN or START
// TRANSACTION … READ WRITE. norm is the script's normalized text; the
// analysis names such a SET's setting "transaction" without its value.
func readWrite(st *sqlstmt.Statement, norm string) bool {
	switch {
	case st.Kind == sqlparse.KindBegin:
	case st.Kind == sqlparse.KindSet && slices.ContainsFunc(st.Settings, func(s sqlstmt.Setting) bool { return s.Name == "transaction" }):
	default:
		return false
	}
	return strings.Contains(strings.Join(strings.Fields(strings.ToUpper(norm)), " "), "READ WRITE")
}

// weakSetting reports an assignment of name to v that switches off a
// check or durability. v is "" when the value is unknown.
func weakSetting(d sqlstmt.Dialect, name, v string) bool {
	switch name {
	case "writable_schema", "ignore_check_constraints", "trusted_schema", "legacy_alter_table",
		"defer_foreign_keys", "zero_damaged_pages", "ignore_checksum_failure":
		return !isOff(v)
	case "foreign_keys", "cell_size_check", "query_only",
		"foreign_key_checks", "unique_checks", "sql_log_bin", "check_constraint_checks",
		"default_transaction_read_only", "transaction_read_only", "tx_read_only":
		return !isOn(d, v)
	case "journal_mode":
		return !oneOf(v, "delete", "truncate", "persist", "wal")
	case "synchronous":
		return !oneOf(v, "normal", "full", "extra", "1", "2", "3")
	case "schema_version", "user_version", "fsync", "full_page_writes":
		return true
	case "session_replication_role":
		return !oneOf(v, "origin", "default")
	case "synchronous_commit":
		return !oneOf(v, "on", "true", "yes", "1", "local", "remote_write", "remote_apply", "default")
	}
	return false
}

func oneOf(v string, list ...string) bool {
	for _, x := range list {
		if v == x {
			return true
		}
	}
	return false
}

// isOff reports a value every dialect reads as false.
func isOff(v string) bool {
	if oneOf(v, "off", "false", "no") {
		return true
	}
	return v != "" && strings.Trim(v, "0") == "" // 0, 00
}

// isOn reports a value the dialect reads as true. SQLite reads a word it
// does not know (DEFAULT among them) and a negative number as false.
func isOn(d sqlstmt.Dialect, v string) bool {
	if oneOf(v, "on", "true", "yes") || v == "default" && d != sqlparse.SQLite {
		return true
	}
	if v == "" || strings.Trim(v, "0") == "" {
		return false
	}
	for k := 0; k < len(v); k++ {
		if v[k] < '0' || v[k] > '9' {
			return false
		}
	}
	return true
}

// Maintenance denies maintenance that rewrites whole tables or holds
// locks that stall every other session:
//   - PostgreSQL VACUUM FULL (also VACUUM (FULL)), CLUSTER, REINDEX
//     DATABASE, SYSTEM or SCHEMA; MySQL OPTIMIZE TABLE; SQLite VACUUM and
//     REINDEX without a name (every index of the file);
//   - PostgreSQL LOCK TABLE in EXCLUSIVE or ACCESS EXCLUSIVE mode, or
//     without a mode (which is ACCESS EXCLUSIVE); MySQL LOCK TABLES with
//     any table locked for WRITE; a LOCK whose mode the analyser could
//     not read.
//
// Plain VACUUM, VACUUM ANALYZE, ANALYZE, REINDEX TABLE or INDEX, LOCK
// TABLE in SHARE mode or weaker, and LOCK TABLES … READ pass. SQLite
// VACUUM INTO writes a copy to a file: [DangerousCalls] denies it, as any
// file write. It cannot see locks taken by SELECT … FOR UPDATE, by
// advisory-lock functions (PostgreSQL pg_advisory_lock, MySQL GET_LOCK)
// or by SQLite BEGIN EXCLUSIVE, nor rewrites by ALTER TABLE or REFRESH
// MATERIALIZED VIEW.
func Maintenance() NamedRule { return Named(rulename.Maintenance, maintenance{}) }

type maintenance struct{}

func (x maintenance) Check(_ context.Context, r *Request) Verdict {
	if x.objects(r) {
		return deny("maintenance that rewrites tables or takes an exclusive lock", "run table maintenance as a reviewed operation")
	}
	return Verdict{}
}

func (maintenance) objects(r *Request) bool { return r.Script.Any(isHeavyMaintenance) }

func isHeavyMaintenance(st *sqlstmt.Statement) bool {
	if st.RewritesTables {
		return true
	}
	switch st.Kind {
	case sqlparse.KindReindex:
		return st.ReindexScope == sqlparse.ObjectDatabase || st.ReindexScope == sqlparse.ObjectSchema
	case sqlparse.KindLock:
		switch st.LockMode {
		case "", "EXCLUSIVE", "ACCESS EXCLUSIVE", "WRITE":
			return true
		}
	}
	return false
}

// Routine is a stored procedure a policy allows to be called, with the
// effect its owner declares for it.
type Routine struct {
	// Name is the routine as a CALL names it, "name" or "schema.name",
	// compared without regard to case. A qualified name matches only the
	// qualified call, an unqualified one only the unqualified call.
	Name string
	// Effect is the most consequential thing the routine does, as the
	// policy's owner declares it: SELECT for a routine that only
	// reads, INSERT, UPDATE, DELETE or MERGE for one that
	// changes rows. The guard cannot verify it. A routine that changes the
	// schema, privileges or settings cannot be allowed here: [New] refuses
	// any other effect; run such a routine under an identity the rule does
	// not apply to ([NamedRule.When]).
	Effect sqlstmt.Kind
}

// Routines denies code whose effect the analyser cannot know, unless the
// policy names it: a CALL of a procedure not in allowed, a DO (a
// PostgreSQL anonymous code block, a MySQL DO, which may call stored
// functions), and an EXECUTE of a statement not prepared in the same text
// (PostgreSQL EXECUTE name, MySQL EXECUTE stmt and EXECUTE IMMEDIATE). A
// CALL of a listed routine passes this rule; the other rules still judge
// the statement ([ReadOnly] denies every CALL to the identities it
// selects).
//
// It fails closed: with no routine listed, every CALL is denied. It does
// not judge a SELECT of a user-defined function: use [ReadOnlyAccess] with
// KnownFunctionsOnly for that.
func Routines(allowed ...Routine) NamedRule {
	rt := &routines{allowed: make([]Routine, len(allowed))}
	for i, a := range allowed {
		a.Name = strings.ToLower(strings.TrimSpace(a.Name))
		rt.allowed[i] = a
	}
	return Named(rulename.Routines, rt)
}

type routines struct{ allowed []Routine }

func (rt *routines) Check(_ context.Context, r *Request) Verdict {
	if rt.objects(r) {
		return deny("call of a routine whose effect is not declared by the policy", "call only the routines the policy declares")
	}
	return Verdict{}
}

func (rt *routines) objects(r *Request) bool {
	if r.Script == nil {
		return false
	}
	for i := range r.Script.Statements {
		for st := &r.Script.Statements[i]; st != nil; st = st.Inner {
			if rt.unknown(st) {
				return true
			}
		}
	}
	return false
}

func (rt *routines) unknown(st *sqlstmt.Statement) bool {
	switch st.Kind {
	case sqlparse.KindDo:
		return true
	case sqlparse.KindExecute:
		return st.Inner == nil
	case sqlparse.KindCall:
		if st.Routine == "" {
			return true
		}
		for _, a := range rt.allowed {
			if strings.EqualFold(a.Name, st.Routine) {
				return false
			}
		}
		return true
	}
	return false
}

func (rt *routines) validate() error {
	for _, a := range rt.allowed {
		if a.Name == "" {
			return errors.New("a routine has no name")
		}
		switch a.Effect {
		case sqlparse.KindSelect, sqlparse.KindInsert, sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindMerge:
		default:
			return errors.New("routine " + a.Name + ": the declared effect must be SELECT, INSERT, UPDATE, DELETE or MERGE")
		}
	}
	return nil
}
