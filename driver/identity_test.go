package driver_test

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/driver"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/fakedriver"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

func TestIdentity(t *testing.T) {
	def := identity.Identity{Kind: identity.KindService, Subject: "svc-default"}
	user := identity.Identity{Kind: identity.KindUser, Subject: "u-7", Roles: []string{"support"}}
	bagCtx, err := identity.ToBaggage(context.Background(), identity.Identity{Kind: identity.KindUser, Subject: "from-baggage", Roles: []string{"dba"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		opts          []sqlvigil.Option
		ctx           context.Context
		wantSubject   string
		wantUntrusted bool
	}{
		{name: "from context", ctx: identity.NewContext(context.Background(), user), wantSubject: "u-7"},
		{name: "anonymous", ctx: context.Background(), wantSubject: ""},
		{name: "default", opts: []sqlvigil.Option{sqlvigil.WithDefaultIdentity(def)}, ctx: context.Background(), wantSubject: "svc-default"},
		{name: "context wins over default", opts: []sqlvigil.Option{sqlvigil.WithDefaultIdentity(def)}, ctx: identity.NewContext(context.Background(), user), wantSubject: "u-7"},
		{name: "baggage ignored unless asked", ctx: bagCtx, wantSubject: ""},
		{name: "baggage, untrusted", opts: []sqlvigil.Option{sqlvigil.WithBaggageIdentity()}, ctx: bagCtx, wantSubject: "from-baggage", wantUntrusted: true},
		{name: "context wins over baggage", opts: []sqlvigil.Option{sqlvigil.WithBaggageIdentity()}, ctx: identity.NewContext(bagCtx, user), wantSubject: "u-7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &checks{}
			p, err := guard.New(guard.WithRules(c.rule()), guard.WithUnknown(guard.Allow))
			if err != nil {
				t.Fatal(err)
			}
			opts := append([]sqlvigil.Option{sqlvigil.WithDialect(sqlstmt.PostgreSQL), sqlvigil.WithPolicy(p)}, tt.opts...)
			conn, err := sqlvigil.WrapConnector(fakedriver.New(fakedriver.Config{}).Connector(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			db := sql.OpenDB(conn)
			defer db.Close()
			if _, err := db.ExecContext(tt.ctx, "UPDATE t SET x = 1 WHERE id = 2"); err != nil {
				t.Fatal(err)
			}
			if c.n() != 1 {
				t.Fatalf("checks: got %d, want 1", c.n())
			}
			got := c.reqs[0].Identity
			if got.Subject != tt.wantSubject || got.Untrusted != tt.wantUntrusted {
				t.Errorf("identity: got %q untrusted %v, want %q untrusted %v", got.Subject, got.Untrusted, tt.wantSubject, tt.wantUntrusted)
			}
			if tt.wantUntrusted && got.HasRole("dba") {
				t.Errorf("an identity from baggage holds a role")
			}
		})
	}
}

func TestUnmaskRequestReachesPolicy(t *testing.T) {
	c := &checks{}
	p, err := guard.New(guard.WithRules(c.rule()), guard.WithUnknown(guard.Allow))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlvigil.WrapConnector(fakedriver.New(fakedriver.Config{}).Connector(), sqlvigil.WithDialect(sqlstmt.PostgreSQL), sqlvigil.WithPolicy(p))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	rows, err := db.QueryContext(mask.RequestUnmask(context.Background()), "SELECT id, name FROM users")
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if c.n() != 1 || !c.reqs[0].Unmask {
		t.Errorf("policy did not see the unmask request")
	}
}

func TestRawConnIsAudited(t *testing.T) {
	rec, a, err := newRecorder()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlvigil.WrapConnector(fakedriver.New(fakedriver.Config{}).Connector(), sqlvigil.WithDialect(sqlstmt.PostgreSQL), sqlvigil.WithAuditor(a))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	ctx := identity.NewContext(context.Background(), identity.Identity{Subject: "ops"})
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Raw(func(dc any) error {
		_, err := driver.RawConn(ctx, dc)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range rec.Ended() {
		for _, kv := range s.Attributes() {
			if kv.Value.Type() == attribute.STRING && kv.Value.AsString() == "raw" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no audit record with method raw among %d spans", len(rec.Ended()))
	}
}

func TestMaskPlanErrorRefusesRows(t *testing.T) {
	m, err := mask.New(mask.WithRules(mask.Rule{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact()}),
		mask.WithUnattributed(mask.UnattributedRefuse))
	if err != nil {
		t.Fatal(err)
	}
	fd := fakedriver.New(fakedriver.Config{Results: []fakedriver.ResultSet{{Columns: []string{"x"}}}})
	conn, err := sqlvigil.WrapConnector(fd.Connector(), sqlvigil.WithDialect(sqlstmt.PostgreSQL), sqlvigil.WithMasker(m))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	// A stacked script with a statement whose output the analysis does not
	// describe (SHOW) is not attributed, so a refusing masker refuses.
	_, err = db.QueryContext(context.Background(), "SHOW search_path; SELECT x FROM people")
	if !errors.Is(err, mask.ErrUnattributed) {
		t.Errorf("got %v, want mask.ErrUnattributed", err)
	}
}

// TestMandatoryAudit checks "no record, no statement": when a mandatory
// audit cannot be written, the statement never reaches the driver, and
// the error is not one database/sql would retry.
func TestMandatoryAudit(t *testing.T) {
	failing := audit.SinkFunc(func(context.Context, *audit.Entry) error { return errors.New("disk full") })
	a, err := audit.New(audit.WithSink(failing), audit.WithMandatory())
	if err != nil {
		t.Fatal(err)
	}
	fd := fakedriver.New(fakedriver.Config{})
	conn, err := sqlvigil.WrapConnector(fd.Connector(), sqlvigil.WithDialect(sqlstmt.PostgreSQL), sqlvigil.WithAuditor(a))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	_, err = db.ExecContext(context.Background(), "UPDATE t SET x = 1 WHERE id = 1")
	if !errors.Is(err, audit.ErrUnavailable) || errors.Is(err, sqldriver.ErrBadConn) {
		t.Errorf("got %v, want audit.ErrUnavailable", err)
	}
	if _, err := db.QueryContext(context.Background(), "SELECT id FROM t"); !errors.Is(err, audit.ErrUnavailable) {
		t.Errorf("query: got %v, want audit.ErrUnavailable", err)
	}
	if n := fd.Counts.Execs.Load() + fd.Counts.Queries.Load(); n != 0 {
		t.Errorf("statements that reached the driver: got %d, want 0", n)
	}
}
