package driver_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
)

// budgetRead reads every id of a query and returns them with Rows.Err.
func budgetRead(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]int, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// TestReadBudget checks that the rows of an agent's statement end at the
// policy's read budget with a *guard.BudgetError, after the rows within it,
// on every real driver and every way a query is issued, and that the span
// says the rows were truncated.
func TestReadBudget(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			p, err := guard.New(guard.WithRules(
				guard.ReadBudget(guard.Budget{Who: guard.Who{Kinds: []identity.Kind{identity.KindAgent}}, MaxRows: 3}),
				guard.Named("bytes", guard.RuleFunc(func(_ context.Context, r *guard.Request) guard.Verdict {
					if r.Identity.Subject == "bytes-bot" {
						return guard.Verdict{MaxReturnBytes: 20}
					}
					return guard.Verdict{}
				})),
			))
			if err != nil {
				t.Fatal(err)
			}
			rec, a, err := newRecorder()
			if err != nil {
				t.Fatal(err)
			}
			db := openWith(t, tg, sqlvigil.WithPolicy(p), sqlvigil.WithAuditor(a))
			mustExec(t, db, "CREATE TABLE items (id INT, name VARCHAR(20))")
			for k := 1; k <= 5; k++ {
				mustExec(t, db, "INSERT INTO items VALUES ("+strconv.Itoa(k)+", 'item-"+strconv.Itoa(k)+"')")
			}
			agent := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindAgent, Subject: "bot",
				Agent: &identity.Agent{Name: "bot", Tool: "query", ToolCallID: "c1"}})
			user := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindUser, Subject: "u"})
			bytesBot := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindService, Subject: "bytes-bot"})

			tests := []struct {
				name     string
				ctx      context.Context
				query    string
				prepare  bool
				tx       bool
				wantIDs  int
				wantRule string // "" for no budget error
				wantByte bool
			}{
				{name: "agent over budget", ctx: agent, query: "SELECT id, name FROM items ORDER BY id", wantIDs: 3, wantRule: "read-budget"},
				{name: "agent prepared", ctx: agent, query: "SELECT id, name FROM items ORDER BY id", prepare: true, wantIDs: 3, wantRule: "read-budget"},
				{name: "agent in a transaction", ctx: agent, query: "SELECT id, name FROM items ORDER BY id", tx: true, wantIDs: 3, wantRule: "read-budget"},
				{name: "agent exactly at budget", ctx: agent, query: "SELECT id, name FROM items WHERE id <= 3 ORDER BY id", wantIDs: 3},
				{name: "user has no budget", ctx: user, query: "SELECT id, name FROM items ORDER BY id", wantIDs: 5},
				// Each row is 8 (id) + 6 (name) bytes: the second would make 28.
				{name: "byte budget", ctx: bytesBot, query: "SELECT id, name FROM items ORDER BY id", wantIDs: 1, wantRule: "bytes", wantByte: true},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					var ids []int
					var err error
					if tt.prepare {
						st, perr := db.PrepareContext(tt.ctx, tt.query)
						if perr != nil {
							t.Fatal(perr)
						}
						defer st.Close()
						rows, qerr := st.QueryContext(tt.ctx)
						if qerr != nil {
							t.Fatal(qerr)
						}
						for rows.Next() {
							var id int
							var name string
							if err := rows.Scan(&id, &name); err != nil {
								t.Fatal(err)
							}
							ids = append(ids, id)
						}
						err = rows.Err()
						rows.Close()
					} else if tt.tx {
						tx, terr := db.BeginTx(tt.ctx, nil)
						if terr != nil {
							t.Fatal(terr)
						}
						ids, err = budgetRead(tt.ctx, tx, tt.query)
						// The budget ends the rows, not the transaction.
						if cerr := tx.Commit(); cerr != nil {
							t.Errorf("commit after a truncated read: %v", cerr)
						}
					} else {
						ids, err = budgetRead(tt.ctx, db, tt.query)
					}
					if len(ids) != tt.wantIDs {
						t.Errorf("got %d rows %v, want %d", len(ids), ids, tt.wantIDs)
					}
					for k, id := range ids {
						if id != k+1 {
							t.Errorf("row %d: got id %d, want %d", k, id, k+1)
						}
					}
					if tt.wantRule == "" {
						if err != nil {
							t.Fatalf("got %v, want no error", err)
						}
						return
					}
					var be *guard.BudgetError
					if !errors.Is(err, guard.ErrBudget) || !errors.As(err, &be) {
						t.Fatalf("got %v, want a *guard.BudgetError", err)
					}
					if be.Rule != tt.wantRule || be.Bytes != tt.wantByte {
						t.Errorf("got rule %q bytes %v, want %q %v", be.Rule, be.Bytes, tt.wantRule, tt.wantByte)
					}
				})
			}

			var truncated, clean int
			for _, s := range rec.Ended() {
				attrs := map[string]string{}
				for _, kv := range s.Attributes() {
					attrs[string(kv.Key)] = kv.Value.Emit()
				}
				if attrs["sqlvigil.rows.truncated"] == "true" {
					truncated++
					if attrs["sqlvigil.budget.rule"] == "" {
						t.Errorf("truncated span without %s", "sqlvigil.budget.rule")
					}
					if attrs["sqlvigil.decision"] != "allow" {
						t.Errorf("truncated span: got decision %q, want allow", attrs["sqlvigil.decision"])
					}
					if s.Status().Code.String() == "Error" {
						t.Errorf("truncated span has status %v, want no error", s.Status())
					}
				} else if attrs["db.response.returned_rows"] == "3" {
					clean++
				}
			}
			if truncated != 4 {
				t.Errorf("got %d truncated spans, want 4", truncated)
			}
			if !hasAttr(rec.Ended(), "sqlvigil.budget.rule", "read-budget") || !hasAttr(rec.Ended(), "sqlvigil.budget.rule", "bytes") {
				t.Errorf("spans do not name both budget rules")
			}
			if clean == 0 {
				t.Errorf("no untruncated span of 3 rows (the read exactly at the budget)")
			}
		})
	}
}

