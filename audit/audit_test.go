package audit_test

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/identity"
)

const secret = "alice@example.com" // a clear value that must never be recorded

func newAuditor(t *testing.T, opts ...audit.Option) (*audit.Auditor, *tracetest.SpanRecorder) {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	a, err := audit.New(append([]audit.Option{audit.WithTracerProvider(tp), audit.WithEndDelay(0)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a, sr
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value)
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func agent() identity.Identity {
	return identity.Identity{
		Kind:    identity.KindAgent,
		Subject: "agent-7",
		Name:    "Support bot",
		Roles:   []string{"support", "pii:none"},
		Tenant:  "acme",
		Service: "helpdesk",
		Purpose: "support case",
		Ticket:  "CASE-42",
		Agent: &identity.Agent{
			Name: "helper", Model: "gpt-x", Tool: "run_sql", ToolCallID: "call_1", OnBehalfOf: "u-9",
		},
		Attributes: map[string]string{"email": secret},
	}
}

func selectEvent() *audit.Event {
	return &audit.Event{
		Identity:      agent(),
		System:        "postgresql",
		Namespace:     "shop",
		ServerAddress: "127.0.0.1",
		ServerPort:    5432,
		Method:        "query",
		Operation:     "SELECT",
		Collection:    "customers",
		Summary:       "SELECT customers",
		QueryText:     "SELECT id, email FROM customers WHERE email = ?",
		Text:          "SELECT id, email FROM customers WHERE email = '" + secret + "'",
		Reads:         []string{"customers"},
		Complete:      true,
		Decision:      "allow",
		Mode:          "enforce",
		Args:          []driver.NamedValue{{Ordinal: 1, Value: secret}},
	}
}

// checkAttrs compares the wanted attributes with the span's.
func checkAttrs(t *testing.T, got map[attribute.Key]attribute.Value, want map[attribute.Key]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			if w != nil {
				t.Errorf("attribute %s missing, want %v", k, w)
			}
			continue
		}
		if w == nil {
			t.Errorf("attribute %s = %v, want absent", k, g.Emit())
			continue
		}
		if gs, ws := fmt.Sprint(g.AsInterface()), fmt.Sprint(w); gs != ws {
			t.Errorf("attribute %s = %s, want %s", k, gs, ws)
		}
	}
}

// noSecret fails when the secret appears in any attribute or status.
func noSecret(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.Emit(), secret) {
				t.Errorf("span %q attribute %s leaks the secret", s.Name(), kv.Key)
			}
		}
		if strings.Contains(s.Status().Description, secret) {
			t.Errorf("span %q status leaks the secret", s.Name())
		}
	}
}

func TestQuerySpan(t *testing.T) {
	a, sr := newAuditor(t, audit.WithCaller(), audit.WithAllAttributes())
	_, rec, err := a.Start(context.Background(), selectEvent())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	rec.End(audit.Outcome{
		RowsReturned: 3, RowsAffected: -1,
		Masked: []audit.MaskedColumn{{Column: "email", Rule: "pii-email", Strategy: "redact", Count: 3}},
	})
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("got %d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name() != "SELECT customers" {
		t.Errorf("name = %q, want %q", s.Name(), "SELECT customers")
	}
	if s.SpanKind() != trace.SpanKindClient {
		t.Errorf("kind = %v, want client", s.SpanKind())
	}
	if s.Status().Code != codes.Unset {
		t.Errorf("status = %v, want unset", s.Status())
	}
	got := attrs(s)
	checkAttrs(t, got, map[attribute.Key]any{
		"db.system.name":              "postgresql",
		"db.namespace":                "shop",
		"db.operation.name":           "SELECT",
		"db.collection.name":          "customers",
		"db.query.text":               "SELECT id, email FROM customers WHERE email = ?",
		"db.query.summary":            "SELECT customers",
		"db.response.returned_rows":   3,
		"server.address":              "127.0.0.1",
		"server.port":                 5432,
		"user.id":                     "agent-7",
		"user.full_name":              "Support bot",
		"user.roles":                  "[support pii:none]",
		"sqlvigil.identity.kind":      "agent",
		"sqlvigil.identity.tenant":    "acme",
		"sqlvigil.identity.service":   "helpdesk",
		"sqlvigil.identity.purpose":   "support case",
		"sqlvigil.identity.ticket":    "CASE-42",
		"gen_ai.agent.name":           "helper",
		"gen_ai.request.model":        "gpt-x",
		"gen_ai.tool.name":            "run_sql",
		"gen_ai.tool.call.id":         "call_1",
		"sqlvigil.agent.on_behalf_of": "u-9",
		"sqlvigil.method":             "query",
		"sqlvigil.tables.read":        "[customers]",
		"sqlvigil.tables.written":     nil,
		"sqlvigil.complete":           true,
		"sqlvigil.decision":           "allow",
		"sqlvigil.mode":               "enforce",
		"sqlvigil.rule":               nil,
		"sqlvigil.masked.columns":     "[email]",
		"sqlvigil.masked.rules":       "[pii-email]",
		"sqlvigil.masked.strategies":  "[redact]",
		"sqlvigil.masked.counts":      "[3]",
		"sqlvigil.masked.values":      3,
		"sqlvigil.args":               nil,
		"sqlvigil.rows_affected":      nil,
		"error.type":                  nil,
		"code.function.name":          "github.com/sqlvigil/sqlvigil/audit_test.TestQuerySpan",
	})
	if f := got["code.file.path"].AsString(); !strings.HasSuffix(f, "audit/audit_test.go") {
		t.Errorf("code.file.path = %q, want …audit/audit_test.go", f)
	}
	if got["code.line.number"].AsInt64() <= 0 {
		t.Errorf("code.line.number = %v, want > 0", got["code.line.number"].AsInt64())
	}
	if got["sqlvigil.audit.record_id"].AsString() == "" {
		t.Error("sqlvigil.audit.record_id missing")
	}
	noSecret(t, spans)
}

