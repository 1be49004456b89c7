package driver

import (
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"reflect"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/mask"
)

// Dialect is the SQL dialect statements are read in.
type Dialect = sqlparse.Dialect

// Dialects.
const (
	DialectUnknown = sqlparse.DialectUnknown
	PostgreSQL     = sqlparse.PostgreSQL
	MySQL          = sqlparse.MySQL // MySQL and MariaDB
	SQLite         = sqlparse.SQLite
)

// ErrConfig reports an invalid configuration. Use errors.Is.
var ErrConfig = errors.New("sqlvigil: invalid configuration")

// ErrUnknownDialect reports a driver whose SQL dialect cannot be told from
// its type, with no WithDialect option. It matches ErrConfig too.
var ErrUnknownDialect = fmt.Errorf("%w: unknown SQL dialect", ErrConfig)

const defaultCacheSize = sqlparse.DefaultCacheEntries

type config struct {
	policy          *guard.Policy
	masker          *mask.Masker
	auditor         *audit.Auditor
	dialect         Dialect
	defaultIdentity identity.Identity
	baggage         bool
	environment     string
	cacheSize       int
	namespace       string
	serverAddress   string
	serverPort      int
	// namespaceSet and serverSet say that an option named them: a DSN does
	// not override it.
	namespaceSet bool
	serverSet    bool
	// ordered is true when the driver returns the result sets of a stacked
	// script one per statement that returns rows, in statement order.
	ordered bool

	analyze func(Dialect, string) *sqlparse.Script
	hooks   *hooks // set by tests only

	// nilOption names an option given nil: most likely a value whose
	// constructor's error was dropped, which would otherwise leave
	// statements unguarded, unmasked or unrecorded without a word.
	nilOption string
}

// hooks observe the pipeline, for tests.
type hooks struct {
	begin func(method string)
	end   func(audit.Outcome)
}

// newConfig applies opts over the defaults, detects the dialect from the
// wrapped driver (drv) when no option sets it, and validates the result.
func newConfig(drv any, opts []Option) (*config, error) {
	c := &config{cacheSize: defaultCacheSize}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if c.nilOption != "" {
		return nil, fmt.Errorf("%w: %s(nil); leave the option out to have none", ErrConfig, c.nilOption)
	}
	if c.dialect > SQLite {
		return nil, fmt.Errorf("%w: dialect %d does not exist", ErrConfig, c.dialect)
	}
	pkg := driverPackage(drv)
	if c.dialect == DialectUnknown {
		c.dialect = dialectOf(pkg)
	}
	c.ordered = orderedResults(pkg)
	if c.dialect == DialectUnknown {
		return nil, fmt.Errorf("%w: driver type %s is not one sqlvigil recognises; set the dialect with WithDialect", ErrUnknownDialect, typeName(drv))
	}
	if c.serverPort < 0 || c.serverPort > 65535 {
		return nil, fmt.Errorf("%w: server port %d out of range", ErrConfig, c.serverPort)
	}
	if c.cacheSize < 0 {
		return nil, fmt.Errorf("%w: negative statement cache size", ErrConfig)
	}
	c.analyze = newAnalyzer(c.cacheSize)
	return c, nil
}

// forDSN returns the configuration of a connector opened with dsn: c with
// the database name and server the DSN names, where no option set them;
// c itself when nothing changes. The statement cache is shared.
func (c *config) forDSN(dsn string) *config {
	if (c.namespaceSet && c.serverSet) || !c.active() {
		return c
	}
	ns, host, port := parseDSN(dsn)
	if (c.namespaceSet || ns == "") && (c.serverSet || host == "") {
		return c
	}
	cp := *c
	if !c.namespaceSet && ns != "" {
		cp.namespace = ns
	}
	if !c.serverSet && host != "" {
		cp.serverAddress, cp.serverPort = host, port
	}
	return &cp
}

// active reports whether anything consumes the pipeline; when nothing does
// statements pass straight through.
func (c *config) active() bool {
	return c.policy != nil || c.masker != nil || c.auditor != nil || c.hooks != nil
}

func typeName(v any) string {
	if v == nil {
		return "<nil>"
	}
	return reflect.TypeOf(v).String()
}

// dialectOf maps a driver's package path to its dialect.
func dialectOf(pkgPath string) Dialect {
	switch pkgPath {
	case "github.com/lib/pq", "github.com/jackc/pgx/v5/stdlib", "github.com/jackc/pgx/v4/stdlib":
		return PostgreSQL
	case "github.com/go-sql-driver/mysql":
		return MySQL
	case "modernc.org/sqlite", "github.com/mattn/go-sqlite3":
		return SQLite
	default:
		return DialectUnknown
	}
}

// orderedResults reports whether the driver of package pkg returns the
// result sets of a stacked script one per statement that returns rows, in
// statement order (measured: lib/pq and go-sql-driver/mysql do;
// modernc.org/sqlite returns the last statement's rows only).
func orderedResults(pkg string) bool {
	return pkg == "github.com/lib/pq" || pkg == "github.com/go-sql-driver/mysql"
}

// detectDialect tells the dialect from the package that defines the
// driver's (or connector's) type, without importing any driver.
func detectDialect(v any) Dialect { return dialectOf(driverPackage(v)) }

// driverPackage is the package path of the first driver sqlvigil
// recognises in v, looking through wrappers that expose Unwrap; "" when
// none.
func driverPackage(v any) string {
	for range 8 { // bounded: a wrapper chain is short
		if v == nil {
			return ""
		}
		t := reflect.TypeOf(v)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if dialectOf(t.PkgPath()) != DialectUnknown {
			return t.PkgPath()
		}
		switch u := v.(type) {
		case interface{ Unwrap() sqldriver.Driver }:
			v = u.Unwrap()
		case interface{ Unwrap() sqldriver.Connector }:
			v = u.Unwrap()
		case sqldriver.Connector:
			v = u.Driver()
		default:
			return ""
		}
	}
	return ""
}
