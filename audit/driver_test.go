package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/mask"
)

// TestThroughDriver runs each path of a statement through sqlvigil on the
// real servers and checks the spans the auditor records: one per statement
// (the MySQL driver's ErrSkip fallback must not double it), the identity,
// the verdict, masked columns, rows, errors by code and never a value.
func TestThroughDriver(t *testing.T) {
	servers := []struct {
		name, driver, system, wantDup string
		dsn                           func(testing.TB) string
		ph                            func(int) string
	}{
		{"postgresql", "postgres", "postgresql", "23505", testdb.Postgres, func(i int) string { return "$" + string(rune('0'+i)) }},
		{"mariadb", "mysql", "mysql", "1062", func(tb testing.TB) string { return testdb.MySQL(tb) }, func(int) string { return "?" }},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			sr := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
			a, err := audit.New(audit.WithTracerProvider(tp), audit.WithCaller(), audit.WithAllAttributes(), audit.WithEndDelay(0))
			if err != nil {
				t.Fatal(err)
			}
			policy, err := guard.New(guard.WithEnvironment("production"), guard.WithRules(guard.DestructiveDDL()))
			if err != nil {
				t.Fatal(err)
			}
			masker, err := mask.New(mask.WithRules(mask.Rule{Name: "pii-email", Columns: []string{"email"}, Strategy: mask.Redact()}))
			if err != nil {
				t.Fatal(err)
			}
			db, err := sqlvigil.Open(srv.driver, srv.dsn(t),
				sqlvigil.WithAuditor(a), sqlvigil.WithPolicy(policy), sqlvigil.WithMasker(masker))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := identity.NewContext(context.Background(), agent())
			p1, p2 := srv.ph(1), srv.ph(2)

			mustExec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			mustExec("CREATE TABLE customers (id int PRIMARY KEY, email varchar(100))")
			mustExec("INSERT INTO customers (id, email) VALUES ("+p1+", "+p2+"), (2, 'bob@example.com')", 1, secret)

			rows, err := db.QueryContext(ctx, "SELECT id, email FROM customers WHERE id > "+p1+" ORDER BY id", 0)
			if err != nil {
				t.Fatal(err)
			}
			var emails []string
			for rows.Next() {
				var id int
				var email string
				if err := rows.Scan(&id, &email); err != nil {
					t.Fatal(err)
				}
				emails = append(emails, email)
			}
			rows.Close()
			if len(emails) != 2 || emails[0] == secret {
				t.Errorf("emails = %q, want 2 masked values", emails)
			}

			stmt, err := db.PrepareContext(ctx, "UPDATE customers SET email = "+p1+" WHERE id = "+p2)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := stmt.ExecContext(ctx, "carol@example.com", 2); err != nil {
				t.Fatal(err)
			}
			stmt.Close()

			_, err = db.ExecContext(ctx, "INSERT INTO customers (id, email) VALUES ("+p1+", "+p2+")", 1, secret)
			if err == nil {
				t.Fatal("duplicate insert succeeded")
			}

			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM customers WHERE id = "+p1, 2); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}

			if _, err := db.ExecContext(ctx, "DROP TABLE customers"); !errors.Is(err, guard.ErrBlocked) {
				t.Fatalf("DROP = %v, want ErrBlocked", err)
			}

			spans := sr.Ended()
			noSecret(t, spans)
			var names []string
			for _, s := range spans {
				names = append(names, s.Name())
			}
			// CREATE, INSERT, SELECT, UPDATE (prepared), INSERT (failed),
			// DELETE, transaction, DROP (denied).
			want := []string{"CREATE customers", "INSERT customers", "SELECT customers", "UPDATE customers",
				"INSERT customers", "DELETE customers", "transaction", "DROP customers"}
			if strings.Join(names, ",") != strings.Join(want, ",") {
				t.Fatalf("spans = %q, want %q", names, want)
			}
			for _, s := range spans {
				checkAttrs(t, attrs(s), map[attribute.Key]any{"user.id": "agent-7", "gen_ai.tool.call.id": "call_1"})
				if s.Name() != "transaction" {
					checkAttrs(t, attrs(s), map[attribute.Key]any{"db.system.name": srv.system})
				}
			}
			checkAttrs(t, attrs(spans[2]), map[attribute.Key]any{
				"db.response.returned_rows": 2,
				"sqlvigil.masked.columns":   "[email]",
				"sqlvigil.masked.rules":     "[pii-email]",
				"sqlvigil.masked.counts":    "[2]",
				"sqlvigil.method":           "query",
			})
			// The caller is this test, past database/sql, the driver and sqlmw.
			for _, s := range spans {
				if fn := attrs(s)["code.function.name"].AsString(); !strings.HasPrefix(fn, "github.com/sqlvigil/sqlvigil/audit_test.TestThroughDriver") {
					t.Errorf("span %q code.function.name = %q, want this test", s.Name(), fn)
				}
			}
			checkAttrs(t, attrs(spans[3]), map[attribute.Key]any{"sqlvigil.rows_affected": 1})
			checkAttrs(t, attrs(spans[4]), map[attribute.Key]any{"db.response.status_code": srv.wantDup})
			if spans[4].Status().Code != codes.Error {
				t.Errorf("failed INSERT status = %v, want error", spans[4].Status())
			}
			if spans[5].Parent().SpanID() != spans[6].SpanContext().SpanID() {
				t.Error("DELETE is not a child of its transaction")
			}
			checkAttrs(t, attrs(spans[6]), map[attribute.Key]any{"sqlvigil.tx.end": "commit", "sqlvigil.tx.statements": 1})
			checkAttrs(t, attrs(spans[7]), map[attribute.Key]any{
				"sqlvigil.decision": "deny", "sqlvigil.rule": "destructive-ddl", "error.type": "sqlvigil.blocked",
			})
		})
	}
}