// TestDefaultAttributes: without WithCaller and WithAllAttributes a span
// keeps who, what, the verdict, the rows and the masked columns, and leaves
// out what costs a stack walk or can be read from the configuration.
func TestDefaultAttributes(t *testing.T) {
	a, sr := newAuditor(t)
	_, rec, err := a.Start(context.Background(), selectEvent())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	rec.End(audit.Outcome{
		RowsReturned: 3, RowsAffected: -1,
		Masked: []audit.MaskedColumn{{Column: "email", Rule: "pii-email", Strategy: "redact", Count: 3}},
	})
	got := attrs(sr.Ended()[0])
	checkAttrs(t, got, map[attribute.Key]any{
		"db.query.text":              "SELECT id, email FROM customers WHERE email = ?",
		"db.response.returned_rows":  3,
		"user.id":                    "agent-7",
		"user.roles":                 "[support pii:none]",
		"gen_ai.agent.name":          "helper",
		"gen_ai.tool.call.id":        "call_1",
		"sqlvigil.identity.purpose":  "support case",
		"sqlvigil.tables.read":       "[customers]",
		"sqlvigil.decision":          "allow",
		"sqlvigil.masked.columns":    "[email]",
		"sqlvigil.masked.values":     3,
		"user.full_name":             nil,
		"sqlvigil.method":            nil,
		"sqlvigil.complete":          nil,
		"sqlvigil.audit.record_id":   nil,
		"sqlvigil.masked.rules":      nil,
		"sqlvigil.masked.strategies": nil,
		"sqlvigil.masked.counts":     nil,
		"code.function.name":         nil,
		"code.file.path":             nil,
	})

	// A statement the analyser could not read with certainty says so.
	ev := selectEvent()
	ev.Complete = false
	_, rec, _ = a.Start(context.Background(), ev)
	rec.End(audit.Outcome{})
	checkAttrs(t, attrs(sr.Ended()[1]), map[attribute.Key]any{"sqlvigil.complete": false})
}

