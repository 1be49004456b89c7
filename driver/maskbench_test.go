package driver_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// BenchmarkMaskRows100 reads 100 rows of four columns from SQLite through
// two handles on one database, in alternating batches: one with an
// auditor only, one with the auditor and a masker that redacts two of the
// columns for the reader (and so also checks the statement's flow and
// asks the catalog, cached after the first statement). It reports the
// median time of a read for each and their ratio ("masked/audit"): the
// cost of masking 100 rows and of the data-flow check. Pairing cancels
// most of the noise of a shared machine.
func BenchmarkMaskRows100(b *testing.B) {
	dsn := "file:" + sanitize(b.Name()) + "?mode=memory&cache=shared"
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, email TEXT, ssn TEXT)"); err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		if _, err := raw.Exec("INSERT INTO people VALUES (?, ?, ?, ?)", i, fmt.Sprint("name", i), fmt.Sprint("user", i, "@example.com"), fmt.Sprint("900-00-", 1000+i)); err != nil {
			b.Fatal(err)
		}
	}
	a, err := audit.New(audit.WithTracerProvider(noop.NewTracerProvider()))
	if err != nil {
		b.Fatal(err)
	}
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Redact()},
		mask.Rule{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact()},
	))
	if err != nil {
		b.Fatal(err)
	}
	open := func(opts ...sqlvigil.Option) *sql.DB {
		c, err := sqlvigil.WrapConnector(sqliteConnector{raw.Driver(), dsn}, append(opts, sqlvigil.WithDialect(sqlstmt.SQLite))...)
		if err != nil {
			b.Fatal(err)
		}
		db := sql.OpenDB(c)
		db.SetMaxOpenConns(1)
		return db
	}
	plain := open(sqlvigil.WithAuditor(a))
	defer plain.Close()
	masked := open(sqlvigil.WithAuditor(a), sqlvigil.WithMasker(m))
	defer masked.Close()
	ctx := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindAgent, Subject: "bench"})
	read := func(db *sql.DB) time.Duration {
		start := time.Now()
		rows, err := db.QueryContext(ctx, "SELECT id, name, email, ssn FROM people")
		if err != nil {
			b.Fatal(err)
		}
		var id int64
		var name, email, ssn string
		n := 0
		for rows.Next() {
			if err := rows.Scan(&id, &name, &email, &ssn); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if err := rows.Close(); err != nil || n != 100 {
			b.Fatalf("read %d rows: %v", n, err)
		}
		return time.Since(start)
	}
	if ssnOf(b, masked, ctx) == "900-00-1000" {
		b.Fatal("the masked handle returned the ssn in clear")
	}
	var tp, tm []time.Duration
	b.ReportAllocs()
	for k := 0; b.Loop(); k++ {
		if k%2 == 0 {
			tp = append(tp, read(plain))
			tm = append(tm, read(masked))
		} else {
			tm = append(tm, read(masked))
			tp = append(tp, read(plain))
		}
	}
	mp, mm := median(tp), median(tm)
	b.ReportMetric(float64(mp.Nanoseconds()), "audit-ns/read")
	b.ReportMetric(float64(mm.Nanoseconds()), "masked-ns/read")
	if mp > 0 {
		b.ReportMetric(float64(mm)/float64(mp), "masked/audit")
	}
}

func ssnOf(b *testing.B, db *sql.DB, ctx context.Context) string {
	var ssn string
	if err := db.QueryRowContext(ctx, "SELECT ssn FROM people WHERE id = 0").Scan(&ssn); err != nil {
		b.Fatal(err)
	}
	return ssn
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
