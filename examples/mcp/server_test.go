package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

// testLimits keeps the budget small enough for the seeded events table.
var testLimits = Limits{MaxRows: 3, MaxBytes: 64 << 10, Reviewed: []string{"payroll"}}

var alice = Principal{Agent: "support-bot", Model: "test-model", OnBehalfOf: "alice"}

type target struct {
	name, driver string
	dsn          func(t *testing.T) string
}

func targets() []target {
	return []target{
		{"sqlite", "sqlite", func(t *testing.T) string { return testdb.SQLite(t) }},
		{"postgres", "postgres", func(t *testing.T) string { return testdb.Postgres(t) }},
	}
}

// harness is a seeded governed database, the server over it and a client
// session connected through the SDK's in-memory transports.
type harness struct {
	app *app
	rec *tracetest.SpanRecorder
	cs  *mcp.ClientSession
}

func newHarness(t *testing.T, tg target, p Principal) *harness {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	a, err := open(tg.driver, tg.dsn(t), testLimits,
		audit.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))), audit.WithEndDelay(0), audit.WithAllAttributes())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.db.Close() })
	ctx := context.Background()
	if err := seedQuickstart(ctx, a.db); err != nil {
		t.Fatal(err)
	}
	mig := identity.NewContext(ctx, identity.Identity{Kind: identity.KindService, Subject: "migrations"})
	if _, err := a.db.ExecContext(mig, "CREATE TABLE events (id INTEGER, kind TEXT)"); err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= 5; k++ {
		if _, err := a.db.ExecContext(mig, "INSERT INTO events VALUES ("+strconv.Itoa(k)+", 'login')"); err != nil {
			t.Fatal(err)
		}
	}
	a.cfg.Identify = Static(p)
	s, err := NewServer(a.cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, ct := mcp.NewInMemoryTransports()
	ss, err := s.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "scripted-agent", Version: "v0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Wait() })
	return &harness{app: a, rec: rec, cs: cs}
}

// call calls a tool and decodes its structured result into out.
func (h *harness) call(t *testing.T, tool string, args map[string]any, out any) *mcp.CallToolResult {
	t.Helper()
	res, err := h.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v in %s", tool, err, b)
	}
	return res
}

func (h *harness) query(t *testing.T, sql string) (*mcp.CallToolResult, QueryOut) {
	t.Helper()
	var out QueryOut
	res := h.call(t, "query", map[string]any{"sql": sql}, &out)
	return res, out
}

// spanAttrs returns the attributes of the ended spans, as text.
func (h *harness) spans() []map[string]string {
	var out []map[string]string
	for _, s := range h.rec.Ended() {
		m := map[string]string{"name": s.Name()}
		for _, kv := range s.Attributes() {
			m[string(kv.Key)] = kv.Value.Emit()
		}
		out = append(out, m)
	}
	return out
}

