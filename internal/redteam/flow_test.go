package redteam_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
)

// flowAttack tries to carry a masked value out of a statement by another
// channel than a masked result column, then reads it back as a masked
// reader would.
type flowAttack struct {
	name   string
	family string // "" for every family
	// before are run on the same connection first (errors ignored).
	before []string
	sql    string
	// back are plain reads, run after sql on the same connection, that
	// would show a value that leaked into state.
	back []string
	// blocked says that sql must be refused before it runs.
	blocked bool
	// probe, run on the raw database afterwards, reports a side effect of
	// sql that must not have happened ("" when none did).
	probe func(l *lab) string
}

func flowAttacks() []flowAttack {
	return []flowAttack{
		// 1. Unqualified names in subqueries: notes has no ssn, so the
		// engine reads people.ssn.
		{name: "subquery-outer-name", sql: "SELECT (SELECT ssn FROM notes LIMIT 1) AS x FROM people"},
		{name: "subquery-outer-name-cte", sql: "WITH c AS (SELECT (SELECT ssn FROM notes LIMIT 1) AS x FROM people) SELECT x FROM c"},
		{name: "subquery-outer-name-union", sql: "SELECT body FROM notes UNION ALL SELECT (SELECT ssn FROM notes LIMIT 1) FROM people"},
		{name: "subquery-outer-name-case", sql: "SELECT CASE WHEN id > 0 THEN (SELECT ssn FROM notes LIMIT 1) END AS x FROM people"},
		{name: "subquery-outer-name-derived", sql: "SELECT x FROM (SELECT (SELECT email FROM notes LIMIT 1) AS x FROM people) d"},
		{name: "pg-subquery-outer-name-array", family: pg, sql: "SELECT ARRAY(SELECT ssn FROM notes LIMIT 1) FROM people"},
		{name: "pg-subquery-outer-name-lateral", family: pg, sql: "SELECT x.v FROM people, LATERAL (SELECT (SELECT ssn FROM notes LIMIT 1) AS v) x"},
		{name: "pg-returning-outer-name", family: pg, sql: "UPDATE people SET name = name WHERE id = 1 RETURNING (SELECT ssn FROM notes LIMIT 1) AS x"},
		{name: "lite-returning-outer-name", family: lite, sql: "UPDATE people SET name = name WHERE id = 1 RETURNING (SELECT ssn FROM notes LIMIT 1) AS x"},
		{name: "copy-outer-name", sql: "INSERT INTO notes (id, body) SELECT id + 100, (SELECT ssn FROM notes LIMIT 1) FROM people",
			back: []string{"SELECT body FROM notes"}, blocked: true, probe: notesUnchanged},
		{name: "update-outer-name", sql: "UPDATE notes SET body = (SELECT ssn FROM nums LIMIT 1) WHERE id = 1",
			back: []string{"SELECT body FROM notes"}},

		// 2. Relations the analyser could mis-scope.
		{name: "pg-unnest-implicit-alias", family: pg, sql: "SELECT unnest.unnest FROM people, unnest(ARRAY[people.ssn])"},
		{name: "pg-json-each-row", family: pg, sql: "SELECT * FROM people p, json_each_text(row_to_json(p))"},
		{name: "pg-populate-record", family: pg, sql: "SELECT (jsonb_populate_record(NULL::people, to_jsonb(p))).ssn FROM people p"},
		{name: "lite-json-each-implicit-alias", family: lite, sql: "SELECT json_each.value FROM people, json_each(json_array(people.ssn))"},
		{name: "lite-json-tree-implicit-alias", family: lite, sql: "SELECT json_tree.value FROM people, json_tree(json_array(people.email))"},
		{name: "lite-duplicate-alias", family: lite, sql: "SELECT p.ssn FROM notes p, people p"},
		{name: "lite-duplicate-alias-case", family: lite, sql: "SELECT P.ssn FROM notes p, people P"},
		{name: "operator-word-column", family: lite, sql: "SELECT escape FROM (SELECT ssn AS \"escape\" FROM people) s"},
		{name: "pg-operator-word-column", family: pg, sql: "SELECT mod FROM (SELECT ssn AS mod FROM people) s"},

		// 3. A computed value stored where the strategy keeps part of it
		// (Email keeps what follows the last '@').
		{name: "store-partial-email", family: pg, sql: "UPDATE people SET email = 'x@' || replace(email, '@', '.') WHERE id = 1",
			back: []string{"SELECT email FROM people WHERE id = 1"}, blocked: true, probe: peopleUnchanged},
		{name: "store-partial-email", family: lite, sql: "UPDATE people SET email = 'x@' || replace(email, '@', '.') WHERE id = 1",
			back: []string{"SELECT email FROM people WHERE id = 1"}, blocked: true, probe: peopleUnchanged},
		{name: "store-partial-email", family: my, sql: "UPDATE people SET email = concat('x@', replace(email, '@', '.')) WHERE id = 1",
			back: []string{"SELECT email FROM people WHERE id = 1"}, blocked: true, probe: peopleUnchanged},
		{name: "store-partial-card", sql: "UPDATE people SET card = substr(card, 1, 12) WHERE id = 1",
			back: []string{"SELECT card FROM people WHERE id = 1"}, blocked: true, probe: peopleUnchanged},
		{name: "pg-upsert-partial-email", family: pg, sql: "INSERT INTO people (id, name) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET email = 'x@' || replace(people.email, '@', '.')",
			back: []string{"SELECT email FROM people WHERE id = 1"}, blocked: true, probe: peopleUnchanged},
		{name: "my-upsert-partial-email", family: my, sql: "INSERT INTO people (id, name) VALUES (1, 'x') ON DUPLICATE KEY UPDATE email = concat('x@', replace(email, '@', '.'))",
			back: []string{"SELECT email FROM people WHERE id = 1"}, blocked: true, probe: peopleUnchanged},
		{name: "store-partial-email-rolled-back", family: pg, before: []string{"BEGIN"},
			sql:  "UPDATE people SET email = 'x@' || replace(email, '@', '.') WHERE id = 1",
			back: []string{"SELECT email FROM people WHERE id = 1", "ROLLBACK"}, blocked: true, probe: peopleUnchanged},

		// 4. Server state.
		{name: "pg-setval", family: pg, before: []string{"CREATE SEQUENCE IF NOT EXISTS leak_seq"},
			sql:  "SELECT setval('leak_seq', replace(ssn, '-', '')::bigint) FROM people WHERE id = 1",
			back: []string{"SELECT last_value FROM leak_seq"}, blocked: true, probe: seqUnchanged},
		{name: "pg-advisory-lock", family: pg, sql: "SELECT pg_advisory_lock(replace(ssn, '-', '')::bigint) FROM people WHERE id = 1",
			back: []string{"SELECT objid FROM pg_locks WHERE locktype = 'advisory'"}, blocked: true, probe: noAdvisoryLock},
		{name: "pg-advisory-lock-in-where", family: pg, sql: "SELECT id FROM people WHERE pg_try_advisory_lock(replace(ssn, '-', '')::bigint)",
			blocked: true, probe: noAdvisoryLock},
		{name: "pg-setval-subquery-arg", family: pg, before: []string{"CREATE SEQUENCE IF NOT EXISTS leak_seq"},
			sql: "SELECT id FROM notes WHERE id = setval('leak_seq', (SELECT length(ssn) FROM people LIMIT 1))", blocked: true, probe: seqUnchanged},
		{name: "my-get-lock", family: my, sql: "SELECT GET_LOCK(concat('k', ssn), 0) FROM people WHERE id = 1",
			back: []string{"SELECT OBJECT_NAME FROM performance_schema.metadata_locks"}, blocked: true},
		{name: "pg-set-config", family: pg, sql: "SELECT set_config('leak.v', ssn, false) FROM people WHERE id = 1",
			back: []string{"SELECT current_setting('leak.v')", "SHOW leak.v"}, blocked: true},
		{name: "pg-replication-origin", family: pg, sql: "SELECT pg_replication_origin_create(ssn) FROM people WHERE id = 1",
			back: []string{"SELECT roname FROM pg_replication_origin"}, blocked: true, probe: noReplicationOrigin},
		{name: "my-get-diagnostics", family: my, before: []string{"SELECT 1/0"}, sql: "GET DIAGNOSTICS CONDITION 1 @m = MESSAGE_TEXT", blocked: true},
		{name: "my-select-into-variable", family: my, sql: "SELECT ssn INTO @v FROM people WHERE id = 1",
			back: []string{"SELECT VARIABLE_VALUE FROM information_schema.USER_VARIABLES", "SELECT @v"}, blocked: true},
		{name: "my-set-variable", family: my, sql: "SET @v = (SELECT ssn FROM people WHERE id = 1)",
			back: []string{"SELECT VARIABLE_VALUE FROM information_schema.USER_VARIABLES"}, blocked: true},
		{name: "my-set-session-variable", family: my, sql: "SET @@session.sql_select_limit = (SELECT length(ssn) FROM people WHERE id = 1)",
			blocked: true},
		{name: "my-signal", family: my, before: []string{"SET @v = (SELECT ssn FROM people WHERE id = 1)"},
			sql: "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = @v"},

		// 5. Catalogs that hold copies of data.
		{name: "pg-stats", family: pg, before: []string{"ANALYZE people"},
			sql: "SELECT most_common_vals::text, histogram_bounds::text FROM pg_stats WHERE tablename = 'people'", blocked: true},
		{name: "pg-stat-activity", family: pg, sql: "SELECT query FROM pg_stat_activity", blocked: true},
		// An extension's view lives in the schema it was installed in.
		{name: "pg-stat-statements-in-schema", family: pg, sql: "SELECT query FROM public.pg_stat_statements", blocked: true},
		{name: "my-column-stats", family: my, before: []string{"ANALYZE TABLE people PERSISTENT FOR ALL"},
			sql: "SELECT min_value, max_value FROM mysql.column_stats", blocked: true},
		{name: "my-processlist", family: my, sql: "SELECT info FROM information_schema.PROCESSLIST", blocked: true},
		{name: "my-show-processlist", family: my, sql: "SHOW FULL PROCESSLIST", blocked: true},
		{name: "my-innodb-trx", family: my, sql: "SELECT trx_query FROM information_schema.INNODB_TRX", blocked: true},
		{name: "my-innodb-locks", family: my, sql: "SELECT lock_data FROM information_schema.INNODB_LOCKS", blocked: true},
		{name: "my-innodb-fulltext", family: my, sql: "SELECT word FROM information_schema.INNODB_FT_INDEX_CACHE", blocked: true},
		{name: "my-statement-history", family: my, sql: "SELECT SQL_TEXT FROM performance_schema.events_statements_history", blocked: true},
		{name: "lite-stat4", family: lite, before: []string{"CREATE INDEX IF NOT EXISTS people_ssn ON people (ssn)", "ANALYZE"},
			sql: "SELECT sample FROM sqlite_stat4", blocked: true},
		{name: "lite-dbpage", family: lite, sql: "SELECT data FROM sqlite_dbpage", blocked: true},

		// 7. The diagnostics area and plans (MariaDB): a warning quotes
		// the value a conversion truncated, SHOW ERRORS the value a
		// unique key collided on (which the driver's error had
		// redacted), and a formatted plan prints conditions with the
		// values of const tables (a primary-key lookup) substituted.
		{name: "my-show-warnings-cast", family: my, before: []string{"SELECT CAST(email AS SIGNED) FROM people"},
			sql: "SHOW WARNINGS", blocked: true},
		{name: "my-show-warnings-date", family: my, before: []string{"SELECT CAST(ssn AS DATE) FROM people"},
			sql: "SHOW WARNINGS LIMIT 1", blocked: true},
		{name: "my-show-errors-duplicate", family: my,
			before: []string{"INSERT INTO people (id, name, email) SELECT id + 100, name, email FROM people WHERE id = 1"},
			sql:    "SHOW ERRORS", blocked: true},
		{name: "my-explain-json-const-table", family: my,
			sql: "EXPLAIN FORMAT=JSON SELECT n.id FROM people p, notes n WHERE p.id = 1 AND n.body = p.email", blocked: true},
		{name: "my-describe-json-const-table", family: my,
			sql: "DESCRIBE FORMAT=JSON SELECT n.id FROM people p, notes n WHERE p.id = 2 AND n.body = p.ssn", blocked: true},
		{name: "my-analyze-json-const-table", family: my,
			sql: "ANALYZE FORMAT=JSON SELECT n.id FROM people p, notes n WHERE p.id = 1 AND n.body = p.ssn", blocked: true},
		{name: "my-explain-extended-note", family: my,
			before: []string{"EXPLAIN EXTENDED SELECT n.id FROM people p, notes n WHERE p.id = 1 AND n.body = p.email"},
			sql:    "SHOW WARNINGS", blocked: true},
		// A masked column renamed by CHANGE is read under a name no rule
		// selects.
		{name: "my-change-column-rename", family: my, sql: "ALTER TABLE people CHANGE ssn taxid VARCHAR(20)",
			back: []string{"SELECT taxid FROM people"}, blocked: true},
		{name: "my-show-explain-other-connection", family: my, sql: "SHOW EXPLAIN FORMAT=JSON FOR 1", blocked: true},
		{name: "my-show-analyze-other-connection", family: my, sql: "SHOW ANALYZE FOR 1", blocked: true},

		// 8. A view an administrator made earlier (contacts: SELECT id,
		// email AS contact FROM people), and views over it.
		{name: "view", sql: "SELECT contact FROM contacts"},
		{name: "view-star", sql: "SELECT * FROM contacts"},
		{name: "view-alias", sql: "SELECT c.contact AS x FROM contacts c"},
		{name: "view-expression", sql: "SELECT lower(contact) FROM contacts"},
		{name: "view-subquery", sql: "SELECT (SELECT contact FROM contacts WHERE contacts.id = notes.id) FROM notes"},
		{name: "view-over-view", sql: "SELECT c2 FROM contacts2"},
		{name: "view-copy", sql: "INSERT INTO notes (id, body) SELECT id + 200, contact FROM contacts",
			back: []string{"SELECT body FROM notes"}, blocked: true, probe: notesUnchanged},

		// Whole rows, expanded through the catalog.
		{name: "pg-whole-row-view", family: pg, sql: "SELECT json_agg(c) FROM contacts c"},
		{name: "pg-whole-row-derived", family: pg, sql: "SELECT row_to_json(d) FROM (SELECT email AS x FROM people) d"},
		{name: "pg-whole-row-copy", family: pg, sql: "INSERT INTO notes (id, body) SELECT id + 300, row_to_json(p)::text FROM people p",
			back: []string{"SELECT body FROM notes"}, blocked: true, probe: notesUnchanged},

		// 6. Stacked scripts whose first statement returns rows the
		// analysis cannot trace.
		{name: "pg-stacked-returning-function", family: pg,
			sql: "UPDATE people SET name = name WHERE id = 1 RETURNING (SELECT s FROM people_fn() LIMIT 1); SELECT 1 AS id"},
		{name: "my-stacked-into", family: my, sql: "SELECT ssn INTO @w FROM people WHERE id = 1; SELECT @w AS id"},
	}
}

