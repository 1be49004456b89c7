//go:build linux

package mask_test

import (
	"database/sql"
	"syscall"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
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
	dsn := testdb.SQLite(b)
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	seedBenchSQLite(b, raw)
	for _, tt := range []struct {
		backend string
		s       mask.Strategy
	}{
		{"fake", mask.Redact()}, {"fake", mask.Partial(0, 4)}, {"fake", mask.Email()},
		{"sqlite", mask.Redact()}, {"sqlite", mask.Partial(0, 4)}, {"sqlite", mask.Email()},
	} {
		s := tt.s
		b.Run(tt.backend+"/"+s.String(), func(b *testing.B) {
			open := func(m *mask.Masker) *sql.DB {
				var db *sql.DB
				var err error
				if tt.backend == "fake" {
					db, err = sqlvigil.OpenDB(&fakeConnector{table: table}, sqlvigil.WithDialect(sqlstmt.SQLite), sqlvigil.WithMasker(m))
				} else {
					db, err = sqlvigil.Open("sqlite", dsn, sqlvigil.WithMasker(m))
				}
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
