package frameworks_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/identity"
)

// TestPGXPool: a service that holds a pgxpool.Pool wraps its connector
// (stdlib.GetPoolConnector) with sqlvigil.OpenDB, and the masking rules,
// the policy and the driver's error types hold as with a single
// connector.
func TestPGXPool(t *testing.T) {
	dsn, _ := freshPostgres(t)
	ctx := identity.NewContext(context.Background(), migrator)
	pool, err := pgxpool.New(ctx, dsn)
	must(t, "pgxpool.New", err)
	defer pool.Close()
	db, err := sqlvigil.OpenDB(stdlib.GetPoolConnector(pool),
		sqlvigil.WithMasker(newMasker(t)),
		sqlvigil.WithPolicy(newPolicy(t)),
		sqlvigil.WithEnvironment("development"),
		sqlvigil.WithNamespace("test"))
	must(t, "sqlvigil.OpenDB", err)
	defer db.Close()
	sqlx.BindDriver("vigil:pgx", sqlx.DOLLAR)
	x := sqlx.NewDb(db, "vigil:pgx")

	_, err = x.ExecContext(ctx, `CREATE TABLE members (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, email TEXT)`)
	must(t, "create", err)
	_, err = x.NamedExecContext(ctx, `INSERT INTO members (name, email) VALUES (:name, :email)`,
		map[string]any{"name": "ada", "email": "ada@example.com"})
	must(t, "insert", err)
	var m struct {
		ID    int64  `db:"id"`
		Name  string `db:"name"`
		Email string `db:"email"`
	}
	must(t, "Get", x.GetContext(ctx, &m, `SELECT id, name, email FROM members WHERE name = $1`, "ada"))
	if m.Email == "ada@example.com" {
		t.Errorf("email = %q, want it masked", m.Email)
	}
	_, err = x.ExecContext(ctx, `DROP TABLE members`)
	must(t, "drop (destructive DDL outside production)", err)
}
