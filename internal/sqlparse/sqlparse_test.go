package sqlparse_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

const (
	pg = sqlparse.PostgreSQL
	my = sqlparse.MySQL
	lt = sqlparse.SQLite
)

// dropsVictim reports whether the script holds a DROP of table x.
func dropsVictim(s *sqlparse.Script) bool {
	for _, st := range s.Statements {
		if st.Kind == sqlparse.KindDrop {
			for _, t := range st.Writes {
				if t.Name == "x" {
					return true
				}
			}
		}
	}
	return false
}

// TestGroundTruth holds what the real engines did with each text (see
// DESIGN.md, "Ground truth from the real engines"): either the analyser
// agrees with the engine, or it says it is not sure.
func TestGroundTruth(t *testing.T) {
	tests := []struct {
		name     string
		d        sqlparse.Dialect
		give     string
		drops    bool // the engine drops x
		complete bool
	}{
		// PostgreSQL
		{"pg block comments nest", pg, "SELECT 1 /* a /* b */ ; DROP TABLE x; */", false, true},
		{"pg nested comment left open", pg, "SELECT 1 /* a /* b */ ; DROP TABLE x;", false, false},
		{"pg dollar inside identifier", pg, "SELECT 1 AS x$$; DROP TABLE x; --$$", true, true},
		{"pg dollar quote hides", pg, "SELECT $$; DROP TABLE x; --$$", false, true},
		{"pg tagged dollar quote", pg, "SELECT $a$ $$; DROP TABLE x; $a$", false, true},
		{"pg E string escaped quote", pg, `SELECT E'\''; DROP TABLE x; --'`, true, true},
		{"pg backslash depends on standard_conforming_strings", pg, `SELECT 'a\'; DROP TABLE x; --'`, true, false},
		{"pg backslash harmless either way", pg, `SELECT 'a\\b'`, false, true},
		{"pg stacked", pg, "SELECT 1; DROP TABLE x", true, true},
		{"pg U& identifier with escape", pg, `SELECT U&"d\0061t" FROM t`, false, false},
		// MySQL / MariaDB
		{"my comments do not nest", my, "SELECT 1 /* /* */ ; DROP TABLE x", true, true},
		{"my double dash needs a space", my, "SELECT 1 --1; DROP TABLE x", true, true},
		{"my double dash comment", my, "SELECT 1 -- ; DROP TABLE x", false, true},
		{"my hash comment", my, "SELECT 1 # ; DROP TABLE x", false, true},
		{"my executable comment is code", my, "SELECT 1 /*! ; DROP TABLE x */", true, true},
		{"my MariaDB executable comment is code", my, "SELECT 1 /*M! ; DROP TABLE x */", true, true},
		{"my versioned executable comment", my, "SELECT 1 /*!50000 ; DROP TABLE x */", true, false},
		{"my versioned comment hides a quote", my, "SELECT 1 /*!99999 ' */ ; DROP TABLE x; -- '", true, false},
		{"my MariaDB versioned comment", my, "SELECT 1 /*M!100100 ; DROP TABLE x */", true, false},
		{"my T comment is plain for MariaDB", my, "SELECT 1 /*T! ; DROP TABLE x */", false, true},
		{"my backslash depends on NO_BACKSLASH_ESCAPES", my, `SELECT 'a\'; DROP TABLE x; -- '`, false, false},
		{"my double quotes depend on ANSI_QUOTES", my, `SELECT "a\"; DROP TABLE x; -- "`, false, false},
		{"my stacked", my, "SELECT 1; DROP TABLE x", true, true},
		{"my compound statement", my, "BEGIN NOT ATOMIC DROP TABLE x; END", true, false},
		{"my stored procedure body", my, "CREATE PROCEDURE p() BEGIN DROP TABLE x; END", false, false},
		{"my event body", my, "ALTER EVENT e DO BEGIN DROP TABLE x; END", false, false},
		// SQLite
		{"sqlite comments do not nest", lt, "SELECT 1 /* /* */ ; DROP TABLE x", true, true},
		{"sqlite backslash is ordinary", lt, `SELECT 'a\'; DROP TABLE x; --'`, true, true},
		{"sqlite bracket identifier", lt, "SELECT [a;b] FROM t; DROP TABLE x", true, true},
		{"sqlite unterminated block comment", lt, "SELECT 1; DROP TABLE x /* ", true, false},
		{"sqlite trigger body", lt, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; END; DROP TABLE x", true, true},
		// Everywhere
		{"NUL byte", pg, "SELECT 1\x00; DROP TABLE x", true, false},
		{"NUL byte in comment", my, "SELECT 1 /* \x00 */", false, false},
		{"unterminated string", pg, "SELECT 'abc; DROP TABLE x", false, false},
		{"unicode space is not space", pg, "DROP\u00a0TABLE x", false, false},
		{"invalid UTF-8", pg, "SELECT '\xff'", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if s.Complete != tt.complete {
				t.Errorf("Complete = %v (%q), want %v", s.Complete, s.Reason, tt.complete)
			}
			if tt.complete && dropsVictim(s) != tt.drops {
				t.Errorf("drops x = %v, want %v", dropsVictim(s), tt.drops)
			}
			if !s.Complete && s.Reason == "" {
				t.Error("incomplete without a reason")
			}
			if tt.drops && !dropsVictim(s) && s.Complete {
				t.Error("the engine drops x; the analyser neither found it nor doubted")
			}
		})
	}
}

