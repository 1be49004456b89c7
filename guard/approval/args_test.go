package approval_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// The secrets a request's arguments carry; none may appear where the
// reviewer's mask rules do not allow it.
const (
	secretArg   = "s3cr3t-arg"
	secretEmail = "alice@example.com"
)

// maskReveal wires a RevealFunc to a Masker as an application would: each
// argument is a column of unknown source, named as the argument is.
func maskReveal(m *mask.Masker) approval.RevealFunc {
	return func(ctx context.Context, in approval.RevealInput) []string {
		out := make([]string, len(in.Values))
		for i, v := range in.Values {
			col := mask.Column{Name: in.Ticket.Args[i].Name}
			plan, err := m.Plan(ctx, mask.Input{Identity: in.Reviewer, Columns: []mask.Column{col}})
			row := []driver.Value{v}
			if err == nil {
				err = plan.Apply(row)
			}
			if err != nil {
				out[i] = "[masked]"
				continue
			}
			if b, ok := row[0].([]byte); ok {
				row[0] = string(b)
			}
			out[i] = fmt.Sprint(row[0])
		}
		return out
	}
}

func newMasker(t *testing.T) *mask.Masker {
	t.Helper()
	m, err := mask.New(mask.WithRules(mask.Rule{Name: "pii", Columns: []string{"email"}, Strategy: mask.Email(), ExemptRoles: []string{"pii:clear"}}))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// argsRequest is a reviewed statement with an unnamed secret, a named
// e-mail address and a number.
func argsRequest(who identity.Identity) *guard.Request {
	r := dropRequest(who, secretArg)
	r.Args = append(r.Args, driver.NamedValue{Ordinal: 2, Name: "email", Value: secretEmail}, namedValue(3, int64(42)))
	return r
}

func newArgReplica(t *testing.T, store approval.Store, clock *fakeClock, key []byte) *replica {
	t.Helper()
	r := &replica{q: approval.NewQueue(approval.Config{
		Store: store, Now: clock.Now, ReviewerRoles: []string{"reviewer"}, NoWait: true, ArgKey: key,
	})}
	r.p = mustPolicy(t, guard.WithRules(guard.DestructiveDDL().Reviewed()), guard.WithApprover(r.q),
		guard.WithGrantKey([]byte("replicas share this key")))
	r.h = r.q.Handler(approval.HandlerConfig{Reveal: maskReveal(newMasker(t))})
	return r
}

// shownArgs returns the "value" of each argument of a ticket as served,
// "-" for one not shown, and the raw body.
func shownArgs(t *testing.T, h http.Handler, who identity.Identity, id string) ([]string, string) {
	t.Helper()
	code, out := serve(t, h, &who, "GET", "/requests/"+id, "", nil)
	raw, _ := json.Marshal(out)
	if code != http.StatusOK {
		t.Fatalf("GET ticket as %s: %d %s", who.Subject, code, raw)
	}
	var tk struct {
		Args []approval.Arg `json:"args"`
	}
	if err := json.Unmarshal(raw, &tk); err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(tk.Args))
	for i, a := range tk.Args {
		got[i] = "-"
		if a.Value != nil {
			got[i] = *a.Value
		}
	}
	return got, string(raw)
}

func hasSecret(s string) bool {
	for _, v := range []string{secretArg, secretEmail, "alice@"} {
		if strings.Contains(s, v) || strings.Contains(s, base64.StdEncoding.EncodeToString([]byte(v))) {
			return true
		}
	}
	return false
}