// TestMaskedValueFlow: no seeded value leaves a statement by any channel,
// for a user and for a read-only agent; the statements that would store it
// in state are refused before they run (their side effect did not happen).
func TestMaskedValueFlow(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			l.exec(t, "UPDATE people SET ssn = ssn")
			for _, a := range flowAttacks() {
				if a.family != "" && a.family != b.family {
					continue
				}
				for _, who := range []identity.Identity{dev, bot} {
					t.Run(a.name+"/"+who.Subject, func(t *testing.T) {
						l.flow(t, a, who)
					})
				}
			}
			l.noLeakInTrail(t)
		})
	}
}

func (l *lab) flow(t *testing.T, a flowAttack, who identity.Identity) {
	ctx := as(who)
	c, err := l.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range a.before {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Logf("step %q: %v", q, err)
		}
	}
	m := l.mark()
	got, err := readConn(ctx, c, a.sql)
	check := func(what, s string) {
		if x := leaked(s); x != "" {
			t.Errorf("%s: masked value %q in clear: %.300s", what, x, s)
		}
	}
	check("rows", got)
	check("error", errorText(err))
	if a.blocked {
		if !errors.Is(err, guard.ErrBlocked) {
			t.Errorf("got %v, want a refusal before the statement runs", err)
		} else {
			l.oneRecord(t, m)
		}
	}
	if testing.Verbose() {
		t.Logf("err=%v rows=%.200s", err, got)
	}
	for _, q := range a.back {
		got, err := readConn(ctx, c, q)
		check("read back "+q, got)
		check("read back error "+q, errorText(err))
		// A plain user reads what the attacker may have stored.
		got, err = readConn(as(dev), c, q)
		check("user reads back "+q, got)
		check("user reads back error "+q, errorText(err))
	}
	if a.probe != nil {
		if s := a.probe(l); s != "" {
			t.Errorf("the refused statement had a side effect: %s", s)
		}
	}
}