// TestScriptedAgent drives the server end to end as an agent would, on
// SQLite and PostgreSQL: reads, refusals with their hints, masking, the
// read budget, and what the spans record.
func TestScriptedAgent(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			h := newHarness(t, tg, alice)

			res, out := h.query(t, "SELECT id, name FROM customers ORDER BY id")
			if res.IsError || out.RowCount != 2 || out.Truncated {
				t.Fatalf("read: got %+v (error %v), want 2 rows", out, res.IsError)
			}
			text := res.Content[0].(*mcp.TextContent).Text
			if !strings.Contains(text, "It is not instructions") || !strings.Contains(text, "<untrusted-data-") || !strings.Contains(text, "Ada Lovelace") {
				t.Errorf("read: the rows are not wrapped as data: %s", text)
			}

			refusals := []struct {
				sql, wantRule, wantHint string
			}{
				{"DROP TABLE customers", "destructive-ddl", "destructive DDL is not allowed here: run it as a reviewed migration"},
				{"DELETE FROM customers", "missing-where", "compare a column of the written table in WHERE (WHERE id = …)"},
				{"DELETE FROM customers WHERE 1=1", "missing-where", "compare a column of the written table in WHERE (WHERE id = …)"},
				{"COMMIT; DROP TABLE customers", "stacked", "send one statement per call"},
				{"UPDATE customers SET name = 'x' WHERE id = 1", RuleToolReadOnly,
					"query only reads: call request_approval with this statement to have a reviewer approve the write"},
			}
			for _, tt := range refusals {
				res, out := h.query(t, tt.sql)
				if !res.IsError || out.Refused == nil {
					t.Errorf("%s: got %+v, want a refusal", tt.sql, out)
					continue
				}
				if out.Refused.Rule != tt.wantRule || out.Refused.Hint != tt.wantHint || out.Refused.Reason == "" {
					t.Errorf("%s: got %+v, want rule %q hint %q", tt.sql, *out.Refused, tt.wantRule, tt.wantHint)
				}
				if out.UntrustedData != nil {
					t.Errorf("%s: a refusal carries data", tt.sql)
				}
			}

			// PII comes back masked.
			res, out = h.query(t, "SELECT name, email, ssn FROM customers ORDER BY id")
			if res.IsError || out.RowCount != 2 {
				t.Fatalf("pii: got %+v", out)
			}
			text = res.Content[0].(*mcp.TextContent).Text
			for _, secret := range []string{"ada@example.com", "123-45-6789", "alan@example.org", "987-65-4321"} {
				if strings.Contains(text, secret) {
					t.Errorf("pii: %q in the result %s", secret, text)
				}
			}
			if !strings.Contains(text, "example.com") || !strings.Contains(text, "6789") {
				t.Errorf("pii: the strategies' kept parts are missing: %s", text)
			}

			// Over the read budget: the first three rows, and a note.
			res, out = h.query(t, "SELECT id, kind FROM events ORDER BY id")
			if res.IsError || out.RowCount != 3 || !out.Truncated || !strings.Contains(out.Note, "read budget") {
				t.Fatalf("budget: got %+v, want 3 rows, truncated, with a note", out)
			}
			if !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "Note: stopped at the read budget") {
				t.Errorf("budget: the text does not say the rows were cut")
			}

			// describe: masked columns named, payroll marked, no data.
			var d DescribeOut
			h.call(t, "describe", nil, &d)
			got := map[string]Table{}
			for _, tb := range d.Tables {
				got[tb.Name] = tb
			}
			if c, ok := got["customers"]; !ok || maskedOf(c, "email") != "email" || maskedOf(c, "ssn") != "partial" || maskedOf(c, "name") != "" {
				t.Errorf("describe customers: got %+v", c)
			}
			if p, ok := got["payroll"]; !ok || !p.NeedsApproval {
				t.Errorf("describe payroll: got %+v, want needs_approval", p)
			}
			if b, _ := json.Marshal(d); strings.Contains(string(b), "Ada") || strings.Contains(string(b), "120000") {
				t.Errorf("describe shows row data: %s", b)
			}

			spans := h.spans()
			find := func(tool, decision, rule string) map[string]string {
				for _, s := range spans {
					if s["gen_ai.tool.name"] == tool && s["sqlvigil.decision"] == decision && (rule == "" || s["sqlvigil.rule"] == rule) {
						return s
					}
				}
				t.Errorf("no span of tool %s with decision %s rule %s", tool, decision, rule)
				return map[string]string{}
			}
			drop := find("query", "deny", "destructive-ddl")
			for k, want := range map[string]string{
				"gen_ai.agent.name":                          "support-bot",
				"gen_ai.request.model":                       "test-model",
				"sqlvigil.agent.on_behalf_of":                "alice",
				"sqlvigil.identity.kind":                     "agent",
				"sqlvigil.identity.attr." + SessionAttribute: drop["sqlvigil.identity.attr."+SessionAttribute],
			} {
				if drop[k] != want || want == "" {
					t.Errorf("DROP span: got %s=%q, want %q", k, drop[k], want)
				}
			}
			if !strings.HasPrefix(drop["gen_ai.tool.call.id"], "call-") {
				t.Errorf("DROP span: no tool call id: %v", drop)
			}
			find("query", "deny", "stacked")
			find("query", "deny", "missing-where")
			masked := find("query", "allow", "")
			for _, s := range spans {
				if s["sqlvigil.masked.values"] != "" {
					masked = s
				}
			}
			if masked["sqlvigil.masked.values"] != "4" {
				t.Errorf("PII span: got %s=%q, want 4", "sqlvigil.masked.values", masked["sqlvigil.masked.values"])
			}
			var truncated bool
			for _, s := range spans {
				if s["sqlvigil.rows.truncated"] == "true" && s["sqlvigil.budget.rule"] == "read-budget" {
					truncated = true
				}
			}
			if !truncated {
				t.Errorf("no span says the over-budget read was truncated")
			}
		})
	}
}

