package frameworks_test

// The servers, and a fresh database on each per test: the logic of the
// library's internal/testdb, which a separate module cannot import.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq" // the PostgreSQL driver of lib/pq runs
	_ "modernc.org/sqlite"
)

// Environment variables naming the servers, and their local defaults (the
// same as the library's tests).
const (
	postgresEnv     = "SQLVIGIL_POSTGRES_DSN"
	postgresDefault = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	mysqlEnv        = "SQLVIGIL_MYSQL_DSN"
	mysqlDefault    = "root@tcp(127.0.0.1:3306)/test"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// unreachable skips the test outside CI and fails it in CI.
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

// freshPostgres returns the DSN of a fresh schema on the PostgreSQL server
// (search_path set to it) and the schema's name. The schema is dropped
// when t ends.
func freshPostgres(t testing.TB) (dsn, schema string) {
	t.Helper()
	base := env(postgresEnv, postgresDefault)
	admin, err := sql.Open("postgres", base)
	if err != nil {
		unreachable(t, "PostgreSQL", postgresEnv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unreachable(t, "PostgreSQL", postgresEnv, err)
	}
	schema = "t_" + suffix()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL DSN: %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

// freshMySQL returns the configuration of a fresh database on the
// MariaDB/MySQL server, which is dropped when t ends.
func freshMySQL(t testing.TB) *mysql.Config {
	t.Helper()
	cfg, err := mysql.ParseDSN(env(mysqlEnv, mysqlDefault))
	if err != nil {
		t.Fatalf("%s: %v", mysqlEnv, err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		unreachable(t, "MariaDB", mysqlEnv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unreachable(t, "MariaDB", mysqlEnv, err)
	}
	db := "t_" + suffix()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+db); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+db); err != nil {
			t.Errorf("drop database %s: %v", db, err)
		}
	})
	cfg.DBName = db
	cfg.ParseTime = true
	return cfg
}

// freshSQLite returns the DSN of a new SQLite database file for
// modernc.org/sqlite, with foreign keys on (ent requires them).
func freshSQLite(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"
}
