package driver_test

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"log"

	"modernc.org/sqlite"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/driver"
	"github.com/sqlvigil/sqlvigil/guard"
)

// A driver wrapped with a Config, registered under a name of its own.
func ExampleNew() {
	policy, err := guard.New(guard.WithRules(guard.MissingWhere()))
	if err != nil {
		log.Fatal(err)
	}
	d, err := driver.New(&sqlite.Driver{}, driver.Config{Policy: policy})
	if err != nil {
		log.Fatal(err)
	}
	sql.Register("vigil-sqlite-example", d)
	db, err := sql.Open("vigil-sqlite-example", "file:example_new?mode=memory&cache=shared")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INTEGER)"); err != nil {
		log.Fatal(err)
	}
	_, err = db.ExecContext(ctx, "DELETE FROM t")
	var be *guard.BlockedError
	if errors.As(err, &be) {
		fmt.Println("blocked by", be.Rule)
	}
	// Output: blocked by missing-where
}

func ExampleRawConn() {
	base, err := sql.Open("sqlite", "")
	if err != nil {
		log.Fatal(err)
	}
	w, err := sqlvigil.Wrap(base.Driver())
	if err != nil {
		log.Fatal(err)
	}
	base.Close()
	connector, err := w.(sqldriver.DriverContext).OpenConnector("file:example_raw?mode=memory&cache=shared")
	if err != nil {
		log.Fatal(err)
	}
	wrapped := sql.OpenDB(connector)
	defer wrapped.Close()

	ctx := context.Background()
	conn, err := wrapped.Conn(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	// The escape hatch: the driver's own connection, outside sqlvigil.
	err = conn.Raw(func(dc any) error {
		raw, err := driver.RawConn(ctx, dc)
		if err != nil {
			return err
		}
		fmt.Printf("%T\n", raw)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output: *sqlite.conn
}
