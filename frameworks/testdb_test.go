package frameworks_test

// The servers, and a fresh database on each per test: the library's
// internal/testdb (this module's path lies under the library's, so it may
// import it), in the shapes the frameworks want.

import (
	"net/url"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq" // the PostgreSQL driver of lib/pq runs
	_ "modernc.org/sqlite"

	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

// freshPostgres returns the DSN of a fresh schema on the PostgreSQL server
// (search_path set to it) and the schema's name. The schema is dropped
// when t ends.
func freshPostgres(t testing.TB) (dsn, schema string) {
	t.Helper()
	dsn = testdb.Postgres(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return dsn, u.Query().Get("search_path")
}

// freshMySQL returns the configuration of a fresh database on the
// MariaDB/MySQL server, which is dropped when t ends.
func freshMySQL(t testing.TB) *mysql.Config {
	t.Helper()
	cfg, err := mysql.ParseDSN(testdb.MySQL(t, "parseTime=true"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// freshSQLite returns the DSN of a new SQLite database file for
// modernc.org/sqlite, with foreign keys on (ent requires them).
func freshSQLite(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"
}