// TestStatementCap checks that a script of more than 4096 statements is
// read for its first 4096 and that the rest, whatever it holds, is one
// incomplete statement.
func TestStatementCap(t *testing.T) {
	tests := []struct {
		name       string
		d          sqlparse.Dialect
		give       string
		statements int
		complete   bool
	}{
		{"at the cap", pg, strings.Repeat("SELECT 1;", 4096), 4096, true},
		{"past the cap", pg, strings.Repeat("SELECT 1;", 4097), 4097, false},
		{"a drop past the cap", pg, strings.Repeat("SELECT 1; ", 4096) + "DROP TABLE x", 4097, false},
		{"mysql past the cap", sqlparse.MySQL, strings.Repeat("SELECT 1;\n", 5000), 4097, false},
		{"sqlite past the cap", sqlparse.SQLite, strings.Repeat("SELECT 1; ", 4096) + "SELECT 2; SELECT 3", 4097, false},
		{"lone semicolons do not count", pg, strings.Repeat("SELECT 1;;", 4096), 4096, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if got := len(s.Statements); got != tt.statements {
				t.Fatalf("got %d statements, want %d", got, tt.statements)
			}
			if s.Complete != tt.complete {
				t.Fatalf("got complete %v (%q), want %v", s.Complete, s.Reason, tt.complete)
			}
			for i := range s.Statements[:4096] {
				if st := &s.Statements[i]; !st.Complete || st.Kind != sqlparse.KindSelect {
					t.Fatalf("statement %d: got %v complete %v (%q), want a complete SELECT", i, st.Kind, st.Complete, st.Reason)
				}
			}
			if tt.complete {
				return
			}
			last := s.Statements[len(s.Statements)-1]
			if s.Reason != "more than 4096 statements" || last.Complete || last.Kind != sqlparse.KindUnknown || last.Effect != sqlparse.KindUnknown {
				t.Errorf("got reason %q, last statement %v effect %v complete %v, want an incomplete unknown statement", s.Reason, last.Kind, last.Effect, last.Complete)
			}
			if !s.ChangesSession() {
				t.Error("got no change of session, want the incomplete script to count as one")
			}
		})
	}
}

func TestLimits(t *testing.T) {
	big := "SELECT '" + strings.Repeat("a", sqlparse.MaxTextLen) + "'"
	s := sqlparse.Analyze(pg, big)
	if s.Complete || s.Reason != "text exceeds 1 MiB" || len(s.Statements) != 1 {
		t.Errorf("over-long text: Complete %v, Reason %q, %d statements", s.Complete, s.Reason, len(s.Statements))
	}
	s = sqlparse.Analyze(sqlparse.DialectUnknown, "SELECT 1")
	if s.Complete || len(s.Statements) != 1 || s.Statements[0].Complete {
		t.Errorf("unknown dialect: got complete %v", s.Complete)
	}
	deep := strings.Repeat("(", 10000) + "SELECT 1" + strings.Repeat(")", 10000)
	if s := sqlparse.Analyze(pg, deep); s.Complete {
		t.Error("10000 nested parentheses: got complete")
	}
}

