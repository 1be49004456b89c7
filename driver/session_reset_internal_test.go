package driver

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// resetErrDriver's connections answer ResetSession with an error that is
// not driver.ErrBadConn, which database/sql ignores: it hands the
// connection out all the same.
type resetErrDriver struct{ *poolDriver }

type resetErrConn struct{ poolConn }

func (d resetErrDriver) Connect(ctx context.Context) (sqldriver.Conn, error) {
	c, err := d.poolDriver.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return resetErrConn{c.(poolConn)}, nil
}
func (d resetErrDriver) Driver() sqldriver.Driver { return d }

func (resetErrConn) ResetSession(context.Context) error { return errors.New("reset failed") }

// TestSessionDriverResetError: when the driver's own ResetSession fails
// with an error database/sql ignores, a connection another identity left
// dirty, which sqlvigil can only close (MySQL), is closed all the same: the
// human's statement runs on another connection, rather than on the
// agent's session or not at all.
func TestSessionDriverResetError(t *testing.T) {
	d := resetErrDriver{&poolDriver{}}
	cfg, err := newConfig(d, Config{Dialect: sqlstmt.MySQL})
	if err != nil {
		t.Fatal(err)
	}
	cfg.hooks = (&counter{}).hooks()
	db := sql.OpenDB(sqlmw.Connector(d, newInterceptor(cfg)))
	defer db.Close()
	db.SetMaxOpenConns(1)
	agent := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindAgent, Subject: "agent"})
	human := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindUser, Subject: "human"})
	if _, err := db.ExecContext(agent, "SET @v = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(human, "SELECT 1"); err != nil {
		t.Errorf("human after the agent's change: %v", err)
	}
	if n := d.connects.Load(); n != 2 {
		t.Errorf("connections made: got %d, want 2 (the agent's closed)", n)
	}
}
