package sqlvigil

import (
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"slices"

	"github.com/sqlvigil/sqlvigil/driver"
)

// Prefix is prepended to a driver's name by [RegisterOver].
const Prefix = "vigil:"

// ErrNotRegistered is returned by [Open] and [RegisterOver] for a driver
// name database/sql does not know; ErrRegistered by [Register] and
// [RegisterOver] for a name already taken. Use errors.Is.
var (
	ErrNotRegistered = errors.New("sqlvigil: driver not registered")
	ErrRegistered    = errors.New("sqlvigil: driver name already registered")
)

// Open opens a database through the registered driver driverName, wrapped:
// it is sql.Open with sqlvigil in between. It connects no sooner than
// sql.Open does. The database name, host and port in dsn (never the user
// or password) go into audit records; options override them.
func Open(driverName, dsn string, opts ...Option) (*sql.DB, error) {
	drv, err := lookup(driverName)
	if err != nil {
		return nil, err
	}
	w, err := Wrap(drv, opts...)
	if err != nil {
		return nil, err
	}
	c, err := w.(sqldriver.DriverContext).OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// OpenDB opens a database on connector c, wrapped: it is sql.OpenDB with
// sqlvigil in between. Closing the database closes c if c has a Close
// method.
func OpenDB(c sqldriver.Connector, opts ...Option) (*sql.DB, error) {
	w, err := WrapConnector(c, opts...)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(w), nil
}

// Wrap returns drv wrapped, for sql.Register or a framework that takes a
// driver.Driver.
func Wrap(drv sqldriver.Driver, opts ...Option) (sqldriver.Driver, error) {
	cfg, err := config(opts)
	if err != nil {
		return nil, err
	}
	return driver.New(drv, cfg)
}

// WrapConnector returns c wrapped, for sql.OpenDB or a framework that takes
// a driver.Connector.
func WrapConnector(c sqldriver.Connector, opts ...Option) (sqldriver.Connector, error) {
	cfg, err := config(opts)
	if err != nil {
		return nil, err
	}
	return driver.NewConnector(c, cfg)
}

// Register registers drv, wrapped, with database/sql under name. Unlike
// sql.Register it never panics: a taken name is [ErrRegistered].
func Register(name string, drv sqldriver.Driver, opts ...Option) error {
	if name == "" {
		return fmt.Errorf("%w: empty driver name", driver.ErrConfig)
	}
	if slices.Contains(sql.Drivers(), name) {
		return fmt.Errorf("%w: %q", ErrRegistered, name)
	}
	w, err := Wrap(drv, opts...)
	if err != nil {
		return err
	}
	return register(name, w)
}

// RegisterOver registers the already registered driver driverName, wrapped,
// under [Prefix]+driverName and returns that name, so that swapping one
// driver name in sql.Open (or in a framework's configuration) puts sqlvigil
// in between:
//
//	name, err := sqlvigil.RegisterOver("postgres", sqlvigil.WithPolicy(p))
//	// name == "vigil:postgres"
//	db, err := sql.Open(name, dsn)
func RegisterOver(driverName string, opts ...Option) (string, error) {
	drv, err := lookup(driverName)
	if err != nil {
		return "", err
	}
	name := Prefix + driverName
	return name, Register(name, drv, opts...)
}

// register calls sql.Register, turning a panic of a racing registration
// into an error.
func register(name string, drv sqldriver.Driver) (err error) {
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("%w: %q", ErrRegistered, name)
		}
	}()
	sql.Register(name, drv)
	return nil
}

// lookup returns the driver registered as name, without connecting.
func lookup(name string) (sqldriver.Driver, error) {
	if !slices.Contains(sql.Drivers(), name) {
		return nil, fmt.Errorf("%w: %q (is its package imported?)", ErrNotRegistered, name)
	}
	db, err := sql.Open(name, "")
	if err != nil {
		return nil, fmt.Errorf("sqlvigil: look up driver %q: %w", name, err)
	}
	drv := db.Driver()
	_ = db.Close()
	return drv, nil
}
