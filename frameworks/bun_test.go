package frameworks_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/schema"
)

// testTime is a fixed time for rows the tests write.
var testTime = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

type bunAccount struct {
	bun.BaseModel `bun:"table:accounts,alias:account"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Name      string    `bun:"name,notnull"`
	Email     string    `bun:"email,unique"`
	SSN       string    `bun:"ssn"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

type bunInvoice struct {
	bun.BaseModel `bun:"table:invoices,alias:invoice"`

	ID        int64       `bun:"id,pk,autoincrement"`
	AccountID int64       `bun:"account_id,notnull"`
	Account   *bunAccount `bun:"rel:belongs-to,join:account_id=id"`
	Total     int64       `bun:"total"`
	Paid      bool        `bun:"paid,notnull"`
}

// TestBun runs bun's CreateTable, CreateIndex, CRUD, a relation join and a
// transaction through sqlvigil with the masking rules in force.
func TestBun(t *testing.T) {
	for _, drv := range allDrivers {
		t.Run(drv, func(t *testing.T) {
			c := open(t, drv, "bun")
			var d schema.Dialect
			switch drv {
			case drvPQ, drvPGX:
				d = pgdialect.New()
			case drvMySQL:
				d = mysqldialect.New()
			case drvSQLite:
				d = sqlitedialect.New()
			}
			db := bun.NewDB(c.db, d)
			ctx := c.ctx

			_, err := db.NewCreateTable().Model((*bunAccount)(nil)).IfNotExists().Exec(ctx)
			must(t, "CreateTable(accounts)", err)
			_, err = db.NewCreateTable().Model((*bunInvoice)(nil)).IfNotExists().
				ForeignKey(`(account_id) REFERENCES accounts (id) ON DELETE CASCADE`).Exec(ctx)
			must(t, "CreateTable(invoices)", err)
			_, err = db.NewCreateIndex().Model((*bunInvoice)(nil)).Index("invoices_account_id_idx").Column("account_id").Exec(ctx)
			must(t, "CreateIndex", err)

			accounts := []bunAccount{
				{Name: "ada", Email: "ada@example.com", SSN: "123-45-6789", CreatedAt: testTime},
				{Name: "alan", Email: "alan@example.org", SSN: "987-65-4321", CreatedAt: testTime},
			}
			_, err = db.NewInsert().Model(&accounts).Exec(ctx)
			must(t, "Insert(accounts)", err)
			inv := []bunInvoice{{AccountID: 1, Total: 100}, {AccountID: 1, Total: 250, Paid: true}, {AccountID: 2, Total: 75}}
			_, err = db.NewInsert().Model(&inv).Exec(ctx)
			must(t, "Insert(invoices)", err)

			var got bunAccount
			must(t, "Select one", db.NewSelect().Model(&got).Where("name = ?", "ada").Scan(ctx))
			if !*update && (got.Email == "ada@example.com" || got.SSN == "123-45-6789") {
				t.Errorf("Select one = %q %q, want masked email and ssn", got.Email, got.SSN)
			}
			var withAccount []bunInvoice
			must(t, "Select with relation", db.NewSelect().Model(&withAccount).Relation("Account").Order("invoice.id").Scan(ctx))
			if len(withAccount) != 3 || withAccount[0].Account == nil {
				t.Errorf("Select with relation = %d invoices, want 3 with their account", len(withAccount))
			}
			n, err := db.NewSelect().Model((*bunInvoice)(nil)).Where("paid = ?", false).Count(ctx)
			must(t, "Count", err)
			if n != 2 {
				t.Errorf("Count(unpaid) = %d, want 2", n)
			}
			var sums []struct {
				AccountID int64 `bun:"account_id"`
				Sum       int64 `bun:"sum"`
			}
			must(t, "Group", db.NewSelect().Model((*bunInvoice)(nil)).Column("account_id").ColumnExpr("sum(total) AS sum").Group("account_id").Order("account_id").Scan(ctx, &sums))
			var page []bunAccount
			count, err := db.NewSelect().Model(&page).Order("id").Limit(1).Offset(1).ScanAndCount(ctx)
			must(t, "ScanAndCount", err)
			if count != 2 || len(page) != 1 {
				t.Errorf("ScanAndCount = %d rows of %d, want 1 of 2", len(page), count)
			}
			var exists bool
			exists, err = db.NewSelect().Model((*bunAccount)(nil)).Where("name = ?", "alan").Exists(ctx)
			must(t, "Exists", err)
			if !exists {
				t.Error("Exists(alan) = false, want true")
			}

			_, err = db.NewUpdate().Model((*bunInvoice)(nil)).Set("paid = ?", true).Where("total > ?", 200).Exec(ctx)
			must(t, "Update", err)
			got.Name = "ada l."
			_, err = db.NewUpdate().Model(&got).Column("name").WherePK().Exec(ctx)
			must(t, "Update model", err)
			must(t, "RunInTx", db.RunInTx(ctx, &sql.TxOptions{}, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.NewInsert().Model(&bunInvoice{AccountID: 2, Total: 5}).Exec(ctx); err != nil {
					return err
				}
				_, err := tx.NewDelete().Model((*bunInvoice)(nil)).Where("total < ?", 10).Exec(ctx)
				return err
			}))
			must(t, "locking read", db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				q := tx.NewSelect().Model((*bunInvoice)(nil)).Column("id").Where("paid = ?", false).Order("id").Limit(1)
				if drv != drvSQLite {
					q = q.For("UPDATE SKIP LOCKED")
				}
				var id int64
				return q.Scan(ctx, &id)
			}))
			upsert := db.NewInsert().Model(&bunInvoice{ID: 1, AccountID: 1, Total: 101})
			if drv == drvMySQL {
				upsert = upsert.On("DUPLICATE KEY UPDATE").Set("total = VALUES(total)")
			} else {
				upsert = upsert.On("CONFLICT (id) DO UPDATE").Set("total = EXCLUDED.total")
			}
			_, err = upsert.Exec(ctx)
			must(t, "upsert", err)
			var names []string
			must(t, "Raw", db.NewRaw("SELECT name FROM accounts WHERE id IN (?)", bun.In([]int64{1, 2})).Scan(ctx, &names))
			noDenials(t, c)
		})
	}
}