func TestReasonsHoldNoLiterals(t *testing.T) {
	for _, q := range []string{
		"SELECT 's3cr3t", "SELECT 's3cr3t\\'", "SELECT $$s3cr3t", "SELECT 1 /* s3cr3t",
		"FROB 's3cr3t'", "SELECT 's3cr3t' FROM", "SELECT E's3cr3t", "SELECT \"s3cr3t",
	} {
		for _, d := range []sqlparse.Dialect{pg, my, lt} {
			s := sqlparse.Analyze(d, q)
			if strings.Contains(s.Reason, "s3cr3t") || strings.Contains(s.Normalized, "s3cr3t") && strings.Contains(q, "'s3cr3t") {
				t.Errorf("%v %q: reason %q, normalized %q hold the literal", d, q, s.Reason, s.Normalized)
			}
			for _, st := range s.Statements {
				if strings.Contains(st.Reason, "s3cr3t") {
					t.Errorf("%v %q: statement reason %q holds the literal", d, q, st.Reason)
				}
			}
		}
	}
}

func TestStatements(t *testing.T) {
	tests := []struct {
		name   string
		d      sqlparse.Dialect
		give   string
		kind   sqlparse.Kind
		effect sqlparse.Kind
		writes string
		reads  string
	}{
		{"select", pg, "SELECT a FROM Public.Users u JOIN orders o ON o.uid = u.id", sqlparse.KindSelect, sqlparse.KindSelect, "", "public.users,orders"},
		{"pg quoted keeps case", pg, `SELECT * FROM "Users"`, sqlparse.KindSelect, sqlparse.KindSelect, "", "Users"},
		{"mysql keeps case", my, "SELECT * FROM Shop.Users", sqlparse.KindSelect, sqlparse.KindSelect, "", "Shop.Users"},
		{"sqlite folds quoted", lt, `SELECT * FROM "Users"`, sqlparse.KindSelect, sqlparse.KindSelect, "", "users"},
		{"cte delete", pg, "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", sqlparse.KindSelect, sqlparse.KindDelete, "t", ""},
		{"cte update in insert", pg, "WITH u AS (UPDATE a SET x = 1 RETURNING id) INSERT INTO b SELECT id FROM u", sqlparse.KindInsert, sqlparse.KindUpdate, "a,b", ""},
		{"explain analyze delete", pg, "EXPLAIN ANALYZE DELETE FROM t", sqlparse.KindExplain, sqlparse.KindDelete, "t", ""},
		{"explain (analyze) delete", pg, "EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t", sqlparse.KindExplain, sqlparse.KindDelete, "t", ""},
		{"explain delete does not run", pg, "EXPLAIN DELETE FROM t", sqlparse.KindExplain, sqlparse.KindExplain, "", ""},
		{"mariadb analyze runs", my, "ANALYZE DELETE FROM t", sqlparse.KindExplain, sqlparse.KindDelete, "t", ""},
		{"mysql analyze table", my, "ANALYZE TABLE t", sqlparse.KindAnalyze, sqlparse.KindAnalyze, "", ""},
		{"select into table", pg, "SELECT * INTO new_t FROM t", sqlparse.KindSelect, sqlparse.KindCreate, "new_t", "t"},
		{"into outfile", my, "SELECT * FROM t INTO OUTFILE '/tmp/x'", sqlparse.KindSelect, sqlparse.KindCopy, "", "t"},
		{"upsert", pg, "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2", sqlparse.KindInsert, sqlparse.KindUpdate, "t", ""},
		{"replace", my, "REPLACE INTO t VALUES (1)", sqlparse.KindReplace, sqlparse.KindReplace, "t", ""},
		{"insert or replace", lt, "INSERT OR REPLACE INTO t VALUES (1)", sqlparse.KindReplace, sqlparse.KindReplace, "t", ""},
		{"multi delete", my, "DELETE a, b FROM t1 AS a JOIN t2 AS b ON a.id = b.id", sqlparse.KindDelete, sqlparse.KindDelete, "t1,t2", "t1,t2"},
		{"merge delete", pg, "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", sqlparse.KindMerge, sqlparse.KindDelete, "t", "s"},
		{"truncate", pg, "TRUNCATE a, b.c", sqlparse.KindTruncate, sqlparse.KindTruncate, "a,b.c", ""},
		{"drop", pg, "DROP TABLE IF EXISTS a, b", sqlparse.KindDrop, sqlparse.KindDrop, "a,b", ""},
		{"rename", my, "RENAME TABLE a TO b", sqlparse.KindRename, sqlparse.KindRename, "a,b", ""},
		{"copy from", pg, "COPY t FROM '/etc/passwd'", sqlparse.KindCopy, sqlparse.KindCopy, "t", ""},
		{"load data", my, "LOAD DATA LOCAL INFILE 'f' INTO TABLE t", sqlparse.KindLoadData, sqlparse.KindLoadData, "t", ""},
		{"prepare", pg, "PREPARE p AS DELETE FROM t", sqlparse.KindPrepare, sqlparse.KindPrepare, "", ""},
		{"grant", pg, "GRANT SELECT ON t TO u", sqlparse.KindGrant, sqlparse.KindGrant, "", ""},
		{"set role", pg, "SET ROLE admin", sqlparse.KindSet, sqlparse.KindSet, "", ""},
		{"begin", my, "START TRANSACTION", sqlparse.KindBegin, sqlparse.KindBegin, "", ""},
		{"pragma", lt, "PRAGMA foreign_keys = ON", sqlparse.KindPragma, sqlparse.KindPragma, "", ""},
		{"attach", lt, "ATTACH DATABASE 'x.db' AS x", sqlparse.KindAttach, sqlparse.KindAttach, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if !s.Complete || len(s.Statements) != 1 {
				t.Fatalf("Complete %v (%q), %d statements", s.Complete, s.Reason, len(s.Statements))
			}
			st := s.Statements[0]
			if st.Kind != tt.kind || st.Effect != tt.effect {
				t.Errorf("kind %v effect %v, want %v %v", st.Kind, st.Effect, tt.kind, tt.effect)
			}
			if got := join(st.Writes); got != tt.writes {
				t.Errorf("writes %q, want %q", got, tt.writes)
			}
			if got := join(st.Reads); tt.reads != "" && got != tt.reads {
				t.Errorf("reads %q, want %q", got, tt.reads)
			}
		})
	}
}

