package audit_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/identity"
)

// An auditor with a sink: every statement is recorded there whatever the
// trace sampler decides. The driver calls Start and End; here they are
// called by hand.
func Example() {
	a, err := audit.New(audit.WithSink(audit.SinkFunc(func(_ context.Context, e *audit.Entry) error {
		fmt.Println(e.Kind, e.Identity.Subject, e.QueryText, e.Decision, e.Rule, e.ErrorType)
		return nil
	})))
	if err != nil {
		log.Fatal(err)
	}

	_, rec, err := a.Start(context.Background(), &audit.Event{
		Identity:  identity.Identity{Kind: identity.KindAgent, Subject: "agent-7"},
		System:    "postgresql",
		Method:    "exec",
		Operation: "DROP", Collection: "customers",
		QueryText: "DROP TABLE customers",
		Decision:  "deny", Rule: "destructive-ddl", Mode: "enforce",
	})
	if err != nil {
		log.Fatal(err) // only with WithMandatory, when a sink fails
	}
	rec.End(audit.Outcome{RowsAffected: -1})
	// Output:
	// statement agent-7 DROP TABLE customers deny destructive-ddl sqlvigil.blocked
}

// The audit trail as structured logs.
func ExampleNewSlogSink() {
	h := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		// Drop what changes from run to run.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "id", "duration":
				return slog.Attr{}
			}
			return a
		},
	})
	a, err := audit.New(audit.WithSink(audit.NewSlogSink(h)))
	if err != nil {
		log.Fatal(err)
	}
	_, rec, err := a.Start(context.Background(), &audit.Event{
		Identity:  identity.Identity{Kind: identity.KindUser, Subject: "u-1"},
		System:    "postgresql",
		Method:    "query",
		Operation: "SELECT", Collection: "orders",
		QueryText: "SELECT id FROM orders WHERE id = ?",
		Decision:  "allow", Mode: "enforce",
	})
	if err != nil {
		log.Fatal(err)
	}
	rec.End(audit.Outcome{RowsReturned: 1, RowsAffected: -1})
	// Output:
	// level=INFO msg=sqlvigil.audit kind=statement identity.kind=user identity.subject=u-1 db.system.name=postgresql db.operation.name=SELECT db.collection.name=orders db.query.text="SELECT id FROM orders WHERE id = ?" method=query decision=allow mode=enforce rows_returned=1 rows_affected=-1
}