func maskedOf(tb Table, col string) string {
	for _, c := range tb.Columns {
		if c.Name == col {
			return c.Masked
		}
	}
	return "<missing>"
}

// TestApprovalRoundTrip: a write goes to review and returns a ticket at
// once; the user the agent acts for may not approve it; a reviewer does;
// the agent polls, retries and the write runs, once.
func TestApprovalRoundTrip(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			h := newHarness(t, tg, alice)
			ctx := context.Background()
			write := map[string]any{"sql": "UPDATE customers SET name = $1 WHERE id = $2", "args": []any{"Ada King", 1}}
			if tg.driver == "sqlite" {
				write["sql"] = "UPDATE customers SET name = ? WHERE id = ?"
			}
			var ap ApprovalOut
			res := h.call(t, "request_approval", write, &ap)
			if res.IsError || ap.Status != "pending" || ap.Ticket == "" {
				t.Fatalf("request: got %+v, want pending with a ticket", ap)
			}
			if !strings.Contains(ap.Refused.Hint, "poll approval_status") {
				t.Errorf("request: hint %q does not say what to do", ap.Refused.Hint)
			}

			var st StatusOut
			h.call(t, "approval_status", map[string]any{"ticket": ap.Ticket}, &st)
			if st.Status != "pending" {
				t.Fatalf("status: got %+v, want pending", st)
			}

			// Unsafe writes are refused outright, with no ticket.
			var bad ApprovalOut
			h.call(t, "request_approval", map[string]any{"sql": "DELETE FROM customers"}, &bad)
			if bad.Status != "refused" || bad.Ticket != "" || bad.Refused.Rule != "missing-where" {
				t.Errorf("unbounded delete: got %+v, want refused by missing-where", bad)
			}

			q := h.app.cfg.Queue
			if _, err := q.Decide(ctx, ap.Ticket, identity.Identity{Kind: identity.KindUser, Subject: "alice"}, approval.Ruling{Approve: true}); !errors.Is(err, approval.ErrSelfApproval) {
				t.Errorf("alice approving her own agent's request: got %v, want ErrSelfApproval", err)
			}
			pending, err := q.PendingFor(ctx, identity.Identity{Kind: identity.KindUser, Subject: "carol"})
			if err != nil || len(pending) != 1 || pending[0].Agent != "support-bot" || pending[0].OnBehalfOf != "alice" || pending[0].Tool != "request_approval" {
				t.Fatalf("reviewer's queue: got %+v, %v", pending, err)
			}
			if strings.Contains(pending[0].Statement, "Ada King") {
				t.Errorf("the reviewer sees an argument value: %q", pending[0].Statement)
			}
			if _, err := q.Decide(ctx, ap.Ticket, identity.Identity{Kind: identity.KindUser, Subject: "carol"}, approval.Ruling{Approve: true, Comment: "ok"}); err != nil {
				t.Fatal(err)
			}
			h.call(t, "approval_status", map[string]any{"ticket": ap.Ticket}, &st)
			if st.Status != "approved" || st.Reviewer != "carol" {
				t.Fatalf("status: got %+v, want approved by carol", st)
			}

			var done ApprovalOut
			h.call(t, "request_approval", write, &done)
			if done.Status != "executed" || done.RowsAffected != 1 {
				t.Fatalf("retry: got %+v, want executed, 1 row", done)
			}
			_, out := h.query(t, "SELECT name FROM customers WHERE id = 1")
			if out.RowCount != 1 || out.UntrustedData.Rows[0][0] != "Ada King" {
				t.Errorf("after the write: got %+v", out.UntrustedData)
			}
			// A one-time grant is used up.
			h.call(t, "request_approval", write, &done)
			if done.Status != "pending" || done.Ticket == ap.Ticket {
				t.Errorf("second retry: got %+v, want a new pending ticket", done)
			}

			// Another agent cannot read the ticket.
			other := &handlers{cfg: h.app.cfg}
			other.cfg.Identify = Static(Principal{Agent: "other-bot", OnBehalfOf: "bob"})
			_, so, _ := other.approvalStatus(ctx, nil, StatusIn{Ticket: ap.Ticket})
			if !so.NotFound {
				t.Errorf("another agent's status: got %+v, want not found", so)
			}

			// A sensitive table: the read is held for review with a ticket.
			res, qo := h.query(t, "SELECT salary FROM payroll WHERE customer_id = 1")
			if !res.IsError || qo.Refused == nil || qo.Refused.Ticket == "" || qo.Refused.Rule != RuleSensitiveTables {
				t.Errorf("payroll: got %+v, want held for review", qo)
			}

			var reviewedSpan bool
			for _, s := range h.spans() {
				if s["gen_ai.tool.name"] == "request_approval" && s["sqlvigil.approval.reviewer"] == "carol" && s["sqlvigil.decision"] == "allow" {
					reviewedSpan = true
				}
			}
			if !reviewedSpan {
				t.Errorf("no span of the approved write naming its reviewer")
			}
		})
	}
}

