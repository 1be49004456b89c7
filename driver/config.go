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
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// ErrConfig reports an invalid configuration. Use errors.Is.
var ErrConfig = errors.New("sqlvigil: invalid configuration")

// ErrUnknownDialect reports a driver whose SQL dialect cannot be told from
// its type, with no Config.Dialect. It matches ErrConfig too.
var ErrUnknownDialect = fmt.Errorf("%w: unknown SQL dialect", ErrConfig)

const defaultCacheSize = sqlparse.DefaultCacheEntries

// Config is what a wrapped driver or connector does with each statement.
// The zero Config passes statements straight through (nothing checks,
// masks or records them); users set it through the options of package
// sqlvigil, which validate it.
type Config struct {
	// Policy decides on every statement; nil allows every statement.
	Policy *guard.Policy
	// Masker masks result columns; nil masks nothing.
	Masker *mask.Masker
	// Auditor records every statement and transaction; nil records
	// nothing.
	Auditor *audit.Auditor
	// Dialect is the SQL dialect statements are read in. DialectUnknown
	// (the zero value) detects it from the wrapped driver's type (lib/pq,
	// pgx stdlib, go-sql-driver/mysql, modernc.org/sqlite,
	// mattn/go-sqlite3); New refuses a driver it cannot tell with
	// ErrUnknownDialect.
	Dialect sqlstmt.Dialect
	// DefaultIdentity is the identity of statements whose context carries
	// none.
	DefaultIdentity identity.Identity
	// BaggageIdentity reads the identity from OpenTelemetry baggage when
	// the context carries none; such an identity is marked Untrusted.
	BaggageIdentity bool
	// Environment names where the service runs ("production", "staging").
	Environment string
	// Namespace, ServerAddress and ServerPort name the database and server
	// in audit records. When empty, a driver from New reads them from each
	// DSN (never the user or password); a connector cannot.
	Namespace     string
	ServerAddress string
	ServerPort    int
	// StatementCacheSize is how many analysed texts are kept; 0 means the
	// default (4096) and a negative size disables the cache.
	StatementCacheSize int
}

type config struct {
	policy          *guard.Policy
	masker          *mask.Masker
	auditor         *audit.Auditor
	dialect         sqlstmt.Dialect
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

	analyze func(sqlstmt.Dialect, string) *sqlparse.Script
	hooks   *hooks // set by tests only

}

// hooks observe the pipeline, for tests.
type hooks struct {
	begin func(method string)
	end   func(audit.Outcome)
}

// newConfig validates cfg and completes it: the dialect from the wrapped
// driver (drv) when cfg sets none.
func newConfig(drv any, cfg Config) (*config, error) {
	c := &config{
		policy:          cfg.Policy,
		masker:          cfg.Masker,
		auditor:         cfg.Auditor,
		dialect:         cfg.Dialect,
		defaultIdentity: cfg.DefaultIdentity.Clone(),
		baggage:         cfg.BaggageIdentity,
		environment:     cfg.Environment,
		cacheSize:       cfg.StatementCacheSize,
		namespace:       cfg.Namespace,
		serverAddress:   cfg.ServerAddress,
		serverPort:      cfg.ServerPort,
		namespaceSet:    cfg.Namespace != "",
		serverSet:       cfg.ServerAddress != "",
	}
	switch {
	case c.cacheSize == 0:
		c.cacheSize = defaultCacheSize
	case c.cacheSize < 0:
		c.cacheSize = 0
	}
	if c.dialect > sqlstmt.SQLite {
		return nil, fmt.Errorf("%w: dialect %d does not exist", ErrConfig, c.dialect)
	}
	pkg := driverPackage(drv)
	if c.dialect == sqlstmt.DialectUnknown {
		c.dialect = dialectOf(pkg)
	}
	c.ordered = orderedResults(pkg)
	if c.dialect == sqlstmt.DialectUnknown {
		return nil, fmt.Errorf("%w: driver type %s is not one sqlvigil recognises; set the dialect", ErrUnknownDialect, typeName(drv))
	}
	if c.serverPort < 0 || c.serverPort > 65535 {
		return nil, fmt.Errorf("%w: server port %d out of range", ErrConfig, c.serverPort)
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
func dialectOf(pkgPath string) sqlstmt.Dialect {
	switch pkgPath {
	case "github.com/lib/pq", "github.com/jackc/pgx/v5/stdlib", "github.com/jackc/pgx/v4/stdlib":
		return sqlstmt.PostgreSQL
	case "github.com/go-sql-driver/mysql":
		return sqlstmt.MySQL
	case "modernc.org/sqlite", "github.com/mattn/go-sqlite3":
		return sqlstmt.SQLite
	default:
		return sqlstmt.DialectUnknown
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
func detectDialect(v any) sqlstmt.Dialect { return dialectOf(driverPackage(v)) }

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
		if dialectOf(t.PkgPath()) != sqlstmt.DialectUnknown {
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
