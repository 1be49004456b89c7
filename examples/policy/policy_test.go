package policy_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/policyfile"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

var (
	dev     = identity.Identity{Kind: identity.KindUser, Subject: "dev-1", Roles: []string{"dev"}, Purpose: "debugging"}
	support = identity.Identity{Kind: identity.KindUser, Subject: "sup-1", Roles: []string{"support"}, Purpose: "case 42"}
	bot     = identity.Identity{Kind: identity.KindAgent, Subject: "agent-1", Purpose: "answering a question",
		Agent: &identity.Agent{Name: "helper", OnBehalfOf: "dev-1"}}
	officer    = identity.Identity{Kind: identity.KindUser, Subject: "po-1", Roles: []string{"privacy-officer"}, Purpose: "audit"}
	migrations = identity.Identity{Kind: identity.KindService, Service: "migrations"}
	noon       = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	night      = time.Date(2026, 3, 4, 23, 0, 0, 0, time.UTC)
)

// approveAll stands in for a reviewer who approves everything, so that
// the test can tell a review (approved, Reviewed set) from an allow.
var approveAll = guard.ApproverFunc(func(context.Context, *guard.ApprovalRequest) (guard.Answer, error) {
	return guard.Answer{Approved: true, ID: "ok-1", Reviewer: "reviewer-1"}, nil
})

