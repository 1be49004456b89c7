package guard_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

// backend is a real server the guard is tested against, through the
// wrapped driver.
type backend struct {
	name, driver string
	dsn          func(testing.TB) string
	ph           func(string) string // "$1" placeholders to the dialect's
	// blocked lists, per rule, statements of this dialect the rule blocks.
	blocked []blockedCase
}

type blockedCase struct {
	rule string
	sql  string
	who  identity.Identity
}

var (
	dev   = identity.Identity{Kind: identity.KindUser, Subject: "dev-1", Roles: []string{"dev"}}
	robot = identity.Identity{Kind: identity.KindAgent, Subject: "agent-1", Agent: &identity.Agent{Name: "helper"}}
)

func dollar(q string) string { return q }

func question(q string) string {
	for _, n := range []string{"$1", "$2", "$3"} {
		q = strings.ReplaceAll(q, n, "?")
	}
	return q
}

// common lists statements that every dialect spells alike.
func common(extra ...blockedCase) []blockedCase {
	return append([]blockedCase{
		{"destructive-ddl", "DROP TABLE items", dev},
		{"destructive-ddl", "ALTER TABLE items DROP COLUMN secret", dev},
		{"missing-where", "DELETE FROM items", dev},
		{"missing-where", "UPDATE items SET name = 'x' WHERE 1 = 1", dev},
		{"missing-where", "DELETE FROM items WHERE id = id", dev},
		{"missing-where", "DELETE FROM items WHERE NOT (1=0)", dev},
		{"missing-where", "DELETE FROM items WHERE 2 > 1", dev},
		{"missing-where", "DELETE FROM items WHERE 1 IN (1,2)", dev},
		{"missing-where", "DELETE FROM items WHERE EXISTS (SELECT 1)", dev},
		{"missing-where", "UPDATE items SET name = 'x' WHERE (SELECT 1) = 1", dev},
		{"missing-where", "DELETE FROM items WHERE coalesce(1,0)=1", dev},
		{"missing-where", "DELETE FROM items WHERE 'a' LIKE '%'", dev},
		{"missing-where", "UPDATE items SET name = 'x' WHERE id = 1 OR id <> 1", dev},
		{"missing-where", "DELETE FROM items WHERE id IN (SELECT id FROM items)", dev},
		{"missing-where", "DELETE FROM items WHERE id = 1 OR EXISTS (SELECT 1 FROM vault v WHERE v.id = 1)", identity.Identity{Kind: identity.KindUser, Subject: "ops"}},
		{"stacked", "SELECT 1; DROP TABLE items", dev},
		{"read-only", "INSERT INTO items VALUES (9, 'n', 's')", robot},
		{"read-only", "UPDATE items SET name = 'x' WHERE id = 1", robot},
		{"tables", "SELECT note FROM vault", dev},
		{"tables", "SELECT i.name FROM items i JOIN vault v ON v.id = i.id", dev},
		{"require-identity", "SELECT name FROM items", identity.Identity{}},
		{"unknown", "SELECT name FROM items WHERE name = 'unterminated", dev},
	}, extra...)
}