func join(ts []sqlparse.Table) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.String())
	}
	return strings.Join(s, ",")
}

func TestFlags(t *testing.T) {
	st := func(d sqlparse.Dialect, q string) sqlparse.Statement {
		t.Helper()
		s := sqlparse.Analyze(d, q)
		if len(s.Statements) != 1 {
			t.Fatalf("%q: %d statements", q, len(s.Statements))
		}
		return s.Statements[0]
	}
	if s := st(pg, "COPY t TO PROGRAM 'gzip > /tmp/x'"); !s.Program || !s.IntoFile {
		t.Errorf("COPY TO PROGRAM: Program %v IntoFile %v", s.Program, s.IntoFile)
	}
	if s := st(pg, "COPY t FROM PROGRAM 'curl x'"); !s.Program || !s.ReadsFile {
		t.Errorf("COPY FROM PROGRAM: Program %v ReadsFile %v", s.Program, s.ReadsFile)
	}
	if s := st(my, "LOAD DATA LOCAL INFILE 'f' INTO TABLE t"); !s.Local {
		t.Error("LOAD DATA LOCAL: Local false")
	}
	if s := st(pg, "ALTER TABLE t DROP COLUMN c"); !s.DropsColumn {
		t.Error("DROP COLUMN: DropsColumn false")
	}
	if s := st(pg, "ALTER TABLE t ALTER COLUMN c DROP DEFAULT"); s.DropsColumn {
		t.Error("DROP DEFAULT: DropsColumn true")
	}
	for _, q := range []struct {
		d sqlparse.Dialect
		q string
	}{
		{pg, "SET standard_conforming_strings = off"},
		{pg, "SET SESSION standard_conforming_strings TO off"},
		{pg, "RESET ALL"},
		{pg, "SET client_encoding = 'SJIS'"},
		{my, "SET sql_mode = 'NO_BACKSLASH_ESCAPES'"},
		{my, "SET @@session.sql_mode = 'ANSI_QUOTES'"},
		{my, "SET NAMES gbk"},
	} {
		if s := st(q.d, q.q); s.Kind != sqlparse.KindSet && s.Kind != sqlparse.KindReset || !s.LexingSetting {
			t.Errorf("%q: kind %v, LexingSetting %v", q.q, s.Kind, s.LexingSetting)
		}
	}
	if s := st(pg, "SET search_path = x"); s.LexingSetting {
		t.Error("search_path: LexingSetting true")
	}
	if s := st(pg, "SELECT pg_sleep(10), Public.Lower(x), pg_catalog.pg_read_file('/etc/passwd')"); strings.Join(s.Functions, ",") != "pg_sleep,public.lower,pg_catalog.pg_read_file" {
		t.Errorf("functions %v", s.Functions)
	}
	if s := st(my, "SELECT SLEEP(5), BENCHMARK(1000, MD5('a')), LOAD_FILE('/etc/passwd')"); strings.Join(s.Functions, ",") != "sleep,benchmark,md5,load_file" {
		t.Errorf("functions %v", s.Functions)
	}
}