func TestExamplePolicy(t *testing.T) {
	p, err := policyfile.Load("policy.yaml", guard.WithApprover(approveAll))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	// Every rule of the file is exercised below.
	exercised := map[string]bool{}

	tests := []struct {
		name    string
		id      identity.Identity
		dialect sqlstmt.Dialect
		sql     string
		at      time.Time
		unmask  bool
		// want is the rule that blocks ("" when allowed); review the rule
		// that reviewed; monitor the rule that only recorded.
		want, review, monitor string
		maxRows               int64
		returnRows            int64 // the read budget of the statement
	}{
		{name: "ordinary read", id: dev, sql: "SELECT id, total FROM orders WHERE id = 7"},
		{name: "anonymous", id: identity.Identity{}, sql: "SELECT 1", want: "require-identity"},
		{name: "stacked", id: dev, sql: "SELECT 1; SELECT 2", want: "no-stacked"},
		{name: "drop is reviewed", id: dev, sql: "DROP TABLE orders", review: "destructive-ddl"},
		{name: "migrations may drop", id: migrations, sql: "DROP TABLE old_orders"},
		{name: "delete without where", id: dev, sql: "DELETE FROM orders", want: "no-unbounded-writes"},
		{name: "trivially true where", id: dev, dialect: sqlstmt.MySQL, sql: "UPDATE orders SET total = 0 WHERE 1", want: "no-unbounded-writes"},
		{name: "pg_read_file", id: dev, sql: "SELECT pg_read_file('/etc/passwd')", want: "no-dangerous-calls"},
		{name: "SLEEP", id: dev, dialect: sqlstmt.MySQL, sql: "SELECT SLEEP(10)", want: "no-dangerous-calls"},
		{name: "grant", id: dev, sql: "GRANT ALL ON orders TO public", want: "no-privilege-changes"},
		{name: "sql_mode", id: dev, dialect: sqlstmt.MySQL, sql: "SET SESSION sql_mode = 'ANSI_QUOTES'", want: "no-lexing-settings"},
		{name: "agent reads", id: bot, sql: "SELECT count(*) FROM orders", returnRows: 200},
		{name: "agent writes", id: bot, sql: "UPDATE orders SET total = 0 WHERE id = 1", want: "agents-read-only"},
		{name: "agent calls a procedure", id: bot, sql: "CALL refresh_totals()", want: "agents-read-only"},
		{name: "agent calls an unknown function", id: bot, sql: "SELECT wipe()", want: "agents-read-only"},
		{name: "agent calls a listed function", id: bot, sql: "SELECT * FROM app.monthly_totals(2026)", returnRows: 200},
		{name: "agent calls built-ins", id: bot, sql: "SELECT date_trunc('day', created), count(*), coalesce(max(total), 0) FROM orders GROUP BY 1", returnRows: 200},
		{name: "trigger body unread", id: dev, sql: "CREATE TRIGGER t AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION wipe()", want: "no-dangerous-calls"},
		{name: "migrations create functions", id: migrations, sql: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'"},
		{name: "delete in a CTE without where", id: dev, sql: "WITH d AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM d", want: "no-unbounded-writes"},
		{name: "constant where", id: dev, sql: "DELETE FROM orders WHERE EXISTS (SELECT 1)", want: "no-unbounded-writes"},
		{name: "support reads app", id: support, sql: "SELECT name FROM app.customers WHERE id = 1"},
		{name: "support reads secrets", id: support, sql: "SELECT * FROM app.secrets", want: "support-tables"},
		{name: "support reads elsewhere", id: support, sql: "SELECT * FROM billing.invoices", want: "support-tables"},
		{name: "sqlite catalog edited", id: dev, dialect: sqlstmt.SQLite, sql: "DELETE FROM sqlite_master WHERE name = 'orders'", want: "no-catalog-writes"},
		{name: "sqlite catalog read", id: dev, dialect: sqlstmt.SQLite, sql: "SELECT sql FROM sqlite_master WHERE name = 'orders'"},
		{name: "writable schema", id: dev, dialect: sqlstmt.SQLite, sql: "PRAGMA writable_schema = ON", want: "no-integrity-settings"},
		{name: "replication role", id: migrations, sql: "SET session_replication_role = replica", want: "no-integrity-settings"},
		{name: "vacuum full", id: dev, sql: "VACUUM FULL orders", want: "no-heavy-maintenance"},
		{name: "migrations vacuum full", id: migrations, sql: "VACUUM FULL orders"},
		{name: "plain vacuum", id: dev, sql: "VACUUM orders"},
		{name: "unknown procedure", id: dev, sql: "CALL wipe()", want: "known-routines"},
		{name: "listed procedure", id: dev, sql: "CALL app.refresh_totals()"},
		{name: "update capped", id: dev, sql: "UPDATE orders SET total = 0 WHERE id < 100", maxRows: 1000},
		{name: "unmask reviewed", id: dev, sql: "SELECT email FROM app.customers WHERE id = 1", unmask: true, review: "unmask"},
		{name: "privacy officer unmasks", id: officer, sql: "SELECT email FROM app.customers WHERE id = 1", unmask: true},
		{name: "order delete at noon", id: dev, sql: "DELETE FROM orders WHERE id = 3", at: noon, maxRows: 1000},
		{name: "order delete at night", id: dev, sql: "DELETE FROM orders WHERE id = 3", at: night, want: "no-night-order-deletes"},
		{name: "users without purpose: monitored", id: migrations, sql: "SELECT * FROM app.users", monitor: "purpose-for-users-table"},
		{name: "unreadable text", id: dev, sql: "SELECT 'unterminated", want: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.dialect
			if d == sqlstmt.DialectUnknown {
				d = sqlstmt.PostgreSQL
			}
			at := tt.at
			if at.IsZero() {
				at = noon
			}
			r := &guard.Request{Identity: tt.id, Script: guard.Analyze(d, tt.sql), SQL: tt.sql, Time: at, Unmask: tt.unmask}
			v, err := p.Check(context.Background(), r)
			var be *guard.BlockedError
			switch {
			case tt.want != "":
				if !errors.As(err, &be) || be.Rule != tt.want {
					t.Fatalf("err %v, verdict %+v; want blocked by %s", err, v, tt.want)
				}
				exercised[tt.want] = true
			case err != nil:
				t.Fatalf("blocked: %v", err)
			case tt.review != "":
				if !v.Reviewed || v.Rule != tt.review || v.Approval.Reviewer != "reviewer-1" {
					t.Fatalf("verdict %+v; want reviewed by %s", v, tt.review)
				}
				exercised[tt.review] = true
			case tt.monitor != "":
				if v.Mode != guard.ModeMonitor || v.Rule != tt.monitor {
					t.Fatalf("verdict %+v; want monitored by %s", v, tt.monitor)
				}
				exercised[tt.monitor] = true
			default:
				if v.Reviewed || v.Rule != "" {
					t.Fatalf("verdict %+v; want a plain allow", v)
				}
			}
			if tt.unmask && err == nil && !v.Unmask {
				t.Errorf("unmask asked and allowed, but not granted: %+v", v)
			}
			if v.MaxRowsAffected != tt.maxRows {
				t.Errorf("MaxRowsAffected = %d, want %d", v.MaxRowsAffected, tt.maxRows)
			}
			if tt.maxRows > 0 {
				exercised[v.MaxRowsRule] = true
			}
			if v.MaxReturnRows != tt.returnRows {
				t.Errorf("MaxReturnRows = %d, want %d", v.MaxReturnRows, tt.returnRows)
			}
			if tt.returnRows > 0 {
				exercised[v.MaxReturnRowsRule] = true
			}
			if v.Spend != nil {
				v.Spend(0, 0)
			}
		})
	}
	for _, name := range p.Rules() {
		if !exercised[name] {
			t.Errorf("rule %s of policy.yaml is not exercised", name)
		}
	}
	if !slices.Contains(p.Rules(), "blast-radius") {
		t.Errorf("rules %v", p.Rules())
	}
}