func backends() []backend {
	return []backend{
		{
			name: "postgresql", driver: "postgres", dsn: func(t testing.TB) string { return testdb.Postgres(t) }, ph: dollar,
			blocked: common(
				blockedCase{"destructive-ddl", "TRUNCATE items", dev},
				blockedCase{"missing-where", "WITH d AS (DELETE FROM items RETURNING id) SELECT count(*) FROM d", dev},
				blockedCase{"missing-where", "EXPLAIN ANALYZE DELETE FROM items", dev},
				// The CTE deletes every row; the outer WHERE restricts only the outer DELETE.
				blockedCase{"missing-where", "WITH d AS (DELETE FROM items RETURNING id) DELETE FROM vault WHERE id = 1", dev},
				blockedCase{"missing-where", "WITH d AS (UPDATE items SET name = 'x' RETURNING id) UPDATE vault SET note = 'y' WHERE id = 1", identity.Identity{Kind: identity.KindUser, Subject: "ops"}},
				blockedCase{"missing-where", "DELETE FROM items WHERE 1::bool", dev},
				blockedCase{"missing-where", "DELETE FROM items WHERE id IS NOT DISTINCT FROM id", dev},
				blockedCase{"dangerous", "CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$DELETE FROM items$$", dev},
				blockedCase{"dangerous", "CREATE RULE wipe_r AS ON INSERT TO vault DO ALSO DELETE FROM items", dev},
				blockedCase{"dangerous", "COPY items (id) FROM '/etc/hostname'", dev},
				blockedCase{"read-only", "CALL no_such_procedure()", robot},
				blockedCase{"dangerous", "LOAD 'auto_explain'", dev},
				blockedCase{"dangerous", "CREATE TABLE loot (x text DEFAULT pg_read_file('/etc/hostname'))", dev},
				blockedCase{"privileges", "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'", dev},
				blockedCase{"dangerous", "SELECT pg_sleep(0)", dev},
				blockedCase{"dangerous", "SELECT pg_read_file('/etc/passwd')", dev},
				blockedCase{"dangerous", "COPY items TO PROGRAM 'cat'", dev},
				blockedCase{"dangerous", "COPY items FROM '/etc/hostname'", dev},
				blockedCase{"dangerous", "SELECT lo_import('/etc/passwd')", dev},
				blockedCase{"privileges", "GRANT SELECT ON items TO PUBLIC", dev},
				blockedCase{"privileges", "SET ROLE postgres", dev},
				blockedCase{"privileges", "CREATE ROLE intruder", dev},
				blockedCase{"lexing-settings", "SET standard_conforming_strings = off", dev},
				// set_config may set role too: the privileges rule, earlier
				// in the policy, denies it first.
				blockedCase{"privileges", "SELECT set_config('standard_conforming_strings', 'off', false)", dev},
				blockedCase{"stacked", "SELECT 1 AS x$$; DROP TABLE items; --$$", dev},
				blockedCase{"read-only", "SELECT nextval('items_seq')", robot},
			),
		},
		{
			name: "mariadb", driver: "mysql", dsn: func(t testing.TB) string { return testdb.MySQL(t, "multiStatements=true") }, ph: question,
			blocked: common(
				blockedCase{"destructive-ddl", "TRUNCATE items", dev},
				blockedCase{"missing-where", "UPDATE items SET name = 'x' WHERE 1", dev},
				blockedCase{"missing-where", "UPDATE items SET name = 'x' WHERE id IS NOT NULL OR 1", dev},
				blockedCase{"missing-where", "DELETE FROM items WHERE '1'", dev},
				blockedCase{"dangerous", "SELECT SLEEP(0)", dev},
				blockedCase{"dangerous", "SELECT BENCHMARK(1, MD5('a'))", dev},
				blockedCase{"dangerous", "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE items", dev},
				blockedCase{"dangerous", "SELECT name FROM items INTO OUTFILE '/tmp/sqlvigil-out'", dev},
				blockedCase{"privileges", "GRANT SELECT ON items TO 'nobody'@'%'", dev},
				blockedCase{"lexing-settings", "SET SESSION sql_mode = 'ANSI_QUOTES'", dev},
				blockedCase{"lexing-settings", "SET NAMES gbk", dev},
				blockedCase{"stacked", "SELECT 1 --1; DROP TABLE items", dev},
			),
		},
		{
			name: "sqlite", driver: "sqlite", dsn: func(t testing.TB) string { return testdb.SQLite(t) }, ph: question,
			blocked: common(
				blockedCase{"dangerous", "ATTACH DATABASE ':memory:' AS other", dev},
				blockedCase{"dangerous", "SELECT load_extension('x')", dev},
				blockedCase{"dangerous", "CREATE TRIGGER wipe AFTER INSERT ON vault BEGIN DELETE FROM items; END", dev},
				blockedCase{"missing-where", "DELETE FROM items WHERE name GLOB '*'", dev},
			),
		},
	}
}