func TestWhere(t *testing.T) {
	tests := []struct {
		d                         sqlparse.Dialect
		give                      string
		present, trivial, limited bool
		limit                     int64
	}{
		{pg, "DELETE FROM t", false, false, false, -1},
		{pg, "DELETE FROM t WHERE id = 4", true, false, false, -1},
		{pg, "DELETE FROM t WHERE 1=1", true, true, false, -1},
		{pg, "DELETE FROM t WHERE true", true, true, false, -1},
		{pg, "DELETE FROM t WHERE 'a'='a'", true, true, false, -1},
		{pg, "DELETE FROM t WHERE id = 3 OR 1=1", true, true, false, -1},
		{pg, "DELETE FROM t WHERE (id = 3) OR (2 > 1)", true, true, false, -1},
		{pg, "DELETE FROM t WHERE id = id", true, true, false, -1},
		{pg, "DELETE FROM t WHERE id = 3 AND 1=1", true, false, false, -1},
		{pg, "UPDATE t SET a = 1 WHERE name LIKE '%'", true, true, false, -1},
		{pg, "UPDATE t SET a = 1 WHERE NOT false", true, true, false, -1},
		{pg, "DELETE FROM t WHERE 5 BETWEEN 1 AND 10", true, true, false, -1},
		{pg, "DELETE FROM t WHERE NULL IS NULL", true, true, false, -1},
		// IS NOT NULL compares nothing: trivial, even where the column is
		// often NULL (a purge of soft-deleted rows adds a comparison).
		{pg, "DELETE FROM t WHERE deleted_at IS NOT NULL", true, true, false, -1},
		{pg, "DELETE FROM t WHERE deleted_at IS NOT NULL AND deleted_at < now()", true, false, false, -1},
		{my, "DELETE FROM t WHERE 1", true, true, false, -1},
		{my, "DELETE FROM t WHERE 1 LIMIT 10", true, true, true, 10},
		{my, "UPDATE t SET a = 1 WHERE a = 2 LIMIT ?", true, false, true, -1},
		{lt, "DELETE FROM t WHERE 1 = 1", true, true, false, -1},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		st := s.Statements[0]
		if !s.Complete || st.Where.Present != tt.present || st.Where.Trivial != tt.trivial || st.HasLimit != tt.limited || st.Limit != tt.limit {
			t.Errorf("%q: complete %v (%s), where %+v, limit %v %d; want %v %v %v %d", tt.give, s.Complete, s.Reason,
				st.Where, st.HasLimit, st.Limit, tt.present, tt.trivial, tt.limited, tt.limit)
		}
	}
}

