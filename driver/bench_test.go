package driver_test

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"testing"

	upstream "github.com/ngrok/sqlmw"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/internal/fakedriver"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Benchmarks of the wrapper's cost per statement. Sub-benchmarks are named
// db=…/impl=… so that benchstat can set implementations side by side:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./driver > bench.txt
//	benchstat -col /impl bench.txt
//
// impl=raw is the driver alone, impl=sqlmw upstream sqlmw with its
// NullInterceptor, impl=vigil sqlvigil with no policy, masker or auditor
// (pass-through), impl=vigil-guard with an allow-all policy only (so
// statement analysis included), impl=vigil-audit with an auditor on a
// no-op tracer only, impl=vigil-all with the policy, a masker without
// rules and the auditor (the whole pipeline).

type benchImpl struct {
	name string
	wrap func(b *testing.B, c sqldriver.Connector, d sqlstmt.Dialect) sqldriver.Connector
}

func benchImpls() []benchImpl {
	return []benchImpl{
		{"raw", func(b *testing.B, c sqldriver.Connector, _ sqlstmt.Dialect) sqldriver.Connector { return c }},
		{"sqlmw", func(b *testing.B, c sqldriver.Connector, _ sqlstmt.Dialect) sqldriver.Connector {
			w, err := upstream.Driver(shimDriver{c}, upstream.NullInterceptor{}).(sqldriver.DriverContext).OpenConnector("")
			if err != nil {
				b.Fatal(err)
			}
			return w
		}},
		{"vigil", func(b *testing.B, c sqldriver.Connector, d sqlstmt.Dialect) sqldriver.Connector {
			w, err := sqlvigil.WrapConnector(c, sqlvigil.WithDialect(d))
			if err != nil {
				b.Fatal(err)
			}
			return w
		}},
		{"vigil-guard", func(b *testing.B, c sqldriver.Connector, d sqlstmt.Dialect) sqldriver.Connector {
			p, err := guard.New(guard.WithUnknown(guard.Allow))
			if err != nil {
				b.Fatal(err)
			}
			w, err := sqlvigil.WrapConnector(c, sqlvigil.WithDialect(d), sqlvigil.WithPolicy(p))
			if err != nil {
				b.Fatal(err)
			}
			return w
		}},
		{"vigil-audit", func(b *testing.B, c sqldriver.Connector, d sqlstmt.Dialect) sqldriver.Connector {
			a, err := audit.New(audit.WithTracerProvider(noop.NewTracerProvider()))
			if err != nil {
				b.Fatal(err)
			}
			w, err := sqlvigil.WrapConnector(c, sqlvigil.WithDialect(d), sqlvigil.WithAuditor(a))
			if err != nil {
				b.Fatal(err)
			}
			return w
		}},
		{"vigil-all", func(b *testing.B, c sqldriver.Connector, d sqlstmt.Dialect) sqldriver.Connector {
			p, err := guard.New(guard.WithUnknown(guard.Allow))
			if err != nil {
				b.Fatal(err)
			}
			m, err := mask.New()
			if err != nil {
				b.Fatal(err)
			}
			a, err := audit.New(audit.WithTracerProvider(noop.NewTracerProvider()))
			if err != nil {
				b.Fatal(err)
			}
			w, err := sqlvigil.WrapConnector(c, sqlvigil.WithDialect(d), sqlvigil.WithPolicy(p), sqlvigil.WithMasker(m), sqlvigil.WithAuditor(a))
			if err != nil {
				b.Fatal(err)
			}
			return w
		}},
	}
}

// shimDriver lets upstream sqlmw, which only wraps drivers, wrap a
// connector.
type shimDriver struct{ c sqldriver.Connector }

func (s shimDriver) Open(string) (sqldriver.Conn, error) { return s.c.Connect(context.Background()) }

func (s shimDriver) OpenConnector(string) (sqldriver.Connector, error) { return s.c, nil }

type benchDB struct {
	name    string
	dialect sqlstmt.Dialect
	open    func(b *testing.B) sqldriver.Connector
	setup   []string
	exec    string
	query   string
}

func benchDBs() []benchDB {
	return []benchDB{
		{
			name: "fake", dialect: sqlstmt.PostgreSQL,
			open: func(b *testing.B) sqldriver.Connector {
				return fakedriver.New(fakedriver.Config{DiscardArgs: true, RowsAffected: 1, Results: []fakedriver.ResultSet{{
					Columns: []string{"id", "name"}, Rows: [][]sqldriver.Value{{int64(1), "ada"}},
				}}}).Connector()
			},
			exec:  "UPDATE users SET name = 'ada' WHERE id = 1",
			query: "SELECT id, name FROM users WHERE id = $1",
		},
		{
			name: "sqlite", dialect: sqlstmt.SQLite,
			open: func(b *testing.B) sqldriver.Connector {
				db, err := sql.Open("sqlite", "file:bench_"+b.Name()+"?mode=memory&cache=shared")
				if err != nil {
					b.Fatal(err)
				}
				return sqliteConnector{db.Driver(), "file:" + sanitize(b.Name()) + "?mode=memory&cache=shared"}
			},
			setup: []string{"CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO users VALUES (1, 'ada')"},
			exec:  "UPDATE users SET name = 'ada' WHERE id = 1",
			query: "SELECT id, name FROM users WHERE id = ?",
		},
	}
}

type sqliteConnector struct {
	d   sqldriver.Driver
	dsn string
}

func (c sqliteConnector) Connect(context.Context) (sqldriver.Conn, error) { return c.d.Open(c.dsn) }
func (c sqliteConnector) Driver() sqldriver.Driver                        { return c.d }

func sanitize(s string) string {
	b := []byte(s)
	for k, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[k] = '_'
		}
	}
	return string(b)
}

func runBench(b *testing.B, f func(b *testing.B, db *sql.DB, bd benchDB)) {
	for _, bd := range benchDBs() {
		for _, impl := range benchImpls() {
			b.Run("db="+bd.name+"/impl="+impl.name, func(b *testing.B) {
				db := sql.OpenDB(impl.wrap(b, bd.open(b), bd.dialect))
				defer db.Close()
				db.SetMaxOpenConns(1)
				db.SetMaxIdleConns(1)
				for _, s := range bd.setup {
					if _, err := db.Exec(s); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				before, ok := cpuTime()
				f(b, db, bd)
				if after, ok2 := cpuTime(); ok && ok2 && b.N > 0 {
					b.ReportMetric(float64(after-before)/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}

func BenchmarkExec(b *testing.B) {
	runBench(b, func(b *testing.B, db *sql.DB, bd benchDB) {
		ctx := context.Background()
		for b.Loop() {
			if _, err := db.ExecContext(ctx, bd.exec); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkQueryRow(b *testing.B) {
	runBench(b, func(b *testing.B, db *sql.DB, bd benchDB) {
		ctx := context.Background()
		var id int64
		var name string
		for b.Loop() {
			if err := db.QueryRowContext(ctx, bd.query, 1).Scan(&id, &name); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPrepared(b *testing.B) {
	runBench(b, func(b *testing.B, db *sql.DB, bd benchDB) {
		ctx := context.Background()
		st, err := db.PrepareContext(ctx, bd.query)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		var id int64
		var name string
		for b.Loop() {
			if err := st.QueryRowContext(ctx, 1).Scan(&id, &name); err != nil {
				b.Fatal(err)
			}
		}
	})
}
