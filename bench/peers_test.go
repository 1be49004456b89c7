package bench_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
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
						e.settle(b)
						w.run(b, &opState{ctx: p.ctx, db: p.db, t: t, seq: &seq})
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

// openAll opens every contender on t and checks that each one works. The
// pools come back in contender order, but their connections are made
// starting with a different contender each round: on a server on the same
// two cores, identical connections differ by up to ±10% in latency, for as
// long as they live (the server process each gets, and where it runs), and
// that must not always favour the same contender.
func openAll(b testing.TB, e *env, t *target) []pool {
	b.Helper()
	cs := contenders()
	slots := make([]*pool, len(cs))
	for k := range cs {
		j := (k + round() - 1) % len(cs)
		c := cs[j]
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
		slots[j] = &pool{name: c.name, db: db, ctx: ctx}
	}
	var pools []pool
	for _, p := range slots {
		if p != nil {
			pools = append(pools, *p)
		}
	}
	return pools
}

// workload is one kind of statement; op issues it once. i numbers the
// operation within the benchmark and picks the row.
type workload struct {
	name string
	op   func(s *opState, i int) error
}

// opState is what an operation runs with: one contender's pool on one target.
type opState struct {
	ctx context.Context
	db  *sql.DB
	t   *target
	seq *int64 // shared by every agent-style statement of the process
	buf []byte // scratch for agent-style text
	u   user
}

// run issues w.op in a b.Loop. Besides wall time it reports the CPU time
// the whole process spent per operation ("cpu-ns/op": user and system,
// every goroutine, so the GC and the span exporter count), which a loaded
// machine disturbs far less than wall time.
func (w workload) run(b *testing.B, s *opState) {
	before := cpuTime()
	for i := 0; b.Loop(); i++ {
		if err := w.op(s, i); err != nil {
			b.Fatal(err)
		}
	}
	if spent := cpuTime() - before; spent > 0 {
		b.ReportMetric(float64(spent.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// cpuTime returns the CPU time the process has used, or 0 when the system
// cannot say.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func workloads() []workload {
	return []workload{
		{"point", opPoint},
		{"rows100", opRows100},
		{"insert", opInsert},
		{"agent", opAgent},
	}
}

type user struct {
	id, balance int64
	name, email string
}

func opPoint(s *opState, i int) error {
	u := &s.u
	return s.db.QueryRowContext(s.ctx, s.t.q.point, int64(i%seedRows+1)).Scan(&u.id, &u.name, &u.email, &u.balance)
}

func opRows100(s *opState, i int) error {
	n, err := scanAll(s.ctx, s.db, s.t.q.rows100, int64(i%(seedRows-100)))
	if err == nil && n != 100 {
		err = fmt.Errorf("rows100: got %d rows, want 100", n)
	}
	return err
}

func opInsert(s *opState, i int) error {
	_, err := s.db.ExecContext(s.ctx, s.t.q.insert, int64(i%seedRows+1), "login", int64(i))
	return err
}

func opAgent(s *opState, _ int) error {
	*s.seq++
	s.buf = s.t.q.agentSQL(s.buf[:0], *s.seq)
	n, err := scanAll(s.ctx, s.db, string(s.buf))
	if err == nil && n != 1 {
		err = fmt.Errorf("agent: got %d rows, want 1", n)
	}
	return err
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