func TestColumns(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want string // name<sources>[*table] …
	}{
		{pg, "SELECT email AS e, lower(name), id FROM users", "e<users.email> <users.name>+ id<users.id>"},
		{pg, "SELECT u.email, o.total FROM users u JOIN orders o ON o.uid = u.id", "email<users.email> total<orders.total>"},
		{pg, "SELECT u.* FROM users u", "*users"},
		{pg, "SELECT * FROM users", "*users"},
		{pg, "SELECT x.e FROM (SELECT email e FROM users) x", "e<users.email>"},
		{pg, "WITH c AS (SELECT email FROM users) SELECT * FROM c", "email<users.email>"},
		{pg, "SELECT (SELECT email FROM users LIMIT 1) AS e", "e<users.email>+"},
		{pg, "SELECT name FROM a UNION SELECT email FROM b", "name<a.name,b.email>+"},
		{pg, "SELECT email::text AS e FROM users", "e<users.email>+"},
		{pg, "UPDATE users SET a = 1 RETURNING email", "email<users.email>"},
		{my, "SELECT concat(first, ' ', last) full_name FROM people", "full_name<people.first,people.last>+"},
		{my, `SELECT "email" FROM users`, "<users.email>+"},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		if !s.Complete {
			t.Errorf("%q: incomplete: %s", tt.give, s.Reason)
			continue
		}
		var parts []string
		for _, c := range s.Statements[0].Columns {
			p := c.Name
			if c.Star {
				p = "*" + c.StarTable
			} else {
				p += "<" + strings.Join(c.Sources, ",") + ">"
			}
			if c.Expr {
				p += "+"
			}
			parts = append(parts, p)
		}
		if got := strings.Join(parts, " "); got != tt.want {
			t.Errorf("%q: columns %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestNormalized(t *testing.T) {
	a := sqlparse.Analyze(pg, "SELECT *  FROM users /* hi */ WHERE email = 'bob@example.com' AND id = 42 -- x\n")
	b := sqlparse.Analyze(pg, "SELECT * FROM users WHERE email = 'eve@example.com' AND id = 7")
	if want := "SELECT * FROM users WHERE email = ? AND id = ?"; a.Normalized != want {
		t.Errorf("normalized %q, want %q", a.Normalized, want)
	}
	if a.Fingerprint != b.Fingerprint {
		t.Error("fingerprints differ for the same statement with other literals")
	}
	if m := sqlparse.Analyze(my, a.Normalized); m.Fingerprint == a.Fingerprint {
		t.Error("fingerprint ignores the dialect")
	}
	if a.Summary != "SELECT users" {
		t.Errorf("summary %q", a.Summary)
	}
	if s := sqlparse.Analyze(pg, "DELETE FROM app.orders WHERE id = $1; SELECT 1"); s.Summary != "DELETE app.orders …" || !s.Stacked() {
		t.Errorf("summary %q, stacked %v", s.Summary, s.Stacked())
	}
}

func TestCache(t *testing.T) {
	c := sqlparse.NewCache(64)
	q := "SELECT * FROM users WHERE id = 1"
	s0 := c.Analyze(pg, q)
	s1 := c.Analyze(pg, q)
	if s0 == s1 {
		t.Error("a text was kept the first time it was analysed")
	}
	if n := c.Len(); n != 1 {
		t.Errorf("cache holds %d entries after a text was analysed twice, want 1", n)
	}
	if s2 := c.Analyze(pg, q); s1 != s2 {
		t.Error("third call missed the cache")
	}
	c.Analyze(my, q)
	if s3 := c.Analyze(my, q); s3 == s1 {
		t.Error("cache ignores the dialect")
	}
	for i := range 1000 {
		c.Analyze(pg, "SELECT "+strconv.Itoa(i))
	}
	if s4 := c.Analyze(pg, q); s4 != s1 {
		t.Error("texts analysed once each evicted a cached one")
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				q := "SELECT " + strings.Repeat("x", i%97) + " FROM t"
				if s := c.Analyze(pg, q); s == nil || s.Statements[0].Kind != sqlparse.KindSelect {
					t.Error("bad cached analysis")
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if n := c.Len(); n > 64+16 {
		t.Errorf("cache holds %d entries, bound 64", n)
	}
	long := "SELECT '" + strings.Repeat("a", sqlparse.MaxCachedTextLen) + "'"
	if c.Analyze(pg, long) == c.Analyze(pg, long) {
		t.Error("an over-long text was cached")
	}
	var nilCache *sqlparse.Cache
	if nilCache.Analyze(pg, q) == nil {
		t.Error("nil cache returned nil")
	}
}

func TestMoreBypasses(t *testing.T) {
	tests := []struct {
		name     string
		d        sqlparse.Dialect
		give     string
		complete bool
		effect   sqlparse.Kind // of the first statement, when complete
	}{
		{"NUL in a line comment cuts the WHERE", pg, "DELETE FROM x -- \x00\nWHERE id = 1", false, ""},
		{"NUL in a string", my, "SELECT '\x00'; DROP TABLE x", false, ""},
		{"explain analyze with data-modifying CTE", pg, "EXPLAIN ANALYZE WITH d AS (DELETE FROM x RETURNING 1) SELECT 1", true, sqlparse.KindDelete},
		{"prepare with data-modifying CTE", pg, "PREPARE p AS WITH d AS (DELETE FROM x RETURNING 1) SELECT 1", true, sqlparse.KindPrepare},
		{"data-modifying CTE in a subquery", pg, "SELECT * FROM (WITH d AS (DELETE FROM x RETURNING 1) SELECT 1) s", false, ""},
		{"data-modifying CTE in INSERT … SELECT", pg, "INSERT INTO y WITH d AS (DELETE FROM x RETURNING 1) SELECT 1", false, ""},
		{"DML in a LATERAL", pg, "SELECT * FROM t, LATERAL (DELETE FROM x RETURNING 1) s", false, ""},
		{"COPY of a DELETE", pg, "COPY (DELETE FROM x RETURNING *) TO STDOUT", true, sqlparse.KindDelete},
		{"SELECT INTO in a subquery", pg, "SELECT * FROM (SELECT 1 INTO x) s", false, ""},
		{"parameter glued to a dollar quote", pg, "SELECT $1$$; DROP TABLE x; $$", false, ""},
		{"zero-width space before DROP", pg, "SELECT 1;\u200bDROP TABLE x", false, ""},
		{"BOM", pg, "\ufeffDELETE FROM x", false, ""},
		{"MySQL comment in executable comment", my, "SELECT 1 /*! /* */ DROP TABLE x */", false, ""},
		{"MySQL line comment eats the end of an executable comment", my, "SELECT 1 /*! -- */ DROP TABLE x", false, ""},
		{"MariaDB SET STATEMENT", my, "SET STATEMENT max_statement_time=1 FOR DELETE FROM x", false, ""},
		{"set_config", pg, "SELECT set_config('standard_conforming_strings', 'off', false)", true, sqlparse.KindSelect},
		{"unterminated BEGIN ATOMIC", pg, "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; DROP TABLE x", false, ""},
		{"SQLite ATTACH", lt, "ATTACH DATABASE '/tmp/evil.db' AS evil", true, sqlparse.KindAttach},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			if s.Complete != tt.complete {
				t.Fatalf("Complete = %v (%q), want %v", s.Complete, s.Reason, tt.complete)
			}
			if tt.complete && s.Statements[0].Effect != tt.effect {
				t.Errorf("effect %v, want %v", s.Statements[0].Effect, tt.effect)
			}
		})
	}
}

func TestReads(t *testing.T) {
	tests := []struct {
		d          sqlparse.Dialect
		give, want string
	}{
		{my, "SELECT * FROM t2 LEFT JOIN t3 ON (t2.i = t3.i), t1", "t2,t3,t1"},
		{pg, "WITH t AS (SELECT * FROM t) SELECT * FROM t", "t"},
		{pg, "WITH RECURSIVE x AS (SELECT * FROM y), y AS (VALUES (1)) SELECT * FROM x", ""},
		{pg, "SELECT * FROM ROWS FROM (generate_series(1, 2)) r", ""},
		{my, "SELECT NEXT VALUE FOR seq", "seq"},
		{my, "UPDATE a JOIN b ON a.id = b.id SET a.x = b.y", "a,b"},
		{my, "SELECT 1 FROM DUAL", ""},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		if got := join(s.Statements[0].Reads); !s.Complete || got != tt.want {
			t.Errorf("%q: complete %v (%s), reads %q, want %q", tt.give, s.Complete, s.Reason, got, tt.want)
		}
	}
}

func TestEveryStatementKeepsItsFlaw(t *testing.T) {
	q := "SELECT " + strings.Repeat(`\`, 100) + "; SELECT 1; SELECT 'open"
	s := sqlparse.Analyze(pg, q)
	if len(s.Statements) != 3 {
		t.Fatalf("%d statements, want 3", len(s.Statements))
	}
	if s.Statements[0].Complete || !s.Statements[1].Complete || s.Statements[2].Complete {
		t.Errorf("complete: %v %v %v, want false true false",
			s.Statements[0].Complete, s.Statements[1].Complete, s.Statements[2].Complete)
	}
	if s := sqlparse.Analyze(pg, "SELECT 1; SELECT (2"); s.Statements[1].Complete || !s.Statements[0].Complete {
		t.Error("unbalanced parenthesis not charged to its statement")
	}
}

func TestExecute(t *testing.T) {
	s := sqlparse.Analyze(pg, "PREPARE p AS DELETE FROM t; EXECUTE p")
	if !s.Complete || s.Statements[1].Effect != sqlparse.KindDelete || join(s.Statements[1].Writes) != "t" {
		t.Errorf("EXECUTE of a DELETE prepared in the text: complete %v, effect %v", s.Complete, s.Statements[1].Effect)
	}
	s = sqlparse.Analyze(my, "PREPARE p FROM 'DELETE FROM t'; EXECUTE P")
	if !s.Complete || s.Statements[1].Effect != sqlparse.KindDelete {
		t.Errorf("MySQL EXECUTE: complete %v (%s), effect %v", s.Complete, s.Reason, s.Statements[1].Effect)
	}
	for _, q := range []struct {
		d sqlparse.Dialect
		q string
	}{
		{pg, "EXECUTE p"},
		{my, "SET @q = 'DELETE FROM t'; PREPARE p FROM @q; EXECUTE p"},
		{pg, "DO $$ BEGIN DELETE FROM t; END $$"},
	} {
		if s := sqlparse.Analyze(q.d, q.q); s.Complete {
			t.Errorf("%q: complete", q.q)
		}
	}
}

// TestNormalizedAliases: a quoted alias names nothing in the database and
// may hold anything, so the normalized text replaces it as a literal;
// quoted references (columns, tables, types) stay.
func TestNormalizedAliases(t *testing.T) {
	tests := []struct {
		d    sqlparse.Dialect
		give string
		want string
	}{
		{pg, `SELECT 1 AS "ada@example.com"`, `SELECT ? AS "?"`},
		{pg, `SELECT id "ada@example.com" FROM people`, `SELECT id "?" FROM people`},
		{pg, `SELECT count(*) "x y" FROM people`, `SELECT count(*) "?" FROM people`},
		{pg, `SELECT "p"."email" AS "e", "ssn" FROM "people" AS "p"`, `SELECT "p"."email" AS "?", "ssn" FROM "people" AS "?"`},
		{pg, `SELECT x FROM (SELECT 1 AS x) "sub"`, `SELECT x FROM (SELECT ? AS x) "?"`},
		{pg, `UPDATE "people" SET "email" = $1 WHERE "id" = $2`, `UPDATE "people" SET "email" = $1 WHERE "id" = $2`},
		{pg, `SELECT email::"varchar" FROM people`, `SELECT email::"varchar" FROM people`},
		{my, "SELECT 1 AS `ada@example.com`", "SELECT ? AS `?`"},
		{my, "SELECT `email` `ada@example.com` FROM `people`", "SELECT `email` `?` FROM `people`"},
		{lt, "SELECT 1 AS [ada@example.com]", "SELECT ? AS [?]"},
		{lt, `SELECT name "ada@example.com" FROM people`, `SELECT name "?" FROM people`},
	}
	for _, tt := range tests {
		if got := sqlparse.Analyze(tt.d, tt.give).Normalized; got != tt.want {
			t.Errorf("%s %s: normalized %s, want %s", tt.d, tt.give, got, tt.want)
		}
	}
}