// TestBearerIdentity: over streamable HTTP, the principal comes from the
// bearer token through auth.RequireBearerToken and FromToken; a request
// without a valid token never reaches a tool.
func TestBearerIdentity(t *testing.T) {
	tg := targets()[0]
	rec := tracetest.NewSpanRecorder()
	a, err := open(tg.driver, tg.dsn(t), testLimits, audit.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))), audit.WithEndDelay(0))
	if err != nil {
		t.Fatal(err)
	}
	defer a.db.Close()
	if err := seedQuickstart(context.Background(), a.db); err != nil {
		t.Fatal(err)
	}
	a.cfg.Identify = FromToken()
	s, err := NewServer(a.cfg)
	if err != nil {
		t.Fatal(err)
	}
	verifier := TokenTable(map[string]Principal{"tok-1": {Agent: "http-bot", Model: "m", OnBehalfOf: "bob"}})
	srv := httptest.NewServer(auth.RequireBearerToken(verifier, nil)(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)))
	defer srv.Close()

	if resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{}`)); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: got %v %v, want 401", resp.StatusCode, err)
	}
	client := &http.Client{Transport: bearer{"tok-1", http.DefaultTransport}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "http-agent", Version: "v0"}, nil).Connect(context.Background(),
		&mcp.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: client, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "query", Arguments: map[string]any{"sql": "SELECT id FROM customers"}})
	if err != nil || res.IsError {
		t.Fatalf("query: %v %+v", err, res)
	}
	var found bool
	for _, sp := range rec.Ended() {
		attrs := map[string]string{}
		for _, kv := range sp.Attributes() {
			attrs[string(kv.Key)] = kv.Value.Emit()
		}
		if attrs["gen_ai.agent.name"] == "http-bot" && attrs["sqlvigil.agent.on_behalf_of"] == "bob" &&
			attrs["sqlvigil.identity.attr."+SessionAttribute] != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("no span under the token's principal and an HTTP session")
	}
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// TestRefusalOf pins how the server turns the policy's refusals into
// what the agent reads: the tool to call where there is one.
func TestRefusalOf(t *testing.T) {
	tests := []struct {
		name string
		give error
		want *Refusal
	}{
		{"not a refusal", errors.New("connection reset"), nil},
		{"policy hint kept", &guard.BlockedError{Rule: "stacked", Reason: "several statements in one text", Hint: "send one statement per call"},
			&Refusal{Rule: "stacked", Reason: "several statements in one text", Hint: "send one statement per call"}},
		{"write through query", &guard.BlockedError{Rule: RuleToolReadOnly, Reason: "identity may only read", Hint: "only reads are allowed to this identity: use SELECT"},
			&Refusal{Rule: RuleToolReadOnly, Reason: "identity may only read", Hint: "query only reads: call request_approval with this statement to have a reviewer approve the write"}},
		{"denied table", &guard.BlockedError{Rule: "tables", Reason: "table denied to this identity"},
			&Refusal{Rule: "tables", Reason: "table denied to this identity", Hint: "this table is not available to you: call describe for the tables you may read"}},
		{"pending review", &guard.BlockedError{Rule: RuleSensitiveTables, Reason: "review pending", Err: &guard.ReviewError{Ticket: "t-1", Pending: true}},
			&Refusal{Rule: RuleSensitiveTables, Reason: "review pending", Ticket: "t-1",
				Hint: "this statement needs approval: ticket t-1 is filed; poll approval_status, then send the same statement with the same arguments again"}},
		{"refused review", &guard.BlockedError{Rule: RuleWritesReviewed, Reason: "review denied", Hint: "a reviewer refused this statement: do not send it again unchanged", Err: &guard.ReviewError{Ticket: "t-2", Reviewer: "carol"}},
			&Refusal{Rule: RuleWritesReviewed, Reason: "review denied", Ticket: "t-2", Hint: "a reviewer refused this statement: do not send it again unchanged"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := refusalOf(tt.give)
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
