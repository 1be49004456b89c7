package bench_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/lib/pq"
	"modernc.org/sqlite"

	"github.com/sqlvigil/sqlvigil/bench/internal/fakedb"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

// seedRows is how many rows the users table holds.
const seedRows = 1000

// target is one driver and the database it talks to.
type target struct {
	name    string // the driver= key of the benchmark name
	dialect string // "postgres", "mysql", "sqlite" or "fake" (PostgreSQL's SQL, no server)
	drv     driver.Driver
	dsn     string
	q       queries
}

// queries are the workload statements for one target, with its own tables.
type queries struct {
	users, events string
	point         string // by primary key, one argument
	rows100       string // 100 rows, one argument
	insert        string // three arguments
}

func (t *target) placeholder(n int) string {
	if t.dialect == "postgres" || t.dialect == "fake" {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

func newQueries(t *target, suffix string) queries {
	q := queries{users: "bench_users_" + suffix, events: "bench_events_" + suffix}
	q.point = "SELECT id, name, email, balance FROM " + q.users + " WHERE id = " + t.placeholder(1)
	q.rows100 = "SELECT id, name, email, balance FROM " + q.users + " WHERE id > " + t.placeholder(1) +
		" ORDER BY id LIMIT 100"
	q.insert = "INSERT INTO " + q.events + " (user_id, kind, amount) VALUES (" +
		t.placeholder(1) + ", " + t.placeholder(2) + ", " + t.placeholder(3) + ")"
	return q
}

// agentSQL appends to buf a statement an agent would write: literals inline,
// different text every time (seq makes it unique), so no cache helps.
func (q *queries) agentSQL(buf []byte, seq int64) []byte {
	buf = append(buf, "SELECT id, name, email, balance FROM "...)
	buf = append(buf, q.users...)
	buf = append(buf, " WHERE id = "...)
	buf = strconv.AppendInt(buf, seq%seedRows+1, 10)
	buf = append(buf, " AND email <> 'nobody"...)
	buf = strconv.AppendInt(buf, seq, 10)
	buf = append(buf, "@example.com'"...)
	return buf
}

func suffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// unreachable skips the benchmarks of a server that cannot be reached, or
// fails them under CI=true, as internal/testdb does for tests.
func unreachable(b testing.TB, server, envName string, err error) {
	b.Helper()
	if os.Getenv("CI") == "true" {
		b.Fatalf("%s is not reachable (set %s to its DSN): %v", server, envName, err)
	}
	b.Skipf("%s is not reachable (set %s to its DSN): %v", server, envName, err)
}

// targetSpec names a driver and builds its target.
type targetSpec struct {
	name string
	mk   func(tb testing.TB) *target
}

// targets lists the drivers in benchmark order.
func targets() []targetSpec {
	return []targetSpec{
		{"fake", fakeTarget},
		{"sqlite", sqliteTarget},
		{"pq", pqTarget},
		{"pgx", pgxTarget},
		{"mysql", mysqlTarget},
	}
}

func fakeTarget(b testing.TB) *target {
	t := &target{name: "fake", dialect: "fake", drv: fakedb.Driver{}}
	t.q = newQueries(t, "fake")
	return t
}

func sqliteTarget(b testing.TB) *target {
	t := &target{name: "sqlite", dialect: "sqlite", drv: &sqlite.Driver{}}
	sfx := suffix()
	// The memdb VFS shares one in-memory database between every connection
	// of the process that opens the same name; the admin pool keeps it alive.
	t.dsn = "file:/bench_" + sfx + "?vfs=memdb"
	t.q = newQueries(t, sfx)
	setupTables(b, t, "sqlite", "SQLite", "", "INTEGER PRIMARY KEY", "TEXT")
	return t
}

func pqTarget(b testing.TB) *target {
	t := &target{name: "pq", dialect: "postgres", drv: &pq.Driver{}}
	t.dsn = envOr(testdb.PostgresEnv, testdb.PostgresDefault)
	t.q = newQueries(t, suffix())
	setupTables(b, t, "PostgreSQL", testdb.PostgresEnv, "", "BIGSERIAL PRIMARY KEY", "TEXT")
	return t
}

func pgxTarget(b testing.TB) *target {
	t := &target{name: "pgx", dialect: "postgres", drv: stdlib.GetDefaultDriver()}
	t.dsn = envOr(testdb.PostgresEnv, testdb.PostgresDefault)
	t.q = newQueries(t, suffix())
	setupTables(b, t, "PostgreSQL", testdb.PostgresEnv, "", "BIGSERIAL PRIMARY KEY", "TEXT")
	return t
}

func mysqlTarget(b testing.TB) *target {
	t := &target{name: "mysql", dialect: "mysql", drv: &mysql.MySQLDriver{}}
	t.dsn = envOr(testdb.MySQLEnv, testdb.MySQLDefault)
	t.q = newQueries(t, suffix())
	setupTables(b, t, "MariaDB", testdb.MySQLEnv, " ENGINE=InnoDB",
		"BIGINT AUTO_INCREMENT PRIMARY KEY", "VARCHAR(200)")
	return t
}

// setupTables creates and seeds the target's tables through the raw driver
// and drops them when b ends.
func setupTables(b testing.TB, t *target, server, envName, engine, serial, text string) {
	b.Helper()
	admin := sql.OpenDB(dsnConnector{t.drv, t.dsn})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unreachable(b, server, envName, err)
	}
	ddl := []string{
		"CREATE TABLE " + t.q.users + " (id BIGINT PRIMARY KEY, name " + text + " NOT NULL, email " +
			text + " NOT NULL, balance BIGINT NOT NULL)" + engine,
		"CREATE TABLE " + t.q.events + " (id " + serial + ", user_id BIGINT NOT NULL, kind " + text +
			" NOT NULL, amount BIGINT NOT NULL)" + engine,
	}
	b.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, tbl := range []string{t.q.events, t.q.users} {
			if _, err := admin.ExecContext(ctx, "DROP TABLE IF EXISTS "+tbl); err != nil {
				b.Errorf("drop %s: %v", tbl, err)
			}
		}
	})
	for _, s := range ddl {
		if _, err := admin.ExecContext(ctx, s); err != nil {
			b.Fatalf("%s: %v", s, err)
		}
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + t.q.users + " (id, name, email, balance) VALUES ")
	for i := 1; i <= seedRows; i++ {
		if i > 1 {
			sb.WriteString(", ")
		}
		n := strconv.Itoa(i)
		sb.WriteString("(" + n + ", 'User " + n + "', 'user" + n + "@example.com', " + n + "0)")
	}
	if _, err := admin.ExecContext(ctx, sb.String()); err != nil {
		b.Fatalf("seed %s: %v", t.q.users, err)
	}
	if t.dialect == "postgres" {
		if _, err := admin.ExecContext(ctx, "ANALYZE "+t.q.users); err != nil {
			b.Fatalf("analyze: %v", err)
		}
	}
}

// dsnConnector opens connections of drv to dsn, as database/sql does for a
// driver without DriverContext; it lets every contender use sql.OpenDB
// without registering a driver name.
type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }
