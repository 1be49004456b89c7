package redteam_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
)

// step is one call of a sequence and the rule expected to refuse it; ""
// when the guard lets it through (the server may still refuse it).
type step struct {
	sql  string
	rule string
}

// sequence is an attack in several calls on one pooled connection: each
// call alone may look harmless, together they destroy or stall the
// database.
type sequence struct {
	name   string
	family string
	// setup runs raw before the attack (a DBA's earlier work).
	setup []string
	steps []step
	// harm describes the damage, "" when there is none; it runs after
	// the steps, before cleanup. The zero value checks the victim table.
	harm func(t *testing.T, l *lab) string
	// cleanup runs on the attacker's connection after harm (ROLLBACK,
	// UNLOCK TABLES); errors are ignored.
	cleanup []string
	// proves runs the steps raw on the backends that prove attacks: the
	// raw engine must be harmed. Off for steps that would reach beyond
	// the test's own database (server settings, the mysql schema).
	proves bool
}

// childOfVictim makes a table whose foreign key protects victim row 1.
func childOfVictim() []string {
	return []string{
		"DROP TABLE IF EXISTS victim_child",
		"CREATE TABLE victim_child (id INT PRIMARY KEY, victim_id INT REFERENCES victim (id))",
		"INSERT INTO victim_child VALUES (1, 1)",
	}
}

// sqliteSchemaHarm reports a victim whose catalog entry was deleted or
// rewritten, or that can no longer be read.
func sqliteSchemaHarm(_ *testing.T, l *lab) string {
	var sql string
	err := l.raw.QueryRow("SELECT sql FROM sqlite_master WHERE name = 'victim'").Scan(&sql)
	switch {
	case err != nil:
		return fmt.Sprintf("the victim's catalog entry is gone (%v)", err)
	case sql != "CREATE TABLE victim (id INT PRIMARY KEY, name VARCHAR(20))":
		return "the victim's catalog entry was rewritten"
	}
	return l.victim()
}

// lockedHarm reports a victim another session cannot read within a
// second.
func lockedHarm(t *testing.T, l *lab) string {
	ctx := context.Background()
	c, err := l.raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	switch l.b.family {
	case pg:
		_, err = c.ExecContext(ctx, "SET lock_timeout = '1s'")
	case my:
		_, err = c.ExecContext(ctx, "SET SESSION lock_wait_timeout = 1")
	}
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.QueryRowContext(ctx, "SELECT count(*) FROM victim").Scan(&n); err != nil {
		return fmt.Sprintf("victim locked against other sessions (%v)", err)
	}
	return ""
}

