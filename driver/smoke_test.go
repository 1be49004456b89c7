package driver_test

import (
	"context"
	"database/sql"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/mask"
)

func TestSmoke(t *testing.T) {
	for _, opts := range [][]sqlvigil.Option{nil, {sqlvigil.WithPolicy(&guard.Policy{}), sqlvigil.WithMasker(&mask.Masker{}), sqlvigil.WithAuditor(&audit.Auditor{})}} {
		db, err := sqlvigil.Open("sqlite", testdb.SQLite(t), opts...)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INTEGER, name TEXT)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (?, ?)", 1, "a"); err != nil {
			t.Fatal(err)
		}
		var name string
		if err := db.QueryRowContext(ctx, "SELECT name FROM t WHERE id = ?", 1).Scan(&name); err != nil || name != "a" {
			t.Fatal(err, name)
		}
		var _ = sql.ErrNoRows
		db.Close()
	}
}
