package frameworks_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// GORM models: customers carry the masked columns email and ssn; products
// carry none.
type gormCustomer struct {
	ID        uint        `gorm:"primaryKey"`
	Name      string      `gorm:"size:100;not null"`
	Email     string      `gorm:"size:200;uniqueIndex"`
	SSN       string      `gorm:"column:ssn;size:20"`
	Orders    []gormOrder `gorm:"foreignKey:CustomerID"`
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt gorm.DeletedAt `gorm:"index"`
}

func (gormCustomer) TableName() string { return "customers" }

type gormOrder struct {
	ID         uint `gorm:"primaryKey"`
	CustomerID uint `gorm:"index;not null"`
	Amount     float64
	Status     string `gorm:"size:20;default:new"`
	CreatedAt  time.Time
}

func (gormOrder) TableName() string { return "orders" }

type gormProduct struct {
	ID    uint   `gorm:"primaryKey"`
	Code  string `gorm:"size:40;uniqueIndex"`
	Price int64
}

func (gormProduct) TableName() string { return "products" }

// gormProductV2 is products one deploy later: a new column and index.
type gormProductV2 struct {
	ID       uint   `gorm:"primaryKey"`
	Code     string `gorm:"size:40;uniqueIndex"`
	Price    int64
	Currency string `gorm:"size:3;default:EUR;index"`
}

func (gormProductV2) TableName() string { return "products" }

func openGORM(t *testing.T, c *conn) *gorm.DB {
	t.Helper()
	var d gorm.Dialector
	switch c.driver {
	case drvPGX:
		d = postgres.New(postgres.Config{Conn: c.db})
	case drvMySQL:
		d = mysql.New(mysql.Config{Conn: c.db})
	default:
		t.Fatalf("no GORM dialector for %s in this module", c.driver)
	}
	g, err := gorm.Open(d, &gorm.Config{TranslateError: true, Logger: logger.Discard})
	must(t, "gorm.Open", err)
	return g.WithContext(c.ctx)
}

