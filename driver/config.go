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

	analyze func(Dialect, string) *sqlparse.Script
	hooks   *hooks // set by tests only
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
	if c.dialect > SQLite {
		return nil, fmt.Errorf("%w: dialect %d does not exist", ErrConfig, c.dialect)
	}
	if c.dialect == DialectUnknown {
		c.dialect = detectDialect(drv)
	}
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

// detectDialect tells the dialect from the package that defines the
// driver's (or connector's) type, without importing any driver. Wrappers
// that expose Unwrap are looked through.
func detectDialect(v any) Dialect {
	for range 8 { // bounded: a wrapper chain is short
		if v == nil {
			return DialectUnknown
		}
		t := reflect.TypeOf(v)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if d := dialectOf(t.PkgPath()); d != DialectUnknown {
			return d
		}
		switch u := v.(type) {
		case interface{ Unwrap() sqldriver.Driver }:
			v = u.Unwrap()
		case interface{ Unwrap() sqldriver.Connector }:
			v = u.Unwrap()
		case sqldriver.Connector:
			v = u.Driver()
		default:
			return DialectUnknown
		}
	}
	return DialectUnknown
}
