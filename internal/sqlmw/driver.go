package sqlmw

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"

	upstream "github.com/ngrok/sqlmw"
)

var (
	_ driver.Driver        = (*wrappedDriver)(nil)
	_ driver.DriverContext = (*wrappedDriver)(nil)
	_ driver.Connector     = (*connector)(nil)
	_ io.Closer            = closingConnector{}
)

// Interceptor is upstream sqlmw's interceptor.
type Interceptor = upstream.Interceptor

// NullInterceptor is upstream sqlmw's pass-through interceptor.
type NullInterceptor = upstream.NullInterceptor

// RowsUnwrapper is implemented by rows an interceptor wraps, so that the
// optional interfaces offered follow the driver's own rows.
type RowsUnwrapper = upstream.RowsUnwrapper

// NextResultSetInterceptor is an optional interface of an [Interceptor]:
// it is called instead of the driver's NextResultSet.
type NextResultSetInterceptor interface {
	RowsNextResultSet(ctx context.Context, rows driver.RowsNextResultSet) error
}

// ConnCloseInterceptor is an optional interface of an [Interceptor]: it is
// told when a connection closes, before the driver's connection is closed,
// so that state kept per connection can be ended.
type ConnCloseInterceptor interface {
	ConnClose(conn *ParentConn)
}

// ConnResetInterceptor is an optional interface of an [Interceptor]: it is
// called instead of the driver's ResetSession, which it reaches through
// [ParentConn.ResetSession]. A connection whose interceptor has it offers
// driver.SessionResetter whether or not the driver's connection does, so
// that database/sql asks before it reuses a pooled connection; an answer
// matching driver.ErrBadConn makes database/sql discard the connection
// (any other error is ignored by database/sql).
type ConnResetInterceptor interface {
	ConnResetSession(ctx context.Context, conn *ParentConn) error
}

// ConnectorCloseInterceptor is an optional interface of an [Interceptor]:
// it is told when the connector closes (sql.DB.Close), before the wrapped
// connector is closed. A connector whose interceptor has it offers
// io.Closer whether or not the wrapped connector does.
type ConnectorCloseInterceptor interface {
	ConnectorClose()
}

// errNoDriver is returned by a driver wrapped around nothing.
var errNoDriver = errors.New("sqlmw: no driver to wrap")

type wrappedDriver struct {
	parent driver.Driver
	intr   Interceptor
}

// Driver returns d with every call intercepted by intr.
func Driver(d driver.Driver, intr Interceptor) driver.Driver {
	return &wrappedDriver{parent: d, intr: intr}
}

// Unwrap returns the wrapped driver.
func (d *wrappedDriver) Unwrap() driver.Driver { return d.parent }

// Open implements driver.Driver through the connector, so the interceptor
// sees the connection being made.
func (d *wrappedDriver) Open(name string) (driver.Conn, error) {
	c, err := d.OpenConnector(name)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

// OpenConnector implements driver.DriverContext.
func (d *wrappedDriver) OpenConnector(name string) (driver.Connector, error) {
	if d.parent == nil {
		return nil, errNoDriver
	}
	if dc, ok := d.parent.(driver.DriverContext); ok {
		c, err := dc.OpenConnector(name)
		if err != nil {
			return nil, err
		}
		return newConnector(c, d), nil
	}
	return newConnector(dsnConnector{dsn: name, driver: d.parent}, d), nil
}

// Connector returns c with every call intercepted by intr. It offers
// io.Closer if c does or intr is a [ConnectorCloseInterceptor].
func Connector(c driver.Connector, intr Interceptor) driver.Connector {
	return newConnector(c, &wrappedDriver{parent: c.Driver(), intr: intr})
}

func newConnector(c driver.Connector, d *wrappedDriver) driver.Connector {
	w := &connector{parent: c, drv: d}
	_, closer := c.(io.Closer)
	_, told := d.intr.(ConnectorCloseInterceptor)
	if closer || told {
		return closingConnector{w}
	}
	return w
}

type connector struct {
	parent driver.Connector
	drv    *wrappedDriver
}

// Connect implements driver.Connector.
func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	pc, err := c.drv.intr.ConnectorConnect(ctx, c.parent)
	if err != nil {
		return nil, err
	}
	return wrapConn(pc, c.drv.intr), nil
}

// Driver implements driver.Connector.
func (c *connector) Driver() driver.Driver { return c.drv }

// Unwrap returns the wrapped connector.
func (c *connector) Unwrap() driver.Connector { return c.parent }

type closingConnector struct{ *connector }

// Close tells the interceptor, then forwards to the wrapped connector, so
// sql.DB.Close reaches both.
func (c closingConnector) Close() error {
	if h, ok := c.drv.intr.(ConnectorCloseInterceptor); ok {
		h.ConnectorClose()
	}
	if cl, ok := c.parent.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// dsnConnector is database/sql's connector for a driver without
// DriverContext.
type dsnConnector struct {
	dsn    string
	driver driver.Driver
}

func (t dsnConnector) Connect(context.Context) (driver.Conn, error) { return t.driver.Open(t.dsn) }

func (t dsnConnector) Driver() driver.Driver { return t.driver }
