package driver_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/driver"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

// The two identities that share one pooled connection: an agent that
// changes the session, a human who must not see what it left.
var (
	agentID = identity.Identity{Kind: identity.KindAgent, Subject: "agent-7",
		Agent: &identity.Agent{Name: "helper", Tool: "run_sql", ToolCallID: "call-1"}}
	humanID = identity.Identity{Kind: identity.KindUser, Subject: "ada"}
)

// A sessionCase is a change of session state made by the agent and what the
// human's next statement on the same connection must read.
type sessionCase struct {
	name  string
	setup []string // run by the agent before the baseline is read
	set   []string // run by the agent: the state change
	check string   // run by the human; must read what it read before set
}

func sessionCases(family string) []sessionCase {
	switch family {
	case "pg":
		return []sessionCase{
			{name: "search_path", set: []string{"SET search_path = pg_catalog"}, check: "SHOW search_path"},
			{name: "temp table shadows", set: []string{
				"CREATE TEMP TABLE people (id int, name text)",
				"INSERT INTO people VALUES (1, 'shadow')",
			}, check: "SELECT name FROM people WHERE id = 1"},
			{name: "set role", set: []string{"SET ROLE " + pgRole}, check: "SELECT current_user"},
			{name: "session authorization", set: []string{"SET SESSION AUTHORIZATION " + pgRole}, check: "SELECT session_user || '/' || current_user"},
			{name: "custom setting", set: []string{"SELECT set_config('app.tenant', 'other', false)"},
				check: "SELECT coalesce(current_setting('app.tenant', true), '')"},
			{name: "advisory lock", set: []string{"SELECT pg_advisory_lock(4242)"},
				check: "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"},
			{name: "prepared statement", set: []string{"PREPARE agent_stmt AS SELECT 1"},
				check: "SELECT count(*) FROM pg_catalog.pg_prepared_statements WHERE from_sql"},
			{name: "prepared statement hidden from the reset", set: []string{
				"PREPARE agent_stmt AS SELECT 1",
				"CREATE TEMP VIEW pg_prepared_statements AS SELECT 'x'::text AS name, false AS from_sql",
				"SET search_path = pg_temp, pg_catalog",
			}, check: "SELECT count(*) FROM pg_catalog.pg_prepared_statements WHERE from_sql"},
			{name: "lexing setting", set: []string{"SET standard_conforming_strings = off"}, check: "SHOW standard_conforming_strings"},
			{name: "transaction begun by text", set: []string{"BEGIN", "INSERT INTO people VALUES (2, 'uncommitted')"},
				check: "SELECT txid_current_if_assigned() IS NULL"},
			// State changed by code the statement's text does not show.
			{name: "view calls set_config", setup: []string{
				"CREATE FUNCTION sp() RETURNS int LANGUAGE sql AS $$ SELECT length(set_config('search_path', 'pg_temp, public', false)) $$",
				"CREATE VIEW v_sp AS SELECT sp() AS x",
			}, set: []string{"SELECT x FROM v_sp"}, check: "SHOW search_path"},
			{name: "trigger sets a setting", setup: []string{
				"CREATE FUNCTION tf() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM set_config('app.t', 'forged', false); RETURN NEW; END$$",
				"CREATE TRIGGER tr BEFORE INSERT ON people FOR EACH ROW EXECUTE FUNCTION tf()",
			}, set: []string{"INSERT INTO people VALUES (3, 'x')"}, check: "SELECT coalesce(current_setting('app.t', true), '')"},
			{name: "column default sets a setting", setup: []string{
				"CREATE FUNCTION df() RETURNS int LANGUAGE sql AS $$ SELECT length(set_config('app.d', 'forged', false)) $$",
				"CREATE TABLE defaults (n int DEFAULT df())",
			}, set: []string{"INSERT INTO defaults DEFAULT VALUES"}, check: "SELECT coalesce(current_setting('app.d', true), '')"},
			{name: "domain check sets a setting", setup: []string{
				"CREATE FUNCTION cf(int) RETURNS boolean LANGUAGE sql AS $$ SELECT set_config('app.c', 'forged', false) IS NOT NULL $$",
				"CREATE DOMAIN checked AS int CHECK (cf(VALUE))",
			}, set: []string{"SELECT 1::checked"}, check: "SELECT coalesce(current_setting('app.c', true), '')"},
			{name: "operator sets a setting", setup: []string{
				"CREATE FUNCTION of(int, int) RETURNS int LANGUAGE sql AS $$ SELECT length(set_config('app.o', 'forged', false)) $$",
				"CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = of)",
			}, set: []string{"SELECT 1 === 2"}, check: "SELECT coalesce(current_setting('app.o', true), '')"},
		}
	case "mysql":
		return []sessionCase{
			{name: "user variable", set: []string{"SET @v = 'secret'"}, check: "SELECT coalesce(@v, 'null')"},
			{name: "user variable by INTO", set: []string{"SELECT name INTO @w FROM people WHERE id = 1"}, check: "SELECT coalesce(@w, 'null')"},
			{name: "temp table shadows", set: []string{
				"CREATE TEMPORARY TABLE people (id int, name text)",
				"INSERT INTO people VALUES (1, 'shadow')",
			}, check: "SELECT name FROM people WHERE id = 1"},
			{name: "sql_mode", set: []string{"SET SESSION sql_mode = 'ANSI_QUOTES'"}, check: "SELECT @@SESSION.sql_mode"},
			{name: "advisory lock", set: []string{"SELECT GET_LOCK('sqlvigil_session_test', 0)"},
				check: "SELECT coalesce(IS_USED_LOCK('sqlvigil_session_test') = CONNECTION_ID(), 0)"},
			{name: "use", setup: []string{"CREATE DATABASE IF NOT EXISTS sqlvigil_session_other"},
				set: []string{"USE sqlvigil_session_other"}, check: "SELECT DATABASE()"},
			// State changed by stored code the statement's text does not show.
			{name: "view's function sets a user variable", setup: []string{
				"CREATE FUNCTION sv() RETURNS INT DETERMINISTIC BEGIN SET @sv = 'forged'; RETURN 1; END",
				"CREATE VIEW v_sv AS SELECT sv() AS x",
			}, set: []string{"SELECT x FROM v_sv"}, check: "SELECT coalesce(@sv, 'null')"},
			{name: "trigger sets a user variable", setup: []string{
				"CREATE TRIGGER tr BEFORE INSERT ON people FOR EACH ROW SET @tv = 'forged'",
			}, set: []string{"INSERT INTO people VALUES (3, 'x')"}, check: "SELECT coalesce(@tv, 'null')"},
		}
	default:
		return []sessionCase{
			{name: "foreign_keys", set: []string{"PRAGMA foreign_keys = ON"}, check: "PRAGMA foreign_keys"},
			{name: "query_only", set: []string{"PRAGMA query_only = 1"}, check: "PRAGMA query_only"},
			{name: "query_only over a temp table", set: []string{
				"CREATE TEMP TABLE people (id int, name text)",
				"INSERT INTO temp.people VALUES (1, 'shadow')",
				"PRAGMA query_only = 1",
			}, check: "SELECT name FROM people WHERE id = 1"},
			{name: "temp table shadows", set: []string{
				"CREATE TEMP TABLE people (id int, name text)",
				"INSERT INTO temp.people VALUES (1, 'shadow')",
			}, check: "SELECT name FROM people WHERE id = 1"},
			{name: "attach", set: []string{"ATTACH DATABASE ':memory:' AS other"},
				check: "SELECT count(*) FROM pragma_database_list WHERE name NOT IN ('main', 'temp')"},
		}
	}
}

