package frameworks_test

import (
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

type sqlxEmployee struct {
	ID      int64     `db:"id"`
	Name    string    `db:"name"`
	Email   string    `db:"email"`
	SSN     string    `db:"ssn"`
	Dept    string    `db:"dept"`
	Salary  int64     `db:"salary"`
	HiredAt time.Time `db:"hired_at"`
}

// sqlxSchema is the DDL a service using sqlx runs itself, per driver.
var sqlxSchema = map[string][]string{
	drvPQ: {
		`CREATE TABLE departments (code VARCHAR(10) PRIMARY KEY, title TEXT NOT NULL)`,
		`CREATE TABLE employees (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, ssn TEXT, dept VARCHAR(10) REFERENCES departments (code), salary BIGINT NOT NULL DEFAULT 0, hired_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
	},
	drvMySQL: {
		`CREATE TABLE departments (code VARCHAR(10) PRIMARY KEY, title TEXT NOT NULL)`,
		`CREATE TABLE employees (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200) UNIQUE, ssn VARCHAR(20), dept VARCHAR(10), salary BIGINT NOT NULL DEFAULT 0, hired_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY (dept) REFERENCES departments (code))`,
	},
	drvSQLite: {
		`CREATE TABLE departments (code TEXT PRIMARY KEY, title TEXT NOT NULL)`,
		`CREATE TABLE employees (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, email TEXT UNIQUE, ssn TEXT, dept TEXT REFERENCES departments (code), salary INTEGER NOT NULL DEFAULT 0, hired_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
	},
}

// TestSQLX uses sqlx on the wrapped *sql.DB. sqlx picks its placeholder
// style from the driver name: a name sqlvigil registers ("vigil:postgres")
// is told to sqlx once with sqlx.BindDriver.
func TestSQLX(t *testing.T) {
	binds := map[string]int{drvPQ: sqlx.DOLLAR, drvPGX: sqlx.DOLLAR, drvMySQL: sqlx.QUESTION, drvSQLite: sqlx.QUESTION}
	for _, drv := range allDrivers {
		t.Run(drv, func(t *testing.T) {
			c := open(t, drv, "sqlx")
			name := "vigil:" + drv
			sqlx.BindDriver(name, binds[drv])
			db := sqlx.NewDb(c.db, name)
			ctx := c.ctx
			ddl := sqlxSchema[drv]
			if drv == drvPGX {
				ddl = sqlxSchema[drvPQ]
			}
			for _, q := range ddl {
				_, err := db.ExecContext(ctx, q)
				must(t, "schema", err)
			}
			_, err := db.NamedExecContext(ctx, `INSERT INTO departments (code, title) VALUES (:code, :title)`,
				[]map[string]any{{"code": "eng", "title": "Engineering"}, {"code": "ops", "title": "Operations"}})
			must(t, "NamedExec batch", err)
			for _, e := range []sqlxEmployee{
				{Name: "ada", Email: "ada@example.com", SSN: "123-45-6789", Dept: "eng", Salary: 120, HiredAt: testTime},
				{Name: "alan", Email: "alan@example.org", SSN: "987-65-4321", Dept: "eng", Salary: 110, HiredAt: testTime},
				{Name: "grace", Email: "grace@example.net", SSN: "555-12-3456", Dept: "ops", Salary: 130, HiredAt: testTime},
			} {
				_, err := db.NamedExecContext(ctx, `INSERT INTO employees (name, email, ssn, dept, salary, hired_at) VALUES (:name, :email, :ssn, :dept, :salary, :hired_at)`, e)
				must(t, "NamedExec", err)
			}

			var all []sqlxEmployee
			must(t, "Select *", db.SelectContext(ctx, &all, `SELECT * FROM employees ORDER BY id`))
			if len(all) != 3 || !*update && (all[0].Email == "ada@example.com" || all[0].SSN == "123-45-6789") {
				t.Errorf("Select * = %d rows, want 3 with masked email and ssn", len(all))
			}
			var one sqlxEmployee
			must(t, "Get", db.GetContext(ctx, &one, db.Rebind(`SELECT id, name, email, ssn, dept, salary, hired_at FROM employees WHERE name = ?`), "grace"))
			q, args, err := sqlx.In(`SELECT name FROM employees WHERE dept IN (?) ORDER BY name`, []string{"eng", "ops"})
			must(t, "sqlx.In", err)
			var names []string
			must(t, "Select In", db.SelectContext(ctx, &names, db.Rebind(q), args...))
			if len(names) != 3 {
				t.Errorf("Select In = %q, want 3 names", names)
			}
			rows, err := db.NamedQueryContext(ctx, `SELECT e.name, d.title FROM employees e JOIN departments d ON d.code = e.dept WHERE e.salary >= :min`, map[string]any{"min": 115})
			must(t, "NamedQuery", err)
			for rows.Next() {
				var r struct {
					Name  string `db:"name"`
					Title string `db:"title"`
				}
				must(t, "StructScan", rows.StructScan(&r))
			}
			must(t, "rows", rows.Err())
			rows.Close()
			var total int64
			must(t, "Get sum", db.GetContext(ctx, &total, `SELECT COALESCE(SUM(salary), 0) FROM employees`))
			if total != 360 {
				t.Errorf("sum(salary) = %d, want 360", total)
			}

			stmt, err := db.PreparexContext(ctx, db.Rebind(`SELECT name, email FROM employees WHERE id = ?`))
			must(t, "Preparex", err)
			var pe struct {
				Name  string `db:"name"`
				Email string `db:"email"`
			}
			must(t, "Stmt.Get", stmt.GetContext(ctx, &pe, 1))
			stmt.Close()

			tx, err := db.BeginTxx(ctx, nil)
			must(t, "Beginx", err)
			_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE employees SET salary = salary + ? WHERE dept = ?`), 5, "eng")
			must(t, "tx update", err)
			_, err = tx.NamedExecContext(ctx, `DELETE FROM employees WHERE name = :name`, map[string]any{"name": "grace"})
			must(t, "tx delete", err)
			must(t, "Commit", tx.Commit())
			noDenials(t, c)
		})
	}
}
