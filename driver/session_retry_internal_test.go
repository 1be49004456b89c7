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

// TestSessionRetryChecksTheNewConnection: database/sql retries a
// statement the driver answered driver.ErrBadConn on another pooled
// connection, one whose last statement was the agent's. The retried run
// is judged against that connection too: the human's read of what the
// previous statement left is refused there, and never reaches it.
func TestSessionRetryChecksTheNewConnection(t *testing.T) {
	const q = "SELECT FOUND_ROWS()"
	d := &poolDriver{exec: func(query string, n int64) error {
		if query == q && n == 1 {
			return sqldriver.ErrBadConn
		}
		return nil
	}}
	cfg, err := newConfig(d, Config{Dialect: sqlstmt.MySQL})
	if err != nil {
		t.Fatal(err)
	}
	cfg.hooks = (&counter{}).hooks()
	db := sql.OpenDB(sqlmw.Connector(d, newInterceptor(cfg)))
	defer db.Close()
	agent := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindAgent, Subject: "agent"})
	human := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindUser, Subject: "human"})
	a, err := db.Conn(agent)
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.Conn(human)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecContext(agent, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close() // taken first: the human's first attempt runs on b, the retry on a
	_, err = db.ExecContext(human, q)
	if !errors.Is(err, ErrSessionState) {
		t.Errorf("retried on the agent's connection: got %v, want ErrSessionState", err)
	}
	d.mu.Lock()
	n := d.execs[q]
	d.mu.Unlock()
	if n != 1 {
		t.Errorf("the statement reached the driver %d times, want once (the failed attempt)", n)
	}
}
