package redteam_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
)

// attack is one hostile text aimed at the victim table.
type attack struct {
	name   string
	family string // pg, my, lite, or "" for every family
	sql    string
	// who sends it; the zero value means dev, a person who may write.
	who identity.Identity
	// rule is the rule expected to refuse it ("" accepts any).
	rule string
	// harms is true when the raw engine, given the text whole, harms the
	// victim: the proof that the attack is real. It is checked on the
	// backends that send texts whole.
	harms bool
	// before runs on the same connection first, as an attacker preparing
	// the ground would; each step may be allowed or refused.
	before []string
}

func destructiveAttacks() []attack {
	return []attack{
		// Baselines.
		{name: "drop", sql: "DROP TABLE victim", rule: "destructive-ddl", harms: true},
		{name: "delete-all", sql: "DELETE FROM victim", rule: "missing-where", harms: true},
		{name: "update-all", sql: "UPDATE victim SET name = 'x'", rule: "missing-where", harms: true},
		{name: "stacked", sql: "SELECT 1; DROP TABLE victim", rule: "stacked", harms: true},
		{name: "stacked-no-space", sql: "SELECT 1;DROP/**/TABLE/**/victim", rule: "stacked", harms: true},
		{name: "leading-semicolon", sql: "; DROP TABLE victim", rule: "destructive-ddl"},

		// Comments.
		// PostgreSQL ends a "--" comment at a carriage return as well as at
		// a line feed (scan.l: newline [\n\r]): what follows the \r is code.
		{name: "pg-comment-carriage-return-stacked", family: pg, sql: "SELECT 1 -- x\r; DROP TABLE victim", rule: "stacked", harms: true},
		{name: "pg-comment-carriage-return-agent", family: pg, who: bot, sql: "SELECT 1 -- x\r; DROP TABLE victim", harms: true},
		{name: "pg-comment-carriage-return-where", family: pg, sql: "DELETE FROM victim WHERE id = 1 -- x\r OR true", rule: "missing-where", harms: true},
		{name: "pg-nested-comment-closed-early", family: pg, sql: "SELECT 1 /* /* */ */ ; DROP TABLE victim", rule: "stacked", harms: true},
		{name: "my-comment-does-not-nest", family: my, sql: "SELECT 1 /* /* */ ; DROP TABLE victim; -- */", rule: "stacked", harms: true},
		{name: "lite-comment-does-not-nest", family: lite, sql: "SELECT 1 /* /* */ ; DROP TABLE victim; -- */", rule: "stacked", harms: true},
		{name: "my-dash-dash-digit", family: my, sql: "SELECT 1 --1; DROP TABLE victim", rule: "stacked", harms: true},
		{name: "my-hash-comment-newline", family: my, sql: "SELECT 1 # x\n; DROP TABLE victim", rule: "stacked", harms: true},
		{name: "lite-hash-is-not-comment", family: lite, sql: "SELECT 1 #; DROP TABLE victim", rule: "stacked"},
		{name: "line-comment-then-newline", sql: "SELECT 1 -- ;\n; DROP TABLE victim", rule: "stacked", harms: true},
		{name: "where-commented-out", sql: "DELETE FROM victim -- WHERE id = 1", rule: "missing-where", harms: true},
		{name: "where-in-block-comment", sql: "DELETE FROM victim /* WHERE id = 1 */", rule: "missing-where", harms: true},
		{name: "tautology-after-line-comment", sql: "DELETE FROM victim WHERE id = 1 -- x\n OR 1=1", rule: "missing-where", harms: true},
		{name: "lite-unterminated-comment", family: lite, sql: "SELECT 1; DROP TABLE victim /* unterminated", rule: "unknown", harms: true},

		// MySQL executable comments.
		{name: "my-exec-comment", family: my, sql: "SELECT 1 /*! ; DROP TABLE victim */", rule: "stacked"},
		{name: "my-mariadb-exec-comment", family: my, sql: "SELECT 1 /*M! ; DROP TABLE victim */", rule: "stacked"},
		{name: "my-versioned-old", family: my, sql: "SELECT 1 /*!10000 ; DROP TABLE victim */"},
		{name: "my-versioned-future-quote", family: my, sql: "SELECT 1 /*!99999 ' */ ; DROP TABLE victim; -- ' */", harms: true},
		{name: "my-versioned-five-digits", family: my, sql: "SELECT 1 /*!99999 ; DROP TABLE victim */"},
		{name: "my-versioned-future-mariadb-quote", family: my, sql: "SELECT 1 /*M!999999 ' */ ; DROP TABLE victim; -- ' */", harms: true},
		{name: "my-exec-comment-statement", family: my, sql: "/*!DROP TABLE victim*/", rule: "destructive-ddl", harms: true},
		{name: "my-versioned-statement", family: my, sql: "/*!50000DROP TABLE victim*/", harms: true},
		{name: "my-exec-comment-delete", family: my, sql: "/*!DELETE FROM victim*/", rule: "missing-where", harms: true},
		{name: "my-tidb-comment-where", family: my, sql: "DELETE FROM victim /*T! WHERE id = 1*/", rule: "missing-where", harms: true},
		{name: "my-versioned-future-where", family: my, sql: "DELETE FROM victim /*!99999 WHERE id = 1*/", harms: true},

		// Quoting.
		{name: "pg-escape-string", family: pg, sql: `SELECT E'\''; DROP TABLE victim; --'`, rule: "stacked", harms: true},
		{name: "pg-backslash-plain-string", family: pg, sql: `SELECT 'a\'' ; DROP TABLE victim; -- '`, rule: "unknown"},
		{name: "pg-quoted-identifier-backslash", family: pg, sql: `SELECT 1 AS "x\"; DROP TABLE victim; --"`, rule: "stacked", harms: true},
		{name: "my-backslash-escape", family: my, sql: `SELECT 'a\''; DROP TABLE victim; -- '`, rule: "unknown", harms: true},
		{name: "my-double-quoted-string", family: my, sql: `SELECT "a\"; DROP TABLE victim; -- "`, rule: "unknown"},
		{name: "my-backtick", family: my, sql: "SELECT 1 AS `x`; DROP TABLE victim", rule: "stacked", harms: true},
		{name: "lite-backslash-ordinary", family: lite, sql: `SELECT 'a\'; DROP TABLE victim; -- '`, rule: "stacked", harms: true},
		{name: "lite-bracket-identifier", family: lite, sql: "SELECT 1 AS [x;]; DROP TABLE victim", rule: "stacked", harms: true},

		// Dollar quotes.
		{name: "pg-dollar-in-identifier", family: pg, sql: "SELECT 1 AS x$$; DROP TABLE victim; --$$", rule: "stacked", harms: true},
		{name: "pg-tagged-dollar", family: pg, sql: "SELECT $_$ $$ $_$; DROP TABLE victim", rule: "stacked", harms: true},
		{name: "lite-dollar-is-not-quote", family: lite, sql: "SELECT $a$ ; DROP TABLE victim; $a$"},

		// Lexing settings changed on the same connection.
		{name: "pg-standard-conforming-strings", family: pg, before: []string{"SET standard_conforming_strings = off"},
			sql: `SELECT 'a\'' ; DROP TABLE victim; -- '`, rule: "unknown"},
		{name: "pg-set-config", family: pg, before: []string{"SELECT set_config('standard_conforming_strings', 'off', false)"},
			sql: `SELECT 'a\'' ; DROP TABLE victim; -- '`, rule: "unknown"},
		{name: "pg-pg-settings-update", family: pg, before: []string{"UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'"},
			sql: `SELECT 'a\'' ; DROP TABLE victim; -- '`, rule: "unknown"},
		{name: "my-no-backslash-escapes", family: my, before: []string{"SET sql_mode = 'NO_BACKSLASH_ESCAPES'", "SET @@session.sql_mode = 'NO_BACKSLASH_ESCAPES'"},
			sql: `SELECT 'a\'; DROP TABLE victim; -- '`, rule: "unknown"},
		{name: "my-ansi-quotes", family: my, before: []string{"SET SESSION sql_mode = 'ANSI_QUOTES'", "SET STATEMENT sql_mode = 'ANSI_QUOTES' FOR SELECT 1"},
			sql: `SELECT "a\"; DROP TABLE victim; -- "`, rule: "unknown"},
		{name: "my-set-names", family: my, sql: "SET NAMES gbk", rule: "lexing-settings"},
		{name: "my-versioned-set", family: my, sql: "/*!40101 SET sql_mode = 'ANSI_QUOTES' */"},

		// Stacked statements, CTEs, EXPLAIN, PREPARE.
		{name: "pg-data-modifying-cte", family: pg, sql: "WITH d AS (DELETE FROM victim RETURNING id) SELECT 1", rule: "missing-where", harms: true},
		{name: "pg-cte-update-unused", family: pg, sql: "WITH u AS (UPDATE victim SET name = 'x' RETURNING 1) SELECT 2", rule: "missing-where", harms: true},
		{name: "pg-explain-analyze-delete", family: pg, sql: "EXPLAIN ANALYZE DELETE FROM victim", rule: "missing-where", harms: true},
		{name: "pg-explain-options-delete", family: pg, sql: "EXPLAIN (ANALYZE true, FORMAT JSON) DELETE FROM victim", rule: "missing-where", harms: true},
		{name: "my-analyze-delete", family: my, sql: "ANALYZE DELETE FROM victim", rule: "missing-where", harms: true},
		{name: "pg-prepare-delete", family: pg, sql: "PREPARE p AS DELETE FROM victim", rule: "missing-where"},
		{name: "pg-prepare-execute", family: pg, sql: "PREPARE p AS DELETE FROM victim; EXECUTE p", rule: "stacked", harms: true},
		{name: "pg-execute-prepared-earlier", family: pg, before: []string{"PREPARE p2 AS DELETE FROM victim WHERE id > $1"}, sql: "EXECUTE p2(0)", rule: "unknown"},
		{name: "my-prepare-from-string", family: my, sql: "PREPARE s FROM 'DELETE FROM victim'", rule: "missing-where"},
		{name: "my-execute-prepared-earlier", family: my, before: []string{"SET @q = 'DELETE FROM victim'", "PREPARE s FROM @q"}, sql: "EXECUTE s", rule: "unknown"},
		{name: "my-execute-immediate", family: my, sql: "EXECUTE IMMEDIATE 'DELETE FROM victim'", rule: "unknown", harms: true},
		{name: "pg-merge-delete", family: pg, sql: "MERGE INTO victim USING (SELECT 1 AS id) s ON true WHEN MATCHED THEN DELETE", rule: "missing-where", harms: true},
		{name: "pg-upsert-everything", family: pg, sql: "INSERT INTO victim SELECT * FROM victim ON CONFLICT (id) DO UPDATE SET name = 'x'", rule: "missing-where", harms: true},
		{name: "my-upsert-everything", family: my, sql: "INSERT INTO victim SELECT * FROM victim ON DUPLICATE KEY UPDATE name = 'x'", rule: "missing-where", harms: true},
		{name: "my-multi-table-delete", family: my, sql: "DELETE v FROM victim v WHERE 1", rule: "missing-where", harms: true},
		{name: "my-delete-limit", family: my, sql: "DELETE FROM victim ORDER BY id LIMIT 10", rule: "missing-where", harms: true},
		{name: "my-cte-then-delete", family: my, sql: "WITH d AS (SELECT 1) DELETE FROM victim", rule: "missing-where"},
		{name: "lite-cte-then-delete", family: lite, sql: "WITH d AS (SELECT 1) DELETE FROM victim", rule: "missing-where", harms: true},

		// NUL bytes, unicode, whitespace.
		{name: "nul-before-statement", sql: "SELECT 1;\x00DROP TABLE victim", rule: "unknown"},
		{name: "vertical-tab", sql: "DROP\vTABLE victim", rule: "destructive-ddl"},
		{name: "form-feed", sql: "DROP\fTABLE victim", rule: "destructive-ddl", harms: true},
		{name: "non-breaking-space", sql: "DROP\u00a0TABLE victim"},
		{name: "fullwidth-letters", sql: "ＤＲＯＰ TABLE victim", rule: "unknown"},
		{name: "pg-unicode-escape-identifier", family: pg, sql: `DROP TABLE U&"\0076ictim"`, harms: true},

		// Tautologies.
		{name: "where-id-equals-id", sql: "DELETE FROM victim WHERE id = id", rule: "missing-where", harms: true},
		{name: "where-qualified-self", sql: "DELETE FROM victim WHERE victim.id = victim.id", rule: "missing-where", harms: true},
		{name: "where-or-1-1", sql: "DELETE FROM victim WHERE id = 1 OR 1=1", rule: "missing-where", harms: true},
		{name: "where-or-strings", sql: "UPDATE victim SET name = 'x' WHERE id = 1 OR 'a' = 'a'", rule: "missing-where", harms: true},
		{name: "where-1", family: my, sql: "DELETE FROM victim WHERE 1", rule: "missing-where", harms: true},
		{name: "lite-where-1", family: lite, sql: "DELETE FROM victim WHERE 1", rule: "missing-where", harms: true},
		{name: "pg-where-true", family: pg, sql: "DELETE FROM victim WHERE true", rule: "missing-where", harms: true},
		{name: "where-not-false", family: pg, sql: "DELETE FROM victim WHERE NOT false", rule: "missing-where", harms: true},
		{name: "where-like-all", sql: "DELETE FROM victim WHERE name LIKE '%'", rule: "missing-where", harms: true},
		{name: "my-null-safe-self", family: my, sql: "DELETE FROM victim WHERE id <=> id", rule: "missing-where", harms: true},
		{name: "my-or-pipes", family: my, sql: "DELETE FROM victim WHERE id = 1 || 1", rule: "missing-where", harms: true},
		{name: "pg-where-cast-true", family: pg, sql: "DELETE FROM victim WHERE 1::bool", rule: "missing-where", harms: true},
		{name: "pg-where-text-cast-true", family: pg, sql: "DELETE FROM victim WHERE 'true'::boolean", rule: "missing-where", harms: true},
		{name: "pg-where-coalesce-true", family: pg, sql: "DELETE FROM victim WHERE coalesce(true, false)", rule: "missing-where", harms: true},
		{name: "pg-where-exists-constant", family: pg, sql: "DELETE FROM victim WHERE EXISTS (SELECT 1)", rule: "missing-where", harms: true},
		{name: "pg-where-not-distinct-self", family: pg, sql: "DELETE FROM victim WHERE id IS NOT DISTINCT FROM id", rule: "missing-where", harms: true},
		{name: "my-where-string-one", family: my, sql: "DELETE FROM victim WHERE '1'", rule: "missing-where", harms: true},
		{name: "lite-where-glob-all", family: lite, sql: "DELETE FROM victim WHERE name GLOB '*'", rule: "missing-where", harms: true},
		{name: "lite-where-is-self", family: lite, sql: "DELETE FROM victim WHERE id IS id", rule: "missing-where", harms: true},
		{name: "pg-dollar-tautology", family: pg, sql: "DELETE FROM victim WHERE id = 1 OR $$a$$ = $$a$$", rule: "missing-where", harms: true},
		{name: "where-in-own-table", sql: "DELETE FROM victim WHERE id IN (SELECT id FROM victim)", rule: "missing-where", harms: true},
		{name: "where-or-complement", sql: "UPDATE victim SET name = 'x' WHERE id = 1 OR id <> 1", rule: "missing-where", harms: true},
		// A bare column as a truth value: every row whose id is not 0.
		{name: "my-where-column", family: my, sql: "DELETE FROM victim WHERE id", rule: "missing-where", harms: true},
		{name: "lite-where-column", family: lite, sql: "DELETE FROM victim WHERE id", rule: "missing-where", harms: true},
		{name: "lite-where-rowid", family: lite, sql: "DELETE FROM victim WHERE rowid", rule: "missing-where", harms: true},
		{name: "my-where-not-not-column", family: my, sql: "DELETE FROM victim WHERE NOT NOT id", rule: "missing-where", harms: true},
		{name: "where-column-is-not-null", sql: "DELETE FROM victim WHERE id IS NOT NULL", rule: "missing-where", harms: true},

		// Opaque executors.
		{name: "pg-do-block", family: pg, sql: "DO $$ BEGIN DELETE FROM victim; END $$", harms: true},
		{name: "pg-create-function", family: pg, sql: "CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$DELETE FROM victim$$"},
		{name: "pg-create-procedure", family: pg, sql: "CREATE PROCEDURE wipe_p() LANGUAGE sql AS 'DELETE FROM victim'"},
		{name: "pg-create-rule", family: pg, sql: "CREATE RULE wipe_r AS ON INSERT TO notes DO ALSO DELETE FROM victim"},
		{name: "pg-create-trigger-function", family: pg, sql: "CREATE FUNCTION wipe_t() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN DELETE FROM victim; RETURN NULL; END$$"},
		{name: "lite-create-trigger", family: lite, sql: "CREATE TRIGGER wipe AFTER INSERT ON notes BEGIN DELETE FROM victim; END"},
		{name: "my-create-procedure", family: my, sql: "CREATE PROCEDURE wipe() DELETE FROM victim", rule: "unknown"},
		{name: "my-create-trigger", family: my, sql: "CREATE TRIGGER wipe BEFORE INSERT ON notes FOR EACH ROW DELETE FROM victim", rule: "unknown"},
		{name: "my-create-event", family: my, sql: "CREATE EVENT wipe ON SCHEDULE AT CURRENT_TIMESTAMP DO DELETE FROM victim", rule: "unknown"},

		// Reaching outside the database, stalling it.
		{name: "pg-copy-program", family: pg, sql: "COPY victim TO PROGRAM 'true'", rule: "dangerous"},
		{name: "pg-copy-from-program", family: pg, sql: "COPY victim FROM PROGRAM 'true'", rule: "dangerous"},
		{name: "pg-copy-server-file", family: pg, sql: "COPY victim FROM '/etc/hostname'", rule: "dangerous"},
		{name: "pg-read-file", family: pg, sql: "SELECT pg_catalog.pg_read_file('/etc/hostname')", rule: "dangerous"},
		{name: "pg-read-file-quoted", family: pg, sql: `SELECT "pg_read_file"('/etc/hostname')`, rule: "dangerous"},
		{name: "pg-read-file-from", family: pg, sql: "SELECT * FROM pg_read_file('/etc/hostname') AS t", rule: "dangerous"},
		{name: "pg-lo-import", family: pg, sql: "SELECT lo_import('/etc/hostname')", rule: "dangerous"},
		{name: "pg-sleep", family: pg, sql: "SELECT pg_sleep /**/ (0)", rule: "dangerous"},
		{name: "pg-terminate", family: pg, sql: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = -1", rule: "dangerous"},
		{name: "pg-load-library", family: pg, sql: "LOAD 'auto_explain'", rule: "dangerous"},
		// Server administration: a harmless id (the server would answer
		// "Unknown thread id"), refused before it reaches MariaDB.
		{name: "my-kill", family: my, sql: "KILL 999999999", rule: "dangerous"},

		// Writes that rewrite every row without UPDATE or DELETE: REPLACE
		// deletes each row a new one conflicts with.
		{name: "my-replace-select", family: my, sql: "REPLACE INTO victim SELECT id, 'x' FROM victim", rule: "missing-where", harms: true},
		{name: "lite-insert-or-replace-select", family: lite, sql: "INSERT OR REPLACE INTO victim SELECT id, 'x' FROM victim", rule: "missing-where", harms: true},

		// Data loss through DDL other than DROP and TRUNCATE.
		{name: "my-create-or-replace-table", family: my, sql: "CREATE OR REPLACE TABLE victim (id INT PRIMARY KEY, name VARCHAR(20))", rule: "destructive-ddl", harms: true},
		{name: "my-rename-table", family: my, sql: "RENAME TABLE victim TO victim_gone", rule: "destructive-ddl", harms: true},
		{name: "rename-table", sql: "ALTER TABLE victim RENAME TO victim_moved", rule: "destructive-ddl", harms: true},
		// MySQL's CHANGE renames the column it redefines.
		{name: "my-change-column", family: my, sql: "ALTER TABLE victim CHANGE name nm VARCHAR(20)", rule: "destructive-ddl", harms: true},
		{name: "my-change-column-keyword", family: my, sql: "ALTER TABLE victim CHANGE COLUMN name nm VARCHAR(20)", rule: "destructive-ddl", harms: true},
		{name: "pg-alter-column-type", family: pg, sql: "ALTER TABLE victim ALTER COLUMN name TYPE varchar(20) USING 'x'", rule: "destructive-ddl", harms: true},
		{name: "pg-query-to-xml", family: pg, sql: "SELECT query_to_xml('DELETE FROM victim RETURNING 1', true, true, '')", rule: "dangerous"},
		{name: "my-into-outfile", family: my, sql: "SELECT * FROM victim INTO OUTFILE '/tmp/sqlvigil-redteam-out'", rule: "dangerous"},
		{name: "my-into-outfile-before-from", family: my, sql: "SELECT * INTO DUMPFILE '/tmp/sqlvigil-redteam-dump' FROM victim", rule: "dangerous"},
		{name: "my-load-file", family: my, sql: "SELECT LOAD_FILE('/etc/hostname')", rule: "dangerous"},
		{name: "my-load-data-local", family: my, sql: "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE victim", rule: "dangerous"},
		{name: "my-load-xml-local", family: my, sql: "LOAD XML LOCAL INFILE '/etc/hostname' INTO TABLE victim", rule: "dangerous"},
		{name: "my-sleep-backquoted", family: my, sql: "SELECT `SLEEP`(0)", rule: "dangerous"},
		{name: "my-benchmark", family: my, sql: "SELECT BENCHMARK(1, MD5('a'))", rule: "dangerous"},
		{name: "my-do-sleep", family: my, sql: "DO SLEEP(0)", rule: "dangerous"},
		{name: "lite-attach", family: lite, sql: "ATTACH ':memory:' AS other", rule: "dangerous"},
		{name: "lite-vacuum-into", family: lite, sql: "VACUUM INTO '/tmp/sqlvigil-redteam.db'", rule: "dangerous"},
		{name: "lite-load-extension", family: lite, sql: `SELECT "load_extension"('x')`, rule: "dangerous"},

		// Read-only agents and the table deny list.
		{name: "agent-insert", sql: "INSERT INTO victim VALUES (9, 'z')", who: bot, rule: "read-only"},
		{name: "agent-update-bounded", sql: "UPDATE victim SET name = 'x' WHERE id = 1", who: bot, rule: "read-only", harms: true},
		{name: "pg-agent-nextval", family: pg, sql: "SELECT nextval('victim_seq')", who: bot, rule: "read-only"},
		{name: "pg-agent-cte-delete", family: pg, sql: "WITH d AS (DELETE FROM victim WHERE id = 1 RETURNING id) SELECT * FROM d", who: bot, harms: true},
		{name: "pg-agent-explain-analyze", family: pg, sql: "EXPLAIN ANALYZE DELETE FROM victim WHERE id = 1", who: bot, harms: true},
		{name: "agent-create-view", sql: "CREATE VIEW vv AS SELECT * FROM people", who: bot, rule: "read-only"},
		{name: "vault-direct", sql: "SELECT note FROM vault", rule: "tables"},
		{name: "vault-subquery", sql: "SELECT (SELECT note FROM vault WHERE id = 1) AS x", rule: "tables"},
		{name: "vault-union", sql: "SELECT name FROM victim UNION SELECT note FROM vault", rule: "tables"},
		{name: "vault-upper-case", sql: "SELECT note FROM VAULT", rule: "tables"},
		{name: "pg-vault-quoted", family: pg, sql: `SELECT note FROM "vault"`, rule: "tables"},
		{name: "pg-vault-only", family: pg, sql: "SELECT note FROM ONLY vault", rule: "tables"},
		{name: "pg-vault-lateral", family: pg, sql: "SELECT v.note FROM victim, LATERAL (SELECT note FROM vault) v", rule: "tables"},
		{name: "pg-vault-table", family: pg, sql: "TABLE vault", rule: "tables"},
		{name: "my-vault-backquoted", family: my, sql: "SELECT note FROM `vault`", rule: "tables"},
		{name: "lite-vault-bracket", family: lite, sql: "SELECT note FROM [vault]", rule: "tables"},
		{name: "lite-vault-string-name", family: lite, sql: "SELECT note FROM 'vault'", rule: "unknown"},
		{name: "my-handler-vault", family: my, sql: "HANDLER vault OPEN", rule: "tables"},
		{name: "my-handler-vault-exempt-reader", family: my, sql: "HANDLER vault OPEN", who: dpo, rule: "tables"},
		{name: "vault-copied", sql: "CREATE TABLE loot AS SELECT * FROM vault", rule: "tables"},

		// Privileges.
		{name: "pg-grant", family: pg, sql: "GRANT ALL ON victim TO PUBLIC", rule: "privileges"},
		{name: "pg-set-role", family: pg, sql: "SET ROLE postgres", rule: "privileges"},
		{name: "my-grant", family: my, sql: "GRANT ALL ON victim TO 'nobody'@'%'", rule: "privileges"},

		// Incomplete statements.
		{name: "unterminated-string", sql: "DELETE FROM victim WHERE name = 'unterminated", rule: "unknown"},
	}
}

// run sends one attack through the wrapped database and checks that it was
// refused, recorded once, and that the engine was not harmed; then, on the
// backends that send texts whole, it sends the same text raw to prove the
// attack real.
func (l *lab) run(t *testing.T, a attack) {
	t.Helper()
	l.resetVictim(t)
	who := a.who
	if who.IsZero() {
		who = dev
	}
	ctx := as(who)
	c, err := l.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range a.before {
		if _, err := c.ExecContext(ctx, q); err != nil && !errors.Is(err, guard.ErrBlocked) {
			t.Logf("preparation %q failed at the server: %v", q, err)
		}
	}
	m := l.mark()
	_, err = c.ExecContext(ctx, a.sql)
	l.denied(t, m, err, a.rule)
	if h := l.victim(); h != "" {
		t.Errorf("the engine was harmed: victim %s", h)
	}
	// The connection stays usable after a denial.
	var one int
	if err := c.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("connection unusable after a denial: %v", err)
	}
	c.Close()
	if a.harms && l.b.proves {
		l.resetVictim(t)
		rc, err := l.raw.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		_, rawErr := rc.ExecContext(context.Background(), a.sql)
		if l.victim() == "" {
			t.Errorf("ground truth: the raw engine was not harmed by this text (%v); the attack proves nothing", rawErr)
		}
		l.resetVictim(t)
	}
}

