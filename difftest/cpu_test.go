package difftest

import (
	"os"
	"syscall"
	"testing"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestCPUPerOp reports the CPU time (user + system, from getrusage) one
// call takes, best of five rounds: on a shared, loaded machine wall-clock
// benchmarks mostly measure the neighbours. It asserts nothing. Run it
// with DIFFTEST_CPU=1 (and GOMAXPROCS=1 so that the GC's work is counted
// where it happens):
//
//	DIFFTEST_CPU=1 GOMAXPROCS=1 go test -count=1 -v -run TestCPUPerOp .
func TestCPUPerOp(t *testing.T) {
	if os.Getenv("DIFFTEST_CPU") == "" {
		t.Skip("set DIFFTEST_CPU=1 to measure")
	}
	vt, _ := sqlparser.New(sqlparser.Options{MySQLServerVersion: "8.0.40"})
	c := sqlparse.NewCache(100)
	long := longQuery()
	c.Analyze(sqlparse.PostgreSQL, shortQuery)
	c.Analyze(sqlparse.PostgreSQL, long)
	for _, bc := range []struct {
		name string
		n    int
		f    func()
	}{
		{"sqlvigil-pg/short", 200000, func() { sqlparse.Analyze(sqlparse.PostgreSQL, shortQuery) }},
		{"sqlvigil-pg/2KB", 10000, func() { sqlparse.Analyze(sqlparse.PostgreSQL, long) }},
		{"cachehit/short", 2000000, func() { c.Analyze(sqlparse.PostgreSQL, shortQuery) }},
		{"sqlvigil-mysql/short", 200000, func() { sqlparse.Analyze(sqlparse.MySQL, shortQuery) }},
		{"sqlvigil-mysql/2KB", 10000, func() { sqlparse.Analyze(sqlparse.MySQL, long) }},
		{"cachehit/2KB", 200000, func() { c.Analyze(sqlparse.PostgreSQL, long) }},
		{"vitess/short", 100000, func() { _, _ = vt.Parse(shortQuery) }},
		{"vitess/2KB", 5000, func() { _, _ = vt.Parse(long) }},
		{"pg_query/short", 20000, func() { _, _ = pg.Parse(shortQuery) }},
		{"pg_query/2KB", 1000, func() { _, _ = pg.Parse(long) }},
	} {
		best := time.Duration(1 << 62)
		for r := 0; r < 5; r++ {
			s := cpuNow()
			for i := 0; i < bc.n; i++ {
				bc.f()
			}
			if d := (cpuNow() - s) / time.Duration(bc.n); d < best {
				best = d
			}
		}
		t.Logf("%-20s %v CPU/op", bc.name, best)
	}
}
