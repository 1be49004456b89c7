package sqlparse_test

import (
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// TestChangesSession: every statement that leaves state on its connection
// says so; plain reads and writes of ordinary tables do not.
func TestChangesSession(t *testing.T) {
	pg, my, lite := sqlparse.PostgreSQL, sqlparse.MySQL, sqlparse.SQLite
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want bool
	}{
		{pg, "SELECT id, name FROM people WHERE id = $1", false},
		{pg, "SELECT count(*), lower(name) FROM people GROUP BY 2", false},
		{pg, "INSERT INTO people (id, name) VALUES ($1, $2)", false},
		{pg, "UPDATE people SET name = 'x' WHERE id = 1", false},
		{pg, "DELETE FROM people WHERE id = 1", false},
		{pg, "CREATE TABLE t (id int)", false},
		{pg, "SHOW search_path", false},
		{my, "SELECT @v", false},
		{my, "SELECT * FROM people WHERE name = @@version", false},
		{lite, "SELECT * FROM people", false},

		{pg, "SET search_path = other, public", true},
		{pg, "SET LOCAL statement_timeout = 0", true},
		{pg, "RESET ALL", true},
		{pg, "SET ROLE alice", true},
		{pg, "SET SESSION AUTHORIZATION alice", true},
		{pg, "SELECT set_config('search_path', 'x', false)", true},
		{pg, "SELECT pg_advisory_lock(42)", true},
		{pg, "SELECT pg_try_advisory_lock(1, 2)", true},
		{pg, "SELECT my_function()", true},
		{pg, "CREATE TEMP TABLE people (id int)", true},
		{pg, "CREATE TEMPORARY VIEW v AS SELECT 1", true},
		{pg, "CREATE TABLE pg_temp.people (id int)", true},
		{pg, `CREATE TABLE "pg_temp".people (id int)`, true},
		{pg, "SELECT * INTO TEMP t FROM people", true},
		{pg, "PREPARE p AS SELECT 1", true},
		{pg, "EXECUTE p", true},
		{pg, "DEALLOCATE p", true},
		{pg, "LISTEN chan", true},
		{pg, "DISCARD ALL", true},
		{pg, "BEGIN", true},
		{pg, "DO $$BEGIN PERFORM 1; END$$", true},
		{pg, "CALL proc()", true},
		{pg, "DECLARE c CURSOR WITH HOLD FOR SELECT 1", true},
		{pg, "SELECT 1; SET search_path = x", true},
		{pg, "SELECT 1 /* unterminated", true},
		{my, "SET @v = 1", true},
		{my, "SET sql_mode = 'ANSI_QUOTES'", true},
		{my, "SET NAMES latin1", true},
		{my, "SELECT @v := 1", true},
		{my, "SELECT name INTO @v FROM people LIMIT 1", true},
		{my, "SELECT GET_LOCK('k', 0)", true},
		{my, "CREATE TEMPORARY TABLE people (id int)", true},
		{my, "LOCK TABLES people READ", true},
		{my, "USE other", true},
		{my, "PREPARE s FROM 'SELECT 1'", true},
		{my, "HANDLER people OPEN", true},
		{lite, "PRAGMA foreign_keys = OFF", true},
		{lite, "ATTACH DATABASE 'x.db' AS x", true},
		{lite, "CREATE TEMP TABLE people (id int)", true},
		{lite, "CREATE TABLE temp.people (id int)", true},
		{lite, `CREATE TABLE "temp".people (id int)`, true},
	}
	for _, tt := range tests {
		t.Run(tt.d.String()+"/"+tt.give, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if got := s.ChangesSession(); got != tt.want {
				t.Errorf("ChangesSession() = %v, want %v (complete %v, reason %q)", got, tt.want, s.Complete, s.Reason)
			}
		})
	}
	var nilScript *sqlparse.Script
	if !nilScript.ChangesSession() {
		t.Error("nil script: ChangesSession() = false, want true")
	}
}
