//go:build linux

package mask_test

import (
	"database/sql"
	"syscall"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/mask"
)

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOverheadCPU is BenchmarkOverhead measured in CPU time rather
// than wall time: on a machine shared with other work, waiting for a CPU
// does not count, so the ratio is steadier.
func BenchmarkOverheadCPU(b *testing.B) {
	table := benchTable(10000)
	for _, s := range []mask.Strategy{mask.Redact(), mask.Partial(0, 4), mask.Email()} {
		b.Run("fake/"+s.String(), func(b *testing.B) {
			open := func(m *mask.Masker) *sql.DB {
				db, err := sqlvigil.OpenDB(&fakeConnector{table: table}, sqlvigil.WithDialect(sqlvigil.SQLite), sqlvigil.WithMasker(m))
				if err != nil {
					b.Fatal(err)
				}
				return db
			}
			plain := open(benchMasker(b, s, "password"))
			defer plain.Close()
			masked := open(benchMasker(b, s, "email", "ssn"))
			defer masked.Close()
			var tp, tm time.Duration
			run := func(db *sql.DB, into *time.Duration) {
				start := cpuTime(b)
				scanAll(b, db)
				*into += cpuTime(b) - start
			}
			n := 0
			for i := 0; b.Loop(); i++ {
				if i%2 == 0 {
					run(plain, &tp)
					run(masked, &tm)
				} else {
					run(masked, &tm)
					run(plain, &tp)
				}
				n++
			}
			b.ReportMetric(float64(tp.Microseconds())/float64(n)/1000, "unmasked-cpu-ms")
			b.ReportMetric(float64(tm.Microseconds())/float64(n)/1000, "masked-cpu-ms")
			b.ReportMetric(100*(float64(tm)/float64(tp)-1), "overhead-%")
		})
	}
}