// paths runs one statement on each database/sql path; each returns the
// statement's error. After a denial, the transaction and the connection
// paths check that the connection is still usable and roll back.
type path struct {
	name string
	run  func(ctx context.Context, t *testing.T, db *sql.DB, q string, args ...any) error
}

func paths() []path {
	return []path{
		{"Exec", func(ctx context.Context, _ *testing.T, db *sql.DB, q string, args ...any) error {
			_, err := db.ExecContext(ctx, q, args...)
			return err
		}},
		{"Query", func(ctx context.Context, _ *testing.T, db *sql.DB, q string, args ...any) error {
			rows, err := db.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			if err := rows.Err(); err != nil {
				rows.Close()
				return err
			}
			return rows.Close()
		}},
		{"QueryRow", func(ctx context.Context, _ *testing.T, db *sql.DB, q string, args ...any) error {
			var v any
			err := db.QueryRowContext(ctx, q, args...).Scan(&v)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return err
		}},
		{"Prepare", func(ctx context.Context, _ *testing.T, db *sql.DB, q string, args ...any) error {
			st, err := db.PrepareContext(ctx, q)
			if err != nil {
				return errPrepare{err}
			}
			defer st.Close()
			_, err = st.ExecContext(ctx, args...)
			return err
		}},
		{"Tx", func(ctx context.Context, t *testing.T, db *sql.DB, q string, args ...any) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tx.ExecContext(ctx, q, args...)
			if err != nil {
				var one int
				if e := tx.QueryRowContext(usable(ctx), "SELECT 1").Scan(&one); e != nil || one != 1 {
					t.Errorf("transaction unusable after a denial: %v", e)
				}
				if e := tx.Rollback(); e != nil {
					t.Errorf("rollback after a denial: %v", e)
				}
				return err
			}
			return tx.Commit()
		}},
		{"Conn", func(ctx context.Context, t *testing.T, db *sql.DB, q string, args ...any) error {
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.ExecContext(ctx, q, args...)
			if err != nil {
				var one int
				if e := c.QueryRowContext(usable(ctx), "SELECT 1").Scan(&one); e != nil || one != 1 {
					t.Errorf("connection unusable after a denial: %v", e)
				}
			}
			return err
		}},
	}
}

// usable is ctx with an identity that may run "SELECT 1", to check that a
// connection still works after a denial.
func usable(ctx context.Context) context.Context { return identity.NewContext(ctx, dev) }

// errPrepare marks an error from the server while preparing: the statement
// never ran (the policy decides when a prepared statement executes).
type errPrepare struct{ error }

func (e errPrepare) Unwrap() error { return e.error }

// entries collects audit records of statements.
type entries struct {
	mu  sync.Mutex
	all []audit.Entry
}

func (e *entries) sink() audit.Sink {
	return audit.SinkFunc(func(_ context.Context, en *audit.Entry) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.all = append(e.all, *en)
		return nil
	})
}

func (e *entries) find(f func(audit.Entry) bool) (audit.Entry, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.all) - 1; i >= 0; i-- {
		if f(e.all[i]) {
			return e.all[i], true
		}
	}
	return audit.Entry{}, false
}

