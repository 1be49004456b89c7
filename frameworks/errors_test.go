package frameworks_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"
)

// TestUniqueViolationKeepsDriverError checks that a unique violation on a
// table with no masked column reaches a masked reader as the driver's own
// error type, code and constraint: what GORM's TranslateError and "23505
// → 409" handlers match.
func TestUniqueViolationKeepsDriverError(t *testing.T) {
	for _, drv := range []string{drvPQ, drvPGX, drvMySQL} {
		t.Run(drv, func(t *testing.T) {
			c := open(t, drv, "errors")
			ctx := c.ctx
			_, err := c.db.ExecContext(ctx, `CREATE TABLE skus (id INTEGER PRIMARY KEY, code VARCHAR(20) NOT NULL, CONSTRAINT skus_code_key UNIQUE (code))`)
			must(t, "create", err)
			_, err = c.db.ExecContext(ctx, `INSERT INTO skus (id, code) VALUES (1, 'A-1')`)
			must(t, "first insert", err)
			_, err = c.db.ExecContext(ctx, `INSERT INTO skus (id, code) VALUES (2, 'A-1')`)
			if err == nil {
				t.Fatal("duplicate insert: got no error, want a unique violation")
			}
			if refused(err) {
				t.Fatalf("duplicate insert: refused by sqlvigil (%v), want the database's error", err)
			}
			must(t, "driver error type", driverError(drv, err))
		})
	}
}

// driverError returns nil when err is the driver's own unique violation
// naming the constraint skus_code_key, and otherwise says what it is.
func driverError(drv string, err error) error {
	switch drv {
	case drvPQ:
		var pqErr *pq.Error
		switch {
		case !errors.As(err, &pqErr):
			return fmt.Errorf("errors.As(%T, *pq.Error) = false: %v", err, err)
		case pqErr.Code != "23505" || pqErr.Constraint != "skus_code_key":
			return fmt.Errorf("pq.Error code %s constraint %q, want 23505 skus_code_key", pqErr.Code, pqErr.Constraint)
		}
	case drvPGX:
		var pgErr *pgconn.PgError
		switch {
		case !errors.As(err, &pgErr):
			return fmt.Errorf("errors.As(%T, *pgconn.PgError) = false: %v", err, err)
		case pgErr.Code != "23505" || pgErr.ConstraintName != "skus_code_key":
			return fmt.Errorf("PgError code %s constraint %q, want 23505 skus_code_key", pgErr.Code, pgErr.ConstraintName)
		}
	case drvMySQL:
		var myErr *mysql.MySQLError
		switch {
		case !errors.As(err, &myErr):
			return fmt.Errorf("errors.As(%T, *mysql.MySQLError) = false: %v", err, err)
		case myErr.Number != 1062 || !strings.Contains(myErr.Message, "skus_code_key"):
			return fmt.Errorf("MySQLError %d %q, want 1062 naming skus_code_key", myErr.Number, myErr.Message)
		}
	}
	return nil
}
