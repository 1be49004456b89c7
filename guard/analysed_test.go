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
		{pg, bob, "WITH d AS (DELETE FROM t RETURNING *) SELECT 1", "missing-where"},
		{pg, bob, "WITH d AS (DELETE FROM t RETURNING *) DELETE FROM u WHERE id = 1", "missing-where"},
		{pg, bob, "WITH d AS (UPDATE t SET a = 1 RETURNING *) UPDATE u SET a = 2 WHERE id = 1", "missing-where"},
		{pg, bob, "EXPLAIN ANALYZE DELETE FROM t WHERE id = 1", ""},
		{pg, bob, "EXPLAIN ANALYZE DELETE FROM t", "missing-where"},
		{pg, bob, "EXPLAIN DELETE FROM t", ""},
		{pg, bob, "PREPARE p AS DELETE FROM t WHERE id = $1", ""},
		{pg, bob, "PREPARE p AS DELETE FROM t", "missing-where"},
		{pg, bob, "COPY (DELETE FROM t RETURNING *) TO STDOUT", "missing-where"},
		{pg, bob, "INSERT INTO t VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET a = excluded.a", ""},
		{my, bob, "INSERT INTO t VALUES (?, ?) ON DUPLICATE KEY UPDATE a = VALUES(a)", ""},
		{pg, bob, "INSERT INTO t SELECT * FROM u ON CONFLICT (id) DO UPDATE SET a = 1", "missing-where"},
		{pg, bob, "DELETE FROM users WHERE NOT (1=0)", "missing-where"},
		{pg, bob, "DELETE FROM users WHERE EXISTS (SELECT 1)", "missing-where"},
		{pg, bob, "DELETE FROM users WHERE 2 > 1", "missing-where"},
		{pg, bob, "DELETE FROM users WHERE 1 IN (1,2)", "missing-where"},
		{pg, bob, "DELETE FROM users WHERE 'a' LIKE '%'", "missing-where"},
		{pg, bob, "DELETE FROM users WHERE id = id OR false", "missing-where"},
		{pg, bob, "DELETE FROM users WHERE TRUE AND 1=1", "missing-where"},
		{pg, bob, "DELETE FROM users WHERE coalesce(1,0)=1", "missing-where"},
		{my, bob, "DELETE FROM users WHERE id IS NOT NULL OR 1", "missing-where"},
		{pg, bob, "DELETE FROM users WHERE (SELECT 1) = 1", "missing-where"},
		{pg, bob, "DELETE FROM users WHERE id = 1", ""},
		{pg, bob, "DELETE FROM users WHERE id = $1", ""},
		{my, bob, "DELETE FROM users WHERE id = ?", ""},
		{pg, bob, "UPDATE users SET a = 1 WHERE name LIKE 'a%'", ""},
		{pg, bob, "DELETE FROM users WHERE id IN (SELECT uid FROM banned)", ""},
		{pg, bob, "DELETE FROM users WHERE EXISTS (SELECT 1 FROM o WHERE o.uid = users.id)", ""},

		// dangerous: the analyser's file and code facts.
		{pg, bob, "COPY t FROM '/etc/passwd'", "dangerous"},
		{pg, bob, "COPY t FROM PROGRAM 'id'", "dangerous"},
		{pg, bob, "COPY t TO '/tmp/x'", "dangerous"},
		{pg, bob, "COPY t FROM STDIN", ""},
		{pg, bob, "COPY (SELECT a FROM t) TO STDOUT", ""},
		{pg, bob, "COPY t (stdin) FROM '/etc/passwd'", "dangerous"},
		{my, bob, "LOAD DATA INFILE '/x' INTO TABLE t", "dangerous"},
		{lt, bob, "ATTACH DATABASE 'x.db' AS x", "dangerous"},
		{pg, bob, "CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$DELETE FROM victim$$", "dangerous"},
		{pg, bob, "CREATE PROCEDURE wipe_p() LANGUAGE sql AS 'DELETE FROM victim'", "dangerous"},
		{pg, bob, "CREATE RULE wipe_r AS ON INSERT TO notes DO ALSO DELETE FROM victim", "dangerous"},
		{pg, bob, "CREATE TRIGGER tr AFTER INSERT ON notes FOR EACH STATEMENT EXECUTE FUNCTION wipe_t()", "dangerous"},
		{lt, bob, "CREATE TRIGGER wipe AFTER INSERT ON notes BEGIN DELETE FROM victim; END", "dangerous"},
		{pg, bob, "CREATE EXTENSION dblink", "dangerous"},
		{pg, bob, "CREATE TABLE t2 (a int)", ""},
		{pg, bob, "CREATE TABLE t2 (a varchar(10) DEFAULT lower('X') REFERENCES u (id), CHECK (a <> ''))", ""},
		{pg, bob, "CREATE TABLE loot (x text DEFAULT pg_read_file('/etc/hostname'))", "dangerous"},
		{pg, bob, "CREATE TABLE loot (x text DEFAULT set_config('standard_conforming_strings', 'off', false))", "privileges"},
		{pg, bob, "LOAD 'auto_explain'", "dangerous"},
		{pg, bob, "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'", "privileges"},

		// privileges and lexing: per statement, not words of the script.
		{pg, bob, "SET ROLE admin", "privileges"},
		{pg, bob, "SET role = 'admin'", "privileges"},
		{pg, bob, "RESET SESSION AUTHORIZATION", "privileges"},
		{pg, bob, "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO x", "privileges"},
		{my, bob, "SET PASSWORD = 'x'", "privileges"},
		{pg, bob, "SET search_path = role_app", ""},
		{pg, bob, "SET standard_conforming_strings = off", "lexing-settings"},
		{pg, bob, "RESET ALL", "lexing-settings"},
		{pg, bob, "ALTER DATABASE d SET standard_conforming_strings = off", "lexing-settings"},
		{pg, bob, "ALTER ROLE app SET standard_conforming_strings = off", "privileges"},
		{my, bob, "SET SESSION sql_mode = 'ANSI_QUOTES'", "lexing-settings"},
		{my, bob, "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4", ""},
		{pg, bob, "SELECT names FROM t", ""},

		// read-only: an allow-list of read effects.
		{pg, agent, "SELECT a FROM public.t", ""},
		{pg, agent, "CALL p()", "read-only"},
		{my, agent, "HANDLER t OPEN", "read-only"},
		{my, agent, "DO 1", "dangerous"},
		{pg, agent, "CREATE TEMP TABLE x (a int)", "read-only"},
		{pg, agent, "PREPARE p AS SELECT 1", "read-only"},
		{pg, agent, "LISTEN c", "read-only"},
		{pg, agent, "EXPLAIN ANALYZE INSERT INTO t VALUES (1)", "read-only"},
		{pg, agent, "SELECT * FROM t FOR UPDATE", ""},

		// tables: HANDLER names its table.
		{my, alice, "HANDLER secrets OPEN", "tables"},
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