func TestDestructiveAttacks(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			if b.family == pg {
				l.exec(t, "CREATE SEQUENCE victim_seq")
			}
			for _, a := range destructiveAttacks() {
				if a.family != "" && a.family != b.family {
					continue
				}
				t.Run(a.name, func(t *testing.T) { l.run(t, a) })
			}
			l.noLeakInTrail(t)
		})
	}
}

// conns reports whether rows is closed properly; a helper for the paths.
func drain(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// harmlessLookalikes are texts that hide "DROP TABLE victim" where the
// engine never runs it (in a comment, a string, an identifier). The
// analyser must agree with the engine: it allows them (no false alarm on a
// dialect rule) and the engine, raw or wrapped, is not harmed.
func harmlessLookalikes() []attack {
	return []attack{
		{name: "pg-nested-comment", family: pg, sql: "SELECT 1 /* /* */ ; DROP TABLE victim; -- */"},
		{name: "pg-dollar-quote", family: pg, sql: "SELECT $q$; DROP TABLE victim; $q$ AS x"},
		{name: "pg-escape-string", family: pg, sql: `SELECT E'\'; DROP TABLE victim; --' AS x`},
		{name: "my-dash-dash-space", family: my, sql: "SELECT 1 -- 1; DROP TABLE victim"},
		{name: "my-dash-dash-tab", family: my, sql: "SELECT 1 --\t1; DROP TABLE victim"},
		{name: "my-dash-dash-vertical-tab", family: my, sql: "SELECT 1 --\v1; DROP TABLE victim"},
		{name: "my-dash-dash-form-feed", family: my, sql: "SELECT 1 --\f1; DROP TABLE victim"},
		{name: "my-hash", family: my, sql: "SELECT 1 # ; DROP TABLE victim"},
		{name: "my-tidb-comment", family: my, sql: "SELECT 1 /*T! ; DROP TABLE victim */"},
		{name: "my-hint-comment", family: my, sql: "SELECT 1 /*+ ; DROP TABLE victim */"},
		{name: "my-doubled-quote", family: my, sql: "SELECT 'a''; DROP TABLE victim; -- '"},
		{name: "my-doubled-backtick", family: my, sql: "SELECT 1 AS `x``; DROP TABLE victim; --`"},
		{name: "my-dash-dash-carriage-return", family: my, sql: "SELECT 1 -- x\r; DROP TABLE victim"},
		{name: "my-hash-carriage-return", family: my, sql: "SELECT 1 # x\r; DROP TABLE victim"},
		{name: "lite-dash-dash-carriage-return", family: lite, sql: "SELECT 1 -- x\r; DROP TABLE victim"},
		{name: "lite-dash-dash-digit", family: lite, sql: "SELECT 1 --1; DROP TABLE victim"},
		{name: "lite-doubled-bracket-text", family: lite, sql: "SELECT '[x]; DROP TABLE victim; --' AS x"},
	}
}

func TestHarmlessLookalikes(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			for _, a := range harmlessLookalikes() {
				if a.family != "" && a.family != b.family {
					continue
				}
				t.Run(a.name, func(t *testing.T) {
					l.resetVictim(t)
					m := l.mark()
					if err := drain(l.db.QueryContext(as(dev), a.sql)); err != nil {
						t.Errorf("harmless text refused: %v", err)
					}
					l.oneRecord(t, m)
					if h := l.victim(); h != "" {
						t.Fatalf("the engine was harmed through sqlvigil: victim %s", h)
					}
					if b.proves {
						_, err := l.raw.Exec(a.sql)
						if h := l.victim(); h != "" {
							t.Fatalf("ground truth: the raw engine ran the hidden DROP (%v): victim %s", err, h)
						}
					}
				})
			}
		})
	}
}

