package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
)

var (
	_ sqldriver.Driver        = (*wrappedDriver)(nil)
	_ sqldriver.DriverContext = (*wrappedDriver)(nil)
)

// New returns drv with every statement run through the pipeline cfg
// configures. The result is registered with sql.Register, or used through
// its OpenConnector with sql.OpenDB.
//
// Each connector it opens (each sql.DB, as sql.Open opens one) records the
// database name, server host and port of its DSN in audit records (never
// the user or password), unless cfg names them.
//
// Exactly once:
//
// The pipeline runs once per statement a caller issues. When a driver
// answers driver.ErrSkip (go-sql-driver/mysql with arguments and without
// interpolateParams), database/sql prepares the statement and executes the
// prepared statement on the same connection: that execution continues the
// same run.
//
// When a driver answers driver.ErrBadConn, database/sql tries the call
// again (DB.retry: at most three attempts in all, the last on a new
// connection), on the caller's goroutine, with the same context, text and
// arguments, and nothing else in between. A run is therefore kept for its
// retry under the goroutine that ran it — never under the context, which
// callers share (every db.Exec uses context.Background()) — and only when
// the failing attempt ran under DB.retry (a statement on a sql.Conn or in
// a transaction is not retried). The goroutine's next statement either is
// the retry, which continues the run (the approver is asked once, one
// record is written, its span covers every attempt), or shows that
// database/sql gave up, which ends the run. Attempts that fail before the
// driver sees the statement (a connection that cannot be made, a pooled
// one whose ResetSession answers driver.ErrBadConn) count in the same
// record.
//
// A retry after an attempt that ran under an approval is refused with a
// [guard.BlockedError]: drivers such as lib/pq answer driver.ErrBadConn
// when the connection is lost after the server ran the statement, and an
// approval admits one execution. The caller asks again. (The verdict does
// not tell a one-time grant from a time-boxed one; both are treated so.)
//
// A call whose every attempt fails before reaching the driver (an
// unreachable or blackholed database) is recorded as method "connect",
// under the identity of its context, with the error: database/sql asks for
// a connection before it hands over the statement, so the record cannot
// say what was to run. A connection database/sql opens in its own
// goroutine, for a caller waiting on a full pool, carries no caller's
// context: its failure is recorded under the default identity, and runs
// then waiting for a retry are ended rather than continued (at worst two
// records for one call, never one for two). A run still waiting after a
// minute, or whose context ends, is ended; a connection that closes ends
// the records it still holds.
//
// Preparing a statement runs no policy: the pipeline runs when a prepared
// statement executes, once per execution.
//
// Faithful wrapping:
//
// A wrapped connection, statement, rows or connector offers an optional
// driver interface if and only if the wrapped one does (except
// SessionResetter, see [SessionStateError]), so database/sql behaves as with
// the raw driver: the same argument converters (NamedValueChecker,
// ColumnConverter), the same column types, database/sql's own errors for transaction options a driver
// cannot honour. Closing the sql.DB closes the wrapped connector.
// driver.RowsColumnScanner (Go 1.27) is never offered: every value passes
// through Next, where masking happens. driver.ErrSkip is returned
// unwrapped, and no error of sqlvigil's own matches driver.ErrBadConn.
func New(drv sqldriver.Driver, cfg Config) (sqldriver.Driver, error) {
	if drv == nil {
		return nil, fmt.Errorf("%w: nil driver", ErrConfig)
	}
	c, err := newConfig(drv, cfg)
	if err != nil {
		return nil, err
	}
	return &wrappedDriver{drv: drv, cfg: c, base: sqlmw.Driver(drv, newInterceptor(c))}, nil
}

// wrappedDriver makes a pipeline per connector, for the server its DSN
// names.
type wrappedDriver struct {
	drv  sqldriver.Driver
	cfg  *config
	base sqldriver.Driver // for Open, which database/sql does not call
}

// Unwrap returns the wrapped driver.
func (d *wrappedDriver) Unwrap() sqldriver.Driver { return d.drv }

// Open implements driver.Driver. database/sql calls OpenConnector instead;
// connections opened here share one pipeline, whose audit records name
// the server only as the options do.
func (d *wrappedDriver) Open(dsn string) (sqldriver.Conn, error) { return d.base.Open(dsn) }

// OpenConnector implements driver.DriverContext.
func (d *wrappedDriver) OpenConnector(dsn string) (sqldriver.Connector, error) {
	cfg := d.cfg.forDSN(dsn)
	if cfg == d.cfg {
		return d.base.(sqldriver.DriverContext).OpenConnector(dsn)
	}
	return sqlmw.Driver(d.drv, newInterceptor(cfg)).(sqldriver.DriverContext).OpenConnector(dsn)
}

// NewConnector returns c with every statement run through the pipeline cfg
// configures, for sql.OpenDB. The result closes c when the sql.DB is
// closed, if c has a Close method. A connector does not reveal its DSN:
// set Namespace and ServerAddress for audit records to name the database
// and server.
func NewConnector(c sqldriver.Connector, cfg Config) (sqldriver.Connector, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil connector", ErrConfig)
	}
	conf, err := newConfig(c, cfg)
	if err != nil {
		return nil, err
	}
	return sqlmw.Connector(c, newInterceptor(conf)), nil
}

// ErrNotWrapped is returned by RawConn for a connection sqlvigil does not
// wrap.
var ErrNotWrapped = errors.New("sqlvigil: connection is not wrapped by sqlvigil")

type wrappedConn interface {
	Unwrap() sqldriver.Conn
	Interceptor() sqlmw.Interceptor
	Parent() *sqlmw.ParentConn
}

// RawConn returns the driver's own connection from the value sql.Conn.Raw
// hands to its callback, and records the access with the auditor (method
// "raw") under the identity of ctx.
//
// It is the escape hatch: statements sent on the returned connection are
// neither checked, masked nor recorded. As anything may change its session,
// the connection is closed before it serves another identity (see
// [SessionStateError]). The auditor's error, if recording
// is mandatory and fails, is returned and the connection is not.
//
//	err := conn.Raw(func(dc any) error {
//		raw, err := driver.RawConn(ctx, dc)
//		if err != nil {
//			return err
//		}
//		pgxConn := raw.(*stdlib.Conn).Conn()
//		…
//	})
func RawConn(ctx context.Context, driverConn any) (any, error) {
	w, ok := driverConn.(wrappedConn)
	if !ok {
		return nil, ErrNotWrapped
	}
	i, ok := w.Interceptor().(*interceptor)
	if ok && i.active {
		markRaw(i.state(w.Parent()), i.identify(ctx))
	}
	if ok && i.cfg.auditor != nil {
		ev := &audit.Event{
			Identity:      i.identify(ctx),
			System:        i.cfg.dialect.String(),
			Namespace:     i.cfg.namespace,
			ServerAddress: i.cfg.serverAddress,
			ServerPort:    i.cfg.serverPort,
			Method:        "raw",
			Decision:      "allow",
		}
		_, rec, err := i.cfg.auditor.Start(ctx, ev)
		if err != nil {
			return nil, noBadConn(err)
		}
		rec.End(audit.Outcome{RowsAffected: -1})
	}
	return w.Unwrap(), nil
}