// TestRevealArgsByReviewersMaskRules: each reviewer sees the values as
// their own mask rules allow.
func TestRevealArgsByReviewersMaskRules(t *testing.T) {
	r := newArgReplica(t, nil, newClock(), nil)
	id := fileTicket(t, r, argsRequest(agentFor("alice", "acme")))
	rita := reviewer("rita", "acme")
	dpo := reviewer("dpo", "acme")
	dpo.Roles = append(dpo.Roles, "pii:clear")

	got, raw := shownArgs(t, r.h, rita, id)
	if len(got) != 3 || got[0] != "[masked]" || got[1] == "-" || hasSecret(got[1]) || got[2] != "[masked]" {
		t.Errorf("reviewer with a rule in force sees %q, want the masked forms", got)
	}
	if hasSecret(raw) || strings.Contains(raw, "sealed_args") {
		t.Errorf("reviewer with a rule in force is served %s", raw)
	}
	if got, _ := shownArgs(t, r.h, dpo, id); strings.Join(got, "|") != secretArg+"|"+secretEmail+"|42" {
		t.Errorf("reviewer exempt from the rules sees %q, want the clear values", got)
	}
	code, out := serve(t, r.h, &rita, "GET", "/pending", "", nil)
	if listed, _ := json.Marshal(out); code != http.StatusOK || hasSecret(string(listed)) || !strings.Contains(string(listed), `"[masked]"`) ||
		!strings.Contains(string(listed), `"tool_call_id":"call-42"`) || !strings.Contains(string(listed), `"model":"model-x"`) {
		t.Errorf("listing for a reviewer with a rule in force: %d %s", code, listed)
	}
	// Once decided, the values are gone.
	if code, out := serve(t, r.h, &dpo, "POST", "/requests/"+id+"/deny", `{}`, jsonHdr); code != http.StatusOK {
		t.Fatalf("deny: %d %v", code, out)
	}
	if got, _ := shownArgs(t, r.h, dpo, id); strings.Join(got, "|") != "-|-|-" {
		t.Errorf("after the decision the exempt reviewer sees %q, want no values", got)
	}
}

// TestArgsNeverClearWithoutReveal: without a RevealFunc, or for someone
// who may not review the ticket, the API and the Go API carry no value.
func TestArgsNeverClearWithoutReveal(t *testing.T) {
	r := newArgReplica(t, nil, newClock(), nil)
	id := fileTicket(t, r, argsRequest(agentFor("alice", "acme")))
	dpo := reviewer("dpo", "acme")
	dpo.Roles = append(dpo.Roles, "pii:clear")
	plain := r.q.Handler(approval.HandlerConfig{})
	for _, path := range []string{"/pending", "/requests/" + id} {
		code, out := serve(t, plain, &dpo, "GET", path, "", nil)
		if raw, _ := json.Marshal(out); code != http.StatusOK || hasSecret(string(raw)) || strings.Contains(string(raw), `"value"`) ||
			strings.Contains(string(raw), "sealed_args") || !strings.Contains(string(raw), `"length":10`) {
			t.Errorf("GET %s without Reveal: %d %s", path, code, raw)
		}
	}
	tk, err := r.q.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	reveal := maskReveal(newMasker(t))
	other := reviewer("olga", "globex")
	other.Roles = append(other.Roles, "pii:clear")
	notReviewer := identity.Identity{Kind: identity.KindUser, Subject: "dpo2", Tenant: "acme", Roles: []string{"pii:clear"}}
	for _, who := range []identity.Identity{other, notReviewer} {
		for _, a := range r.q.ArgsFor(context.Background(), &tk, who, reveal) {
			if a.Value != nil {
				t.Errorf("%s (not a reviewer of the ticket) is shown %q", who.Subject, *a.Value)
			}
		}
	}
	// Sealed values moved onto another ticket do not open.
	moved := tk
	moved.ID = "moved"
	for _, a := range r.q.ArgsFor(context.Background(), &moved, dpo, reveal) {
		if a.Value != nil {
			t.Errorf("sealed values opened on another ticket: %q", *a.Value)
		}
	}
	// A RevealFunc that panics or answers the wrong number shows nothing.
	for _, bad := range []approval.RevealFunc{
		func(context.Context, approval.RevealInput) []string { panic("hook bug") },
		func(context.Context, approval.RevealInput) []string { return []string{"x"} },
	} {
		for _, a := range r.q.ArgsFor(context.Background(), &tk, dpo, bad) {
			if a.Value != nil {
				t.Errorf("faulty RevealFunc shows %q", *a.Value)
			}
		}
	}
}

