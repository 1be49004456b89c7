package driver_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "github.com/lib/pq"              // registers "postgres"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/driver"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/mask"
)

// A target is a real driver against a real server (or SQLite in memory).
type target struct {
	name   string
	driver string // the name database/sql knows it by
	family string // "pg", "mysql", "sqlite"
	dsn    func(t *testing.T) string
}

func targets() []target {
	return []target{
		{name: "lib/pq", driver: "postgres", family: "pg", dsn: func(t *testing.T) string { return testdb.Postgres(t) }},
		{name: "pgx", driver: "pgx", family: "pg", dsn: func(t *testing.T) string { return testdb.Postgres(t) }},
		{name: "mysql", driver: "mysql", family: "mysql", dsn: func(t *testing.T) string {
			return testdb.MySQL(t, "multiStatements=true")
		}},
		{name: "mysql interpolateParams", driver: "mysql", family: "mysql", dsn: func(t *testing.T) string {
			return testdb.MySQL(t, "interpolateParams=true", "multiStatements=true")
		}},
		{name: "sqlite", driver: "sqlite", family: "sqlite", dsn: func(t *testing.T) string { return testdb.SQLite(t) }},
	}
}

// ph returns the n-th placeholder of the target's dialect.
func (tg target) ph(n int) string {
	if tg.family == "pg" {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// q rewrites "$n" placeholders for the target.
func (tg target) q(s string) string {
	if tg.family == "pg" {
		return s
	}
	for n := 9; n >= 1; n-- {
		s = strings.ReplaceAll(s, fmt.Sprintf("$%d", n), "?")
	}
	return s
}

// schemaOf is the schema or database name in a DSN, which error texts may
// quote and which differs between runs.
func schemaOf(tg target, dsn string) string {
	switch tg.family {
	case "pg":
		u, err := url.Parse(dsn)
		if err != nil {
			return ""
		}
		return u.Query().Get("search_path")
	case "mysql":
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return ""
		}
		return cfg.DBName
	}
	return ""
}

// pointers are addresses printed in error texts.
var pointers = regexp.MustCompile(`0x[0-9a-f]{6,}`)

// recorder collects what a scenario observed, as text.
type recorder struct {
	lines  []string
	schema string
}

func (r *recorder) add(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if r.schema != "" {
		s = strings.ReplaceAll(s, r.schema, "<schema>")
	}
	s = pointers.ReplaceAllString(s, "0x?")
	r.lines = append(r.lines, s)
}

func (r *recorder) err(label string, err error) {
	if err == nil {
		r.add("%s: ok", label)
		return
	}
	r.add("%s: error %T: %v", label, errors.Unwrap(err), err)
}

// show describes a scanned value with its type.
func show(v any) string {
	switch x := v.(type) {
	case []byte:
		return fmt.Sprintf("[]byte(%q)", x)
	case time.Time:
		return "time(" + x.UTC().Format(time.RFC3339Nano) + ")"
	default:
		return fmt.Sprintf("%T(%v)", v, v)
	}
}

// dump records every row of every result set of rows, and rows.Err.
func dump(r *recorder, label string, rows *sql.Rows) {
	defer rows.Close()
	for set := 0; ; set++ {
		cols, err := rows.Columns()
		r.add("%s set %d columns %v %v", label, set, cols, err)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for k := range vals {
				ptrs[k] = &vals[k]
			}
			if err := rows.Scan(ptrs...); err != nil {
				r.err(label+" scan", err)
				continue
			}
			parts := make([]string, len(vals))
			for k, v := range vals {
				parts[k] = show(v)
			}
			r.add("%s row %s", label, strings.Join(parts, ", "))
		}
		if !rows.NextResultSet() {
			break
		}
	}
	r.err(label+" rows.Err", rows.Err())
}

type scenario struct {
	name string
	run  func(t *testing.T, r *recorder, db *sql.DB, tg target)
}

// A mode is how a target is opened: raw, or wrapped.
type mode struct {
	name string
	open func(t *testing.T, tg target, dsn string) *sql.DB
}