func destructiveSequences() []sequence {
	const (
		cat   = "catalog-writes"
		integ = "integrity-settings"
		maint = "maintenance"
		rout  = "routines"
	)
	return []sequence{
		// SQLite: the schema made writable, then the catalog edited by a
		// DELETE or UPDATE that has a WHERE.
		{name: "lite-writable-schema-delete", family: lite, proves: true, harm: sqliteSchemaHarm,
			steps: []step{{"PRAGMA writable_schema = ON", integ}, {"DELETE FROM sqlite_master WHERE name = 'victim'", cat}}},
		{name: "lite-writable-schema-update", family: lite, proves: true, harm: sqliteSchemaHarm,
			steps: []step{{"PRAGMA main.writable_schema(1)", integ},
				{`UPDATE "SQLITE_MASTER" SET sql = 'CREATE TABLE victim (x INT)' WHERE name = 'victim'`, cat}}},
		{name: "lite-writable-schema-temp", family: lite, harm: sqliteSchemaHarm,
			steps: []step{{"PRAGMA writable_schema = 'yes'", integ}, {"DELETE FROM temp.sqlite_master WHERE name = 'victim'", cat}}},
		{name: "lite-foreign-keys-off", family: lite, proves: true, setup: childOfVictim(),
			steps: []step{{"PRAGMA foreign_keys = ON", ""}, {"PRAGMA foreign_keys = OFF", integ}, {"DELETE FROM victim WHERE id = 1", ""}}},
		{name: "lite-foreign-keys-call-form", family: lite, proves: true, setup: childOfVictim(),
			steps: []step{{"PRAGMA foreign_keys = ON", ""}, {"PRAGMA foreign_keys(0)", integ}, {"DELETE FROM victim WHERE id = 1", ""}}},
		{name: "lite-durability-off", family: lite,
			steps: []step{{"PRAGMA journal_mode = OFF", integ}, {"PRAGMA synchronous = OFF", integ},
				{"PRAGMA schema_version = 1", integ}, {"UPDATE victim SET name = name WHERE id = 1", ""}}},
		{name: "lite-vacuum", family: lite, steps: []step{{"VACUUM", maint}}},

		// PostgreSQL: replication role stops the foreign-key triggers.
		{name: "pg-replication-role-then-delete", family: pg, proves: true, setup: childOfVictim(),
			steps: []step{{"SET session_replication_role = replica", integ}, {"DELETE FROM victim WHERE id = 1", ""}}},
		{name: "pg-replication-role-local", family: pg, setup: childOfVictim(),
			steps:   []step{{"BEGIN", ""}, {"SET LOCAL session_replication_role TO 'replica'", integ}, {"DELETE FROM victim WHERE id = 1", ""}},
			cleanup: []string{"ROLLBACK"}},
		// Disabling every trigger of the parent stops its foreign-key
		// checks, for every session, until enabled again.
		{name: "pg-disable-triggers-then-delete", family: pg, proves: true, setup: childOfVictim(),
			steps: []step{{"ALTER TABLE victim DISABLE TRIGGER ALL", integ}, {"DELETE FROM victim WHERE id = 1", ""}}},
		{name: "pg-catalog-rename", family: pg, proves: true,
			steps: []step{{"UPDATE pg_catalog.pg_class SET relname = 'victim_gone' WHERE oid = 'victim'::regclass", cat}}},
		// A write to pg_settings is set_config: the earlier privileges
		// rule refuses it first (catalog-writes would too).
		{name: "pg-settings-catalog", family: pg, setup: childOfVictim(),
			steps: []step{{"UPDATE pg_settings SET setting = 'replica' WHERE name = 'session_replication_role'", "privileges"},
				{"DELETE FROM victim WHERE id = 1", ""}}},
		{name: "pg-set-config", family: pg, setup: childOfVictim(),
			steps: []step{{"SELECT set_config('session_replication_role', 'replica', false)", "privileges"},
				{"DELETE FROM victim WHERE id = 1", ""}}},
		{name: "pg-alter-system", family: pg, steps: []step{{"ALTER SYSTEM SET fsync = off", integ}, {"ALTER SYSTEM RESET ALL", integ}}},
		{name: "pg-call-unknown-procedure", family: pg, proves: true,
			setup: []string{"CREATE OR REPLACE PROCEDURE wipe_victim() LANGUAGE plpgsql AS $$ BEGIN DROP TABLE victim; END $$"},
			steps: []step{{"CALL wipe_victim()", rout}}},
		{name: "pg-lock-then-hold", family: pg, proves: true, harm: lockedHarm,
			steps:   []step{{"BEGIN", ""}, {"LOCK TABLE victim", maint}},
			cleanup: []string{"ROLLBACK"}},
		{name: "pg-lock-access-exclusive", family: pg, harm: lockedHarm,
			steps:   []step{{"BEGIN", ""}, {"LOCK TABLE victim IN ACCESS EXCLUSIVE MODE NOWAIT", maint}, {"SELECT 1", ""}},
			cleanup: []string{"ROLLBACK"}},
		{name: "pg-maintenance", family: pg,
			steps: []step{{"VACUUM FULL victim", maint}, {"VACUUM (FULL) victim", maint}, {"CLUSTER victim USING victim_pkey", maint},
				{"REINDEX DATABASE test", maint}, {"VACUUM ANALYZE victim", ""}}},

		// MySQL and MariaDB.
		{name: "my-foreign-key-checks-off", family: my, proves: true, setup: childOfVictim(),
			steps: []step{{"SET foreign_key_checks = 0", integ}, {"DELETE FROM victim WHERE id = 1", ""}}},
		{name: "my-foreign-key-checks-variable", family: my, proves: true, setup: childOfVictim(),
			steps: []step{{"SET @@session.FOREIGN_KEY_CHECKS := OFF", integ}, {"DELETE FROM victim WHERE id = 1", ""}}},
		// An assignment after SET NAMES in the same list; lexing-settings
		// refuses SET NAMES first.
		{name: "my-names-then-foreign-key-checks", family: my, proves: true, setup: childOfVictim(),
			steps: []step{{"SET NAMES utf8mb4, foreign_key_checks = 0", "lexing-settings"}, {"DELETE FROM victim WHERE id = 1", ""}}},
		{name: "my-settings", family: my,
			steps: []step{{"SET unique_checks = 0", integ}, {"SET sql_log_bin = 0", integ},
				{"SET GLOBAL max_connections = 1000", integ}, {"SET @@global.innodb_flush_log_at_trx_commit = 0", integ}}},
		{name: "my-call-unknown-procedure", family: my, proves: true,
			setup: []string{"DROP PROCEDURE IF EXISTS wipe_victim", "CREATE PROCEDURE wipe_victim() DROP TABLE victim"},
			steps: []step{{"CALL wipe_victim()", rout}}},
		{name: "my-lock-tables-write", family: my, proves: true, harm: lockedHarm,
			steps:   []step{{"LOCK TABLES victim WRITE", maint}},
			cleanup: []string{"UNLOCK TABLES"}},
		{name: "my-system-schemas", family: my,
			steps: []step{{"UPDATE mysql.user SET Host = 'nowhere' WHERE User = 'sqlvigil-none'", cat},
				{"USE mysql", cat}, {"DELETE FROM `mysql`.`db` WHERE Db = 'sqlvigil-none'", cat}}},
		// KILL, FLUSH and OPTIMIZE share the analyser's FLUSH kind, which
		// the earlier dangerous-calls rule refuses first.
		{name: "my-optimize", family: my, steps: []step{{"OPTIMIZE TABLE victim", "dangerous"}}},
	}
}