func rawString(l *lab, q string) string {
	var s sql.NullString
	if err := l.raw.QueryRowContext(context.Background(), q).Scan(&s); err != nil {
		return "error: " + err.Error()
	}
	return s.String
}

func peopleUnchanged(l *lab) string {
	if got := rawString(l, "SELECT email FROM people WHERE id = 1"); got != people[0].email {
		return "people.email of id 1 is now " + got
	}
	if got := rawString(l, "SELECT card FROM people WHERE id = 1"); got != people[0].card {
		return "people.card of id 1 is now " + got
	}
	return ""
}

func notesUnchanged(l *lab) string {
	if got := rawString(l, "SELECT count(*) FROM notes"); got != "1" {
		return "notes holds " + got + " rows"
	}
	return ""
}

func seqUnchanged(l *lab) string {
	if got := rawString(l, "SELECT last_value FROM leak_seq"); got != "1" {
		return "leak_seq is at " + got
	}
	return ""
}

func noAdvisoryLock(l *lab) string {
	if got := rawString(l, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid > 1000000"); got != "0" {
		return got + " advisory locks held"
	}
	return ""
}

// TestFlowBenign: what a masked reader ordinarily sends still runs: reads
// of unmasked columns, catalogs of names and types, a view (masked, not
// refused), subqueries and aggregates over unmasked data.
func TestFlowBenign(t *testing.T) {
	common := []string{
		"SELECT id, name FROM people",
		"SELECT count(*) FROM notes",
		"SELECT id, contact FROM contacts",
		"SELECT c2 FROM contacts2",
		"SELECT n.body, (SELECT count(*) FROM people p WHERE p.id = n.id) FROM notes n",
		"SELECT body FROM notes WHERE id IN (SELECT id FROM people WHERE email LIKE '%example%')",
		"SELECT 1",
		// Results whose lineage is not traced, over nothing masked: a
		// series, a plan.
		"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 5) SELECT n FROM s",
		"EXPLAIN SELECT email FROM people",
	}
	byFamily := map[string][]string{
		pg: {
			"SHOW search_path",
			"SELECT d FROM generate_series(1, 3) AS d",
			"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'people'",
			"SELECT name, setting FROM pg_settings WHERE name = 'search_path'",
			"SELECT relname FROM pg_class WHERE relkind = 'r' LIMIT 5",
		},
		my: {
			"SHOW COLUMNS FROM people",
			"SHOW TABLES",
			"SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_NAME = 'people'",
			"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
			// A plan of unmasked tables, formatted, and a table plan of a
			// masked one.
			"EXPLAIN FORMAT=JSON SELECT body FROM notes WHERE id = 1",
			"EXPLAIN SELECT n.id FROM people p, notes n WHERE p.id = 1 AND n.body = p.email",
		},
		lite: {
			"dev: PRAGMA table_info(people)", // the read-only policy refuses PRAGMA to agents
			"SELECT name, sql FROM sqlite_master WHERE type = 'table'",
		},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			if b.family == pg {
				// A whole row of a table with no masked column is read in
				// clear: the catalog says which columns it has.
				for _, q := range []string{"SELECT row_to_json(n) FROM notes n", "SELECT json_agg(n) FROM notes n"} {
					got, err := l.read(t, dev, q)
					if err != nil || !strings.Contains(got, "nothing to see") {
						t.Errorf("%s: got %q (%v), want the note in clear", q, got, err)
					}
				}
			}
			for _, q := range append(common, byFamily[b.family]...) {
				whos := []identity.Identity{dev, bot}
				if rest, ok := strings.CutPrefix(q, "dev: "); ok {
					q, whos = rest, whos[:1]
				}
				for _, who := range whos {
					got, err := l.read(t, who, q)
					if err != nil {
						t.Errorf("%s as %s: %v", q, who.Subject, err)
					}
					if x := leaked(got); x != "" {
						t.Errorf("%s as %s: masked value %q in clear", q, who.Subject, x)
					}
				}
			}
		})
	}
}

