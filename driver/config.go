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
//
// For each statement a caller issues, in order:
//
//  1. analyse: the text becomes a statement model (cached by text);
//  2. identify: identity.FromContext, else identity.FromBaggage with
//     BaggageIdentity, else DefaultIdentity;
//  3. decide: the policy (Policy) sees a guard.Request; an error, or
//     any decision but Allow, stops the statement before it reaches the
//     database; so does, with a masker, a write that would store a value
//     masked for the writer where it would read in clear (guard rule
//     "mask-copy");
//  4. record: the auditor (Auditor) opens a record; if it fails, the
//     statement does not run;
//  5. execute: the wrapped driver, untouched;
//  6. mask: each result set gets a plan from the masker (Masker),
//     made again after NextResultSet, applied to each row in Next;
//  7. close: the record ends with rows returned or affected, masked
//     columns and the error, when the rows close or the Exec returns.
//
// Database errors pass through the masker (mask.Masker.RedactErrorFor) for
// the statement's identity and the clear values the guard granted it, so a
// reader a rule exempts sees the database's own error and others see the
// quoted values redacted: errors of Exec, Query, Next, NextResultSet and
// Close (a later statement of a stacked script fails there), of Prepare,
// and of Commit (a deferred constraint). Transactions get a record of their
// own (auditor.StartTx) that parents their statements and ends with
// "commit" or "rollback".
//
// What the masker is told about each column:
//
// Each result column is described to the masker (mask.Column) from the
// statement analysis:
//
//   - Without a star, the output items match the columns by position.
//   - A star cannot rename a column: each column a star returns is a table
//     column under its own name. When every star expands one table the
//     source is "table.column"; over a join it is the bare column name, so
//     a table-scoped rule ("people.ssn") masks a column of that name from
//     any of the joined tables (over-masking rather than refusing). The
//     star of RETURNING in INSERT, UPDATE and DELETE expands the written
//     table. As a join with USING or NATURAL reorders columns, a column of
//     a statement with a star also gets the sources of the item at its
//     position and of every item returned under its name. A star naming
//     something other than a table the statement reads or writes (a CTE, a
//     derived table) leaves the columns unattributed, and so does an
//     analysis that is incomplete or whose item count does not match.
//   - In a stacked script, result set k is described by the k-th statement
//     that returns rows only where that is certain: the driver returns one
//     result set per such statement in order (lib/pq, go-sql-driver/mysql
//     with multiStatements) and every statement is known to return rows or
//     not (no SHOW, CALL, EXECUTE, no SELECT … INTO). Otherwise (SQLite,
//     which returns the last statement's rows; other drivers) every column
//     of every result set gets the union of the sources of all statements,
//     marked computed, so it is masked as any of them would be. When even
//     that is unknown (a statement whose output the analysis does not
//     describe, such as SHOW, EXPLAIN or CALL), the result set is refused
//     with mask.ErrUnattributed whenever a rule is in force for the reader,
//     whatever the masker's Unattributed mode.
//
// The analysis cannot see through a view: a view's columns are attributed
// to the view, so name its columns in rules too. Known gap: a star over a
// FROM clause that also holds a set-returning function or a column alias
// list (FROM people, unnest(…) u; FROM people AS p(a, b)) is reported as
// expanding the table alone, so the function's or renamed columns are
// taken for the table's own; deny such statements by policy until the
// analysis reports them as incomplete.
//
// Masking is data-flow control, decided before the statement runs: for a reader with a masking rule in force, a statement that
// would carry a value read from a table anywhere but into a masked result
// column or a predicate — a store not masked by the same rule (rule
// rulename.MaskCopy), a variable, a setting, a function with effects, a
// message, a catalog that copies data, or a lineage the analyser cannot
// follow (rule rulename.MaskFlow) — is refused with a *guard.BlockedError
// that also matches mask.ErrFlow. Views the statement reads are traced to
// their base columns through the catalog, on the statement's own
// connection, and cached per handle. Values of literals and arguments are
// not masked data. RETURNING a written column takes the sources of the
// value stored in it.
//
// The sinks refused, by rule: mask-copy for a stored row not masked by the
// same rule (UPDATE … SET body = (SELECT email …), INSERT … SELECT, CREATE
// TABLE / VIEW … AS SELECT, upserts) and for a computed value stored where
// the strategy keeps part of it; mask-flow for a function not known to only
// compute a value (setval, pg_advisory_lock, set_config, a user's function,
// in the select list or the WHERE), a variable, setting or message (SELECT
// … INTO @v, SET @v = (SELECT …), SIGNAL), a catalog that holds copies of
// data (pg_stats, pg_statistic, pg_stat_activity, pg_locks,
// pg_prepared_statements; mysql.column_stats, information_schema.PROCESSLIST
// and USER_VARIABLES, performance_schema.*, sys.*; sqlite_stat2/3/4,
// sqlite_dbpage, dbstat), and a result or statement whose lineage cannot be
// followed (SELECT p FROM people p, duplicate aliases; per
// mask.Unattributed). Names resolve conservatively: an unqualified name in
// a subquery is traced to every relation of every enclosing query. Views
// are asked of the catalog (PostgreSQL pg_get_viewdef, MariaDB
// information_schema.VIEWS, SQLite sqlite_master) and cached per relation
// for the handle, dropped on any DDL through the handle and after a minute;
// a view whose definition cannot be traced is refused. The cache is keyed
// by the name as written, so two connections with different search paths
// share answers. A statement that reads nothing a rule in force could mask
// (SHOW, EXPLAIN, PRAGMA, catalog introspection built-ins, series and
// recursive CTEs) is never refused for its lineage.
//
// With no policy, masker or auditor, statements pass straight through.
//
// A statement runs as the text that was decided on, or not at all: an
// argument that makes the driver rewrite the text (pgx runs the text a
// QueryRewriter argument returns) is refused with guard.ErrBlocked, except
// pgx's own NamedArgs and StrictNamedArgs, which only number placeholders.
//
// Row limits:
//
// A verdict's MaxRowsAffected caps the rows an Exec may change. Inside the
// caller's transaction, exceeding it returns a *guard.RowsAffectedError
// (guard.ErrTooManyRows) and the caller must roll back. Outside one, the statement
// runs in a transaction of its own that is rolled back when the cap is
// exceeded; this holds for a single, fully analysed INSERT, UPDATE, DELETE,
// MERGE or REPLACE on a driver with transactions (and not for statements
// that commit implicitly, which is why others are refused with
// guard.ErrBlocked). A Query under a cap that may change rows (DELETE …
// RETURNING) is refused too.
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