// TestDestructiveSequenceCalls runs each sequence through sqlvigil on a
// pool of one connection, so that every call meets what the earlier ones
// left, and checks that each expected refusal happened and was recorded
// and that the database is intact; on the backends that prove attacks it
// then runs the same calls raw, on one connection, to show the harm is
// real.
func TestDestructiveSequenceCalls(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, s := range destructiveSequences() {
				if s.family != b.family {
					continue
				}
				t.Run(s.name, func(t *testing.T) { runSequence(t, b, s) })
			}
		})
	}
}

func runSequence(t *testing.T, b backend, s sequence) {
	l := newLab(t, b)
	l.db.SetMaxOpenConns(1)
	harm := s.harm
	if harm == nil {
		harm = func(_ *testing.T, l *lab) string { return l.victim() }
	}
	l.exec(t, s.setup...)
	ctx := as(dev)
	for _, st := range s.steps {
		m := l.mark()
		_, err := l.db.ExecContext(ctx, st.sql)
		if st.rule == "" {
			if errors.Is(err, guard.ErrBlocked) {
				t.Errorf("%s: refused (%v), want it let through", st.sql, err)
			}
			l.oneRecord(t, m)
			continue
		}
		l.denied(t, m, err, st.rule)
	}
	if h := harm(t, l); h != "" {
		t.Errorf("the engine was harmed through sqlvigil: %s", h)
	}
	for _, q := range s.cleanup {
		_, _ = l.db.ExecContext(ctx, q)
	}
	// The pooled connection still works, and the audit trail is clean.
	var one int
	if err := l.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("pooled connection unusable after the sequence: %v", err)
	}
	l.noLeakInTrail(t)
	if !s.proves || !b.proves {
		return
	}
	l.resetVictimFor(t, s)
	rc, err := l.raw.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var errs []error
	for _, st := range s.steps {
		_, err := rc.ExecContext(context.Background(), st.sql)
		errs = append(errs, err)
	}
	if harm(t, l) == "" {
		t.Errorf("ground truth: the raw engine was not harmed by the sequence (step errors %v); it proves nothing", errs)
	}
	for _, q := range s.cleanup {
		_, _ = rc.ExecContext(context.Background(), q)
	}
}

// resetVictimFor recreates the victim and the sequence's setup for the
// raw run.
func (l *lab) resetVictimFor(t *testing.T, s sequence) {
	t.Helper()
	if _, err := l.raw.Exec("DROP TABLE IF EXISTS victim_child"); err != nil {
		t.Fatalf("drop victim_child: %v", err)
	}
	l.resetVictim(t)
	l.exec(t, s.setup...)
}
