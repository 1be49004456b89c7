package bench_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"
)

// BenchmarkPeers runs every workload on every driver through every
// contender, in the same process. Names are
// BenchmarkPeers/driver=D/op=W/impl=C, so benchstat can put the contenders
// side by side (-col /impl).
func BenchmarkPeers(b *testing.B) {
	e := newEnv(b)
	var seq int64 // makes every agent-style statement unique in the process
	for _, spec := range targets() {
		b.Run("driver="+spec.name, func(b *testing.B) {
			t := spec.mk(b)
			pools := rotate(openAll(b, e, t), round()-1)
			for _, w := range workloads() {
				for _, p := range pools {
					b.Run("op="+w.name+"/impl="+p.name, func(b *testing.B) {
						b.ReportAllocs()
						w.run(b, p.ctx, p.db, t, &seq)
					})
				}
			}
		})
	}
}

// round reads BENCH_ROUND, the number (from 1) run.sh gives each of its runs.
// Without it, the contenders run in their listed order.
func round() int {
	n, err := strconv.Atoi(os.Getenv("BENCH_ROUND"))
	if err != nil {
		return 1
	}
	return n
}

// rotate starts the contenders at a different one in every round, so no
// contender always runs first (after the setup) or last.
func rotate(pools []pool, r int) []pool {
	if len(pools) == 0 {
		return pools
	}
	r %= len(pools)
	if r < 0 {
		r += len(pools)
	}
	return append(pools[r:len(pools):len(pools)], pools[:r]...)
}

type pool struct {
	name string
	db   *sql.DB
	ctx  context.Context
}

// openAll opens every contender on t and checks that each one works.
func openAll(b testing.TB, e *env, t *target) []pool {
	b.Helper()
	var pools []pool
	for _, c := range contenders() {
		db, ctx := c.open(b, e, t)
		if db == nil {
			continue
		}
		b.Cleanup(func() { _ = db.Close() })
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := db.PingContext(pctx)
		cancel()
		if err != nil {
			b.Fatalf("%s on %s: ping: %v", c.name, t.name, err)
		}
		pools = append(pools, pool{name: c.name, db: db, ctx: ctx})
	}
	return pools
}

type workload struct {
	name string
	run  func(b *testing.B, ctx context.Context, db *sql.DB, t *target, seq *int64)
}

func workloads() []workload {
	return []workload{
		{"point", benchPoint},
		{"rows100", benchRows100},
		{"insert", benchInsert},
		{"agent", benchAgent},
	}
}

type user struct {
	id, balance int64
	name, email string
}

func benchPoint(b *testing.B, ctx context.Context, db *sql.DB, t *target, _ *int64) {
	var u user
	for i := 0; b.Loop(); i++ {
		id := int64(i%seedRows + 1)
		if err := db.QueryRowContext(ctx, t.q.point, id).Scan(&u.id, &u.name, &u.email, &u.balance); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRows100(b *testing.B, ctx context.Context, db *sql.DB, t *target, _ *int64) {
	for i := 0; b.Loop(); i++ {
		after := int64(i % (seedRows - 100))
		n, err := scanAll(ctx, db, t.q.rows100, after)
		if err != nil {
			b.Fatal(err)
		}
		if n != 100 {
			b.Fatalf("rows100: got %d rows, want 100", n)
		}
	}
}

func benchInsert(b *testing.B, ctx context.Context, db *sql.DB, t *target, _ *int64) {
	for i := 0; b.Loop(); i++ {
		if _, err := db.ExecContext(ctx, t.q.insert, int64(i%seedRows+1), "login", int64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchAgent(b *testing.B, ctx context.Context, db *sql.DB, t *target, seq *int64) {
	buf := make([]byte, 0, 160)
	for b.Loop() {
		*seq++
		buf = t.q.agentSQL(buf[:0], *seq)
		n, err := scanAll(ctx, db, string(buf))
		if err != nil {
			b.Fatal(err)
		}
		if n != 1 {
			b.Fatalf("agent: got %d rows, want 1", n)
		}
	}
}

func scanAll(ctx context.Context, db *sql.DB, query string, args ...any) (int, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	var u user
	n := 0
	for rows.Next() {
		if err := rows.Scan(&u.id, &u.name, &u.email, &u.balance); err != nil {
			return n, errors.Join(err, rows.Close())
		}
		n++
	}
	return n, errors.Join(rows.Err(), rows.Close())
}
