package sqlvigil_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"

	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/sqlvigil/sqlvigil"
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