// TestDestructiveSequences: attacks in several statements on one
// connection, whose harm is not to the victim table: a column default that
// reads a server file, and a lexing setting changed through a catalog view.
// The first step is refused, and the engine shows no trace of the attack.
func TestDestructiveSequences(t *testing.T) {
	for _, b := range backends() {
		if b.family != pg {
			continue
		}
		for _, s := range []struct {
			name  string
			steps []string
			rule  string
			// harm describes what the attack did to the engine, "" if
			// nothing; c is the attacker's connection.
			harm func(l *lab, c *sql.Conn) string
		}{
			{name: "pg-default-read-file", rule: "dangerous",
				steps: []string{"CREATE TABLE loot (x text DEFAULT pg_read_file('/etc/hostname'))", "INSERT INTO loot DEFAULT VALUES"},
				harm: func(l *lab, _ *sql.Conn) string {
					var n int
					if err := l.raw.QueryRow("SELECT count(*) FROM loot WHERE x <> ''").Scan(&n); err == nil && n > 0 {
						return "a server file was read into the table"
					}
					return ""
				}},
			{name: "pg-settings-update", rule: "privileges",
				steps: []string{"UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'"},
				harm: func(l *lab, c *sql.Conn) string {
					// Read on the attacker's own session, through the
					// wrapped connection: a count, since the masker
					// refuses the unattributed current_setting(...) column.
					var n int
					err := c.QueryRowContext(as(dev), "SELECT count(*) FROM pg_settings WHERE name = 'standard_conforming_strings' AND setting = 'off'").Scan(&n)
					if err != nil {
						return fmt.Sprintf("setting unreadable (%v)", err)
					}
					if n != 0 {
						return "standard_conforming_strings is now off on the connection"
					}
					return ""
				}},
		} {
			t.Run(b.name+"/"+s.name, func(t *testing.T) {
				t.Parallel()
				l := newLab(t, b)
				c, err := l.db.Conn(as(dev))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				var errs []error
				for _, q := range s.steps {
					_, err := c.ExecContext(as(dev), q)
					errs = append(errs, err)
				}
				var be *guard.BlockedError
				if !errors.As(errs[0], &be) || be.Rule != s.rule {
					t.Errorf("first step: got error %v, want a denial by %q", errs[0], s.rule)
				}
				if h := s.harm(l, c); h != "" {
					t.Errorf("%s (step errors %v)", h, errs)
				}
			})
		}
	}
}

