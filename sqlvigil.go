package sqlvigil

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"slices"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/driver"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

// Option configures sqlvigil. It is the driver package's option type.
type Option = driver.Option

// Dialect is the SQL dialect statements are read in.
type Dialect = driver.Dialect

// Dialects, for [WithDialect].
const (
	PostgreSQL = driver.PostgreSQL
	MySQL      = driver.MySQL // MySQL and MariaDB
	SQLite     = driver.SQLite
)

// Errors, matched with errors.Is.
var (
	// ErrConfig reports an invalid configuration.
	ErrConfig = driver.ErrConfig
	// ErrUnknownDialect reports a driver whose dialect is not recognised
	// and no [WithDialect].
	ErrUnknownDialect = driver.ErrUnknownDialect
	// ErrNotRegistered reports a driver name database/sql does not know.
	ErrNotRegistered = errors.New("sqlvigil: driver not registered")
	// ErrRegistered reports a name already taken by another driver.
	ErrRegistered = errors.New("sqlvigil: driver name already registered")
	// ErrTooManyRows reports a statement that changed more rows than the
	// policy allows; see [RowsAffectedError].
	ErrTooManyRows = driver.ErrTooManyRows
	// ErrNotWrapped is returned by [RawConn] for a connection sqlvigil
	// does not wrap.
	ErrNotWrapped = driver.ErrNotWrapped
)

// RowsAffectedError is the detail of [ErrTooManyRows].
type RowsAffectedError = driver.RowsAffectedError

// RawConn returns the driver's own connection from the value sql.Conn.Raw
// hands to its callback, and records the access. It is the escape hatch:
// what is sent on that connection bypasses sqlvigil.
func RawConn(ctx context.Context, driverConn any) (any, error) {
	return driver.RawConn(ctx, driverConn)
}

// Prefix is prepended to a driver's name by [RegisterOver].
const Prefix = "vigil:"

// WithPolicy sets the policy that decides on every statement. A nil policy
// is a configuration error (ErrConfig).
func WithPolicy(p *guard.Policy) Option { return driver.WithPolicy(p) }

// WithMasker sets the masking rules applied to every result set. A nil
// masker is a configuration error (ErrConfig).
func WithMasker(m *mask.Masker) Option { return driver.WithMasker(m) }

// WithAuditor sets the auditor that records every statement. A nil
// auditor is a configuration error (ErrConfig).
func WithAuditor(a *audit.Auditor) Option { return driver.WithAuditor(a) }

// WithDialect sets the SQL dialect, required for a driver sqlvigil does not
// recognise.
func WithDialect(d Dialect) Option { return driver.WithDialect(d) }

// WithDefaultIdentity sets the identity of statements whose context
// carries none.
func WithDefaultIdentity(id identity.Identity) Option { return driver.WithDefaultIdentity(id) }

// WithBaggageIdentity reads an (untrusted) identity from OpenTelemetry
// baggage when the context carries none.
func WithBaggageIdentity() Option { return driver.WithBaggageIdentity() }

// WithEnvironment names where the service runs, for policies.
func WithEnvironment(env string) Option { return driver.WithEnvironment(env) }

// WithNamespace names the database, for audit records. [Open] and a
// registered driver read it from the DSN; [OpenDB] and [WrapConnector] need
// this option.
func WithNamespace(name string) Option { return driver.WithNamespace(name) }

// WithServer names the database server, for audit records. [Open] and a
// registered driver read it from the DSN; [OpenDB] and [WrapConnector] need
// this option.
func WithServer(address string, port int) Option { return driver.WithServer(address, port) }

// WithStatementCacheSize sets how many analysed statement texts are kept.
func WithStatementCacheSize(n int) Option { return driver.WithStatementCacheSize(n) }

// Open opens a database through the registered driver driverName, wrapped:
// it is sql.Open with sqlvigil in between. It connects no sooner than
// sql.Open does. The database name, host and port in dsn (never the user
// or password) go into audit records; options override them.
func Open(driverName, dsn string, opts ...Option) (*sql.DB, error) {
	drv, err := lookup(driverName)
	if err != nil {
		return nil, err
	}
	w, err := driver.Wrap(drv, opts...)
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
	w, err := driver.WrapConnector(c, opts...)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(w), nil
}

// Wrap returns drv wrapped, for sql.Register or a framework that takes a
// driver.Driver.
func Wrap(drv sqldriver.Driver, opts ...Option) (sqldriver.Driver, error) {
	return driver.Wrap(drv, opts...)
}

// WrapConnector returns c wrapped, for sql.OpenDB or a framework that takes
// a driver.Connector.
func WrapConnector(c sqldriver.Connector, opts ...Option) (sqldriver.Connector, error) {
	return driver.WrapConnector(c, opts...)
}

// Register registers drv, wrapped, with database/sql under name. Unlike
// sql.Register it never panics: a taken name is [ErrRegistered].
func Register(name string, drv sqldriver.Driver, opts ...Option) error {
	if name == "" {
		return fmt.Errorf("%w: empty driver name", ErrConfig)
	}
	if slices.Contains(sql.Drivers(), name) {
		return fmt.Errorf("%w: %q", ErrRegistered, name)
	}
	w, err := driver.Wrap(drv, opts...)
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