func modes() []mode {
	return []mode{
		{"raw", func(t *testing.T, tg target, dsn string) *sql.DB {
			db, err := sql.Open(tg.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			return db
		}},
		{"sqlvigil", func(t *testing.T, tg target, dsn string) *sql.DB {
			db, err := sqlvigil.Open(tg.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			return db
		}},
		{"sqlvigil active", func(t *testing.T, tg target, dsn string) *sql.DB {
			db, err := sqlvigil.Open(tg.driver, dsn, activeOptions(t, nil)...)
			if err != nil {
				t.Fatal(err)
			}
			return db
		}},
	}
}

// activeOptions turns the whole pipeline on without changing results: a
// policy that allows everything, a masker without rules (a rule would
// change results and redact error texts, by design), an auditor recording
// into rec (or nowhere).
func activeOptions(t *testing.T, rec *tracetest.SpanRecorder) []sqlvigil.Option {
	t.Helper()
	p, err := guard.New(guard.WithUnknown(guard.Allow))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mask.New()
	if err != nil {
		t.Fatal(err)
	}
	if rec == nil {
		rec = tracetest.NewSpanRecorder()
	}
	a, err := audit.New(audit.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))), audit.WithEndDelay(0))
	if err != nil {
		t.Fatal(err)
	}
	return []sqlvigil.Option{sqlvigil.WithPolicy(p), sqlvigil.WithMasker(m), sqlvigil.WithAuditor(a)}
}

// TestConformance runs every scenario on every target raw and wrapped: the
// wrapped runs must observe exactly what the raw run observes.
func TestConformance(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			for _, sc := range scenarios() {
				t.Run(sc.name, func(t *testing.T) {
					var want []string
					for _, m := range modes() {
						dsn := tg.dsn(t)
						db := m.open(t, tg, dsn)
						r := &recorder{schema: schemaOf(tg, dsn)}
						sc.run(t, r, db, tg)
						db.Close()
						if m.name == "raw" {
							want = r.lines
							if testing.Verbose() {
								t.Logf("raw:\n%s", strings.Join(want, "\n"))
							}
							continue
						}
						if !reflect.DeepEqual(r.lines, want) {
							t.Errorf("%s differs from raw:\n%s", m.name, diff(r.lines, want))
						}
					}
				})
			}
		})
	}
}

