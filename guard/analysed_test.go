package guard_test

import (
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// TestAnalysedDecisions runs texts through the analyser and the built-ins
// together: the facts the rules read are the analyser's, not words of the
// text.
func TestAnalysedDecisions(t *testing.T) {
	p := mustPolicy(t, guard.WithRules(allBuiltins()...))
	const (
		pg = sqlparse.PostgreSQL
		my = sqlparse.MySQL
		lt = sqlparse.SQLite
	)
	tests := []struct {
		d    sqlparse.Dialect
		who  identity.Identity
		give string
		want string
	}{
		// missing-where: every UPDATE and DELETE the statement runs.
		{pg, bob, "WITH d AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT * FROM d", ""},
		{pg, bob, "WITH d AS (DELETE FROM t RETURNING *) SELECT 1", guard.RuleMissingWhere},
		{pg, bob, "WITH d AS (DELETE FROM t RETURNING *) DELETE FROM u WHERE id = 1", guard.RuleMissingWhere},
		{pg, bob, "WITH d AS (UPDATE t SET a = 1 RETURNING *) UPDATE u SET a = 2 WHERE id = 1", guard.RuleMissingWhere},
		{pg, bob, "EXPLAIN ANALYZE DELETE FROM t WHERE id = 1", ""},
		{pg, bob, "EXPLAIN ANALYZE DELETE FROM t", guard.RuleMissingWhere},
		{pg, bob, "EXPLAIN DELETE FROM t", ""},
		{pg, bob, "PREPARE p AS DELETE FROM t WHERE id = $1", ""},
		{pg, bob, "PREPARE p AS DELETE FROM t", guard.RuleMissingWhere},
		{pg, bob, "COPY (DELETE FROM t RETURNING *) TO STDOUT", guard.RuleMissingWhere},
		{pg, bob, "INSERT INTO t VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET a = excluded.a", ""},
		{my, bob, "INSERT INTO t VALUES (?, ?) ON DUPLICATE KEY UPDATE a = VALUES(a)", ""},
		{pg, bob, "INSERT INTO t SELECT * FROM u ON CONFLICT (id) DO UPDATE SET a = 1", guard.RuleMissingWhere},
		{pg, bob, "DELETE FROM users WHERE NOT (1=0)", guard.RuleMissingWhere},
		{pg, bob, "DELETE FROM users WHERE EXISTS (SELECT 1)", guard.RuleMissingWhere},
		{pg, bob, "DELETE FROM users WHERE 2 > 1", guard.RuleMissingWhere},
		{pg, bob, "DELETE FROM users WHERE 1 IN (1,2)", guard.RuleMissingWhere},
		{pg, bob, "DELETE FROM users WHERE 'a' LIKE '%'", guard.RuleMissingWhere},
		{pg, bob, "DELETE FROM users WHERE id = id OR false", guard.RuleMissingWhere},
		{pg, bob, "DELETE FROM users WHERE TRUE AND 1=1", guard.RuleMissingWhere},
		{pg, bob, "DELETE FROM users WHERE coalesce(1,0)=1", guard.RuleMissingWhere},
		{my, bob, "DELETE FROM users WHERE id IS NOT NULL OR 1", guard.RuleMissingWhere},
		{pg, bob, "DELETE FROM users WHERE (SELECT 1) = 1", guard.RuleMissingWhere},
		{pg, bob, "DELETE FROM users WHERE id = 1", ""},
		{pg, bob, "DELETE FROM users WHERE id = $1", ""},
		{my, bob, "DELETE FROM users WHERE id = ?", ""},
		{pg, bob, "UPDATE users SET a = 1 WHERE name LIKE 'a%'", ""},
		{pg, bob, "DELETE FROM users WHERE id IN (SELECT uid FROM banned)", ""},
		{pg, bob, "DELETE FROM users WHERE EXISTS (SELECT 1 FROM o WHERE o.uid = users.id)", ""},

		// dangerous: the analyser's file and code facts.
		{pg, bob, "COPY t FROM '/etc/passwd'", guard.RuleDangerous},
		{pg, bob, "COPY t FROM PROGRAM 'id'", guard.RuleDangerous},
		{pg, bob, "COPY t TO '/tmp/x'", guard.RuleDangerous},
		{pg, bob, "COPY t FROM STDIN", ""},
		{pg, bob, "COPY (SELECT a FROM t) TO STDOUT", ""},
		{pg, bob, "COPY t (stdin) FROM '/etc/passwd'", guard.RuleDangerous},
		{my, bob, "LOAD DATA INFILE '/x' INTO TABLE t", guard.RuleDangerous},
		{lt, bob, "ATTACH DATABASE 'x.db' AS x", guard.RuleDangerous},
		{pg, bob, "CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$DELETE FROM victim$$", guard.RuleDangerous},
		{pg, bob, "CREATE PROCEDURE wipe_p() LANGUAGE sql AS 'DELETE FROM victim'", guard.RuleDangerous},
		{pg, bob, "CREATE RULE wipe_r AS ON INSERT TO notes DO ALSO DELETE FROM victim", guard.RuleDangerous},
		{pg, bob, "CREATE TRIGGER tr AFTER INSERT ON notes FOR EACH STATEMENT EXECUTE FUNCTION wipe_t()", guard.RuleDangerous},
		{lt, bob, "CREATE TRIGGER wipe AFTER INSERT ON notes BEGIN DELETE FROM victim; END", guard.RuleDangerous},
		{pg, bob, "CREATE EXTENSION dblink", guard.RuleDangerous},
		{pg, bob, "CREATE TABLE t2 (a int)", ""},
		{pg, bob, "CREATE TABLE t2 (a varchar(10) DEFAULT lower('X') REFERENCES u (id), CHECK (a <> ''))", ""},
		{pg, bob, "CREATE TABLE loot (x text DEFAULT pg_read_file('/etc/hostname'))", guard.RuleDangerous},
		{pg, bob, "CREATE TABLE loot (x text DEFAULT set_config('standard_conforming_strings', 'off', false))", guard.RulePrivileges},
		{pg, bob, "LOAD 'auto_explain'", guard.RuleDangerous},
		{pg, bob, "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'", guard.RulePrivileges},

		// privileges and lexing: per statement, not words of the script.
		{pg, bob, "SET ROLE admin", guard.RulePrivileges},
		{pg, bob, "SET role = 'admin'", guard.RulePrivileges},
		{pg, bob, "RESET SESSION AUTHORIZATION", guard.RulePrivileges},
		{pg, bob, "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO x", guard.RulePrivileges},
		{my, bob, "SET PASSWORD = 'x'", guard.RulePrivileges},
		{pg, bob, "SET search_path = role_app", ""},
		{pg, bob, "SET standard_conforming_strings = off", guard.RuleLexingSettings},
		{pg, bob, "RESET ALL", guard.RuleLexingSettings},
		{pg, bob, "ALTER DATABASE d SET standard_conforming_strings = off", guard.RuleLexingSettings},
		{pg, bob, "ALTER ROLE app SET standard_conforming_strings = off", guard.RulePrivileges},
		{my, bob, "SET SESSION sql_mode = 'ANSI_QUOTES'", guard.RuleLexingSettings},
		{my, bob, "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4", ""},
		{pg, bob, "SELECT names FROM t", ""},

		// read-only: an allow-list of read effects.
		{pg, agent, "SELECT a FROM public.t", ""},
		{pg, agent, "CALL p()", guard.RuleReadOnly},
		{my, agent, "HANDLER t OPEN", guard.RuleReadOnly},
		{my, agent, "DO 1", guard.RuleDangerous},
		{pg, agent, "CREATE TEMP TABLE x (a int)", guard.RuleReadOnly},
		{pg, agent, "PREPARE p AS SELECT 1", guard.RuleReadOnly},
		{pg, agent, "LISTEN c", guard.RuleReadOnly},
		{pg, agent, "EXPLAIN ANALYZE INSERT INTO t VALUES (1)", guard.RuleReadOnly},
		{pg, agent, "SELECT * FROM t FOR UPDATE", ""},

		// tables: HANDLER names its table.
		{my, alice, "HANDLER secrets OPEN", guard.RuleTables},
	}
	for _, tt := range tests {
		t.Run(tt.d.String()+"/"+tt.give, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if !s.Complete {
				t.Fatalf("incomplete: %s", s.Reason)
			}
			if _, got := decide(t, p, request(tt.who, s)); got != tt.want {
				t.Errorf("blocked by %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReadOnlyKnownFunctions: under KnownFunctionsOnly a read-only identity
// calls only built-ins known to compute a value, and the functions listed.
func TestReadOnlyKnownFunctions(t *testing.T) {
	p := mustPolicy(t, guard.WithRules(guard.ReadOnlyAccess(guard.ReadAccess{
		Who:                guard.Who{Kinds: []identity.Kind{identity.KindAgent}},
		KnownFunctionsOnly: true,
		Functions:          []string{"App.Report"},
	})))
	loose := mustPolicy(t, guard.WithRules(guard.ReadOnly(guard.Who{Kinds: []identity.Kind{identity.KindAgent}})))
	tests := []struct {
		d           sqlparse.Dialect
		give        string
		strict, lax bool // denied under KnownFunctionsOnly, and without
	}{
		{sqlparse.PostgreSQL, "SELECT wipe()", true, false},
		{sqlparse.PostgreSQL, "SELECT public.lower(name) FROM t", true, false},
		{sqlparse.PostgreSQL, "SELECT * FROM app.report(1)", false, false},
		{sqlparse.PostgreSQL, "SELECT pg_catalog.lower(name), count(*), date_trunc('day', ts) FROM t GROUP BY 1, 3", false, false},
		{sqlparse.PostgreSQL, "SELECT * FROM generate_series(1, 3)", false, false},
		{sqlparse.PostgreSQL, "SELECT CAST(a AS numeric(10,2)), coalesce(b, 0) FROM t", false, false},
		{sqlparse.PostgreSQL, "SELECT nextval('s')", true, true},
		{sqlparse.PostgreSQL, "SELECT pg_sleep(1)", true, false},
		{sqlparse.MySQL, "SELECT DATE_FORMAT(NOW(), '%Y'), IFNULL(a, 0) FROM t", false, false},
		{sqlparse.MySQL, "SELECT app_db.do_things()", true, false},
		{sqlparse.MySQL, "SELECT GET_LOCK('x', 1)", true, true},
		{sqlparse.SQLite, "SELECT strftime('%Y', ts), ifnull(a, 0) FROM t", false, false},
		{sqlparse.SQLite, "SELECT my_udf(a) FROM t", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if !s.Complete {
				t.Fatalf("incomplete: %s", s.Reason)
			}
			_, got := decide(t, p, request(agent, s))
			if (got != "") != tt.strict {
				t.Errorf("KnownFunctionsOnly: blocked by %q, want blocked %v", got, tt.strict)
			}
			_, got = decide(t, loose, request(agent, s))
			if (got != "") != tt.lax {
				t.Errorf("ReadOnly: blocked by %q, want blocked %v", got, tt.lax)
			}
			if _, got = decide(t, p, request(bob, s)); got != "" {
				t.Errorf("an identity the rule does not select was blocked by %q", got)
			}
		})
	}
	if _, err := guard.New(guard.WithRules(guard.ReadOnlyAccess(guard.ReadAccess{Who: guard.Who{Roles: []string{"x"}}, Functions: []string{"f"}}))); err == nil {
		t.Error("New accepted a function list without KnownFunctionsOnly")
	}
}