// setup opens the raw and the wrapped database, with a table items of 3
// rows and a table vault.
func setup(t *testing.T, b backend, p *guard.Policy, rec *entries) (raw, db *sql.DB) {
	t.Helper()
	dsn := b.dsn(t)
	raw, err := sql.Open(b.driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	for _, q := range []string{
		"CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), secret VARCHAR(40))",
		"INSERT INTO items VALUES (1, 'a', 's1'), (2, 'b', 's2'), (3, 'c', 's3')",
		"CREATE TABLE vault (id INT, note VARCHAR(40))",
		// Not empty: go-sql-driver/mysql v1.10.1 never returns from an Exec
		// of a prepared SELECT with an empty result on MariaDB 10.11.
		"INSERT INTO vault VALUES (1, 'n')",
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if b.driver == "postgres" {
		if _, err := raw.Exec("CREATE SEQUENCE items_seq"); err != nil {
			t.Fatal(err)
		}
	}
	opts := []sqlvigil.Option{sqlvigil.WithPolicy(p), sqlvigil.WithEnvironment("production")}
	if rec != nil {
		a, err := audit.New(audit.WithSink(rec.sink()))
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, sqlvigil.WithAuditor(a))
	}
	db, err = sqlvigil.Open(b.driver, dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	return raw, db
}

func realPolicy(t *testing.T) *guard.Policy {
	return mustPolicy(t, guard.WithRules(
		guard.RequireIdentity(),
		guard.StackedStatements(),
		guard.DestructiveDDL("production"),
		guard.MissingWhere(),
		guard.DangerousCalls(),
		guard.PrivilegeChanges(),
		guard.LexingSettings(),
		guard.ReadOnly(guard.Who{Kinds: []identity.Kind{identity.KindAgent}}),
		guard.Tables(guard.TableAccess{Who: guard.Who{Roles: []string{"dev"}}, Deny: []string{"vault"}}),
	))
}

// intact reports whether items still holds its 3 rows, unchanged.
func intact(t *testing.T, raw *sql.DB) {
	t.Helper()
	var n int
	var names string
	rows, err := raw.Query("SELECT name FROM items ORDER BY id")
	if err != nil {
		t.Fatalf("items: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		n++
		names += s
	}
	if n != 3 || names != "abc" {
		t.Fatalf("items changed: %d rows %q, want 3 rows abc", n, names)
	}
}

func TestRealDatabasesBlock(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			rec := &entries{}
			raw, db := setup(t, b, realPolicy(t), rec)
			for _, bc := range b.blocked {
				for _, p := range paths() {
					t.Run(bc.rule+"/"+p.name+"/"+bc.sql, func(t *testing.T) {
						ctx := identity.NewContext(context.Background(), bc.who)
						err := p.run(ctx, t, db, bc.sql)
						var pe errPrepare
						switch {
						case errors.As(err, &pe) && !errors.Is(err, guard.ErrBlocked):
							// The server refused to prepare it: it never ran.
							t.Logf("refused by the server at prepare: %v", err)
						case !errors.Is(err, guard.ErrBlocked):
							t.Fatalf("got %v, want guard.ErrBlocked", err)
						default:
							var be *guard.BlockedError
							if !errors.As(err, &be) || be.Rule != bc.rule {
								t.Errorf("blocked by %v, want rule %s", err, bc.rule)
							}
							if e, ok := rec.find(func(e audit.Entry) bool { return e.Decision == "deny" }); !ok || e.Rule != bc.rule {
								t.Errorf("audit record %+v, want a denial by %s", e, bc.rule)
							}
						}
						intact(t, raw)
					})
				}
			}
		})
	}
}

func TestRealDatabasesAllowNormalTraffic(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			_, db := setup(t, b, realPolicy(t), nil)
			allowed := []struct {
				who  identity.Identity
				sql  string
				args []any
			}{
				{dev, "SELECT name FROM items WHERE id = $1", []any{1}},
				{dev, "UPDATE items SET secret = $1 WHERE id = $2", []any{"s9", 1}},
				{dev, "INSERT INTO items VALUES ($1, $2, $3)", nil},
				{dev, "DELETE FROM items WHERE id = $1", nil},
				{dev, "DELETE FROM items WHERE EXISTS (SELECT 1 FROM items i2 WHERE i2.id = items.id AND i2.id = $1)", nil},
				{dev, "UPDATE items SET secret = $1 WHERE name LIKE 'a%'", []any{"s1"}},
				{dev, "UPDATE items SET secret = $1 WHERE 1 = 0", []any{"s1"}},
				{robot, "SELECT count(*) FROM items", nil},
				{robot, "SELECT v.note FROM vault v WHERE v.id = $1", []any{1}},
			}
			for _, p := range paths() {
				for i, a := range allowed {
					t.Run(p.name+"/"+a.sql, func(t *testing.T) {
						ctx := identity.NewContext(context.Background(), a.who)
						args := a.args
						switch {
						case strings.HasPrefix(a.sql, "INSERT"):
							args = []any{100 + i*10 + len(p.name), "n", "s"}
						case strings.HasPrefix(a.sql, "DELETE"):
							args = []any{100 + (i-1)*10 + len(p.name)}
						}
						if err := p.run(ctx, t, db, b.ph(a.sql), args...); err != nil {
							t.Errorf("normal traffic blocked: %v", err)
						}
					})
				}
			}
		})
	}
}

