// Package testdb gives tests an isolated database on the real servers the
// project is tested against, and says clearly when one cannot be reached.
//
// Each call creates a fresh PostgreSQL schema or MariaDB/MySQL database that
// is dropped when the test ends, so packages and parallel tests never share
// tables. The server is found through an environment variable with a local
// default. Outside CI an unreachable server skips the test with a message
// naming the variable; with CI=true it fails the test.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq" // the PostgreSQL driver used to prepare schemas
)

// Environment variables naming the servers, and their local defaults.
const (
	PostgresEnv     = "SQLVIGIL_POSTGRES_DSN"
	PostgresDefault = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	MySQLEnv        = "SQLVIGIL_MYSQL_DSN"
	MySQLDefault    = "root@tcp(127.0.0.1:3306)/test"
)

// PostgresDSN returns the DSN of the PostgreSQL test server's own
// database, for statements about the server itself (roles).
func PostgresDSN() string { return env(PostgresEnv, PostgresDefault) }

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func unreachable(t testing.TB, server, envName string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s is not reachable (set %s to its DSN): %v", server, envName, err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func suffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Postgres returns the DSN of a fresh, empty schema on the PostgreSQL test
// server; the DSN's search_path points at it, for lib/pq and pgx alike. The
// schema is dropped when t ends.
func Postgres(t testing.TB) string {
	t.Helper()
	return freshPostgres(t, "schema", "CREATE SCHEMA ", "DROP SCHEMA %s CASCADE", func(u *url.URL, name string) {
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
	})
}

// PostgresDatabase returns the DSN of a fresh PostgreSQL database of its
// own, dropped when t ends. Use it, rather than Postgres, for a test that
// makes objects that belong to a whole database rather than to a schema
// (casts, or operators and domains that a check asks the whole catalog
// about): they would be seen by every other test's schema.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	return freshPostgres(t, "database", "CREATE DATABASE ", "DROP DATABASE %s WITH (FORCE)", func(u *url.URL, name string) {
		u.Path = "/" + name
	})
}

// freshPostgres makes an object named t_<suffix> with create (its text
// before the name), drops it with drop (a format of the name) when t ends,
// and returns the server's DSN that point makes to it.
func freshPostgres(t testing.TB, what, create, drop string, point func(u *url.URL, name string)) string {
	t.Helper()
	base := env(PostgresEnv, PostgresDefault)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testdb: %s is not a URL DSN: %v", PostgresEnv, err)
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		unreachable(t, "PostgreSQL", PostgresEnv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unreachable(t, "PostgreSQL", PostgresEnv, err)
	}
	name := "t_" + suffix()
	if _, err := admin.ExecContext(ctx, create+name); err != nil {
		admin.Close()
		t.Fatalf("testdb: create %s: %v", what, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, fmt.Sprintf(drop, name)); err != nil {
			t.Errorf("testdb: drop %s %s: %v", what, name, err)
		}
	})
	point(u, name)
	return u.String()
}

// MySQL returns the DSN of a fresh, empty database on the MariaDB/MySQL test
// server. The database is dropped when t ends. params are added to the DSN
// (for example "interpolateParams=true", "multiStatements=true").
func MySQL(t testing.TB, params ...string) string {
	t.Helper()
	base := env(MySQLEnv, MySQLDefault)
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("testdb: %s: %v", MySQLEnv, err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		unreachable(t, "MariaDB", MySQLEnv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unreachable(t, "MariaDB", MySQLEnv, err)
	}
	db := "t_" + suffix()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+db); err != nil {
		admin.Close()
		t.Fatalf("testdb: create database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+db); err != nil {
			t.Errorf("testdb: drop database %s: %v", db, err)
		}
	})
	cfg.DBName = db
	dsn := cfg.FormatDSN()
	for _, p := range params {
		if strings.Contains(dsn, "?") {
			dsn += "&" + p
		} else {
			dsn += "?" + p
		}
	}
	return dsn
}

// SQLite returns the DSN of a private in-memory SQLite database for
// modernc.org/sqlite, shared by the connections of one pool and gone when
// the pool closes.
func SQLite(t testing.TB) string {
	t.Helper()
	return "file:" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + "_" + suffix() + "?mode=memory&cache=shared"
}