func diff(got, want []string) string {
	var b strings.Builder
	for k := 0; k < len(got) || k < len(want); k++ {
		var g, w string
		if k < len(got) {
			g = got[k]
		}
		if k < len(want) {
			w = want[k]
		}
		mark := " "
		if g != w {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s got  %s\n%s want %s\n", mark, g, mark, w)
	}
	return b.String()
}

func scenarios() []scenario {
	return []scenario{
		{"exec", scenarioExec},
		{"query", scenarioQuery},
		{"query row", scenarioQueryRow},
		{"prepare and reuse", scenarioPrepare},
		{"transactions", scenarioTx},
		{"conn and raw", scenarioConn},
		{"argument types", scenarioArgTypes},
		{"sql.Out", scenarioOut},
		{"next result set", scenarioNextResultSet},
		{"column types", scenarioColumnTypes},
		{"cancel mid-query", scenarioCancel},
		{"ping and close", scenarioClose},
		{"pool reuse", scenarioPool},
	}
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func createItems(t *testing.T, db *sql.DB, tg target) {
	t.Helper()
	mustExec(t, db, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price NUMERIC(10,2))")
	mustExec(t, db, "INSERT INTO items (id, name, price) VALUES (1, 'apple', 1.50), (2, 'pear', 2.25), (3, 'fig', NULL)")
}

func result(r *recorder, label string, res sql.Result, err error) {
	if err != nil {
		r.err(label, err)
		return
	}
	n, nerr := res.RowsAffected()
	id, ierr := res.LastInsertId()
	r.add("%s: rows affected %d (%v), last insert id %d (%v)", label, n, nerr, id, ierr)
}

func scenarioExec(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	res, err := db.ExecContext(ctx, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price NUMERIC(10,2))")
	r.err("create", err)
	_ = res
	res, err = db.ExecContext(ctx, "INSERT INTO items (id, name, price) VALUES (1, 'apple', 1.50), (2, 'pear', 2.25)")
	result(r, "insert literal", res, err)
	res, err = db.ExecContext(ctx, tg.q("INSERT INTO items (id, name, price) VALUES ($1, $2, $3)"), 3, "fig", "3.75")
	result(r, "insert args", res, err)
	res, err = db.ExecContext(ctx, tg.q("UPDATE items SET price = price + 1 WHERE id > $1"), 1)
	result(r, "update", res, err)
	res, err = db.ExecContext(ctx, tg.q("DELETE FROM items WHERE id = $1"), 99)
	result(r, "delete none", res, err)
	res, err = db.ExecContext(ctx, tg.q("INSERT INTO items (id, name) VALUES ($1, $2)"), 1, "dup")
	result(r, "duplicate key", res, err)
	res, err = db.ExecContext(ctx, "INSERT INTO no_such_table VALUES (1)")
	result(r, "missing table", res, err)
	res, err = db.ExecContext(ctx, "SELEC 1")
	result(r, "syntax error", res, err)
	res, err = db.ExecContext(ctx, "CREATE TABLE s1 (x INT); CREATE TABLE s2 (x INT)")
	result(r, "stacked", res, err)
	res, err = db.ExecContext(ctx, tg.q("UPDATE items SET name = $1 WHERE id = $2"), "only one")
	result(r, "too few args", res, err)
}

func scenarioQuery(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	createItems(t, db, tg)
	rows, err := db.QueryContext(ctx, "SELECT id, name, price FROM items ORDER BY id")
	if r.err("query", err); err == nil {
		dump(r, "all", rows)
	}
	rows, err = db.QueryContext(ctx, tg.q("SELECT name FROM items WHERE id >= $1 AND name <> $2 ORDER BY id"), 2, "fig")
	if r.err("query args", err); err == nil {
		dump(r, "args", rows)
	}
	rows, err = db.QueryContext(ctx, "SELECT id FROM items WHERE id > 100")
	if r.err("query empty", err); err == nil {
		dump(r, "empty", rows)
	}
	_, err = db.QueryContext(ctx, "SELECT nope FROM items")
	r.err("query bad column", err)
	_, err = db.QueryContext(ctx, "SELECT id FROM no_such_table")
	r.err("query missing table", err)
}

func scenarioQueryRow(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	createItems(t, db, tg)
	var name string
	var price sql.NullFloat64
	err := db.QueryRowContext(ctx, tg.q("SELECT name, price FROM items WHERE id = $1"), 2).Scan(&name, &price)
	r.add("row: %q %v %v", name, price, err)
	err = db.QueryRowContext(ctx, tg.q("SELECT name FROM items WHERE id = $1"), 42).Scan(&name)
	r.add("no rows: %v %v", errors.Is(err, sql.ErrNoRows), err)
	var n int
	err = db.QueryRowContext(ctx, tg.q("SELECT name FROM items WHERE id = $1"), 1).Scan(&n)
	r.err("scan into int", err)
	err = db.QueryRowContext(ctx, "SELECT broken syntax here").Scan(&n)
	r.err("bad query", err)
}

func scenarioPrepare(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	createItems(t, db, tg)
	ins, err := db.PrepareContext(ctx, tg.q("INSERT INTO items (id, name) VALUES ($1, $2)"))
	if r.err("prepare insert", err); err != nil {
		return
	}
	for k := 10; k < 13; k++ {
		res, err := ins.ExecContext(ctx, k, fmt.Sprintf("item%d", k))
		result(r, fmt.Sprintf("stmt exec %d", k), res, err)
	}
	res, err := ins.ExecContext(ctx, 10, "again")
	result(r, "stmt exec duplicate", res, err)
	sel, err := db.PrepareContext(ctx, tg.q("SELECT name FROM items WHERE id = $1"))
	if r.err("prepare select", err); err != nil {
		return
	}
	for _, id := range []int{1, 11, 99} {
		var name string
		err := sel.QueryRowContext(ctx, id).Scan(&name)
		r.add("stmt query %d: %q %v", id, name, err)
	}
	rows, err := sel.QueryContext(ctx, 12)
	if r.err("stmt query rows", err); err == nil {
		dump(r, "stmt rows", rows)
	}
	r.err("close insert", ins.Close())
	_, err = ins.ExecContext(ctx, 20, "closed")
	r.err("exec closed stmt", err)
	r.err("close select", sel.Close())
	_, err = db.PrepareContext(ctx, "SELECT FROM WHERE")
	r.err("prepare bad", err)
}

func scenarioTx(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	createItems(t, db, tg)
	levels := []sql.IsolationLevel{sql.LevelDefault, sql.LevelReadUncommitted, sql.LevelReadCommitted,
		sql.LevelRepeatableRead, sql.LevelSerializable, sql.LevelSnapshot, sql.LevelLinearizable}
	for _, l := range levels {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: l})
		if err != nil {
			r.err("begin "+l.String(), err)
			continue
		}
		if tg.family == "pg" {
			var got string
			err := tx.QueryRowContext(ctx, "SELECT current_setting('transaction_isolation')").Scan(&got)
			r.add("begin %s: in effect %q %v", l, got, err)
		} else {
			var n int
			err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM items").Scan(&n)
			r.add("begin %s: count %d %v", l, n, err)
		}
		r.err("commit "+l.String(), tx.Commit())
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if r.err("begin read-only", err); err == nil {
		_, err = tx.ExecContext(ctx, "INSERT INTO items (id, name) VALUES (50, 'ro')")
		r.err("insert in read-only", err)
		r.err("rollback read-only", tx.Rollback())
	}
	tx, err = db.BeginTx(ctx, nil)
	if r.err("begin", err); err == nil {
		_, err = tx.ExecContext(ctx, tg.q("INSERT INTO items (id, name) VALUES ($1, $2)"), 60, "rolled back")
		r.err("insert", err)
		r.err("rollback", tx.Rollback())
		r.err("rollback twice", tx.Rollback())
	}
	tx, err = db.BeginTx(ctx, nil)
	if r.err("begin", err); err == nil {
		_, err = tx.ExecContext(ctx, tg.q("INSERT INTO items (id, name) VALUES ($1, $2)"), 61, "committed")
		r.err("insert", err)
		st, err := tx.PrepareContext(ctx, tg.q("SELECT name FROM items WHERE id = $1"))
		if r.err("tx prepare", err); err == nil {
			var name string
			err = st.QueryRowContext(ctx, 61).Scan(&name)
			r.add("tx stmt: %q %v", name, err)
		}
		r.err("commit", tx.Commit())
		r.err("commit twice", tx.Commit())
	}
	var n int
	err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM items WHERE id >= 60").Scan(&n)
	r.add("after: %d %v", n, err)
}

func scenarioConn(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if r.err("conn", err); err != nil {
		return
	}
	defer conn.Close()
	var set, get string
	switch tg.family {
	case "pg":
		set, get = "SET application_name = 'conformance'", "SHOW application_name"
	case "mysql":
		set, get = "SET @v = 'conformance'", "SELECT @v"
	default:
		mustExec(t, db, "CREATE TABLE kv (v TEXT)")
		set, get = "INSERT INTO kv VALUES ('conformance')", "SELECT v FROM kv"
	}
	_, err = conn.ExecContext(ctx, set)
	r.err("conn set", err)
	var v string
	err = conn.QueryRowContext(ctx, get).Scan(&v)
	r.add("conn get: %q %v", v, err)
	r.err("conn ping", conn.PingContext(ctx))
	err = conn.Raw(func(dc any) error {
		raw, err := driver.RawConn(ctx, dc)
		if errors.Is(err, driver.ErrNotWrapped) {
			raw, err = dc, nil
		}
		if err != nil {
			return err
		}
		r.add("raw driver connection: %T", raw)
		return nil
	})
	r.err("raw", err)
	r.err("conn close", conn.Close())
	_, err = conn.ExecContext(ctx, "SELECT 1")
	r.err("closed conn", err)
}

func scenarioArgTypes(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	var s string
	switch tg.family {
	case "pg":
		err := db.QueryRowContext(ctx, "SELECT $1::int4[]::text", []int32{1, 2, 3}).Scan(&s)
		r.add("[]int32: %q %v", s, err)
		err = db.QueryRowContext(ctx, "SELECT $1::jsonb::text", json.RawMessage(`{"a": 1}`)).Scan(&s)
		r.add("json.RawMessage: %q %v", s, err)
		err = db.QueryRowContext(ctx, "SELECT $1::numeric::text", uint64(1<<63+5)).Scan(&s)
		r.add("uint64: %q %v", s, err)
	case "mysql":
		mustExec(t, db, "CREATE TABLE u (v BIGINT UNSIGNED, j JSON)")
		_, err := db.ExecContext(ctx, "INSERT INTO u VALUES (?, ?)", uint64(1<<63+5), json.RawMessage(`{"a": 1}`))
		r.err("insert uint64 and json.RawMessage", err)
		var v uint64
		err = db.QueryRowContext(ctx, "SELECT v, j FROM u").Scan(&v, &s)
		r.add("read back: %d %q %v", v, s, err)
		err = db.QueryRowContext(ctx, "SELECT CAST(? AS CHAR)", []int32{1, 2}).Scan(&s)
		r.err("[]int32", err)
	default:
		err := db.QueryRowContext(ctx, "SELECT CAST(? AS TEXT)", uint64(1<<63+5)).Scan(&s)
		r.add("uint64: %q %v", s, err)
		err = db.QueryRowContext(ctx, "SELECT json(?)", json.RawMessage(`{"a": 1}`)).Scan(&s)
		r.add("json.RawMessage: %q %v", s, err)
		err = db.QueryRowContext(ctx, "SELECT ?", []int32{1, 2}).Scan(&s)
		r.err("[]int32", err)
	}
	var ns sql.NullString
	err := db.QueryRowContext(ctx, tg.q("SELECT $1"), sql.NullString{}).Scan(&ns)
	r.add("NullString: %v %v", ns, err)
}

func scenarioOut(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	var out string
	_, err := db.ExecContext(ctx, tg.q("SELECT $1"), sql.Out{Dest: &out})
	r.err("sql.Out", err)
	_, err = db.ExecContext(ctx, "SELECT 1", sql.Named("x", sql.Out{Dest: &out, In: true}))
	r.err("named sql.Out", err)
	_, err = db.ExecContext(ctx, tg.q("SELECT $1"), sql.Named("x", 1))
	r.err("named argument", err)
}

func scenarioNextResultSet(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, "SELECT 1 AS a; SELECT 'x' AS b, 2 AS c")
	if r.err("two result sets", err); err == nil {
		dump(r, "two", rows)
	}
	if tg.family == "mysql" {
		mustExec(t, db, "CREATE PROCEDURE two_sets() BEGIN SELECT 1 AS a; SELECT 'y' AS b; END")
		rows, err := db.QueryContext(ctx, "CALL two_sets()")
		if r.err("procedure", err); err == nil {
			dump(r, "procedure", rows)
		}
	}
}

