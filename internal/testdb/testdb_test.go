package testdb_test

import (
	"database/sql"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

func TestIsolated(t *testing.T) {
	for _, tt := range []struct{ name, driver, dsn string }{
		{"postgres", "postgres", testdb.Postgres(t)},
		{"mysql", "mysql", testdb.MySQL(t)},
		{"sqlite", "sqlite", testdb.SQLite(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, err := sql.Open(tt.driver, tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec("CREATE TABLE iso (id INT)"); err != nil {
				t.Fatalf("create in a fresh database: %v", err)
			}
			if _, err := db.Exec("INSERT INTO iso VALUES (1)"); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRow("SELECT count(*) FROM iso").Scan(&n); err != nil || n != 1 {
				t.Fatalf("got %d, %v; want 1, nil", n, err)
			}
		})
	}
}