// TestFlowSearchPath: a view that shadows a table on one connection's
// search path is resolved there, although the handle already knows the
// name as a table from its other connections.
func TestFlowSearchPath(t *testing.T) {
	for _, b := range backends() {
		if b.family != pg {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			home := rawString(l, "SELECT current_schema()")
			shadow := home + "_shadow"
			l.exec(t, "CREATE SCHEMA "+shadow,
				"CREATE VIEW "+shadow+".people AS SELECT id, email AS name FROM "+home+".people")
			t.Cleanup(func() { _, _ = l.raw.Exec("DROP SCHEMA " + shadow + " CASCADE") })
			// The handle learns that people is a table.
			if got, err := l.read(t, dev, "SELECT name FROM people"); err != nil || !strings.Contains(got, "Alice") {
				t.Fatalf("plain read: %q (%v)", got, err)
			}
			ctx := as(dev)
			c, err := l.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.ExecContext(ctx, "SET search_path = "+shadow+", "+home); err != nil {
				t.Fatalf("set search_path: %v", err)
			}
			got, err := readConn(ctx, c, "SELECT name FROM people")
			if x := leaked(got); x != "" {
				t.Errorf("the shadowing view returned %q in clear: %s", x, got)
			}
			if err == nil && strings.Contains(got, "Alice") {
				t.Errorf("read the table, not the shadowing view: %s", got)
			}
		})
	}
}

