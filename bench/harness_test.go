package bench_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlvigil/sqlvigil/guard"
)

// TestHarness checks that every contender on every driver answers each
// workload correctly, so the benchmarks measure work that was really done.
func TestHarness(t *testing.T) {
	e := newEnv(t)
	for _, spec := range targets() {
		t.Run(spec.name, func(t *testing.T) {
			tg := spec.mk(t)
			for _, p := range openAll(t, e, tg) {
				t.Run(p.name, func(t *testing.T) {
					checkWorkloads(t, p.ctx, p.db, tg)
				})
			}
		})
	}
}

func checkWorkloads(t *testing.T, ctx context.Context, db *sql.DB, tg *target) {
	t.Helper()
	var u user
	if err := db.QueryRowContext(ctx, tg.q.point, int64(7)).Scan(&u.id, &u.name, &u.email, &u.balance); err != nil {
		t.Fatalf("point: %v", err)
	}
	if tg.dialect != "fake" && (u.id != 7 || u.balance != 70) {
		t.Errorf("point: got id %d balance %d, want 7 and 70", u.id, u.balance)
	}
	if n, err := scanAll(ctx, db, tg.q.rows100, int64(10)); err != nil || n != 100 {
		t.Errorf("rows100: got %d rows, %v; want 100 rows", n, err)
	}
	res, err := db.ExecContext(ctx, tg.q.insert, int64(7), "login", int64(1))
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Errorf("insert: got %d rows affected, %v; want 1", n, err)
	}
	if n, err := scanAll(ctx, db, string(tg.q.agentSQL(nil, 41))); err != nil || n != 1 {
		t.Errorf("agent: got %d rows, %v; want 1 row", n, err)
	}
}

// TestVigilSettings checks that each sqlvigil setting does what its name
// says on SQLite: pass-through and audit return clear values, audit and
// full record spans, full masks the two columns and refuses a DROP.
func TestVigilSettings(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	e := newEnv(t, sdktrace.WithSpanProcessor(rec))
	tg := sqliteTarget(t)
	pools := map[string]pool{}
	for _, p := range openAll(t, e, tg) {
		pools[p.name] = p
	}
	tests := []struct {
		give      string
		wantClear bool
		wantSpans bool
		wantBlock bool
	}{
		{give: "vigil-pass", wantClear: true},
		{give: "vigil-audit", wantClear: true, wantSpans: true},
		{give: "vigil-full", wantSpans: true, wantBlock: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			p, ok := pools[tt.give]
			if !ok {
				t.Fatalf("no contender %s", tt.give)
			}
			before := len(rec.Ended()) + len(rec.Started())
			var u user
			if err := p.db.QueryRowContext(p.ctx, tg.q.point, int64(7)).Scan(&u.id, &u.name, &u.email, &u.balance); err != nil {
				t.Fatalf("point: %v", err)
			}
			if clear := u.email == "user7@example.com" && u.name == "User 7"; clear != tt.wantClear {
				t.Errorf("point: got name %q email %q; want clear values: %v", u.name, u.email, tt.wantClear)
			}
			if u.id != 7 || u.balance != 70 {
				t.Errorf("point: got id %d balance %d, want 7 and 70 (unmasked)", u.id, u.balance)
			}
			_, err := p.db.ExecContext(p.ctx, "DROP TABLE "+tg.q.events)
			if blocked := errors.Is(err, guard.ErrBlocked); blocked != tt.wantBlock {
				t.Errorf("DROP TABLE: got error %v; want blocked: %v", err, tt.wantBlock)
			}
			if !tt.wantBlock && err == nil {
				// Put the table back for the next setting.
				if _, err := p.db.ExecContext(p.ctx, "CREATE TABLE "+tg.q.events+
					" (id INTEGER PRIMARY KEY, user_id BIGINT NOT NULL, kind TEXT NOT NULL, amount BIGINT NOT NULL)"); err != nil {
					t.Fatalf("recreate %s: %v", tg.q.events, err)
				}
			}
			after := len(rec.Ended()) + len(rec.Started())
			if spans := after > before; spans != tt.wantSpans {
				t.Errorf("got spans recorded: %v, want %v", spans, tt.wantSpans)
			}
		})
	}
}
