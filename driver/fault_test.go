package driver_test

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/lib/pq"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

const pgAddr = "127.0.0.1:5432"

// entrySink keeps the complete records it is given.
type entrySink struct {
	mu  sync.Mutex
	all []audit.Entry
	txs []audit.Entry
}

func (s *entrySink) Write(_ context.Context, e *audit.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e.Kind {
	case audit.KindStatement:
		s.all = append(s.all, *e)
	case audit.KindTx:
		s.txs = append(s.txs, *e)
	}
	return nil
}

func (s *entrySink) entries() []audit.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]audit.Entry(nil), s.all...)
}

type faultLab struct {
	db    *sql.DB
	sink  *entrySink
	spans *tracetest.SpanRecorder
}

// openFault opens sqlvigil on drv ("pq" or "pgx") through dsn.
func openFault(t *testing.T, drv, dsn string, opts ...sqlvigil.Option) *faultLab {
	t.Helper()
	l := &faultLab{sink: &entrySink{}, spans: tracetest.NewSpanRecorder()}
	a, err := audit.New(
		audit.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(l.spans))),
		audit.WithSink(l.sink),
		audit.WithStatementText(),
		audit.WithEndDelay(0),
	)
	if err != nil {
		t.Fatal(err)
	}
	var c sqldriver.Connector
	switch drv {
	case "pq":
		if c, err = pq.NewConnector(dsn); err != nil {
			t.Fatal(err)
		}
	case "pgx":
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		c = stdlib.GetConnector(*cfg)
	}
	w, err := sqlvigil.WrapConnector(c, append([]sqlvigil.Option{sqlvigil.WithDialect(sqlstmt.PostgreSQL), sqlvigil.WithAuditor(a)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	l.db = sql.OpenDB(w)
	t.Cleanup(func() { l.db.Close() })
	return l
}

// TestSharedContextChurn issues identical statements from many goroutines,
// all with context.Background(), while a proxy breaks connections before
// and after statements: every call leaves exactly one record and one span,
// and no two calls share one.
func TestSharedContextChurn(t *testing.T) {
	pools := []struct {
		name     string
		maxOpen  int
		lifetime time.Duration
	}{
		{name: "", maxOpen: 6},
		// Connections expire at once: database/sql closes them in DB.conn
		// and counts an attempt the driver never sees.
		{name: "/expiring", maxOpen: 2, lifetime: time.Millisecond},
	}
	for _, pool := range pools {
		for _, drv := range []string{"pq", "pgx"} {
			sharedContextChurn(t, drv+pool.name, drv, pool.maxOpen, pool.lifetime)
		}
	}
}

func sharedContextChurn(t *testing.T, name, drv string, maxOpen int, lifetime time.Duration) {
	t.Run(name, func(t *testing.T) {
		base := testdb.Postgres(t)
		setup, err := sql.Open("postgres", base)
		if err != nil {
			t.Fatal(err)
		}
		defer setup.Close()
		if _, err := setup.Exec("CREATE TABLE churn (g int, m text)"); err != nil {
			t.Fatal(err)
		}
		var n atomic.Int64
		p := newFaultProxy(t, pgAddr, func(msg []byte) fault {
			switch k := n.Add(1); {
			case k%5 == 0:
				return faultBefore
			case k%7 == 0:
				return faultAfter
			}
			return faultNone
		})
		l := openFault(t, drv, p.dsn(base))
		l.db.SetMaxOpenConns(maxOpen)
		l.db.SetConnMaxLifetime(lifetime)
		const workers, each = 16, 60
		var wg sync.WaitGroup
		calls := make([]atomic.Int64, workers+1) // [workers]: the shared statement
		var failed, badType atomic.Int64
		for w := range workers {
			wg.Go(func() {
				for k := range each {
					// Half the calls are identical in every goroutine;
					// half carry the goroutine's marker.
					q := "INSERT INTO churn (g, m) VALUES ($1, 'shared')"
					g := workers
					if k%2 == 1 {
						q = fmt.Sprintf("INSERT INTO churn (g, m) VALUES ($1, 'w%02d')", w)
						g = w
					}
					calls[g].Add(1)
					if _, err := l.db.Exec(q, g); err != nil {
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		recs := l.sink.entries()
		got := make([]int64, workers+1)
		var connects int64
		for _, e := range recs {
			if e.Method == "connect" {
				// A call whose every attempt failed before database/sql
				// handed it to the driver: the statement is unknown.
				connects++
				continue
			}
			if e.Error != "" || e.ErrorType != "" {
				if e.ErrorType == "*errors.errorString" {
					badType.Add(1)
				}
			}
			switch {
			case strings.Contains(e.Text, "'shared'"):
				got[workers]++
			default:
				var w int
				if _, err := fmt.Sscanf(e.Text[strings.Index(e.Text, "'w")+2:], "%02d", &w); err != nil {
					t.Fatalf("record of an unknown statement %q", e.Text)
				}
				got[w]++
			}
		}
		spans := 0
		for _, s := range l.spans.Ended() {
			if strings.HasPrefix(s.Name(), "INSERT") || s.Name() == "connect" {
				spans++
			}
		}
		var total, recorded int64
		for g := range got {
			total += calls[g].Load()
			recorded += got[g]
			if got[g] > calls[g].Load() || got[g] < calls[g].Load()-connects {
				t.Errorf("statement %d: got %d records for %d calls (%d calls never reached a connection)", g, got[g], calls[g].Load(), connects)
			}
		}
		if recorded+connects != total {
			t.Errorf("records: got %d statement records and %d connection failures, want %d (one per call)", recorded, connects, total)
		}
		if int64(spans) != total {
			t.Errorf("spans: got %d, want %d", spans, total)
		}
		if badType.Load() != 0 {
			t.Errorf("records with error.type *errors.errorString: got %d, want 0", badType.Load())
		}
		t.Logf("%s: %d calls, %d failed, %d connections broken, %d records (%d never connected), %d spans", drv, total, failed.Load(), p.resets.Load(), len(recs), connects, spans)
	})
}

// TestOneTimeGrantRunsOnce: a statement approved once runs once, even when
// lib/pq reports the connection lost after the server ran it and
// database/sql retries: the retry is refused, the record says so.
func TestOneTimeGrantRunsOnce(t *testing.T) {
	for _, drv := range []string{"pq", "pgx"} {
		t.Run(drv, func(t *testing.T) { oneTimeGrant(t, drv) })
	}
}

func oneTimeGrant(t *testing.T, drv string) {
	base := testdb.Postgres(t)
	setup, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	if _, err := setup.Exec("CREATE TABLE granted (id int)"); err != nil {
		t.Fatal(err)
	}
	var armed atomic.Bool
	armed.Store(true)
	p := newFaultProxy(t, pgAddr, func(msg []byte) fault {
		if strings.Contains(string(msg), "INSERT INTO granted") && armed.CompareAndSwap(true, false) {
			return faultAfter
		}
		return faultNone
	})
	review := guard.Named("review-inserts", guard.RuleFunc(func(_ context.Context, r *guard.Request) guard.Verdict {
		if strings.HasPrefix(r.SQL, "INSERT") {
			return guard.Verdict{Decision: guard.Review, Reason: "writes need approval"}
		}
		return guard.Verdict{}
	}))
	var asked atomic.Int64
	approver := guard.ApproverFunc(func(context.Context, *guard.ApprovalRequest) (guard.Answer, error) {
		n := asked.Add(1)
		return guard.Answer{Approved: true, ID: fmt.Sprint("grant-", n), Reviewer: "reviewer-1"}, nil
	})
	pol, err := guard.New(guard.WithRules(review), guard.WithApprover(approver))
	if err != nil {
		t.Fatal(err)
	}
	{
		l := openFault(t, drv, p.dsn(base), sqlvigil.WithPolicy(pol))
		l.db.SetMaxIdleConns(0)
		ctx := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindAgent, Subject: "agent-1"})
		_, err := l.db.ExecContext(ctx, "INSERT INTO granted (id) VALUES (1)")
		// lib/pq answers driver.ErrBadConn and database/sql retries:
		// sqlvigil refuses the retry. pgx reports the lost connection.
		if drv == "pq" && !errors.Is(err, guard.ErrBlocked) || err == nil {
			t.Errorf("retry after a lost connection: got %v, want guard.ErrBlocked (lib/pq) or the connection's error", err)
		}
		var rows int
		if err := setup.QueryRow("SELECT count(*) FROM granted").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 1 {
			t.Errorf("rows inserted under one approval: got %d, want 1", rows)
		}
		if asked.Load() != 1 {
			t.Errorf("approvals asked: got %d, want 1", asked.Load())
		}
		recs := l.sink.entries()
		if len(recs) != 1 {
			t.Fatalf("records: got %d, want 1", len(recs))
		}
		if recs[0].ApprovalID != "grant-1" || recs[0].ErrorType == "" {
			t.Errorf("record: approval %q, error %q; want grant-1 and the refusal", recs[0].ApprovalID, recs[0].Error)
		}
	}
}

// TestUnreachableRecorded: a statement whose connection cannot be made
// leaves a record and a span, under the caller's identity, with the error.
func TestUnreachableRecorded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused
	dsn := "postgres://postgres@" + addr + "/test?sslmode=disable"
	for _, drv := range []string{"pq", "pgx"} {
		t.Run(drv, func(t *testing.T) {
			l := openFault(t, drv, dsn)
			agent := identity.Identity{Kind: identity.KindAgent, Subject: "agent-1"}
			ctx := identity.NewContext(context.Background(), agent)
			if _, err := l.db.ExecContext(ctx, "DROP TABLE customers"); err == nil {
				t.Fatal("an unreachable database answered")
			}
			recs := l.sink.entries()
			if len(recs) != 1 {
				t.Fatalf("records: got %d, want 1", len(recs))
			}
			e := recs[0]
			if e.Method != "connect" || e.Identity == nil || e.Identity.Subject != "agent-1" || e.ErrorType == "" || e.ErrorType == "*errors.errorString" {
				t.Errorf("record: method %q, identity %+v, error %q (%s); want connect, agent-1 and the error", e.Method, e.Identity, e.Error, e.ErrorType)
			}
			if n := len(l.spans.Ended()); n != 1 {
				t.Errorf("spans: got %d, want 1", n)
			}
		})
	}
}

// TestFaults breaks the connection around one statement in each way the
// proxy knows, on lib/pq and pgx: every call leaves exactly one record,
// with the driver's error type.
func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault fault
		query bool
	}{
		{name: "reset before the statement", fault: faultBefore},
		{name: "reset after the server answered", fault: faultAfter},
		{name: "reset mid-rows", fault: faultMidRows, query: true},
	}
	for _, drv := range []string{"pq", "pgx"} {
		for _, tt := range tests {
			t.Run(drv+"/"+tt.name, func(t *testing.T) {
				base := testdb.Postgres(t)
				var armed atomic.Bool
				p := newFaultProxy(t, pgAddr, func(msg []byte) fault {
					if armed.CompareAndSwap(true, false) {
						return tt.fault
					}
					return faultNone
				})
				l := openFault(t, drv, p.dsn(base))
				if _, err := l.db.Exec("CREATE TABLE f (id int)"); err != nil {
					t.Fatal(err)
				}
				if _, err := l.db.Exec("INSERT INTO f SELECT generate_series(1, 5000)"); err != nil {
					t.Fatal(err)
				}
				before := len(l.sink.entries())
				armed.Store(true)
				var err error
				if tt.query {
					var rows *sql.Rows
					if rows, err = l.db.Query("SELECT id FROM f /* faulted */"); err == nil {
						for rows.Next() {
						}
						err = errors.Join(rows.Err(), rows.Close())
					}
				} else {
					_, err = l.db.Exec("UPDATE f SET id = id /* faulted */")
				}
				recs := l.sink.entries()[before:]
				if len(recs) != 1 || !strings.Contains(recs[0].Text, "faulted") {
					t.Fatalf("records: got %d (%+v), want 1 of the statement", len(recs), recs)
				}
				e := recs[0]
				if (err != nil) != (e.ErrorType != "") || e.ErrorType == "*errors.errorString" {
					t.Errorf("call error %v, record error type %q: want the driver's error type, recorded when the call fails", err, e.ErrorType)
				}
				if p.resets.Load() != 1 {
					t.Errorf("connections broken: got %d, want 1", p.resets.Load())
				}
			})
		}
		t.Run(drv+"/lost COMMIT answer", func(t *testing.T) {
			base := testdb.Postgres(t)
			var armed atomic.Bool
			p := newFaultProxy(t, pgAddr, func(msg []byte) fault {
				if strings.Contains(strings.ToLower(string(msg)), "commit") && armed.CompareAndSwap(true, false) {
					return faultAfter
				}
				return faultNone
			})
			l := openFault(t, drv, p.dsn(base))
			if _, err := l.db.Exec("CREATE TABLE c (id int)"); err != nil {
				t.Fatal(err)
			}
			armed.Store(true)
			tx, err := l.db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec("INSERT INTO c VALUES (1)"); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err == nil {
				t.Fatal("the commit's answer was lost, yet Commit succeeded")
			}
			l.sink.mu.Lock()
			txs := append([]audit.Entry(nil), l.sink.txs...)
			l.sink.mu.Unlock()
			if len(txs) != 1 || txs[0].ErrorType == "" || txs[0].ErrorType == "*errors.errorString" {
				t.Errorf("transaction records: got %+v, want 1 with the driver's error", txs)
			}
			n := 0
			for _, e := range l.sink.entries() {
				if strings.Contains(e.Text, "INSERT INTO c") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("records of the INSERT: got %d, want 1", n)
			}
		})
	}
}

// TestBlackholeRecorded: a connection that hangs until the caller's
// deadline leaves a record under the caller's identity.
func TestBlackholeRecorded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accepted, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	dsn := "postgres://postgres@" + ln.Addr().String() + "/test?sslmode=disable&connect_timeout=1"
	for _, drv := range []string{"pq", "pgx"} {
		t.Run(drv, func(t *testing.T) {
			l := openFault(t, drv, dsn)
			ctx, cancel := context.WithTimeout(identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindAgent, Subject: "agent-1"}), 200*time.Millisecond)
			defer cancel()
			if _, err := l.db.ExecContext(ctx, "DROP TABLE customers"); err == nil {
				t.Fatal("a blackholed database answered")
			}
			recs := l.sink.entries()
			if len(recs) != 1 || recs[0].Method != "connect" || recs[0].Identity == nil || recs[0].Identity.Subject != "agent-1" || recs[0].ErrorType == "" {
				t.Errorf("records: got %+v, want 1 connect record of agent-1 with the error", recs)
			}
		})
	}
}
