package sqlvigil_test

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"log"

	"modernc.org/sqlite" // also registers "sqlite"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
)

func Example() {
	// sql.Open("sqlite", …) becomes sqlvigil.Open("sqlite", …).
	db, err := sqlvigil.Open("sqlite", "file:example?mode=memory&cache=shared")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// Who is asking travels with each request's context.
	ctx := identity.NewContext(context.Background(), identity.Identity{
		Kind:    identity.KindUser,
		Subject: "u-42",
		Roles:   []string{"support"},
	})
	if _, err := db.ExecContext(ctx, "CREATE TABLE notes (id INTEGER, body TEXT)"); err != nil {
		log.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO notes VALUES (?, ?)", 1, "hello"); err != nil {
		log.Fatal(err)
	}
	var body string
	if err := db.QueryRowContext(ctx, "SELECT body FROM notes WHERE id = ?", 1).Scan(&body); err != nil {
		log.Fatal(err)
	}
	fmt.Println(body)
	// Output: hello
}

func ExampleRegisterOver() {
	// Register "vigil:sqlite" over the already registered "sqlite" driver,
	// for code that takes a driver name.
	name, err := sqlvigil.RegisterOver("sqlite")
	if err != nil {
		log.Fatal(err)
	}
	db, err := sql.Open(name, "file:register?mode=memory&cache=shared")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT 40 + 2").Scan(&n); err != nil {
		log.Fatal(err)
	}
	fmt.Println(name, n)

	// Registering the same name again is an error, never a panic.
	_, err = sqlvigil.RegisterOver("sqlite")
	fmt.Println(errors.Is(err, sqlvigil.ErrRegistered))
	// Output:
	// vigil:sqlite 42
	// true
}

// Wrap returns the wrapped driver.Driver, for sql.Register under a name of
// your choosing or a framework that takes a driver.
func ExampleWrap() {
	policy, err := guard.New(guard.WithRules(guard.MissingWhere()))
	if err != nil {
		log.Fatal(err)
	}
	d, err := sqlvigil.Wrap(&sqlite.Driver{}, sqlvigil.WithPolicy(policy))
	if err != nil {
		log.Fatal(err)
	}
	connector, err := d.(sqldriver.DriverContext).OpenConnector("file:example_wrap?mode=memory&cache=shared")
	if err != nil {
		log.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()

	if _, err := db.Exec("CREATE TABLE orders (id INTEGER)"); err != nil {
		log.Fatal(err)
	}
	_, err = db.Exec("DELETE FROM orders")
	var be *guard.BlockedError
	if errors.As(err, &be) { // also errors.Is(err, guard.ErrBlocked)
		fmt.Printf("refused by %s\n", be.Rule)
	}
	// Output: refused by missing-where
}

// dsnConnector stands for a driver's connector (pgx's stdlib.GetConnector,
// mysql.NewConnector).
type dsnConnector struct {
	drv sqldriver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (sqldriver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() sqldriver.Driver                        { return c.drv }

// OpenDB wraps a connector in place of sql.OpenDB; a connector hides its
// DSN, so the audit records' database and server are named by options.
func ExampleOpenDB() {
	base := dsnConnector{drv: &sqlite.Driver{}, dsn: "file:example_opendb?mode=memory&cache=shared"}
	db, err := sqlvigil.OpenDB(base, sqlvigil.WithNamespace("orders"), sqlvigil.WithServer("localhost", 0))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT 6 * 7").Scan(&n); err != nil {
		log.Fatal(err)
	}
	fmt.Println(n)
	// Output: 42
}