// pgRole is a role created for the PostgreSQL cases.
var pgRole = "sqlvigil_session_r"

func ensurePGRole(t *testing.T) {
	t.Helper()
	admin, err := sql.Open("postgres", testdb.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	_, err = admin.Exec("DO $$BEGIN CREATE ROLE " + pgRole + " NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END$$")
	if err != nil {
		t.Fatal(err)
	}
}

// sessionTargets are the real drivers, one configuration each.
func sessionTargets() []target {
	var out []target
	for _, tg := range targets() {
		if tg.name != "mysql interpolateParams" {
			out = append(out, tg)
		}
	}
	return out
}

func openSession(t *testing.T, tg target, rec *tracetest.SpanRecorder) *sql.DB {
	t.Helper()
	db, err := sqlvigil.Open(tg.driver, tg.dsn(t), activeOptions(t, rec)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	ctx := identity.NewContext(context.Background(), agentID)
	for _, q := range []string{"CREATE TABLE people (id int, name text)", "INSERT INTO people VALUES (1, 'real')"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

func readOne(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, query string) (string, error) {
	var v any
	if err := q.QueryRowContext(ctx, query).Scan(&v); err != nil {
		return "", err
	}
	if b, ok := v.([]byte); ok {
		return string(b), nil
	}
	return fmt.Sprint(v), nil
}

// TestSessionResetAcrossIdentities: on a pool of one connection, the state
// the agent leaves is gone when the human's statement runs, for every
// driver; and the reset is recorded.
func TestSessionResetAcrossIdentities(t *testing.T) {
	ensurePGRole(t)
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	for _, tg := range sessionTargets() {
		t.Run(tg.name, func(t *testing.T) {
			for _, tt := range sessionCases(tg.family) {
				t.Run(tt.name, func(t *testing.T) {
					rec := tracetest.NewSpanRecorder()
					db := openSession(t, tg, rec)
					for _, q := range tt.setup {
						if _, err := db.ExecContext(agent, q); err != nil {
							t.Fatalf("%s: %v", q, err)
						}
					}
					want, err := readOne(human, db, tt.check)
					if err != nil {
						t.Fatalf("baseline %s: %v", tt.check, err)
					}
					for _, q := range tt.set {
						if _, err := db.ExecContext(agent, q); err != nil {
							t.Fatalf("%s: %v", q, err)
						}
					}
					got, err := readOne(human, db, tt.check)
					if err != nil {
						t.Fatalf("%s: %v", tt.check, err)
					}
					if got != want {
						t.Errorf("human read %q after the agent's change, want %q as before", got, want)
					}
					// pgx closes a connection left in a transaction itself.
					wantSpan := map[string]bool{"RESET SESSION": tg.family != "mysql",
						"DISCARD CONNECTION": tg.family == "mysql" || tg.name == "pgx" && tt.name == "transaction begun by text"}
					var found, forHuman bool
					for _, s := range rec.Ended() {
						if wantSpan[s.Name()] {
							found = true
							if s.Status().Code.String() == "Error" {
								t.Errorf("reset span: status %v %q", s.Status().Code, s.Status().Description)
							}
							attrs := map[string]string{}
							for _, kv := range s.Attributes() {
								attrs[string(kv.Key)] = kv.Value.Emit()
							}
							if attrs["sqlvigil.method"] != "reset" {
								t.Errorf("reset span: method %q, want reset", attrs["sqlvigil.method"])
							}
							// The identity about to use the connection. (A check
							// that calls a function not known to be pure marks
							// the connection too, so the agent may get one.)
							forHuman = forHuman || attrs["user.id"] == humanID.Subject
						}
					}
					if !found {
						t.Errorf("none of %v recorded", wantSpan)
					} else if !forHuman && !wantSpan["DISCARD CONNECTION"] {
						t.Errorf("no reset recorded under %q, who was about to use the connection", humanID.Subject)
					}
				})
			}
		})
	}
}

// TestSessionResetKeepsPreparedStatements: a statement prepared through
// the driver before the reset still runs after it (PostgreSQL resets in
// place without DEALLOCATE ALL).
func TestSessionResetKeepsPreparedStatements(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	for _, tg := range sessionTargets() {
		t.Run(tg.name, func(t *testing.T) {
			db := openSession(t, tg, nil)
			stmt, err := db.PrepareContext(human, tg.q("SELECT name FROM people WHERE id = $1"))
			if err != nil {
				t.Fatal(err)
			}
			defer stmt.Close()
			set := sessionCases(tg.family)[0].set[0]
			for range 3 {
				if _, err := db.ExecContext(agent, set); err != nil {
					t.Fatal(err)
				}
				var name string
				if err := stmt.QueryRowContext(human, 1).Scan(&name); err != nil {
					t.Fatalf("prepared statement after a reset: %v", err)
				}
				if name != "real" {
					t.Fatalf("got %q, want real", name)
				}
				// pgx keeps this text prepared in its statement cache.
				if err := db.QueryRowContext(human, tg.q("SELECT name FROM people WHERE id = $1"), 1).Scan(&name); err != nil {
					t.Fatalf("cached statement after a reset: %v", err)
				}
			}
		})
	}
}

// TestSessionHeldConnection: on a connection held with sql.Conn, state
// serves the identity that set it; another identity's statement finds the
// session reset (PostgreSQL, SQLite) or is refused (MySQL, whose session
// resets only by closing the connection).
func TestSessionHeldConnection(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	for _, tg := range sessionTargets() {
		t.Run(tg.name, func(t *testing.T) {
			db := openSession(t, tg, nil)
			tt := sessionCases(tg.family)[0]
			conn, err := db.Conn(agent)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			want, err := readOne(agent, conn, tt.check)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(agent, tt.set[0]); err != nil {
				t.Fatal(err)
			}
			mine, err := readOne(agent, conn, tt.check)
			if err != nil {
				t.Fatal(err)
			}
			if mine == want {
				t.Fatalf("the agent does not see its own change on its held connection: %q", mine)
			}
			got, err := readOne(human, conn, tt.check)
			if tg.family == "mysql" {
				if !errors.Is(err, driver.ErrSessionState) || !errors.Is(err, guard.ErrBlocked) {
					t.Fatalf("human on the agent's held connection: got %q, %v; want ErrSessionState", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("human read %q on the held connection, want %q", got, want)
			}
		})
	}
}

// TestSessionHeldConnectionBeginTx: a transaction another identity begins
// on a held connection the agent left dirty starts on a reset session
// (PostgreSQL, SQLite), or is refused (MySQL).
func TestSessionHeldConnectionBeginTx(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	for _, tg := range sessionTargets() {
		t.Run(tg.name, func(t *testing.T) {
			db := openSession(t, tg, nil)
			tt := sessionCases(tg.family)[0]
			conn, err := db.Conn(agent)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			want, err := readOne(agent, conn, tt.check)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(agent, tt.set[0]); err != nil {
				t.Fatal(err)
			}
			tx, err := conn.BeginTx(human, nil)
			if tg.family == "mysql" {
				if !errors.Is(err, driver.ErrSessionState) {
					t.Fatalf("human begins on the agent's held connection: got %v, want ErrSessionState", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			got, err := readOne(human, tx, tt.check)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("human read %q in its transaction, want %q", got, want)
			}
		})
	}
}

// TestSessionInTransaction: a statement of another identity inside a
// transaction whose session was changed is refused, as the session cannot
// be reset without ending the transaction.
func TestSessionInTransaction(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	tg := sessionTargets()[0] // lib/pq
	db := openSession(t, tg, nil)
	tx, err := db.BeginTx(agent, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(agent, "SET LOCAL search_path = pg_catalog"); err != nil {
		t.Fatal(err)
	}
	_, err = tx.ExecContext(human, "SELECT 1")
	var se *driver.SessionStateError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *SessionStateError", err)
	}
}

// TestSessionSQLiteDiscard: a PRAGMA sqlvigil cannot restore makes the
// connection be closed before it serves again (a file database survives
// it; an in-memory one would not).
func TestSessionSQLiteDiscard(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	rec := tracetest.NewSpanRecorder()
	dsn := "file:" + filepath.Join(t.TempDir(), "s.db")
	db, err := sqlvigil.Open("sqlite", dsn, activeOptions(t, rec)...)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	want, err := readOne(human, db, "SELECT 'a' LIKE 'A'")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(agent, "PRAGMA case_sensitive_like = ON"); err != nil {
		t.Fatal(err)
	}
	got, err := readOne(human, db, "SELECT 'a' LIKE 'A'")
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("human read %q, want %q", got, want)
	}
	var found bool
	for _, s := range rec.Ended() {
		found = found || s.Name() == "DISCARD CONNECTION"
	}
	if !found {
		t.Error("no DISCARD CONNECTION span recorded")
	}
}

// TestSessionTransactionOfAnotherIdentity: a transaction is session state
// (rows written and not committed, locks, a snapshot): a statement of
// another identity inside a transaction the agent began is refused, on a
// pooled transaction and on a held connection, whatever the agent did in
// it; the agent's own statements still run.
func TestSessionTransactionOfAnotherIdentity(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	for _, tg := range sessionTargets() {
		for _, held := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/held=%v", tg.name, held), func(t *testing.T) {
				db := openSession(t, tg, nil)
				begin := db.BeginTx
				if held {
					conn, err := db.Conn(agent)
					if err != nil {
						t.Fatal(err)
					}
					defer conn.Close()
					begin = conn.BeginTx
				}
				tx, err := begin(agent, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				if _, err := tx.ExecContext(agent, "INSERT INTO people VALUES (2, 'uncommitted')"); err != nil {
					t.Fatal(err)
				}
				got, err := readOne(human, tx, "SELECT count(*) FROM people")
				var se *driver.SessionStateError
				if !errors.As(err, &se) || !errors.Is(err, guard.ErrBlocked) {
					t.Fatalf("human in the agent's transaction: got %q, %v; want ErrSessionState", got, err)
				}
				if got, err := readOne(agent, tx, "SELECT count(*) FROM people"); err != nil || got != "2" {
					t.Errorf("agent in its own transaction: got %q, %v; want 2", got, err)
				}
			})
		}
	}
}

// TestSessionPreviousStatementValues: values a statement leaves for the
// next one to read (SQLite last_insert_rowid and changes, MySQL
// FOUND_ROWS, ROW_COUNT and the warnings, which quote the values an
// earlier statement converted) survive any reset in place: the human's read
// of them right after the agent's statement on the same connection is
// refused, and the agent's own read is not.
func TestSessionPreviousStatementValues(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	cases := map[string][][2]string{
		"sqlite": {
			{"INSERT INTO people VALUES (2, 'x')", "SELECT last_insert_rowid()"},
			{"UPDATE people SET name = name", "SELECT changes()"},
			{"UPDATE people SET name = name", "SELECT total_changes()"},
		},
		"mysql": {
			{"SELECT SQL_CALC_FOUND_ROWS id FROM people LIMIT 0", "SELECT FOUND_ROWS()"},
			{"UPDATE people SET name = 'y' WHERE id = 1", "SELECT ROW_COUNT()"},
			{"INSERT INTO people VALUES (2, 'x')", "SELECT @@identity"},
			{"SELECT CAST(name AS INT) FROM people", "SHOW WARNINGS"},
			{"SELECT CAST(name AS INT) FROM people", "SELECT @@session . `warning_count`"},
		},
	}
	for _, tg := range sessionTargets() {
		for _, tt := range cases[tg.family] {
			t.Run(tg.name+"/"+tt[1], func(t *testing.T) {
				db := openSession(t, tg, nil)
				for _, who := range []context.Context{agent, human} {
					if _, err := db.ExecContext(agent, tt[0]); err != nil {
						t.Fatal(err)
					}
					rows, err := db.QueryContext(who, tt[1])
					if err == nil {
						rows.Close()
					}
					if who == agent && err != nil {
						t.Fatalf("the agent reads its own statement's %s: %v", tt[1], err)
					}
					if who == human && !errors.Is(err, driver.ErrSessionState) {
						t.Errorf("the human reads the agent's statement's %s: got %v, want ErrSessionState", tt[1], err)
					}
				}
				// Only such reads are refused.
				if _, err := readOne(human, db, "SELECT count(*) FROM people"); err != nil {
					t.Errorf("the human's plain read after the agent's statement: %v", err)
				}
			})
		}
	}
}

// TestSessionSQLiteMemoryKept: an in-memory SQLite database lives in its
// connections, so closing one to clear what the agent left would lose the
// database: two allowed calls must not add up to a destroyed database. A
// change of session that cannot be undone in place is refused there, and
// the data is still there for the human.
func TestSessionSQLiteMemoryKept(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	for _, change := range []string{
		"PRAGMA case_sensitive_like = ON",
		"BEGIN",
		"SAVEPOINT s",
		"PRAGMA main.cache_size = 7; PRAGMA legacy_file_format = 1",
		// Not fully read by the analyser, yet run by SQLite.
		"PRAGMA case_sensitive_like = ON; SELECT 1 FROM people WHERE name GLOB '[[]'",
	} {
		t.Run(change, func(t *testing.T) {
			dsn := "file:" + sanitize(t.Name()) + "?mode=memory&cache=shared"
			db, err := sqlvigil.Open("sqlite", dsn, activeOptions(t, nil)...)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			for _, q := range []string{"CREATE TABLE people (id int, name text)", "INSERT INTO people VALUES (1, 'real')"} {
				if _, err := db.ExecContext(human, q); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.ExecContext(agent, change); err != nil && !errors.Is(err, driver.ErrSessionState) {
				t.Fatalf("%s: got %v, want it run or refused with ErrSessionState", change, err)
			}
			got, err := readOne(human, db, "SELECT name FROM people WHERE id = 1")
			if err != nil || got != "real" {
				t.Errorf("human after the agent's %s: got %q, %v; want the database as it was", change, got, err)
			}
			// Reading a PRAGMA, of any schema, changes nothing: not refused.
			if _, err := readOne(agent, db, "PRAGMA temp.cache_size"); err != nil {
				t.Errorf("the agent reads PRAGMA temp.cache_size: %v", err)
			}
		})
	}
}

// TestSessionStoredCodeLearnedLate: the handle learns that a MySQL table
// runs no stored code; a procedure then turns it into a view that sets a
// user variable. What the handle learnt is forgotten with the CALL, so the
// agent's next read of it marks its session, and the human does not see
// the variable.
func TestSessionStoredCodeLearnedLate(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	for _, tg := range sessionTargets() {
		if tg.family != "mysql" {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			db := openSession(t, tg, nil)
			steps := []struct {
				ctx context.Context
				q   string
			}{
				{agent, "CREATE FUNCTION sl() RETURNS INT DETERMINISTIC BEGIN SET @sl = 'forged'; RETURN 1; END"},
				{agent, "CREATE PROCEDURE mk() BEGIN DROP TABLE late; CREATE VIEW late AS SELECT sl() AS x; END"},
				{agent, "CREATE TABLE late (x int)"},
				{human, "SELECT 1"}, // a connection on which names resolve as on any other
				{agent, "SELECT x FROM late"},
				{agent, "CALL mk()"},
				{human, "SELECT 1"},
				{agent, "SELECT x FROM late"},
			}
			for _, st := range steps {
				if _, err := db.ExecContext(st.ctx, st.q); err != nil {
					t.Fatalf("%s: %v", st.q, err)
				}
			}
			if got, err := readOne(human, db, "SELECT coalesce(@sl, 'null')"); err != nil || got != "null" {
				t.Errorf("human read @sl = %q (%v), want null: the view's function ran in the agent's session", got, err)
			}
		})
	}
}

// TestSessionRandomSeed: neither RESET ALL nor DISCARD ALL undoes
// PostgreSQL's setseed, so the agent could choose the human's next
// random() values on the connection; the reset seeds it again.
func TestSessionRandomSeed(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	for _, tg := range sessionTargets() {
		if tg.family != "pg" {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			db := openSession(t, tg, nil)
			raw, err := sql.Open(tg.driver, tg.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			conn, err := raw.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(context.Background(), "SELECT setseed(0.25)"); err != nil {
				t.Fatal(err)
			}
			chosen, err := readOne(context.Background(), conn, "SELECT random()")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(agent, "SELECT setseed(0.25)"); err != nil {
				t.Fatal(err)
			}
			got, err := readOne(human, db, "SELECT random()")
			if err != nil {
				t.Fatal(err)
			}
			if got == chosen {
				t.Errorf("the human's random() is %s, the value the agent's seed chose", got)
			}
		})
	}
}

// TestSessionCharsetArgsBoundByServer: go-sql-driver/mysql with
// interpolateParams escapes argument values for the character set of its
// DSN. After the agent's SET NAMES gbk on the same connection, the server
// reads 0xbf and the driver's backslash as one character, so the quote
// after them ends the string and the rest of the value runs as code: two
// allowed calls dropped a table that the policy protects. The arguments of
// every later statement on that connection are bound by the server, and
// still find their rows.
func TestSessionCharsetArgsBoundByServer(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	for _, tg := range targets() {
		if tg.family != "mysql" {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			p, err := guard.New(guard.WithEnvironment("production"),
				guard.WithRules(guard.DestructiveDDL("production"), guard.StackedStatements()))
			if err != nil {
				t.Fatal(err)
			}
			db := openWith(t, tg, sqlvigil.WithPolicy(p), sqlvigil.WithEnvironment("production"))
			db.SetMaxOpenConns(1)
			mustExec(t, db, "CREATE TABLE victim (id int, name varchar(20))")
			mustExec(t, db, "INSERT INTO victim VALUES (1, 'a')")
			if _, err := db.ExecContext(agent, "SET NAMES gbk"); err != nil {
				t.Fatal(err)
			}
			_, err = db.ExecContext(agent, "SELECT id FROM victim WHERE ? IS NOT NULL", "\xbf' OR 1=1; DROP TABLE victim; -- ")
			t.Logf("the value as an argument: %v", err)
			got, err := readOne(agent, db, "SELECT count(*) FROM victim")
			if err != nil || got != "1" {
				t.Fatalf("victim after the argument: %q, %v; want it intact", got, err)
			}
			var id int
			if err := db.QueryRowContext(agent, "SELECT id FROM victim WHERE name = ?", "a").Scan(&id); err != nil || id != 1 {
				t.Errorf("a plain argument after SET NAMES: got %d, %v; want 1", id, err)
			}
		})
	}
}

// TestSessionHeldTextTransaction: on a connection held across identities,
// the agent's transaction begun by text is not rolled back under it by the
// reset the human's statement would need: the human is refused until the
// agent ends it, and the agent's COMMIT commits what it did.
func TestSessionHeldTextTransaction(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	for _, tg := range sessionTargets() {
		if tg.family == "sqlite" {
			continue // BEGIN by text is refused on an in-memory database
		}
		t.Run(tg.name, func(t *testing.T) {
			db := openSession(t, tg, nil)
			conn, err := db.Conn(agent)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, q := range []string{"BEGIN", "INSERT INTO people VALUES (2, 'in the transaction')"} {
				if _, err := conn.ExecContext(agent, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if _, err := conn.ExecContext(human, "SELECT 1"); !errors.Is(err, driver.ErrSessionState) {
				t.Errorf("human in the agent's open transaction: got %v, want ErrSessionState", err)
			}
			if _, err := conn.ExecContext(agent, "COMMIT"); err != nil {
				t.Fatal(err)
			}
			if got, err := readOne(agent, conn, "SELECT count(*) FROM people"); err != nil || got != "2" {
				t.Errorf("after the agent's COMMIT: got %q rows, %v; want 2", got, err)
			}
			if _, err := conn.ExecContext(human, "SELECT 1"); err != nil && tg.family == "pg" {
				t.Errorf("human after the transaction ended: %v", err)
			}
		})
	}
}

// TestSessionReadOfTableWithTriggers: reading a MySQL table fires none of
// its triggers, so it leaves the held connection usable by the human;
// writing it does not.
func TestSessionReadOfTableWithTriggers(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	for _, tg := range sessionTargets() {
		if tg.family != "mysql" {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			db := openSession(t, tg, nil)
			mustExec(t, db, "CREATE TRIGGER tr BEFORE INSERT ON people FOR EACH ROW SET @tv = 'forged'")
			conn, err := db.Conn(agent)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(agent, "SELECT name FROM people"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(human, "SELECT 1"); err != nil {
				t.Errorf("human after the agent's read: %v", err)
			}
			if _, err := conn.ExecContext(agent, "INSERT INTO people VALUES (2, 'x')"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(human, "SELECT 1"); !errors.Is(err, driver.ErrSessionState) {
				t.Errorf("human after the agent's write: got %v, want ErrSessionState", err)
			}
		})
	}
}
