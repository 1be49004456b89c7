package bench_test

import (
	"context"
	"database/sql"
	"testing"
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
