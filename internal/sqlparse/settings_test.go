package sqlparse_test

import (
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// settings renders a statement's Settings as "scope:name=value" items
// ("name?" when read, not assigned), with "!" appended when some are
// unknown.
func settings(st *sqlparse.Statement) string {
	scopes := map[sqlparse.SettingScope]string{
		sqlparse.ScopeUnknown: "unknown", sqlparse.ScopeSession: "session", sqlparse.ScopeTransaction: "tx",
		sqlparse.ScopeGlobal: "global", sqlparse.ScopePersist: "persist", sqlparse.ScopeDatabase: "database",
		sqlparse.ScopeServer: "server",
	}
	var parts []string
	for _, s := range st.Settings {
		if !s.Assigned {
			parts = append(parts, scopes[s.Scope]+":"+s.Name+"?")
			continue
		}
		parts = append(parts, scopes[s.Scope]+":"+s.Name+"="+s.Value)
	}
	out := strings.Join(parts, " ")
	if st.SettingsUnknown {
		out += "!"
	}
	return out
}

func TestSettings(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want string
	}{
		{lt, "PRAGMA writable_schema = ON", "session:writable_schema=on"},
		{lt, "PRAGMA main.writable_schema(1)", "session:writable_schema=1"},
		{lt, `PRAGMA "WRITABLE_SCHEMA" = 'on'`, "session:writable_schema=on"},
		{lt, "PRAGMA [journal_mode]=OFF", "session:journal_mode=off"},
		{lt, "PRAGMA temp.journal_mode = memory", "session:journal_mode=memory"},
		{lt, "PRAGMA foreign_keys = -1", "session:foreign_keys=-1"},
		{lt, "PRAGMA user_version = 7", "session:user_version=7"},
		{lt, "PRAGMA table_info(x)", "session:table_info=x"},
		{lt, "PRAGMA foreign_keys", "session:foreign_keys?"},
		{lt, "PRAGMA integrity_check", "session:integrity_check?"},
		{pg, "SET session_replication_role = replica", "session:session_replication_role=replica"},
		{pg, "SET LOCAL session_replication_role TO 'replica'", "tx:session_replication_role=replica"},
		{pg, `SET "Session_Replication_Role" = origin`, "session:session_replication_role=origin"},
		{pg, "SET SESSION synchronous_commit TO DEFAULT", "session:synchronous_commit=default"},
		{pg, "SET search_path = a, b", "session:search_path="},
		{pg, "SET app.tenant = '7'", "session:app.tenant=7"},
		{pg, "SET TIME ZONE 'UTC'", "session:timezone=utc"},
		{pg, "SET ROLE postgres", "session:role="},
		{pg, "SET work_mem = E'4MB'", "session:work_mem="},
		{pg, "ALTER SYSTEM SET fsync = off", "server:fsync=off"},
		{pg, "ALTER SYSTEM RESET ALL", "server:all?"},
		{pg, "ALTER DATABASE test SET session_replication_role TO replica", "database:session_replication_role=replica"},
		{pg, "ALTER ROLE app IN DATABASE test RESET synchronous_commit", "database:synchronous_commit?"},
		{pg, "ALTER FUNCTION wipe(int) SET session_replication_role = replica", "database:session_replication_role=replica"},
		{pg, "ALTER PROCEDURE p() RESET ALL", "database:all?"},
		{pg, "ALTER FUNCTION wipe(int) SET SCHEMA app", ""},
		{my, "SET foreign_key_checks = 0, unique_checks=0", "session:foreign_key_checks=0 session:unique_checks=0"},
		{my, "SET @@global.innodb_flush_log_at_trx_commit = 0", "global:innodb_flush_log_at_trx_commit=0"},
		{my, "SET GLOBAL max_connections = 1, wait_timeout = 5", "global:max_connections=1 global:wait_timeout=5"},
		{my, "SET PERSIST sql_log_bin = 0", "persist:sql_log_bin=0"},
		{my, "SET @@persist_only.x = 1", "persist:x=1"},
		{my, "SET @a = 1, SESSION sql_log_bin := OFF", "session:sql_log_bin=off"},
		{my, "SET @@SESSION.FOREIGN_KEY_CHECKS = ?", "session:foreign_key_checks="},
		{my, `SET foreign_key_checks = "OFF"`, "session:foreign_key_checks=off"},
		{my, "SET LOCAL unique_checks = 1 - 1", "session:unique_checks="},
		{my, "SET NAMES utf8mb4", "session:names="},
		{my, "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_bin', foreign_key_checks = 0", "session:names= session:foreign_key_checks=0"},
		{my, "SET CHARACTER SET utf8mb4, GLOBAL x = 1", "session:character_set= global:x=1"},
		{my, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY", "session:transaction="},
		{my, "/*! SET foreign_key_checks = 0 */", "session:foreign_key_checks=0"},
		{my, "SET GLOBAL TRANSACTION ISOLATION LEVEL READ COMMITTED", "global:transaction="},
		{my, "SET PASSWORD = 'secret'", "session:password="},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if len(s.Statements) != 1 {
				t.Fatalf("got %d statements, want 1", len(s.Statements))
			}
			if got := settings(&s.Statements[0]); got != tt.want {
				t.Errorf("got settings %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMaintenanceFacts(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want string // "rewrites", "reindex:<scope>", "lock:<mode>", "into-file", "database:<name>" or ""
	}{
		{pg, "VACUUM", ""},
		{pg, "VACUUM ANALYZE victim", ""},
		{pg, "VACUUM FULL", "rewrites"},
		{pg, "VACUUM VERBOSE FULL victim", "rewrites"},
		{pg, "VACUUM (FULL) victim", "rewrites"},
		{pg, "VACUUM (VERBOSE, FULL true) victim", "rewrites"},
		{pg, "VACUUM (FULL false) victim", ""},
		{pg, "VACUUM (FULL 0)", ""},
		{pg, "CLUSTER victim USING victim_pkey", "rewrites"},
		{pg, "CLUSTER", "rewrites"},
		{my, "OPTIMIZE TABLE victim", "rewrites"},
		{my, "OPTIMIZE NO_WRITE_TO_BINLOG TABLE victim", "rewrites"},
		{lt, "VACUUM", "rewrites"},
		{lt, "VACUUM main", "rewrites"},
		{lt, "VACUUM INTO '/tmp/x.db'", "into-file"},
		{pg, "REINDEX DATABASE test", "reindex:database"},
		{pg, "REINDEX SYSTEM test", "reindex:database"},
		{pg, "REINDEX (VERBOSE) SCHEMA public", "reindex:schema"},
		{pg, "REINDEX TABLE victim", "reindex:table"},
		{pg, "REINDEX INDEX CONCURRENTLY victim_pkey", "reindex:index"},
		{lt, "REINDEX", "reindex:database"},
		{lt, "REINDEX victim", "reindex:other"},
		{pg, "LOCK TABLE victim IN ACCESS EXCLUSIVE MODE", "lock:ACCESS EXCLUSIVE"},
		{pg, "LOCK victim", "lock:ACCESS EXCLUSIVE"},
		{pg, "LOCK TABLE ONLY victim, notes NOWAIT", "lock:ACCESS EXCLUSIVE"},
		{pg, "LOCK TABLE victim IN exclusive MODE", "lock:EXCLUSIVE"},
		{pg, "LOCK TABLE victim IN SHARE MODE", "lock:SHARE"},
		{pg, "LOCK TABLE victim IN SHARE ROW EXCLUSIVE MODE NOWAIT", "lock:SHARE ROW EXCLUSIVE"},
		{my, "LOCK TABLES victim READ, notes AS n LOW_PRIORITY WRITE", "lock:WRITE"},
		{my, "LOCK TABLES victim READ LOCAL", "lock:READ"},
		{my, "LOCK TABLE victim write", "lock:WRITE"},
		{my, "LOCK INSTANCE FOR BACKUP", "lock:BACKUP"},
		{my, "USE mysql", "database:mysql"},
		{my, "USE `MySQL`", "database:MySQL"},
		{my, `USE "mysql"`, "database:mysql"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if !s.Complete || len(s.Statements) != 1 {
				t.Fatalf("got complete=%v (%s), %d statements; want one complete", s.Complete, s.Reason, len(s.Statements))
			}
			st := &s.Statements[0]
			var got []string
			if st.RewritesTables {
				got = append(got, "rewrites")
			}
			if st.IntoFile {
				got = append(got, "into-file")
			}
			if st.Kind == sqlparse.KindReindex {
				got = append(got, "reindex:"+strings.ToLower(objectName(st.ReindexScope)))
			}
			if st.LockMode != "" {
				got = append(got, "lock:"+st.LockMode)
			}
			if st.Database != "" {
				got = append(got, "database:"+st.Database)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("got %q, want %q", g, tt.want)
			}
		})
	}
}

func objectName(o sqlparse.ObjectType) string {
	switch o {
	case sqlparse.ObjectDatabase:
		return "database"
	case sqlparse.ObjectSchema:
		return "schema"
	case sqlparse.ObjectTable:
		return "table"
	case sqlparse.ObjectIndex:
		return "index"
	case sqlparse.ObjectOther:
		return "other"
	}
	return "object " + o.String()
}
