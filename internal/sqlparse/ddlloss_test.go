package sqlparse_test

import (
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// DDL that loses data without DROP: the guard's destructive-ddl rule reads
// these facts.
func TestDDLDataLoss(t *testing.T) {
	tests := []struct {
		d                           sqlparse.Dialect
		give                        string
		renames, replaces, rewrites bool
	}{
		{sqlparse.MySQL, "RENAME TABLE victim TO victim_gone", true, false, false},
		{sqlparse.PostgreSQL, "ALTER TABLE victim RENAME TO victim_gone", true, false, false},
		{sqlparse.SQLite, "ALTER TABLE victim RENAME TO victim_gone", true, false, false},
		{sqlparse.PostgreSQL, "ALTER TABLE victim RENAME COLUMN name TO n", true, false, false},
		{sqlparse.MySQL, "ALTER TABLE victim CHANGE name n VARCHAR(20)", true, false, false},
		{sqlparse.MySQL, "ALTER TABLE victim CHANGE COLUMN name n VARCHAR(20)", true, false, false},
		{sqlparse.MySQL, "ALTER TABLE victim ADD COLUMN note TEXT, CHANGE COLUMN IF EXISTS name n VARCHAR(20)", true, false, false},
		{sqlparse.MySQL, "ALTER TABLE victim CHANGE name NAME VARCHAR(40)", false, false, false},
		{sqlparse.MySQL, "ALTER TABLE victim MODIFY name VARCHAR(40)", false, false, false},
		{sqlparse.MySQL, "CREATE OR REPLACE TABLE victim (id int)", false, true, false},
		{sqlparse.PostgreSQL, "CREATE OR REPLACE VIEW v AS SELECT 1", false, false, false},
		{sqlparse.PostgreSQL, "ALTER TABLE victim ALTER COLUMN name TYPE text USING 'x'", false, false, true},
		{sqlparse.PostgreSQL, "ALTER TABLE victim ALTER COLUMN name TYPE text", false, false, false},
		{sqlparse.PostgreSQL, "ALTER TABLE victim ADD COLUMN note text", false, false, false},
		{sqlparse.PostgreSQL, "ALTER TABLE victim SET SCHEMA other", true, false, false},
		{sqlparse.PostgreSQL, "ALTER TABLE victim ALTER COLUMN name SET STATISTICS 100", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.d.String()+"/"+tt.give, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if len(s.Statements) != 1 {
				t.Fatalf("got %d statements, want 1", len(s.Statements))
			}
			st := s.Statements[0]
			if st.Renames != tt.renames || st.Replaces != tt.replaces || st.RewritesColumn != tt.rewrites {
				t.Errorf("got renames=%v replaces=%v rewrites=%v, want %v %v %v (complete=%v %s)",
					st.Renames, st.Replaces, st.RewritesColumn, tt.renames, tt.replaces, tt.rewrites, s.Complete, s.Reason)
			}
		})
	}
}

// REPLACE fed by a query may rewrite every row of the table; with listed
// rows it replaces at most those.
func TestReplaceRestriction(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want sqlparse.Restriction
	}{
		{sqlparse.MySQL, "REPLACE INTO victim SELECT id, 'x' FROM victim", sqlparse.RestrictionMissing},
		{sqlparse.SQLite, "INSERT OR REPLACE INTO victim SELECT id, 'x' FROM victim", sqlparse.RestrictionMissing},
		{sqlparse.MySQL, "REPLACE INTO victim VALUES (1, 'x')", sqlparse.RestrictionAll},
		{sqlparse.SQLite, "INSERT OR REPLACE INTO victim VALUES (1, 'x')", sqlparse.RestrictionAll},
	}
	for _, tt := range tests {
		t.Run(tt.d.String()+"/"+tt.give, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if got := s.Statements[0].Restriction; got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// MariaDB's NEXT VALUE FOR advances a sequence: it is reported as the
// nextval call it is, so that read-only rules see a write.
func TestNextValueFor(t *testing.T) {
	s := sqlparse.Analyze(sqlparse.MySQL, "SELECT NEXT VALUE FOR s")
	if got := s.Statements[0].Functions; len(got) != 1 || got[0] != "nextval" {
		t.Errorf("functions: got %v, want [nextval]", got)
	}
	s = sqlparse.Analyze(sqlparse.MySQL, "SELECT PREVIOUS VALUE FOR s")
	if got := s.Statements[0].Functions; len(got) != 0 {
		t.Errorf("functions: got %v, want none", got)
	}
}