func TestDecisions(t *testing.T) {
	tests := []struct {
		name       string
		give       func(*audit.Event)
		out        audit.Outcome
		wantStatus codes.Code
		wantDesc   string
		want       map[attribute.Key]any
	}{
		{
			name: "denied",
			give: func(e *audit.Event) {
				e.Method, e.Operation, e.Collection, e.Summary = "exec", "DROP", "customers", "DROP customers"
				e.QueryText = "DROP TABLE customers"
				e.Reads, e.Writes = nil, []string{"customers"}
				e.Decision, e.Rule, e.Reason, e.Mode = "deny", "no-ddl", "DDL is not allowed", "enforce"
			},
			out:        audit.Outcome{RowsAffected: -1, Err: errors.New("guard: statement blocked by rule no-ddl: DDL is not allowed")},
			wantStatus: codes.Error,
			wantDesc:   "blocked by rule no-ddl: DDL is not allowed",
			want: map[attribute.Key]any{
				"sqlvigil.decision":         "deny",
				"sqlvigil.rule":             "no-ddl",
				"sqlvigil.reason":           "DDL is not allowed",
				"sqlvigil.mode":             nil, // enforced unless it says otherwise
				"sqlvigil.tables.written":   "[customers]",
				"error.type":                "sqlvigil.blocked",
				"db.operation.name":         "DROP",
				"db.response.returned_rows": nil,
			},
		},
		{
			name: "monitored",
			give: func(e *audit.Event) {
				e.Decision, e.Rule, e.Reason, e.Mode = "allow", "no-pii-select", "would deny", "monitor"
			},
			out:        audit.Outcome{RowsReturned: 1, RowsAffected: -1},
			wantStatus: codes.Unset,
			want: map[attribute.Key]any{
				"sqlvigil.decision": "allow",
				"sqlvigil.rule":     "no-pii-select",
				"sqlvigil.mode":     "monitor",
				"error.type":        nil,
			},
		},
		{
			name: "approved",
			give: func(e *audit.Event) {
				e.Method, e.Operation, e.Collection = "exec", "DELETE", "orders"
				e.Reads, e.Writes = nil, []string{"orders"}
				e.Decision, e.Rule, e.Mode = "allow", "review-deletes", "enforce"
				e.ApprovalID, e.Reviewer = "apr-1", "bob"
			},
			out:        audit.Outcome{RowsAffected: 2},
			wantStatus: codes.Unset,
			want: map[attribute.Key]any{
				"sqlvigil.approval.id":       "apr-1",
				"sqlvigil.approval.reviewer": "bob",
				"sqlvigil.rows_affected":     2,
				"db.response.returned_rows":  nil,
				"sqlvigil.tables.written":    "[orders]",
			},
		},
		{
			name: "database error",
			give: func(e *audit.Event) {
				e.Method, e.Operation, e.Collection = "exec", "INSERT", "customers"
			},
			out:        audit.Outcome{RowsAffected: -1, Err: fmt.Errorf("exec: %w", &sqlError{code: "23505"})},
			wantStatus: codes.Error,
			wantDesc:   "*audit_test.sqlError",
			want: map[attribute.Key]any{
				"error.type":              "*audit_test.sqlError",
				"db.response.status_code": "23505",
				"sqlvigil.error.text":     nil,
			},
		},
		{
			name: "mysql style error number",
			give: func(e *audit.Event) {
				e.System, e.Method, e.Operation, e.Collection = "mysql", "exec", "INSERT", "customers"
			},
			out:        audit.Outcome{RowsAffected: -1, Err: &numberError{Number: 1062}},
			wantStatus: codes.Error,
			wantDesc:   "*audit_test.numberError",
			want: map[attribute.Key]any{
				"error.type":              "*audit_test.numberError",
				"db.response.status_code": "1062",
			},
		},
		{
			name:       "canceled",
			give:       func(e *audit.Event) {},
			out:        audit.Outcome{RowsAffected: -1, Err: fmt.Errorf("query: %w", context.Canceled)},
			wantStatus: codes.Error,
			wantDesc:   "context.Canceled",
			want: map[attribute.Key]any{
				"error.type": "context.Canceled",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, sr := newAuditor(t)
			ev := selectEvent()
			tt.give(ev)
			_, rec, err := a.Start(context.Background(), ev)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			rec.End(tt.out)
			rec.End(tt.out) // a second End is ignored
			spans := sr.Ended()
			if len(spans) != 1 {
				t.Fatalf("got %d spans, want 1", len(spans))
			}
			st := spans[0].Status()
			if st.Code != tt.wantStatus || st.Description != tt.wantDesc {
				t.Errorf("status = %v %q, want %v %q", st.Code, st.Description, tt.wantStatus, tt.wantDesc)
			}
			checkAttrs(t, attrs(spans[0]), tt.want)
			noSecret(t, spans)
		})
	}
}

// sqlError carries a SQLSTATE and, like real database errors, a value in
// its text.
type sqlError struct{ code string }

func (e *sqlError) Error() string    { return "duplicate key value: " + secret }
func (e *sqlError) SQLState() string { return e.code }