// TestReadBudgetAcrossResultSets: the budget counts the rows of every
// result set of a statement (a second result set does not start afresh),
// and a held connection whose read ended at the budget serves the next
// statement, of another identity, in full.
func TestReadBudgetAcrossResultSets(t *testing.T) {
	for _, tg := range targets() {
		if tg.family != "mysql" { // the targets whose DSN allows stacked statements
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			p, err := guard.New(guard.WithRules(guard.ReadBudget(guard.Budget{Who: guard.Who{Kinds: []identity.Kind{identity.KindAgent}}, MaxRows: 3})))
			if err != nil {
				t.Fatal(err)
			}
			db := openWith(t, tg, sqlvigil.WithPolicy(p))
			mustExec(t, db, "CREATE TABLE items (id INT, name VARCHAR(20))")
			mustExec(t, db, "INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')")
			agent := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindAgent, Subject: "bot"})
			user := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindUser, Subject: "u"})
			conn, err := db.Conn(agent)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			rows, err := conn.QueryContext(agent, "SELECT id, name FROM items WHERE id <= 2 ORDER BY id; SELECT id, name FROM items WHERE id > 2 ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			var ids []int
			for {
				for rows.Next() {
					var id int
					var name string
					if err := rows.Scan(&id, &name); err != nil {
						t.Fatal(err)
					}
					ids = append(ids, id)
				}
				if !rows.NextResultSet() {
					break
				}
			}
			err = rows.Err()
			rows.Close()
			if len(ids) != 3 || !errors.Is(err, guard.ErrBudget) {
				t.Errorf("two result sets: got rows %v and %v, want 3 rows then a budget error", ids, err)
			}
			var n int
			if err := conn.QueryRowContext(user, "SELECT COUNT(*) FROM items").Scan(&n); err != nil || n != 5 {
				t.Errorf("next statement on the held connection: got %d (%v), want 5", n, err)
			}
		})
	}
}

// TestReadBudgetWindow checks a budget over a period on every real driver:
// an agent paging through a table one allowed statement at a time gets no
// more than the period's rows in all; a statement that fails, or reads
// fewer rows than it was given, gives the rest back; once the budget is
// spent, the agent's statements are denied with a hint, and another
// agent's budget is its own.
func TestReadBudgetWindow(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			p, err := guard.New(guard.WithRules(guard.ReadBudget(guard.Budget{
				Who:     guard.Who{Kinds: []identity.Kind{identity.KindAgent}},
				MaxRows: 2, Window: time.Hour, WindowRows: 5,
			})))
			if err != nil {
				t.Fatal(err)
			}
			db := openWith(t, tg, sqlvigil.WithPolicy(p))
			mustExec(t, db, "CREATE TABLE items (id INT, name VARCHAR(20))")
			for k := 1; k <= 9; k++ {
				mustExec(t, db, "INSERT INTO items VALUES ("+strconv.Itoa(k)+", 'item-"+strconv.Itoa(k)+"')")
			}
			agent := func(name string) context.Context {
				return identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindAgent, Subject: name,
					Agent: &identity.Agent{Name: name}})
			}
			bot := agent("bot")
			if _, err := db.QueryContext(bot, "SELECT nosuch FROM items"); err == nil {
				t.Fatal("a query of a missing column succeeded")
			}
			// With arguments, go-sql-driver/mysql without interpolateParams
			// takes database/sql's ErrSkip fallback (prepare, then execute):
			// the statement's one run must settle once.
			steps := []struct {
				query   string
				args    []any
				wantIDs []int
				budget  bool // the rows end with a *guard.BudgetError
			}{
				{tg.q("SELECT id, name FROM items WHERE id = $1"), []any{1}, []int{1}, false},
				{tg.q("SELECT id, name FROM items WHERE id > $1 ORDER BY id LIMIT 2"), []any{1}, []int{2, 3}, false},
				{"SELECT id, name FROM items WHERE id > 3 ORDER BY id", nil, []int{4, 5}, true}, // 5 of 5
			}
			for _, st := range steps {
				ids, err := budgetRead(bot, db, st.query, st.args...)
				var be *guard.BudgetError
				if !slices.Equal(ids, st.wantIDs) || errors.As(err, &be) != st.budget || (err != nil && !st.budget) {
					t.Fatalf("%s: got %v, %v; want %v (budget error %v)", st.query, ids, err, st.wantIDs, st.budget)
				}
			}
			_, err = budgetRead(bot, db, "SELECT id, name FROM items WHERE id = 6")
			var blocked *guard.BlockedError
			if !errors.Is(err, guard.ErrBlocked) || !errors.As(err, &blocked) || blocked.Rule != "read-budget" ||
				!strings.Contains(blocked.Hint, "wait for the period to end") {
				t.Fatalf("after the period's 5 rows: got %v, want a read-budget denial with a hint", err)
			}
			if ids, err := budgetRead(agent("other-bot"), db, "SELECT id, name FROM items WHERE id > 6 ORDER BY id LIMIT 2"); err != nil || len(ids) != 2 {
				t.Errorf("another agent: got %v, %v; want 2 rows of its own budget", ids, err)
			}
		})
	}
}