func scenarioColumnTypes(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	mustExec(t, db, "CREATE TABLE typed (i INT NOT NULL, v VARCHAR(20), n NUMERIC(8,3), t TEXT, b BOOLEAN, d DATE)")
	mustExec(t, db, "INSERT INTO typed VALUES (1, 'a', 1.5, 'text', TRUE, '2024-01-02')")
	rows, err := db.QueryContext(ctx, "SELECT i, v, n, t, b, d, i + 1 AS e FROM typed")
	if r.err("query", err); err != nil {
		return
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if r.err("column types", err); err != nil {
		return
	}
	for _, ct := range cts {
		l, lok := ct.Length()
		n, nok := ct.Nullable()
		p, s, dok := ct.DecimalSize()
		r.add("%s: scan %v, db %q, nullable %v/%v, length %d/%v, decimal %d,%d/%v",
			ct.Name(), ct.ScanType(), ct.DatabaseTypeName(), n, nok, l, lok, p, s, dok)
	}
	dump(r, "typed", rows)
}

func scenarioCancel(t *testing.T, r *recorder, db *sql.DB, tg target) {
	var slow string
	switch tg.family {
	case "pg":
		slow = "SELECT pg_sleep(30)"
	case "mysql":
		slow = "SELECT SLEEP(30)"
	default:
		slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var v any
	err := db.QueryRowContext(ctx, slow).Scan(&v)
	r.add("slow query cancelled: %v", err != nil)

	// Cancel while reading a long result.
	var many string
	switch tg.family {
	case "pg":
		many = "SELECT g FROM generate_series(1, 1000000) g"
	default:
		many = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) SELECT x FROM c"
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	rows, err := db.QueryContext(ctx2, many)
	if r.err("long query", err); err == nil {
		n := 0
		for rows.Next() {
			n++
			if n == 10 {
				cancel2()
			}
			if n > 900000 {
				break
			}
		}
		// Whether the driver's reader or database/sql's context watcher
		// stops the rows first is a race (go-sql-driver/mysql then ends
		// with io.EOF): either way no other error may surface.
		err := rows.Err()
		r.add("stopped early: %v, rows.Err nil or Canceled: %v", n < 900000, err == nil || errors.Is(err, context.Canceled))
		rows.Close()
	}
	cancel2()
	var one int
	err = db.QueryRowContext(context.Background(), "SELECT 1").Scan(&one)
	r.add("usable after: %d %v", one, err)
}

func scenarioClose(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	r.err("ping", db.PingContext(ctx))
	r.err("close", db.Close())
	r.err("ping closed", db.PingContext(ctx))
	_, err := db.ExecContext(ctx, "SELECT 1")
	r.err("exec closed", err)
}

func scenarioPool(t *testing.T, r *recorder, db *sql.DB, tg target) {
	ctx := context.Background()
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	var session string
	switch tg.family {
	case "pg":
		session = "SELECT pg_backend_pid()"
	case "mysql":
		session = "SELECT CONNECTION_ID()"
	default:
		session = "SELECT 1"
	}
	ids := map[int64]bool{}
	for range 20 {
		var id int64
		if err := db.QueryRowContext(ctx, session).Scan(&id); err != nil {
			r.err("session", err)
			return
		}
		ids[id] = true
		if _, err := db.ExecContext(ctx, "SELECT 1"); err != nil {
			r.err("exec", err)
		}
	}
	r.add("sessions used: %d, open connections: %d", len(ids), db.Stats().OpenConnections)
}
