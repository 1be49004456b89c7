package sqlparse_test

import (
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// TestTrivialWhere holds the principle of Where.Trivial: a WHERE that
// cannot single out rows of the written table (a constant predicate, a
// comparison of a column with itself, an OR with such a branch) is trivial;
// one that reads a column of the written table is not.
func TestTrivialWhere(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want bool
	}{
		// Constant predicates, however spelled.
		{pg, "DELETE FROM users WHERE NOT (1=0)", true},
		{pg, "DELETE FROM users WHERE EXISTS (SELECT 1)", true},
		{pg, "DELETE FROM users WHERE 2 > 1", true},
		{pg, "DELETE FROM users WHERE 1 IN (1,2)", true},
		{pg, "DELETE FROM users WHERE 'a' LIKE '%'", true},
		{pg, "DELETE FROM users WHERE TRUE AND 1=1", true},
		{pg, "DELETE FROM users WHERE coalesce(1,0)=1", true},
		{pg, "DELETE FROM users WHERE (SELECT 1) = 1", true},
		{pg, "DELETE FROM users WHERE $1 = $2", true},
		{pg, "DELETE FROM users WHERE random() < 2", true},
		{pg, "DELETE FROM users WHERE current_user = 'app'", true},
		{pg, "DELETE FROM users WHERE EXISTS (SELECT 1 FROM o WHERE o.flag)", true},
		{pg, "DELETE FROM users WHERE 1 = (SELECT count(*) FROM o AS x WHERE x.n > 0)", true},
		{pg, "UPDATE users SET a = 1 WHERE '2020-01-01'::date < now()", true},
		{pg, "UPDATE users SET a = 1 FROM o WHERE o.id = 5", true},
		{pg, "DELETE FROM users USING o WHERE o.id = 5", true},
		{pg, "UPDATE users u SET a = 1 WHERE CASE WHEN 1 = 1 THEN true ELSE false END", true},
		// An OR restricts only if every branch does.
		{pg, "DELETE FROM users WHERE id = id OR false", true},
		{pg, "DELETE FROM users WHERE id = 1 OR $1", true},
		{pg, "DELETE FROM users WHERE id = 1 OR EXISTS (SELECT 1)", true},
		{my, "DELETE FROM users WHERE id IS NOT NULL OR 1", true},
		{my, "DELETE FROM users WHERE id = 2 || 1", true},
		{my, "UPDATE users SET a = 1 WHERE 1 XOR 0", true},
		{lt, "DELETE FROM users WHERE 1 IN (1)", true},
		{pg, "DELETE FROM users WHERE users.id = users.id", true},
		{pg, "UPDATE users SET a = 1 WHERE id = 1 OR id <> 1", true},
		{pg, "UPDATE users SET a = 1 WHERE (id < 5) OR (id >= 5) OR x = 2", true},
		{pg, "UPDATE users SET a = 1 WHERE name IS NULL OR name IS NOT NULL", true},
		{my, "UPDATE users u SET a = 1 WHERE u.b = 2 OR NOT (u.b = 2)", true},
		{pg, "UPDATE users SET a = 1 WHERE id = 1 OR id <> 2", false},
		{pg, "UPDATE users SET a = 1 WHERE id < 1 OR id > 1", false},
		{pg, "DELETE FROM users WHERE id IN (SELECT id FROM users)", true},
		{my, "DELETE FROM users WHERE id IN (SELECT id FROM banned)", false},
		{pg, "DELETE FROM users WHERE id IN (SELECT uid FROM users)", false},
		{pg, "DELETE FROM users WHERE 1::bool", true},
		{pg, "DELETE FROM users WHERE 'true'::boolean", true},
		{pg, "DELETE FROM users WHERE coalesce(true, false)", true},
		{pg, "DELETE FROM users WHERE id IS NOT DISTINCT FROM id", true},
		{my, "DELETE FROM users WHERE '1'", true},
		{lt, "DELETE FROM users WHERE id IS id", true},
		{lt, "DELETE FROM users WHERE name GLOB '*'", true},
		{pg, "DELETE FROM users AS u WHERE u.id >= u.id", true},
		// A value of the row as a truth value, compared with nothing:
		// MySQL and SQLite take any non-zero value as true. PostgreSQL
		// accepts only a boolean column, a real filter, which is counted
		// as trivial all the same (write WHERE flag = true).
		{my, "DELETE FROM users WHERE id", true},
		{lt, "DELETE FROM users WHERE id", true},
		{lt, "DELETE FROM users WHERE rowid", true},
		{lt, "DELETE FROM users WHERE users.rowid", true},
		{my, "DELETE FROM users WHERE `id`", true},
		{my, "DELETE FROM users WHERE (id)", true},
		{my, "DELETE FROM users WHERE NOT id", true},
		{lt, "DELETE FROM users WHERE NOT (NOT id)", true},
		{my, "DELETE FROM users WHERE -id", true},
		{my, "DELETE FROM users WHERE id IS NOT NULL", true},
		{pg, "DELETE FROM users WHERE name NOTNULL", true},
		{my, "DELETE FROM users WHERE id AND name", true},
		{my, "DELETE FROM users WHERE (id AND 1) OR name", true},
		{my, "DELETE FROM users WHERE id = 5 OR id", true},
		{pg, "DELETE FROM users WHERE active", true},
		{pg, "DELETE FROM users u WHERE u.active", true},
		{pg, "DELETE FROM users WHERE active::bool", true},
		{pg, "UPDATE users SET a = 1 WHERE NOT archived", true},
		{my, "DELETE FROM users WHERE id = 5", false},
		{my, "DELETE FROM users WHERE active AND id = 5", false},
		{lt, "DELETE FROM users WHERE rowid = 5", false},
		{pg, "DELETE FROM users WHERE active AND id = $1", false},
		{pg, "DELETE FROM users WHERE NOT active AND id = $1", false},
		{my, "DELETE FROM users WHERE id IS NULL", false},
		{pg, "DELETE FROM users WHERE is_stale(id)", false},
		{my, "DELETE FROM users WHERE id + 1 > 5", false},

		// Ordinary WHEREs.
		{pg, "DELETE FROM users WHERE id = 1", false},
		{pg, "DELETE FROM users WHERE id = $1", false},
		{my, "DELETE FROM users WHERE id = ?", false},
		{lt, "DELETE FROM users WHERE id = ?", false},
		{pg, "DELETE FROM users WHERE name LIKE 'a%'", false},
		{pg, "DELETE FROM users WHERE id IN (SELECT uid FROM banned)", false},
		{pg, "DELETE FROM users WHERE EXISTS (SELECT 1 FROM o WHERE o.uid = users.id)", false},
		{pg, "DELETE FROM users u WHERE EXISTS (SELECT 1 FROM o WHERE o.uid = u.id)", false},
		{pg, "DELETE FROM users WHERE EXISTS (SELECT 1 FROM o WHERE uid = id)", false},
		{pg, "DELETE FROM users WHERE id = 1 OR 1 = 0", false},
		{pg, "DELETE FROM users WHERE id = 1 AND 1 = 1", false},
		{pg, "DELETE FROM users WHERE 1 = 0", false},
		{pg, "DELETE FROM users WHERE false", false},
		{pg, "DELETE FROM users WHERE NOT (id = 1 OR 1 = 1)", false},
		{pg, "UPDATE users SET a = 1 FROM o WHERE o.uid = users.id", false},
		{pg, "UPDATE users SET a = 1 WHERE created < now() - interval '1 day'", false},
		{pg, "UPDATE users SET a = 1 WHERE date < '2020-01-01'", false},
		{pg, "UPDATE users SET a = 1 WHERE extract(year FROM created) = 2020", false},
		{pg, "UPDATE users SET a = 1 WHERE data->>'k' = 'v'", false},
		{pg, "UPDATE users SET a = 1 WHERE tenant = current_setting('app.tenant')::int", false},
		{my, "UPDATE users SET a = 1 WHERE `end` < NOW()", false},
		{my, "UPDATE users SET a = 1 WHERE end < NOW()", false},
		{my, "UPDATE users u JOIN o ON o.uid = u.id SET u.a = 1 WHERE o.x = 1", false},
		{my, "DELETE u FROM users u JOIN o ON o.uid = u.id WHERE o.x = 1", false},
		{my, "UPDATE users SET a = 1 WHERE \"x\" = 5", false},
		{lt, "DELETE FROM users WHERE rowid > 10", false},
		{lt, "DELETE FROM users WHERE desc = 'x'", false},
		{pg, "DELETE FROM users WHERE mod = 1", false},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		st := s.Statements[0]
		if !s.Complete || !st.Where.Present || st.Where.Trivial != tt.want {
			t.Errorf("%s %q: complete %v (%s), where %+v; want trivial %v", tt.d, tt.give, s.Complete, s.Reason, st.Where, tt.want)
		}
	}
}