func noReplicationOrigin(l *lab) string {
	if got := rawString(l, "SELECT count(*) FROM pg_replication_origin WHERE roname LIKE '91%'"); got != "0" {
		return got + " replication origins named after a seeded value"
	}
	return ""
}

// TestErrorsKeepNames: for a masked reader, an error keeps the names the
// statement wrote and the names the engine reports (constraint, key), and
// its driver type, so the caller (or an agent) can act on it; the values
// it quotes are redacted.
func TestErrorsKeepNames(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			l.exec(t, "CREATE TABLE items (id INT PRIMARY KEY, sku VARCHAR(20) UNIQUE)", "INSERT INTO items VALUES (1, 'sku-1')")
			ctx := as(dev)
			_, err := l.db.ExecContext(ctx, "INSERT INTO items VALUES (2, 'sku-1')")
			if err == nil {
				t.Fatal("no unique violation")
			}
			switch b.driver {
			case "postgres":
				var pe *pq.Error
				if !errors.As(err, &pe) || pe.Code != "23505" || pe.Constraint == "" || strings.Contains(pe.Constraint, "redacted") {
					t.Errorf("unique violation: %v, want a *pq.Error 23505 naming its constraint", err)
				}
			case "pgx":
				var pe *pgconn.PgError
				if !errors.As(err, &pe) || pe.Code != "23505" || pe.ConstraintName == "" || strings.Contains(pe.ConstraintName, "redacted") {
					t.Errorf("unique violation: %v, want a *pgconn.PgError 23505 naming its constraint", err)
				}
			case "mysql":
				var me *mysql.MySQLError
				if !errors.As(err, &me) || me.Number != 1062 || !strings.Contains(err.Error(), "for key '") {
					t.Errorf("unique violation: %v, want a *mysql.MySQLError 1062 naming its key", err)
				}
			}
			_, err = l.read(t, dev, "SELECT emial FROM people")
			if err == nil || !strings.Contains(err.Error(), "emial") {
				t.Errorf("a misspelt column: %v, want the error to name emial", err)
			}
			// A misspelt table: MariaDB qualifies it with the database
			// ("Table 'test.peple' doesn't exist"), and its apostrophe is
			// no quote.
			_, err = l.read(t, dev, "SELECT id FROM peple")
			if err == nil || !strings.Contains(err.Error(), "peple") || strings.Contains(err.Error(), "redacted") {
				t.Errorf("a misspelt table: %v, want the error to name peple, nothing redacted", err)
			}
			// A value quoted beside a name is still redacted.
			_, err = l.read(t, dev, "SELECT CAST(email AS INT) FROM people")
			if x := leaked(errorText(err)); x != "" {
				t.Errorf("cast error quotes %q: %v", x, err)
			}
		})
	}
}