// TestSQLStoreArgsAtRest reads the raw rows: a value is never stored in
// clear; replicas sharing Config.ArgKey show it, a replica without the key
// shows type and size only.
func TestSQLStoreArgsAtRest(t *testing.T) {
	dbs := []struct {
		name, driver string
		dsn          func(testing.TB) string
		d            sqlstmt.Dialect
	}{
		{"postgresql", "postgres", testdb.Postgres, sqlstmt.PostgreSQL},
		{"mariadb", "mysql", func(t testing.TB) string { return testdb.MySQL(t) }, sqlstmt.MySQL},
		{"sqlite", "sqlite", testdb.SQLite, sqlstmt.SQLite},
	}
	for _, tt := range dbs {
		t.Run(tt.name, func(t *testing.T) {
			dsn := tt.dsn(t)
			var raw *sql.DB
			open := func() approval.Store {
				db, err := sql.Open(tt.driver, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				raw = db
				s, err := approval.NewSQLStore(db, tt.d, "approvals_args")
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Init(context.Background()); err != nil {
					t.Fatal(err)
				}
				return s
			}
			key := []byte("0123456789abcdef0123456789abcdef")
			clock := newClock()
			a, b := newArgReplica(t, open(), clock, key), newArgReplica(t, open(), clock, key)
			n1, n2 := newArgReplica(t, open(), clock, nil), newArgReplica(t, open(), clock, nil)
			dpo := reviewer("dpo", "acme")
			dpo.Roles = append(dpo.Roles, "pii:clear")
			clear := secretArg + "|" + secretEmail + "|42"
			body := func(id string) string {
				q := "SELECT body FROM approvals_args WHERE id = ?"
				if tt.d == sqlstmt.PostgreSQL {
					q = "SELECT body FROM approvals_args WHERE id = $1"
				}
				var s string
				if err := raw.QueryRowContext(context.Background(), q, id).Scan(&s); err != nil {
					t.Fatal(err)
				}
				return s
			}

			id := fileTicket(t, a, argsRequest(agentFor("alice", "acme")))
			if row := body(id); hasSecret(row) || !strings.Contains(row, "sealed_args") {
				t.Errorf("stored row: %s, want sealed values and no clear one", row)
			}
			if got, _ := shownArgs(t, b.h, dpo, id); strings.Join(got, "|") != clear {
				t.Errorf("replica sharing the key shows %q, want the clear values", got)
			}
			if got, _ := shownArgs(t, n1.h, dpo, id); strings.Join(got, "|") != "-|-|-" {
				t.Errorf("replica without the key shows %q, want no values", got)
			}

			// Another user's request: a new ticket, not the one above.
			id = fileTicket(t, n1, argsRequest(agentFor("erin", "acme")))
			if row := body(id); hasSecret(row) {
				t.Errorf("stored row without a key: %s", row)
			}
			if got, _ := shownArgs(t, n1.h, dpo, id); strings.Join(got, "|") != clear {
				t.Errorf("filing replica without a key shows %q, want the clear values", got)
			}
			if got, _ := shownArgs(t, n2.h, dpo, id); strings.Join(got, "|") != "-|-|-" {
				t.Errorf("another replica without a key shows %q, want no values", got)
			}
			if _, err := b.q.Decide(context.Background(), id, dpo, approval.Ruling{Approve: true}); err != nil {
				t.Fatal(err)
			}
			if row := body(id); strings.Contains(row, "sealed_args") {
				t.Errorf("decided row still holds the sealed values: %s", row)
			}
		})
	}
}