// TestRestriction: every UPDATE and DELETE a statement runs, wherever it
// sits, must carry a restricting WHERE for RestrictionAll.
func TestRestriction(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want sqlparse.Restriction
	}{
		{pg, "SELECT 1", sqlparse.RestrictionNoWrites},
		{pg, "INSERT INTO t VALUES (1)", sqlparse.RestrictionNoWrites},
		{pg, "DELETE FROM t", sqlparse.RestrictionMissing},
		{pg, "DELETE FROM t WHERE id = 1", sqlparse.RestrictionAll},
		{pg, "UPDATE t SET a = 1 WHERE 1 = 1", sqlparse.RestrictionMissing},
		{pg, "WITH d AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT * FROM d", sqlparse.RestrictionAll},
		{pg, "WITH d AS (DELETE FROM t RETURNING *) SELECT 1", sqlparse.RestrictionMissing},
		{pg, "WITH d AS (DELETE FROM t RETURNING *) DELETE FROM u WHERE id = 1", sqlparse.RestrictionMissing},
		{pg, "WITH d AS (UPDATE t SET a = 1 RETURNING *) UPDATE u SET a = 2 WHERE id = 1", sqlparse.RestrictionMissing},
		{pg, "WITH d AS (DELETE FROM t WHERE id = 1 RETURNING *) DELETE FROM u WHERE id IN (SELECT id FROM d)", sqlparse.RestrictionAll},
		{pg, "WITH d AS (INSERT INTO t VALUES (1) RETURNING *) DELETE FROM u WHERE id = 2", sqlparse.RestrictionAll},
		{pg, "EXPLAIN ANALYZE DELETE FROM t WHERE id = 1", sqlparse.RestrictionAll},
		{pg, "EXPLAIN ANALYZE DELETE FROM t", sqlparse.RestrictionMissing},
		{pg, "EXPLAIN DELETE FROM t", sqlparse.RestrictionNoWrites},
		{pg, "PREPARE p AS DELETE FROM t WHERE id = $1", sqlparse.RestrictionAll},
		{pg, "PREPARE p AS DELETE FROM t", sqlparse.RestrictionMissing},
		{pg, "COPY (DELETE FROM t RETURNING *) TO STDOUT", sqlparse.RestrictionMissing},
		{my, "ANALYZE DELETE FROM t", sqlparse.RestrictionMissing},
		{pg, "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", sqlparse.RestrictionMissing},
		{pg, "INSERT INTO t VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET a = excluded.a", sqlparse.RestrictionAll},
		{pg, "INSERT INTO t VALUES ((SELECT max(id) FROM u)), (2) ON CONFLICT (id) DO UPDATE SET a = 1", sqlparse.RestrictionAll},
		{pg, "INSERT INTO t VALUES (1) UNION SELECT id FROM u ON CONFLICT (id) DO UPDATE SET a = 1", sqlparse.RestrictionMissing},
		{pg, "INSERT INTO t SELECT * FROM u ON CONFLICT (id) DO UPDATE SET a = 1", sqlparse.RestrictionMissing},
		{pg, "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", sqlparse.RestrictionNoWrites},
		{lt, "INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 2", sqlparse.RestrictionAll},
		{my, "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1", sqlparse.RestrictionAll},
		{my, "INSERT INTO t SET id = 1 ON DUPLICATE KEY UPDATE a = 1", sqlparse.RestrictionAll},
		{my, "INSERT INTO t SELECT * FROM u ON DUPLICATE KEY UPDATE a = 1", sqlparse.RestrictionMissing},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		if !s.Complete || s.Statements[0].Restriction != tt.want {
			t.Errorf("%q: complete %v (%s), restriction %v; want %v", tt.give, s.Complete, s.Reason, s.Statements[0].Restriction, tt.want)
		}
	}
	// EXECUTE of a statement prepared in the same text takes its restriction.
	s := sqlparse.Analyze(pg, "PREPARE p AS DELETE FROM t; EXECUTE p")
	if got := s.Statements[1].Restriction; got != sqlparse.RestrictionMissing {
		t.Errorf("EXECUTE p: restriction %v, want missing", got)
	}
}