// TestReadOnlyStateChangingCalls: a read-only AI agent calls, in a SELECT,
// a function that changes state.
func TestReadOnlyStateChangingCalls(t *testing.T) {
	for _, b := range backends() {
		if b.name == "mariadb" {
			t.Run(b.name+"/next-value", func(t *testing.T) {
				t.Parallel()
				l := newLab(t, b)
				l.exec(t, "CREATE SEQUENCE s")
				_, err := l.db.ExecContext(as(bot), "SELECT NEXT VALUE FOR s")
				if !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("got error %v, want guard.ErrBlocked", err)
				}
				var n int
				if e := l.raw.QueryRow("SELECT NEXT VALUE FOR s").Scan(&n); e != nil {
					t.Fatal(e)
				}
				if n != 1 {
					t.Errorf("the sequence was advanced by the agent (error %v): next value %d, want 1", err, n)
				}
			})
		}
		if b.name != "pq" {
			continue
		}
		t.Run(b.name+"/lowrite", func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			var oid int64
			if err := l.raw.QueryRow("SELECT lo_from_bytea(0, 'original')").Scan(&oid); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = l.raw.Exec("SELECT lo_unlink($1)", oid) })
			q := "SELECT lowrite(lo_open(" + strconv.FormatInt(oid, 10) + ", 131072), 'pwned')"
			_, err := l.db.ExecContext(as(bot), q)
			if !errors.Is(err, guard.ErrBlocked) {
				t.Errorf("got error %v, want guard.ErrBlocked", err)
			}
			var v string
			if e := l.raw.QueryRow("SELECT convert_from(lo_get($1), 'UTF8')", oid).Scan(&v); e != nil {
				t.Fatal(e)
			}
			if v != "original" {
				t.Errorf("large object now %q (agent's error %v), want it unchanged", v, err)
			}
		})
	}
}