type numberError struct{ Number uint16 }

func (e *numberError) Error() string { return "Duplicate entry '" + secret + "' for key 'email'" }

// redactedError hides the text of the error it stands for and, as the
// masker's may, offers no redacted copy to unwrap to.
type redactedError struct{ orig error }

func (e *redactedError) Error() string     { return "duplicate key value: [redacted]" }
func (e *redactedError) Unredacted() error { return e.orig }

// TestRedactedErrorKeepsCode checks that a statement error redacted by the
// masker is still recorded with its database's type and code.
func TestRedactedErrorKeepsCode(t *testing.T) {
	a, sr := newAuditor(t)
	_, rec, _ := a.Start(context.Background(), selectEvent())
	rec.End(audit.Outcome{RowsAffected: -1, Err: fmt.Errorf("exec: %w", &redactedError{&sqlError{code: "23505"}})})
	spans := sr.Ended()
	checkAttrs(t, attrs(spans[0]), map[attribute.Key]any{
		"error.type":              "*audit_test.sqlError",
		"db.response.status_code": "23505",
	})
	noSecret(t, spans)
}

func TestErrorTextOptIn(t *testing.T) {
	a, sr := newAuditor(t, audit.WithErrorText())
	_, rec, _ := a.Start(context.Background(), selectEvent())
	rec.End(audit.Outcome{Err: &sqlError{code: "23505"}})
	s := sr.Ended()[0]
	if !strings.Contains(s.Status().Description, "duplicate key") {
		t.Errorf("status = %q, want the error text", s.Status().Description)
	}
}

func TestArgs(t *testing.T) {
	ev := func() *audit.Event {
		e := selectEvent()
		e.Args = []driver.NamedValue{
			{Ordinal: 1, Value: secret}, {Ordinal: 2, Value: int64(7)}, {Ordinal: 3, Value: []byte("abc")}, {Ordinal: 4, Value: nil},
		}
		return e
	}
	tests := []struct {
		name string
		opts []audit.Option
		want any
	}{
		{"off by default", nil, nil},
		{"type and size", []audit.Option{audit.WithArgs(nil)}, "[string(17) int64 []byte(3) nil]"},
		{"custom redactor", []audit.Option{audit.WithArgs(func(i int, _ string, _ any) string { return fmt.Sprint("$", i) })}, "[$1 $2 $3 $4]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, sr := newAuditor(t, tt.opts...)
			_, rec, _ := a.Start(context.Background(), ev())
			rec.End(audit.Outcome{})
			spans := sr.Ended()
			checkAttrs(t, attrs(spans[0]), map[attribute.Key]any{"sqlvigil.args": tt.want})
			noSecret(t, spans)
		})
	}
}

func TestWithoutQueryText(t *testing.T) {
	a, sr := newAuditor(t, audit.WithoutQueryText())
	_, rec, _ := a.Start(context.Background(), selectEvent())
	rec.End(audit.Outcome{})
	checkAttrs(t, attrs(sr.Ended()[0]), map[attribute.Key]any{
		"db.query.text":      nil,
		"db.query.summary":   "SELECT customers",
		"code.function.name": nil,
	})
}

func TestCallerSkip(t *testing.T) {
	// Skipping this test package makes the testing package the caller.
	a, sr := newAuditor(t, audit.WithCaller(), audit.WithCallerSkip("github.com/sqlvigil/sqlvigil/audit_test"))
	_, rec, _ := a.Start(context.Background(), selectEvent())
	rec.End(audit.Outcome{})
	fn := attrs(sr.Ended()[0])["code.function.name"].AsString()
	if !strings.HasPrefix(fn, "testing.") {
		t.Errorf("code.function.name = %q, want a testing.* frame", fn)
	}
}

