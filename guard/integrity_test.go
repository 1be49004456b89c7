package guard_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/policyfile"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// sessionRules are the rules that judge what a statement leaves for the
// next one, alone: a denial names the rule that caught it.
func sessionRules() []guard.NamedRule {
	return []guard.NamedRule{
		guard.CatalogWrites(),
		guard.IntegritySettings(),
		guard.Maintenance(),
		guard.Routines(guard.Routine{Name: "refresh_stats", Effect: sqlparse.KindUpdate},
			guard.Routine{Name: "App.Report", Effect: sqlparse.KindSelect}),
	}
}

func setting(name, value string, assigned bool, scope sqlstmt.SettingScope) stmtOpt {
	return with(func(s *sqlstmt.Statement) {
		s.Settings = append(s.Settings, sqlstmt.Setting{Name: name, Value: value, Assigned: assigned, Scope: scope})
	})
}

func in(d sqlstmt.Dialect, s *sqlstmt.Script) *sqlstmt.Script {
	s.Dialect = d
	return s
}

// TestSessionRules judges hand-built statements, so that each rule is
// tested on exactly the facts it reads.
func TestSessionRules(t *testing.T) {
	p := mustPolicy(t, guard.WithRules(sessionRules()...))
	const (
		cat   = "catalog-writes"
		integ = "integrity-settings"
		maint = "maintenance"
		rout  = "routines"
	)
	sess := sqlstmt.ScopeSession
	tests := []struct {
		name string
		give *sqlstmt.Script
		want string
	}{
		{"delete from sqlite_master", in(sqlstmt.SQLite, script("DELETE FROM sqlite_master WHERE name = ?", stmt(sqlparse.KindDelete, writes("sqlite_master"), where(true, false)))), cat},
		{"update temp.SQLITE_TEMP_MASTER", in(sqlstmt.SQLite, script("UPDATE x", stmt(sqlparse.KindUpdate, writes("temp.SQLITE_TEMP_MASTER")))), cat},
		{"select from sqlite_master passes", in(sqlstmt.SQLite, script("SELECT sql FROM sqlite_master", stmt(sqlparse.KindSelect, reads("sqlite_master")))), ""},
		{"pg_catalog.pg_class", script("UPDATE pg_catalog.pg_class SET …", stmt(sqlparse.KindUpdate, writes("pg_catalog.pg_class"))), cat},
		{"unqualified pg_authid", script("DELETE FROM pg_authid WHERE …", stmt(sqlparse.KindDelete, writes("pg_authid"))), cat},
		{"pg_ table in another schema passes", script("INSERT INTO app.pg_notes …", stmt(sqlparse.KindInsert, writes("app.pg_notes"))), ""},
		{"pg_temp schema passes", script("INSERT INTO pg_temp.t …", stmt(sqlparse.KindInsert, writes("pg_temp.t"))), ""},
		{"MySQL mysql.user", in(sqlstmt.MySQL, script("UPDATE mysql.user …", stmt(sqlparse.KindUpdate, writes("MySQL.user")))), cat},
		{"MySQL performance_schema truncate", in(sqlstmt.MySQL, script("TRUNCATE performance_schema.x", stmt(sqlparse.KindTruncate, writes("performance_schema.x")))), cat},
		{"MySQL USE sys", in(sqlstmt.MySQL, script("USE sys", stmt(sqlparse.KindUse, with(func(s *sqlstmt.Statement) { s.Database = "sys" })))), cat},
		{"MySQL USE app passes", in(sqlstmt.MySQL, script("USE app", stmt(sqlparse.KindUse, with(func(s *sqlstmt.Statement) { s.Database = "app" })))), ""},
		{"catalog write under EXPLAIN ANALYZE", in(sqlstmt.SQLite, script("EXPLAIN …", stmt(sqlparse.KindExplain, inner(stmt(sqlparse.KindDelete, writes("sqlite_schema")))))), cat},
		{"unknown dialect: every list", in(sqlstmt.DialectUnknown, script("DELETE …", stmt(sqlparse.KindDelete, writes("mysql.db")))), cat},

		{"writable_schema on", in(sqlstmt.SQLite, script("PRAGMA writable_schema = ?", stmt(sqlparse.KindPragma, setting("writable_schema", "on", true, sess)))), integ},
		{"writable_schema unknown value", in(sqlstmt.SQLite, script("PRAGMA writable_schema = ?", stmt(sqlparse.KindPragma, setting("writable_schema", "", true, sess)))), integ},
		{"writable_schema off passes", in(sqlstmt.SQLite, script("PRAGMA writable_schema = ?", stmt(sqlparse.KindPragma, setting("writable_schema", "off", true, sess)))), ""},
		{"writable_schema read passes", in(sqlstmt.SQLite, script("PRAGMA writable_schema", stmt(sqlparse.KindPragma, setting("writable_schema", "", false, sess)))), ""},
		{"foreign_keys 0", in(sqlstmt.SQLite, script("PRAGMA foreign_keys = ?", stmt(sqlparse.KindPragma, setting("foreign_keys", "0", true, sess)))), integ},
		{"foreign_keys -1 is off in SQLite", in(sqlstmt.SQLite, script("PRAGMA foreign_keys = ?", stmt(sqlparse.KindPragma, setting("foreign_keys", "-1", true, sess)))), integ},
		{"foreign_keys default is off in SQLite", in(sqlstmt.SQLite, script("PRAGMA foreign_keys = ?", stmt(sqlparse.KindPragma, setting("foreign_keys", "default", true, sess)))), integ},
		{"foreign_keys on passes", in(sqlstmt.SQLite, script("PRAGMA foreign_keys = ?", stmt(sqlparse.KindPragma, setting("foreign_keys", "on", true, sess)))), ""},
		{"journal_mode memory", in(sqlstmt.SQLite, script("PRAGMA journal_mode = ?", stmt(sqlparse.KindPragma, setting("journal_mode", "memory", true, sess)))), integ},
		{"journal_mode wal passes", in(sqlstmt.SQLite, script("PRAGMA journal_mode = ?", stmt(sqlparse.KindPragma, setting("journal_mode", "wal", true, sess)))), ""},
		{"synchronous off", in(sqlstmt.SQLite, script("PRAGMA synchronous = ?", stmt(sqlparse.KindPragma, setting("synchronous", "0", true, sess)))), integ},
		{"synchronous normal passes", in(sqlstmt.SQLite, script("PRAGMA synchronous = ?", stmt(sqlparse.KindPragma, setting("synchronous", "normal", true, sess)))), ""},
		{"user_version write", in(sqlstmt.SQLite, script("PRAGMA user_version = ?", stmt(sqlparse.KindPragma, setting("user_version", "7", true, sess)))), integ},
		{"recursive_triggers passes", in(sqlstmt.SQLite, script("PRAGMA recursive_triggers = ?", stmt(sqlparse.KindPragma, setting("recursive_triggers", "on", true, sess)))), ""},
		{"table_info passes", in(sqlstmt.SQLite, script("PRAGMA table_info(t)", stmt(sqlparse.KindPragma, setting("table_info", "t", true, sess)))), ""},
		{"session_replication_role replica", script("SET session_replication_role = ?", stmt(sqlparse.KindSet, setting("session_replication_role", "replica", true, sess))), integ},
		{"session_replication_role origin passes", script("SET session_replication_role = ?", stmt(sqlparse.KindSet, setting("session_replication_role", "origin", true, sess))), ""},
		{"synchronous_commit off for later sessions", script("ALTER DATABASE d SET synchronous_commit = ?", stmt(sqlparse.KindAlter, setting("synchronous_commit", "off", true, sqlstmt.ScopeDatabase))), integ},
		{"ALTER SYSTEM of anything", script("ALTER SYSTEM SET work_mem = ?", stmt(sqlparse.KindAlter, setting("work_mem", "4mb", true, sqlstmt.ScopeServer))), integ},
		{"ALTER SYSTEM RESET", script("ALTER SYSTEM RESET ALL", stmt(sqlparse.KindAlter, setting("all", "", false, sqlstmt.ScopeServer))), integ},
		{"set_config", script("SELECT set_config(?, ?, ?)", stmt(sqlparse.KindSelect, funcs("pg_catalog.set_config"))), integ},
		{"work_mem passes", script("SET work_mem = ?", stmt(sqlparse.KindSet, setting("work_mem", "", true, sess))), ""},
		{"MySQL foreign_key_checks 0", in(sqlstmt.MySQL, script("SET foreign_key_checks = ?", stmt(sqlparse.KindSet, setting("foreign_key_checks", "0", true, sess)))), integ},
		{"MySQL foreign_key_checks DEFAULT passes", in(sqlstmt.MySQL, script("SET foreign_key_checks = DEFAULT", stmt(sqlparse.KindSet, setting("foreign_key_checks", "default", true, sess)))), ""},
		{"MySQL SET GLOBAL anything", in(sqlstmt.MySQL, script("SET GLOBAL wait_timeout = ?", stmt(sqlparse.KindSet, setting("wait_timeout", "5", true, sqlstmt.ScopeGlobal)))), integ},
		{"MySQL SET PERSIST anything", in(sqlstmt.MySQL, script("SET PERSIST x = ?", stmt(sqlparse.KindSet, setting("x", "1", true, sqlstmt.ScopePersist)))), integ},
		{"MySQL sql_log_bin off", in(sqlstmt.MySQL, script("SET sql_log_bin = ?", stmt(sqlparse.KindSet, setting("sql_log_bin", "off", true, sess)))), integ},
		{"SET not fully read", in(sqlstmt.MySQL, script("SET …", stmt(sqlparse.KindSet, with(func(s *sqlstmt.Statement) { s.SettingsUnknown = true })))), integ},

		{"VACUUM FULL", script("VACUUM FULL", stmt(sqlparse.KindVacuum, with(func(s *sqlstmt.Statement) { s.RewritesTables = true }))), maint},
		{"plain VACUUM passes", script("VACUUM t", stmt(sqlparse.KindVacuum)), ""},
		{"ANALYZE passes", script("ANALYZE t", stmt(sqlparse.KindAnalyze)), ""},
		{"REINDEX DATABASE", script("REINDEX DATABASE d", stmt(sqlparse.KindReindex, with(func(s *sqlstmt.Statement) { s.ReindexScope = sqlparse.ObjectDatabase }))), maint},
		{"REINDEX SCHEMA", script("REINDEX SCHEMA s", stmt(sqlparse.KindReindex, with(func(s *sqlstmt.Statement) { s.ReindexScope = sqlparse.ObjectSchema }))), maint},
		{"REINDEX TABLE passes", script("REINDEX TABLE t", stmt(sqlparse.KindReindex, with(func(s *sqlstmt.Statement) { s.ReindexScope = sqlparse.ObjectTable }))), ""},
		{"LOCK ACCESS EXCLUSIVE", script("LOCK t", stmt(sqlparse.KindLock, with(func(s *sqlstmt.Statement) { s.LockMode = "ACCESS EXCLUSIVE" }))), maint},
		{"LOCK EXCLUSIVE", script("LOCK t IN EXCLUSIVE MODE", stmt(sqlparse.KindLock, with(func(s *sqlstmt.Statement) { s.LockMode = "EXCLUSIVE" }))), maint},
		{"LOCK mode not read", script("LOCK t", stmt(sqlparse.KindLock)), maint},
		{"LOCK SHARE passes", script("LOCK t IN SHARE MODE", stmt(sqlparse.KindLock, with(func(s *sqlstmt.Statement) { s.LockMode = "SHARE" }))), ""},
		{"LOCK TABLES WRITE", in(sqlstmt.MySQL, script("LOCK TABLES t WRITE", stmt(sqlparse.KindLock, with(func(s *sqlstmt.Statement) { s.LockMode = "WRITE" })))), maint},
		{"LOCK TABLES READ passes", in(sqlstmt.MySQL, script("LOCK TABLES t READ", stmt(sqlparse.KindLock, with(func(s *sqlstmt.Statement) { s.LockMode = "READ" })))), ""},

		{"CALL unknown", script("CALL wipe()", stmt(sqlparse.KindCall, with(func(s *sqlstmt.Statement) { s.Routine = "wipe" }))), rout},
		{"CALL with no routine read", script("CALL …", stmt(sqlparse.KindCall)), rout},
		{"CALL listed", script("CALL refresh_stats()", stmt(sqlparse.KindCall, with(func(s *sqlstmt.Statement) { s.Routine = "refresh_stats" }))), ""},
		{"CALL listed, other case", script("CALL app.report()", stmt(sqlparse.KindCall, with(func(s *sqlstmt.Statement) { s.Routine = "app.report" }))), ""},
		{"CALL listed name in another schema", script("CALL evil.refresh_stats()", stmt(sqlparse.KindCall, with(func(s *sqlstmt.Statement) { s.Routine = "evil.refresh_stats" }))), rout},
		{"DO", script("DO …", stmt(sqlparse.KindDo)), rout},
		{"EXECUTE of an unknown prepared statement", script("EXECUTE p", stmt(sqlparse.KindExecute)), rout},
		{"EXECUTE of a statement prepared in the text passes", script("PREPARE p AS SELECT ?; EXECUTE p", stmt(sqlparse.KindPrepare, inner(stmt(sqlparse.KindSelect))), stmt(sqlparse.KindExecute, inner(stmt(sqlparse.KindSelect)))), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := decide(t, p, request(bob, tt.give)); got != tt.want {
				t.Errorf("blocked by %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSessionRulesAnalysed runs texts, their quoting and case variants and
// their harmless lookalikes through the analyser and the rules.
func TestSessionRulesAnalysed(t *testing.T) {
	p := mustPolicy(t, guard.WithRules(sessionRules()...))
	const (
		pg    = sqlparse.PostgreSQL
		my    = sqlparse.MySQL
		lt    = sqlparse.SQLite
		cat   = "catalog-writes"
		integ = "integrity-settings"
		maint = "maintenance"
		rout  = "routines"
	)
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want string
	}{
		{lt, "DELETE FROM sqlite_master WHERE name = 'victim'", cat},
		{lt, `UPDATE "SQLITE_MASTER" SET sql = 'x' WHERE name = 'victim'`, cat},
		{lt, "UPDATE main.sqlite_master SET sql = 'x' WHERE name = 'victim'", cat},
		{lt, "DELETE FROM [sqlite_schema] WHERE name = 'victim'", cat},
		{lt, "DELETE FROM temp.sqlite_temp_master WHERE 1 = 0", cat},
		{lt, "INSERT INTO sqlite_master VALUES ('table', 'x', 'x', 0, 'CREATE TABLE x(a)')", cat},
		{lt, "WITH d AS (SELECT 1) DELETE FROM sqlite_master WHERE name = 'victim'", cat},
		{lt, "INSERT OR REPLACE INTO sqlite_master VALUES ('table', 'x', 'x', 0, 'CREATE TABLE x(a)')", cat},
		{lt, "REPLACE INTO sqlite_master VALUES ('table', 'x', 'x', 0, 'CREATE TABLE x(a)')", cat},
		{lt, "UPDATE `sqlite_master` SET sql = 'x' WHERE name = 'victim'", cat},
		{lt, "UPDATE main . sqlite_master SET sql = 'x' WHERE name = 'victim'", cat},
		{lt, "DROP TABLE sqlite_stat1", cat},
		// Plain EXPLAIN runs nothing, but like destructive-ddl the rule
		// judges the statement it wraps: it fails closed.
		{lt, "EXPLAIN DELETE FROM sqlite_master WHERE name = 'victim'", cat},
		{lt, "SELECT name, sql FROM sqlite_master WHERE type = 'table'", ""},
		{lt, "DELETE FROM victim WHERE id = (SELECT count(*) FROM sqlite_master)", ""},
		{pg, "UPDATE pg_catalog.pg_class SET relname = 'x' WHERE relname = 'victim'", cat},
		{pg, `UPDATE "pg_catalog"."pg_class" SET relname = 'x' WHERE relname = 'victim'`, cat},
		{pg, "DELETE FROM pg_constraint WHERE conname = 'fk'", cat},
		{pg, "UPDATE ONLY pg_catalog.pg_class SET relname = 'x' WHERE relname = 'victim'", cat},
		{pg, "WITH d AS (DELETE FROM pg_trigger WHERE tgname = 'x' RETURNING 1) SELECT 1", cat},
		{pg, "EXPLAIN ANALYZE DELETE FROM pg_trigger WHERE tgname = 'x'", cat},
		{pg, "INSERT INTO pg_temp.notes VALUES (1)", ""},
		{pg, "UPDATE pg_settings SET setting = 'replica' WHERE name = 'session_replication_role'", cat},
		{pg, "SELECT relname FROM pg_class WHERE relname = 'victim'", ""},
		{my, "UPDATE `mysql`.`user` SET authentication_string = '' WHERE User = 'root'", cat},
		{my, "DELETE FROM MYSQL.db WHERE Db = 'x'", cat},
		{my, "REPLACE INTO mysql.proxies_priv VALUES ()", cat},
		{my, "TRUNCATE TABLE performance_schema.events_statements_history", cat},
		{my, "USE mysql", cat},
		{my, "USE `Information_Schema`", cat},
		{my, "SELECT table_name FROM information_schema.tables", ""},
		{my, "USE test", ""},

		{lt, "PRAGMA writable_schema = ON", integ},
		{lt, "PRAGMA writable_schema = 1", integ},
		{lt, "PRAGMA main.writable_schema(true)", integ},
		{lt, `PRAGMA "Writable_Schema" = 'yes'`, integ},
		{lt, "PRAGMA writable_schema = RESET", integ},
		{lt, "PRAGMA writable_schema = OFF", ""},
		{lt, "PRAGMA writable_schema", ""},
		{lt, "PRAGMA journal_mode = OFF", integ},
		{lt, "PRAGMA temp.journal_mode = 'memory'", integ},
		{lt, "PRAGMA journal_mode = WAL", ""},
		{lt, "PRAGMA journal_mode", ""},
		{lt, "PRAGMA synchronous = OFF", integ},
		{lt, "PRAGMA synchronous = 0", integ},
		{lt, "PRAGMA synchronous = NORMAL", ""},
		{lt, "PRAGMA foreign_keys = OFF", integ},
		{lt, "PRAGMA foreign_keys(0)", integ},
		{lt, "PRAGMA foreign_keys = -1", integ},
		{lt, "PRAGMA foreign_keys = banana", integ},
		{lt, "PRAGMA foreign_keys = ON", ""},
		{lt, "PRAGMA ignore_check_constraints = ON", integ},
		{lt, "PRAGMA trusted_schema = 1", integ},
		{lt, "PRAGMA cell_size_check = OFF", integ},
		{lt, "PRAGMA legacy_alter_table = ON", integ},
		{lt, "PRAGMA defer_foreign_keys = ON", integ},
		{lt, "PRAGMA schema_version = 1", integ},
		{lt, "PRAGMA user_version = 42", integ},
		{lt, "PRAGMA user_version", ""},
		{lt, "PRAGMA recursive_triggers = ON", ""},
		{lt, "PRAGMA table_info(victim)", ""},
		{lt, "PRAGMA integrity_check", ""},
		{pg, "SET session_replication_role = replica", integ},
		{pg, "SET LOCAL session_replication_role TO 'replica'", integ},
		{pg, `SET "session_replication_role" = local`, integ},
		{pg, "SET session_replication_role = DEFAULT", ""},
		{pg, "SET session_replication_role TO origin", ""},
		{pg, "SET synchronous_commit = off", integ},
		{pg, "SET synchronous_commit TO local", ""},
		{pg, "SET fsync = on", integ},
		{pg, "SET zero_damaged_pages = t", integ},
		{pg, "ALTER SYSTEM SET fsync = off", integ},
		{pg, "ALTER SYSTEM SET work_mem = '64MB'", integ},
		{pg, "ALTER SYSTEM RESET ALL", integ},
		{pg, "ALTER DATABASE test SET session_replication_role = replica", integ},
		{pg, "ALTER DATABASE test SET app.tenant = 'other'", integ},
		{pg, "ALTER DATABASE test SET search_path = pg_temp, public", integ},
		{pg, "ALTER DATABASE test RESET ALL", integ},
		{pg, "ALTER DATABASE test IN ROLE app SET work_mem = '64MB'", integ},
		{pg, "ALTER FUNCTION f() SET session_replication_role = replica", integ},
		{pg, "ALTER FUNCTION f() SET search_path = app", ""},
		{pg, "SELECT set_config('session_replication_role', 'replica', false)", integ},
		{pg, "ALTER TABLE victim_child DISABLE TRIGGER ALL", integ},
		{pg, "ALTER TABLE victim_child DISABLE TRIGGER USER", integ},
		{pg, "ALTER TABLE victim_child ENABLE TRIGGER ALL", ""},
		{pg, "SET work_mem = '64MB'", ""},
		{pg, "SET search_path = app, public", ""},
		{pg, "SHOW session_replication_role", ""},
		{my, "SET foreign_key_checks = 0", integ},
		{my, "SET FOREIGN_KEY_CHECKS=OFF", integ},
		{my, "SET @@session.foreign_key_checks = 'off'", integ},
		{my, "SET @@foreign_key_checks := false", integ},
		{my, "SET @x = 1, unique_checks = 0", integ},
		{my, "SET foreign_key_checks = ?", integ},
		{my, "SET foreign_key_checks = @saved", integ},
		{my, "SET sql_log_bin = 0", integ},
		{my, "SET SESSION check_constraint_checks = 0", integ},
		{my, "SET GLOBAL max_connections = 1000", integ},
		{my, "SET @@global.innodb_flush_log_at_trx_commit = 2", integ},
		{my, "SET PERSIST innodb_doublewrite = OFF", integ},
		{my, "SET GLOBAL TRANSACTION ISOLATION LEVEL READ COMMITTED", integ},
		{my, "SET NAMES utf8mb4, foreign_key_checks = 0", integ},
		{my, "/*! SET foreign_key_checks = 0 */", integ},
		{my, "SET foreign_key_checks = 1", ""},
		{pg, "SET default_transaction_read_only = off", integ},
		{pg, "SET transaction_read_only TO false", integ},
		{pg, "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", integ},
		{pg, "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ  WRITE", integ},
		{pg, "BEGIN READ WRITE", integ},
		{pg, "START TRANSACTION ISOLATION LEVEL SERIALIZABLE READ WRITE", integ},
		{pg, "SET default_transaction_read_only = on", ""},
		{pg, "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE", ""},
		{pg, "BEGIN READ ONLY", ""},
		{my, "SET SESSION tx_read_only = 0", integ},
		{my, "SET @@transaction_read_only = OFF", integ},
		{my, "SET SESSION TRANSACTION READ WRITE", integ},
		{my, "START TRANSACTION READ WRITE", integ},
		{my, "SET SESSION tx_read_only = 1", ""},
		{my, "START TRANSACTION", ""},
		{my, "SET SESSION innodb_lock_wait_timeout = 5", ""},
		{my, "SET @saved = @@foreign_key_checks", ""},
		{my, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", ""},

		{pg, "VACUUM FULL victim", maint},
		{pg, "VACUUM (FULL, ANALYZE) victim", maint},
		{pg, "VACUUM full", maint},
		{pg, "VACUUM (FULL false) victim", ""},
		{pg, "VACUUM victim", ""},
		{pg, "VACUUM ANALYZE", ""},
		{pg, "ANALYZE victim", ""},
		{pg, "CLUSTER victim USING victim_pkey", maint},
		{pg, "REINDEX DATABASE test", maint},
		{pg, "REINDEX SYSTEM test", maint},
		{pg, "REINDEX SCHEMA public", maint},
		{pg, "REINDEX TABLE victim", ""},
		{pg, "LOCK TABLE victim IN ACCESS EXCLUSIVE MODE", maint},
		{pg, "LOCK victim", maint},
		{pg, "LOCK TABLE victim NOWAIT", maint},
		{pg, "LOCK TABLE victim IN EXCLUSIVE MODE", maint},
		{pg, "LOCK TABLE victim IN SHARE MODE", ""},
		{pg, "LOCK TABLE victim IN ROW EXCLUSIVE MODE", ""},
		{my, "LOCK TABLES victim WRITE", maint},
		{my, "LOCK TABLES notes READ, victim LOW_PRIORITY WRITE", maint},
		{my, "LOCK TABLES victim READ", ""},
		{my, "OPTIMIZE TABLE victim", maint},
		{lt, "VACUUM", maint},
		{lt, "REINDEX", maint},
		{lt, "REINDEX victim", ""},
		{lt, "VACUUM INTO '/tmp/copy.db'", ""}, // a file write: DangerousCalls

		{pg, "CALL wipe()", rout},
		{pg, `CALL "WIPE"()`, rout},
		{pg, "CALL refresh_stats()", ""},
		{pg, "CALL app.report(1)", ""},
		{pg, "CALL public.refresh_stats()", rout},
		{my, "CALL wipe()", rout},
		{my, "CALL REFRESH_STATS()", ""},
		{my, "DO wipe()", rout},
		{my, "PREPARE s FROM 'SELECT 1'", ""},
		{pg, "PREPARE p AS SELECT 1; EXECUTE p", ""},
	}
	for _, tt := range tests {
		t.Run(tt.d.String()+"/"+tt.give, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if !s.Complete {
				t.Fatalf("incomplete: %s", s.Reason)
			}
			if _, got := decide(t, p, request(bob, s)); got != tt.want {
				t.Errorf("blocked by %q, want %q", got, tt.want)
			}
		})
	}
	// Texts the analyser cannot read are denied as unknown whatever the
	// rules; with unknown statements allowed, the routines rule still
	// denies what it cannot know.
	lax := mustPolicy(t, guard.WithUnknown(guard.Allow), guard.WithRules(sessionRules()...))
	for _, tt := range []struct {
		d    sqlparse.Dialect
		give string
	}{
		{pg, "DO $$ BEGIN DROP TABLE victim; END $$"},
		{pg, "EXECUTE p2(0)"},
		{my, "EXECUTE IMMEDIATE 'DROP TABLE victim'"},
	} {
		t.Run("unknown allowed/"+tt.give, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if _, got := decide(t, lax, request(bob, s)); got != "routines" {
				t.Errorf("blocked by %q, want %q", got, "routines")
			}
		})
	}
}

func TestRoutinesRefused(t *testing.T) {
	tests := []struct {
		name string
		give guard.Routine
		want string
	}{
		{"no name", guard.Routine{Effect: sqlparse.KindSelect}, "no name"},
		{"no effect", guard.Routine{Name: "f"}, "declared effect"},
		{"a schema change", guard.Routine{Name: "migrate", Effect: sqlparse.KindDrop}, "declared effect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := guard.New(guard.WithRules(guard.Routines(tt.give)))
			if !errors.Is(err, guard.ErrInvalidPolicy) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want ErrInvalidPolicy mentioning %q", err, tt.want)
			}
		})
	}
}

func TestSessionRulesFromFile(t *testing.T) {
	p, err := policyfile.Parse("policy.yaml", []byte(`version: 1
rules:
  - name: catalogs
    builtin: catalog-writes
  - name: integrity
    builtin: integrity-settings
  - name: maintenance
    builtin: maintenance
  - name: routines
    builtin: routines
    allow:
      - {name: refresh_stats, effect: UPDATE}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want string
	}{
		{sqlparse.SQLite, "DELETE FROM sqlite_master WHERE name = 'x'", "catalogs"},
		{sqlparse.SQLite, "PRAGMA writable_schema = ON", "integrity"},
		{sqlparse.PostgreSQL, "VACUUM FULL", "maintenance"},
		{sqlparse.PostgreSQL, "CALL wipe()", "routines"},
		{sqlparse.PostgreSQL, "CALL refresh_stats()", ""},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			if _, got := decide(t, p, request(bob, sqlparse.Analyze(tt.d, tt.give))); got != tt.want {
				t.Errorf("blocked by %q, want %q", got, tt.want)
			}
		})
	}
	for _, bad := range []string{
		"allow: [{name: x}]",
		"allow: [{name: x, effect: DROP}]",
		"allow: [{effect: SELECT}]",
		"allow: [{name: x, effect: SELECT, why: y}]",
	} {
		_, err := policyfile.Parse("policy.yaml", []byte("version: 1\nrules:\n  - name: r\n    builtin: routines\n    "+bad+"\n"))
		if !errors.Is(err, guard.ErrInvalidPolicy) {
			t.Errorf("%s: got %v, want ErrInvalidPolicy", bad, err)
		}
	}
}