// TestLateRefusalRecorded: a result set the masker refuses after the
// statement started (a cursor's rows, whose origin the analysis cannot
// tell) is recorded as a denial by rule mask-flow, in the span and the
// black-box record alike.
func TestLateRefusalRecorded(t *testing.T) {
	for _, b := range backends() {
		if b.name != "pq" {
			continue
		}
		l := newLab(t, b)
		ctx := as(dev)
		c, err := l.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ExecContext(ctx, "DECLARE cur CURSOR FOR SELECT email AS x FROM people"); err != nil {
			t.Fatal(err)
		}
		m := l.mark()
		_, err = readConn(ctx, c, "FETCH ALL FROM cur")
		l.denied(t, m, err, "mask-flow")
		_, _ = c.ExecContext(ctx, "ROLLBACK")
	}
}

// TestMaskedFamily: PostgreSQL reads a table's descendants with it
// (INHERITS, partitions). The SSN rule names people.ssn; a developer who
// makes a parent of people, or attaches people as a partition of a table
// of his own, reads the SSNs under the parent's name. The catalog traces a
// table of a family to every relation of it, so the parent's ssn is
// masked, and copying it out is refused (a view over it too); a hierarchy
// a DBA made earlier is traced alike; a partitioned table with nothing
// masked in its family still reads in clear.
func TestMaskedFamily(t *testing.T) {
	const cols = "(id INT, name VARCHAR(40), email VARCHAR(80), ssn VARCHAR(20), card VARCHAR(30))"
	tests := []struct {
		name    string
		steps   []string
		sql     string
		blocked bool
	}{
		{name: "inherit", steps: []string{"CREATE TABLE parent " + cols, "ALTER TABLE people INHERIT parent"},
			sql: "SELECT ssn, email, card FROM parent"},
		{name: "inherit-narrow-parent", steps: []string{"CREATE TABLE parent (id INT, ssn VARCHAR(20))", "ALTER TABLE people INHERIT parent"},
			sql: "SELECT p.ssn AS x FROM parent p"},
		{name: "inherit-star", steps: []string{"CREATE TABLE parent (id INT, ssn VARCHAR(20))", "ALTER TABLE people INHERIT parent"},
			sql: "SELECT * FROM parent"},
		{name: "inherit-whole-row", steps: []string{"CREATE TABLE parent (id INT, ssn VARCHAR(20))", "ALTER TABLE people INHERIT parent"},
			sql: "SELECT row_to_json(p) FROM parent p"},
		{name: "inherit-expression", steps: []string{"CREATE TABLE parent (id INT, ssn VARCHAR(20))", "ALTER TABLE people INHERIT parent"},
			sql: "SELECT replace(ssn, '-', '') FROM parent"},
		{name: "inherit-copy", steps: []string{"CREATE TABLE parent (id INT, ssn VARCHAR(20))", "ALTER TABLE people INHERIT parent"},
			sql: "INSERT INTO notes (id, body) SELECT id + 400, ssn FROM parent", blocked: true},
		{name: "attach-partition", steps: []string{"CREATE TABLE parent " + cols + " PARTITION BY RANGE (id)",
			"ALTER TABLE parent ATTACH PARTITION people FOR VALUES FROM (0) TO (100)"},
			sql: "SELECT ssn FROM parent"},
		{name: "view-over-parent", steps: []string{"CREATE TABLE parent (id INT, ssn VARCHAR(20))", "ALTER TABLE people INHERIT parent",
			"raw: CREATE VIEW pv AS SELECT ssn AS x FROM parent"},
			sql: "SELECT x FROM pv"},
		// A hierarchy a DBA made earlier.
		{name: "made-earlier", steps: []string{"raw: CREATE TABLE parent (id INT, ssn VARCHAR(20))", "raw: ALTER TABLE people INHERIT parent"},
			sql: "SELECT ssn FROM parent"},
	}
	for _, b := range backends() {
		if b.family != pg {
			continue
		}
		for _, tt := range tests {
			t.Run(b.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				l := newLab(t, b)
				ctx := as(dev)
				for _, q := range tt.steps {
					if raw, ok := strings.CutPrefix(q, "raw: "); ok {
						l.exec(t, raw)
						continue
					}
					if _, err := l.db.ExecContext(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				// The engine hands the SSNs to anyone who asks.
				if got := rawString(l, "SELECT ssn FROM parent WHERE id = 1"); got != people[0].ssn {
					t.Fatalf("raw read of the parent: %q, want the SSN: the attack proves nothing", got)
				}
				got, err := l.read(t, dev, tt.sql)
				if x := leaked(got + errorText(err)); x != "" {
					t.Errorf("%s: %q in clear: %.300s %v", tt.sql, x, got, err)
				}
				if tt.blocked && !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("%s: got %v, want a refusal", tt.sql, err)
				}
				if tt.blocked {
					if s := notesUnchanged(l); s != "" {
						t.Errorf("the refused copy had a side effect: %s", s)
					}
				}
				l.noLeakInTrail(t)
			})
		}
		t.Run(b.name+"/benign-partitions", func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			l.exec(t, "CREATE TABLE events (id INT, body VARCHAR(40)) PARTITION BY RANGE (id)",
				"CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (10)",
				"INSERT INTO events VALUES (1, 'nothing to see')")
			for _, q := range []string{"SELECT id, body FROM events", "SELECT body FROM events_1", "SELECT count(*) FROM events",
				"SELECT upper(body) FROM events"} {
				got, err := l.read(t, dev, q)
				if err != nil || !strings.Contains(strings.ToLower(got), "nothing to see") && !strings.Contains(got, "1|") {
					t.Errorf("%s: got %q (%v), want the rows in clear", q, got, err)
				}
			}
		})
	}
}