// TestSettingsAndCode: the facts the guard reads instead of words.
func TestSettingsAndCode(t *testing.T) {
	tests := []struct {
		d                       sqlparse.Dialect
		give                    string
		privilege, lexing, code bool
		readsFile               bool
	}{
		{pg, "SET ROLE admin", true, false, false, false},
		{pg, "SET SESSION AUTHORIZATION admin", true, false, false, false},
		{pg, "SET role = 'admin'", true, false, false, false},
		{pg, "RESET ROLE", true, false, false, false},
		{pg, "SET session_authorization = 'admin'", true, false, false, false},
		{my, "SET PASSWORD = 'x'", true, false, false, false},
		{my, "SET DEFAULT ROLE ALL TO u", true, false, false, false},
		{pg, "SET search_path = app", false, false, false, false},
		{pg, "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO x", true, false, false, false},
		{pg, "SET standard_conforming_strings = off", false, true, false, false},
		{pg, "ALTER ROLE app SET standard_conforming_strings = off", false, true, false, false},
		{pg, "ALTER DATABASE d SET client_encoding = 'SJIS'", false, true, false, false},
		{pg, "ALTER TABLE t ADD COLUMN names text", false, false, false, false},
		{pg, "WITH x AS (UPDATE t SET a = set_config('standard_conforming_strings', 'off', false) WHERE id = 1 RETURNING 1) SELECT 1", false, true, false, false},
		{pg, "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'DELETE FROM t RETURNING 1'", false, false, true, false},
		{pg, "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql AS $$ DELETE FROM t $$", false, false, true, false},
		{pg, "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", false, false, true, false},
		{pg, "CREATE RULE r AS ON INSERT TO t DO ALSO DELETE FROM u", false, false, true, false},
		{pg, "CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()", false, false, true, false},
		{pg, "CREATE EXTENSION dblink", false, false, true, false},
		{lt, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; END", false, false, true, false},
		{pg, "CREATE TABLE t (a int)", false, false, false, false},
		{pg, "LOAD 'auto_explain'", false, false, true, false},
		{pg, "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'", true, true, false, false},
		{pg, "WITH x AS (UPDATE pg_catalog.pg_settings SET setting = 'x' WHERE name = 'role' RETURNING 1) SELECT 1", true, true, false, false},
		{pg, "COPY t FROM '/etc/passwd'", false, false, false, true},
		{pg, "COPY t FROM STDIN", false, false, false, false},
		{my, "LOAD DATA INFILE '/x' INTO TABLE t", false, false, false, true},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		st := s.Statements[0]
		if !s.Complete || st.PrivilegeSetting != tt.privilege || st.LexingSetting != tt.lexing || st.DefinesCode != tt.code || st.ReadsFile != tt.readsFile {
			t.Errorf("%q: complete %v (%s), privilege %v lexing %v code %v readsFile %v; want %v %v %v %v", tt.give, s.Complete, s.Reason,
				st.PrivilegeSetting, st.LexingSetting, st.DefinesCode, st.ReadsFile, tt.privilege, tt.lexing, tt.code, tt.readsFile)
		}
	}
	// HANDLER names the table it reads.
	s := sqlparse.Analyze(my, "HANDLER secrets OPEN")
	if st := s.Statements[0]; len(st.Reads) != 1 || st.Reads[0].Name != "secrets" {
		t.Errorf("HANDLER secrets OPEN: reads %v, want secrets", st.Reads)
	}
}