func TestRealDatabasesMonitor(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			rec := &entries{}
			p := mustPolicy(t, guard.WithMode(guard.ModeMonitor), guard.WithRules(guard.MissingWhere(), guard.DestructiveDDL()))
			raw, db := setup(t, b, p, rec)
			ctx := identity.NewContext(context.Background(), dev)
			if _, err := db.ExecContext(ctx, "UPDATE items SET name = 'z'"); err != nil {
				t.Fatalf("monitor mode blocked: %v", err)
			}
			var n int
			if err := raw.QueryRow("SELECT count(*) FROM items WHERE name = 'z'").Scan(&n); err != nil || n != 3 {
				t.Errorf("monitored update changed %d rows (%v), want 3", n, err)
			}
			e, ok := rec.find(func(e audit.Entry) bool { return e.Rule != "" })
			if !ok || e.Decision != "allow" || e.Mode != "monitor" || e.Rule != "missing-where" || e.Reason == "" {
				t.Errorf("audit record %+v, want allow, monitor, rule %s and a reason", e, "missing-where")
			}
		})
	}
}

func TestRealDatabasesApproval(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			var (
				mu    sync.Mutex
				calls int
				allow bool
			)
			approver := guard.ApproverFunc(func(_ context.Context, r *guard.ApprovalRequest) (guard.Answer, error) {
				mu.Lock()
				defer mu.Unlock()
				calls++
				return guard.Answer{Approved: allow, ID: "ap-1", Reviewer: "bob", Comment: "checked"}, nil
			})
			reviewDeletes := guard.NamedRule{Name: "review-deletes", Review: true, Rule: guard.RuleFunc(func(_ context.Context, r *guard.Request) guard.Verdict {
				for _, s := range r.Script.Statements {
					if s.Effect == sqlparse.KindDelete {
						return guard.Verdict{Decision: guard.Deny, Reason: "deletes are reviewed"}
					}
				}
				return guard.Verdict{}
			})}
			rec := &entries{}
			p := mustPolicy(t, guard.WithRules(reviewDeletes), guard.WithApprover(approver))
			raw, db := setup(t, b, p, rec)
			ctx := identity.NewContext(context.Background(), dev)
			for _, pt := range paths() {
				t.Run(pt.name, func(t *testing.T) {
					mu.Lock()
					calls, allow = 0, false
					mu.Unlock()
					// With arguments, so that go-sql-driver/mysql answers
					// ErrSkip: the approver must still be asked once.
					err := pt.run(ctx, t, db, b.ph("DELETE FROM items WHERE id = $1"), 3)
					if !errors.Is(err, guard.ErrBlocked) {
						t.Fatalf("denied review: %v", err)
					}
					intact(t, raw)
					mu.Lock()
					calls, allow = 0, true
					mu.Unlock()
					if err := pt.run(ctx, t, db, b.ph("DELETE FROM items WHERE id = $1"), 3); err != nil {
						t.Fatalf("approved review: %v", err)
					}
					mu.Lock()
					if calls != 1 {
						t.Errorf("approver asked %d times for one statement, want 1", calls)
					}
					mu.Unlock()
					e, ok := rec.find(func(e audit.Entry) bool { return e.ApprovalID != "" })
					if !ok || e.ApprovalID != "ap-1" || e.Reviewer != "bob" || e.Decision != "allow" {
						t.Errorf("audit record %+v, want the approval ap-1 by bob", e)
					}
					if _, err := raw.Exec("INSERT INTO items VALUES (3, 'c', 's3')"); err != nil {
						t.Fatal(err)
					}
				})
			}
		})
	}
}
