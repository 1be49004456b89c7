package frameworks_test

import (
	"os"
	"testing"

	"github.com/pressly/goose/v3"
)

// TestGoose runs two SQL migrations up, reads the status, and runs them
// down again, through sqlvigil with the masking rules in force for the
// migrator. The policy denies destructive DDL in production only: goose
// down drops tables.
func TestGoose(t *testing.T) {
	for _, drv := range allDrivers {
		t.Run(drv, func(t *testing.T) {
			c := open(t, drv, "goose")
			d := map[string]goose.Dialect{drvPQ: goose.DialectPostgres, drvPGX: goose.DialectPostgres, drvMySQL: goose.DialectMySQL, drvSQLite: goose.DialectSQLite3}[drv]
			p, err := goose.NewProvider(d, c.db, os.DirFS("testdata/goose"))
			must(t, "goose.NewProvider", err)
			ctx := c.ctx

			up, err := p.Up(ctx)
			must(t, "goose up", err)
			if len(up) != 2 {
				t.Errorf("goose up applied %d migrations, want 2", len(up))
			}
			v, err := p.GetDBVersion(ctx)
			must(t, "goose version", err)
			if v != 2 {
				t.Errorf("goose version = %d, want 2", v)
			}
			_, err = c.db.ExecContext(ctx, "INSERT INTO people (id, name, email, ssn, team_id) VALUES (1, 'ada', 'ada@example.com', '123-45-6789', 1)")
			must(t, "insert", err)
			st, err := p.Status(ctx)
			must(t, "goose status", err)
			if len(st) != 2 {
				t.Errorf("goose status = %d migrations, want 2", len(st))
			}
			down, err := p.DownTo(ctx, 0)
			must(t, "goose down", err)
			if len(down) != 2 {
				t.Errorf("goose down reverted %d migrations, want 2", len(down))
			}
			noDenials(t, c)
		})
	}
}