// TestGORM runs AutoMigrate twice (the second run inspects existing
// tables), CRUD, associations, introspection and a duplicate key through
// sqlvigil with the masking rules in force for the migrator. GORM's
// PostgreSQL dialector is run on pgx, its own driver: on lib/pq its second
// AutoMigrate fails without sqlvigil too (pq: got 2 parameters but the
// statement requires 1). GORM's SQLite dialectors need cgo or register a
// second "sqlite" driver, so SQLite is left to the other libraries.
func TestGORM(t *testing.T) {
	for _, drv := range []string{drvPGX, drvMySQL} {
		t.Run(drv, func(t *testing.T) {
			c := open(t, drv, "gorm")
			g := openGORM(t, c)

			must(t, "AutoMigrate (first run)", g.AutoMigrate(&gormCustomer{}, &gormOrder{}, &gormProduct{}))
			ada := gormCustomer{Name: "Ada", Email: "ada@example.com", SSN: "123-45-6789",
				Orders: []gormOrder{{Amount: 10.5, Status: "paid"}, {Amount: 20}}}
			must(t, "Create with associations", g.Create(&ada).Error)
			must(t, "Create in batches", g.CreateInBatches([]gormCustomer{
				{Name: "Alan", Email: "alan@example.org", SSN: "987-65-4321"},
				{Name: "Grace", Email: "grace@example.net", SSN: "555-12-3456"},
			}, 10).Error)

			var got gormCustomer
			must(t, "First", g.First(&got, ada.ID).Error)
			if got.Name != "Ada" || !*update && (got.Email == "ada@example.com" || got.SSN == "123-45-6789") {
				t.Errorf("First = %q %q %q, want Ada with masked email and ssn", got.Name, got.Email, got.SSN)
			}
			var withOrders []gormCustomer
			must(t, "Preload", g.Preload("Orders").Where("name IN ?", []string{"Ada", "Alan"}).Order("id").Find(&withOrders).Error)
			if len(withOrders) != 2 || len(withOrders[0].Orders) != 2 {
				t.Errorf("Preload = %d customers, want 2 with Ada's 2 orders", len(withOrders))
			}
			var n int64
			must(t, "Count", g.Model(&gormOrder{}).Where("amount > ?", 5).Count(&n).Error)
			var names []string
			must(t, "Pluck", g.Model(&gormCustomer{}).Order("name").Pluck("name", &names).Error)
			var totals []struct {
				CustomerID uint
				Total      float64
			}
			must(t, "Group", g.Model(&gormOrder{}).Select("customer_id, sum(amount) AS total").Group("customer_id").Having("count(*) > ?", 0).Scan(&totals).Error)
			must(t, "Joins", g.Model(&gormOrder{}).Joins("JOIN customers ON customers.id = orders.customer_id").Where("customers.name = ?", "Ada").Count(&n).Error)

			must(t, "Update", g.Model(&ada).Update("name", "Ada L.").Error)
			must(t, "Updates", g.Model(&gormOrder{}).Where("status = ?", "new").Updates(map[string]any{"status": "open"}).Error)
			must(t, "Save", g.Save(&gormProduct{Code: "P-1", Price: 100}).Error)
			must(t, "Transaction", g.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&gormProduct{Code: "P-2", Price: 200}).Error; err != nil {
					return err
				}
				return tx.Model(&gormProduct{}).Where("code = ?", "P-2").Update("price", gorm.Expr("price + ?", 1)).Error
			}))
			must(t, "Delete (soft)", g.Delete(&gormCustomer{}, "name = ?", "Grace").Error)
			must(t, "Unscoped Delete", g.Unscoped().Where("customer_id = ?", ada.ID).Delete(&gormOrder{}).Error)
			var prods []gormProduct
			must(t, "Raw", g.Raw("SELECT id, code, price FROM products WHERE price >= ? ORDER BY code", 100).Scan(&prods).Error)
			if len(prods) != 2 {
				t.Errorf("Raw = %d products, want 2", len(prods))
			}
			must(t, "nested Transaction", g.Transaction(func(tx *gorm.DB) error {
				var locked gormProduct
				if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("code = ?", "P-1").First(&locked).Error; err != nil {
					return err
				}
				_ = tx.Transaction(func(tx2 *gorm.DB) error {
					if err := tx2.Model(&locked).Update("price", 0).Error; err != nil {
						return err
					}
					return errors.New("roll back to the savepoint")
				})
				return tx.Clauses(clause.OnConflict{
					Columns:   []clause.Column{{Name: "code"}},
					DoUpdates: clause.AssignmentColumns([]string{"price"}),
				}).Create(&gormProduct{Code: "P-1", Price: 150}).Error
			}))
			var batch []gormCustomer
			must(t, "FindInBatches", g.FindInBatches(&batch, 1, func(tx *gorm.DB, n int) error { return nil }).Error)
			var page []gormCustomer
			must(t, "paginate", g.Order("id").Limit(1).Offset(1).Find(&page).Error)

			// The next deploy: AutoMigrate inspects the tables it made.
			must(t, "AutoMigrate (second run)", g.AutoMigrate(&gormCustomer{}, &gormOrder{}, &gormProduct{}))
			must(t, "AutoMigrate (new column)", g.AutoMigrate(&gormProductV2{}))

			m := g.Migrator()
			for _, tt := range []struct {
				give string
				got  bool
			}{
				{"HasTable(customers)", m.HasTable(&gormCustomer{})},
				{"HasColumn(customers.email)", m.HasColumn(&gormCustomer{}, "Email")},
				{"HasIndex(products.currency)", m.HasIndex(&gormProductV2{}, "Currency")},
				{"HasConstraint(orders.fk)", m.HasConstraint(&gormCustomer{}, "Orders")},
			} {
				if !tt.got {
					t.Errorf("%s = false, want true", tt.give)
				}
			}
			cols, err := m.ColumnTypes(&gormCustomer{})
			must(t, "ColumnTypes", err)
			if len(cols) != 7 {
				t.Errorf("ColumnTypes(customers) = %d columns, want 7", len(cols))
			}
			tables, err := m.GetTables()
			must(t, "GetTables", err)
			if len(tables) != 3 {
				t.Errorf("GetTables = %v, want 3 tables", tables)
			}

			noDenials(t, c)
			// Last, as a known failure skips the rest of the test.
			if err := g.Create(&gormProduct{Code: "P-1", Price: 1}).Error; !errors.Is(err, gorm.ErrDuplicatedKey) {
				must(t, "TranslateError", fmt.Errorf("duplicate product: got %v, want gorm.ErrDuplicatedKey", err))
			}
		})
	}
}