func TestSpanNames(t *testing.T) {
	tests := []struct {
		give audit.Event
		want string
	}{
		{audit.Event{Operation: "SELECT", Collection: "t"}, "SELECT t"},
		{audit.Event{Operation: "SELECT", Summary: "SELECT a b"}, "SELECT a b"},
		{audit.Event{Operation: "BEGIN"}, "BEGIN"},
		{audit.Event{System: "sqlite"}, "sqlite"},
		{audit.Event{}, "sql"},
	}
	for _, tt := range tests {
		a, sr := newAuditor(t)
		ev := tt.give
		_, rec, _ := a.Start(context.Background(), &ev)
		rec.End(audit.Outcome{})
		if got := sr.Ended()[0].Name(); got != tt.want {
			t.Errorf("name for %+v = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestTransaction(t *testing.T) {
	a, sr := newAuditor(t)
	ctx := identity.NewContext(context.Background(), agent())
	txCtx, tx, err := a.StartTx(ctx, true, "serializable")
	if err != nil {
		t.Fatalf("StartTx: %v", err)
	}
	for range 2 {
		_, rec, err := a.Start(txCtx, selectEvent())
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		rec.End(audit.Outcome{RowsReturned: 1})
	}
	// A statement issued with another context is linked through
	// Record.Context, as the driver does for database/sql transactions.
	_, rec, _ := a.Start(tx.Context(context.Background()), selectEvent())
	rec.End(audit.Outcome{})
	tx.End(audit.Outcome{TxEnd: "commit"})

	spans := sr.Ended()
	if len(spans) != 4 {
		t.Fatalf("got %d spans, want 4", len(spans))
	}
	txSpan := spans[3]
	if txSpan.Name() != "transaction" {
		t.Fatalf("last span = %q, want transaction", txSpan.Name())
	}
	for _, s := range spans[:3] {
		if s.Parent().SpanID() != txSpan.SpanContext().SpanID() {
			t.Errorf("statement span parent = %v, want the transaction %v", s.Parent().SpanID(), txSpan.SpanContext().SpanID())
		}
	}
	checkAttrs(t, attrs(txSpan), map[attribute.Key]any{
		"sqlvigil.tx.read_only":  true,
		"sqlvigil.tx.isolation":  "serializable",
		"sqlvigil.tx.end":        "commit",
		"sqlvigil.tx.statements": 3,
		"user.id":                "agent-7",
		"gen_ai.tool.call.id":    "call_1",
	})
	if txSpan.Status().Code != codes.Unset {
		t.Errorf("tx status = %v, want unset", txSpan.Status())
	}
}

func TestNilSafe(t *testing.T) {
	var a *audit.Auditor
	ctx := context.Background()
	got, rec, err := a.Start(ctx, selectEvent())
	if got != ctx || rec != nil || err != nil {
		t.Errorf("nil Auditor Start = %v, %v, %v; want ctx, nil, nil", got, rec, err)
	}
	_, tx, err := a.StartTx(ctx, false, "")
	if tx != nil || err != nil {
		t.Errorf("nil Auditor StartTx = %v, %v; want nil, nil", tx, err)
	}
	rec.End(audit.Outcome{})
	if rec.Context(ctx) != ctx {
		t.Error("nil Record Context changed the context")
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		opts []audit.Option
	}{
		{"nil tracer provider", []audit.Option{audit.WithTracerProvider(nil)}},
		{"nil meter provider", []audit.Option{audit.WithMeterProvider(nil)}},
		{"nil sink", []audit.Option{audit.WithSink(nil)}},
		// Typed nils: an interface that is not nil, holding a nil pointer.
		{"typed nil tracer provider", []audit.Option{audit.WithTracerProvider((*sdktrace.TracerProvider)(nil))}},
		{"typed nil sink", []audit.Option{audit.WithSink((*audit.SlogSink)(nil))}},
		{"mandatory without sink", []audit.Option{audit.WithMandatory()}},
		{"empty skip", []audit.Option{audit.WithCallerSkip(" ")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := audit.New(tt.opts...)
			if !errors.Is(err, audit.ErrConfig) {
				t.Errorf("New error = %v, want ErrConfig", err)
			}
		})
	}
}

var errDisk = errors.New("disk full")

func failing(calls *int) audit.Sink {
	return audit.SinkFunc(func(context.Context, *audit.Entry) error {
		*calls++
		return errDisk
	})
}

func TestFailingSinkDoesNotBlock(t *testing.T) {
	var calls int
	var handled []error
	a, sr := newAuditor(t, audit.WithSink(failing(&calls)), audit.WithErrorHandler(func(err error) { handled = append(handled, err) }))
	_, rec, err := a.Start(context.Background(), selectEvent())
	if err != nil {
		t.Fatalf("Start = %v, want nil (audit not mandatory)", err)
	}
	rec.End(audit.Outcome{})
	if calls != 1 {
		t.Errorf("sink called %d times, want 1", calls)
	}
	var se *audit.SinkError
	if len(handled) != 1 || !errors.As(handled[0], &se) || !errors.Is(handled[0], errDisk) {
		t.Errorf("handled = %v, want one *SinkError wrapping errDisk", handled)
	}
	if len(sr.Ended()) != 1 {
		t.Errorf("got %d spans, want 1", len(sr.Ended()))
	}
}

// TestSpanEndsBeforeSinks checks that a statement's span has ended when
// the sinks write its record, so that a slow sink (an fsync) does not
// lengthen the span.
func TestSpanEndsBeforeSinks(t *testing.T) {
	var sr *tracetest.SpanRecorder
	var endedAtWrite []int
	sink := audit.SinkFunc(func(_ context.Context, e *audit.Entry) error {
		endedAtWrite = append(endedAtWrite, len(sr.Ended()))
		return nil
	})
	var a *audit.Auditor
	a, sr = newAuditor(t, audit.WithSink(sink))
	_, rec, err := a.Start(context.Background(), selectEvent())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	rec.End(audit.Outcome{RowsAffected: -1})
	if want := []int{1}; !slices.Equal(endedAtWrite, want) {
		t.Errorf("spans ended when the sink wrote = %v, want %v", endedAtWrite, want)
	}
}

func TestMandatoryFailsClosed(t *testing.T) {
	var calls int
	a, sr := newAuditor(t, audit.WithSink(failing(&calls)), audit.WithMandatory())
	_, rec, err := a.Start(context.Background(), selectEvent())
	if !errors.Is(err, audit.ErrUnavailable) || !errors.Is(err, errDisk) {
		t.Fatalf("Start error = %v, want ErrUnavailable wrapping errDisk", err)
	}
	if rec != nil {
		t.Error("Start returned a record with an error")
	}
	_, tx, err := a.StartTx(context.Background(), false, "")
	if !errors.Is(err, audit.ErrUnavailable) || tx != nil {
		t.Errorf("StartTx = %v, %v; want nil, ErrUnavailable", tx, err)
	}
	spans := sr.Ended()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2 (refusals are visible)", len(spans))
	}
	checkAttrs(t, attrs(spans[0]), map[attribute.Key]any{"error.type": "sqlvigil.audit_unavailable", "user.id": "agent-7", "sqlvigil.decision": "allow"})
	if spans[0].Status().Code != codes.Error {
		t.Errorf("status = %v, want error", spans[0].Status())
	}
}

func TestMandatoryWritesIntent(t *testing.T) {
	var kinds []string
	sink := audit.SinkFunc(func(_ context.Context, e *audit.Entry) error {
		kinds = append(kinds, e.Kind)
		return nil
	})
	a, _ := newAuditor(t, audit.WithSink(sink), audit.WithMandatory())
	_, rec, err := a.Start(context.Background(), selectEvent())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if fmt.Sprint(kinds) != "[intent]" {
		t.Errorf("before the statement runs, sink got %v, want [intent]", kinds)
	}
	rec.End(audit.Outcome{})
	if fmt.Sprint(kinds) != "[intent statement]" {
		t.Errorf("sink got %v, want [intent statement]", kinds)
	}
}

func TestSlogSink(t *testing.T) {
	var buf bytes.Buffer
	sink := audit.NewSlogSink(slog.NewJSONHandler(&buf, nil))
	a, _ := newAuditor(t, audit.WithSink(sink))
	_, rec, _ := a.Start(context.Background(), selectEvent())
	rec.End(audit.Outcome{RowsReturned: 2, Masked: []audit.MaskedColumn{{Column: "email", Rule: "pii-email", Count: 2}}})
	ev := selectEvent()
	ev.Decision, ev.Rule, ev.Operation = "deny", "no-ddl", "DROP"
	_, rec, _ = a.Start(context.Background(), ev)
	rec.End(audit.Outcome{})
	out := buf.String()
	for _, want := range []string{
		`"msg":"sqlvigil.audit"`, `"level":"INFO"`, `"level":"WARN"`, `"subject":"agent-7"`,
		`"rule":"no-ddl"`, `"column":"email"`, `"rows_returned":2`, `"db.query.text":"SELECT id, email FROM customers WHERE email = ?"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("slog output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Errorf("slog output leaks the secret:\n%s", out)
	}
}
