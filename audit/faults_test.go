package audit_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

// TestSinkPanics: a sink that panics is a sink that failed. The statement
// does not panic; a mandatory audit refuses it.
func TestSinkPanics(t *testing.T) {
	boom := audit.SinkFunc(func(context.Context, *audit.Entry) error { panic("sink bug: " + secret) })
	var handled []error
	a, _ := newAuditor(t, audit.WithSink(boom), audit.WithErrorHandler(func(err error) { handled = append(handled, err) }))
	_, rec, err := a.Start(context.Background(), selectEvent())
	if err != nil {
		t.Fatalf("Start = %v, want nil (audit not mandatory)", err)
	}
	rec.End(audit.Outcome{})
	var se *audit.SinkError
	if len(handled) != 1 || !errors.As(handled[0], &se) || !errors.Is(handled[0], audit.ErrSinkPanicked) {
		t.Fatalf("handled = %v, want one *SinkError matching ErrSinkPanicked", handled)
	}
	if msg := handled[0].Error(); strings.Contains(msg, secret) {
		t.Errorf("sink error echoes the panic value: %s", msg)
	}

	var kinds []string
	ok := audit.SinkFunc(func(_ context.Context, e *audit.Entry) error {
		kinds = append(kinds, e.Kind)
		return nil
	})
	m, _ := newAuditor(t, audit.WithSink(ok, boom), audit.WithMandatory())
	_, rec, err = m.Start(context.Background(), selectEvent())
	if !errors.Is(err, audit.ErrUnavailable) || !errors.Is(err, audit.ErrSinkPanicked) || rec != nil {
		t.Fatalf("mandatory Start with a panicking sink = %v, %v; want ErrUnavailable, ErrSinkPanicked", rec, err)
	}
	if len(kinds) != 2 || kinds[0] != audit.KindIntent || kinds[1] != audit.KindStatement {
		t.Errorf("the working sink got %v, want the intent and the refusal", kinds)
	}
	if _, _, err := m.StartTx(context.Background(), false, ""); !errors.Is(err, audit.ErrUnavailable) {
		t.Errorf("mandatory StartTx with a panicking sink = %v, want ErrUnavailable", err)
	}
}

// TestMandatorySinkBlocks: a mandatory audit whose sink does not answer
// refuses the statement when the statement's context is done, whether or
// not the sink heeds the context; the stuck sink still gets the refusal
// after its intent, once it answers.
func TestMandatorySinkBlocks(t *testing.T) {
	for _, heeds := range []bool{true, false} {
		release := make(chan struct{})
		var mu sync.Mutex
		var kinds []string
		stuck := audit.SinkFunc(func(ctx context.Context, e *audit.Entry) error {
			if e.Kind == audit.KindIntent {
				if heeds {
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-release:
					}
				} else {
					<-release
				}
			}
			mu.Lock()
			kinds = append(kinds, e.Kind)
			mu.Unlock()
			return nil
		})
		a, sr := newAuditor(t, audit.WithSink(stuck), audit.WithMandatory())
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		done := make(chan error, 1)
		go func() {
			_, _, err := a.Start(ctx, selectEvent())
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, audit.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("heeds ctx %v: Start = %v, want ErrUnavailable wrapping the deadline", heeds, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("heeds ctx %v: Start still waits for a stuck sink after its context ended", heeds)
		}
		cancel()
		close(release)
		if len(sr.Ended()) != 1 {
			t.Errorf("heeds ctx %v: %d spans, want the refusal's", heeds, len(sr.Ended()))
		}
		if !heeds {
			// The sink answers late: its intent is followed by the refusal.
			for range 10000 {
				mu.Lock()
				n := len(kinds)
				mu.Unlock()
				if n >= 2 {
					break
				}
				time.Sleep(time.Millisecond)
			}
			mu.Lock()
			if len(kinds) != 2 || kinds[0] != audit.KindIntent || kinds[1] != audit.KindStatement {
				t.Errorf("late sink got %v, want the intent, then the refusal", kinds)
			}
			mu.Unlock()
		}
	}
}

// TestStuckSinkDoesNotHoldStatements: a sink that stops answering holds a
// statement no longer than the sink timeout, and the statements after it
// not at all while it is stuck: they fail to write to it at once
// (ErrSinkStuck), which a mandatory audit turns into a refusal. The
// record whose write was given up is still written when the sink answers,
// and the sink takes records again after.
func TestStuckSinkDoesNotHoldStatements(t *testing.T) {
	for _, mandatory := range []bool{false, true} {
		release := make(chan struct{})
		var mu sync.Mutex
		var written []string
		stuck := audit.SinkFunc(func(_ context.Context, e *audit.Entry) error {
			<-release
			mu.Lock()
			written = append(written, e.Kind)
			mu.Unlock()
			return nil
		})
		var handled []error
		opts := []audit.Option{audit.WithSink(stuck), audit.WithSinkTimeout(50 * time.Millisecond),
			audit.WithErrorHandler(func(err error) {
				mu.Lock()
				handled = append(handled, err)
				mu.Unlock()
			})}
		if mandatory {
			opts = append(opts, audit.WithMandatory())
		}
		a, _ := newAuditor(t, opts...)
		errs := make(chan error, 3)
		go func() {
			for range 3 {
				_, rec, err := a.Start(context.Background(), selectEvent())
				rec.End(audit.Outcome{})
				errs <- err
			}
		}()
		var got []error
		for range 3 {
			select {
			case err := <-errs:
				got = append(got, err)
			case <-time.After(20 * time.Second):
				t.Fatalf("mandatory %v: statements still wait for a stuck sink", mandatory)
			}
		}
		mu.Lock()
		if mandatory {
			handled = got
		}
		if len(handled) != 3 || !errors.Is(handled[0], audit.ErrSinkTimeout) ||
			!errors.Is(handled[1], audit.ErrSinkStuck) || !errors.Is(handled[2], audit.ErrSinkStuck) {
			t.Errorf("mandatory %v: errors %v, want a timeout, then ErrSinkStuck twice", mandatory, handled)
		}
		if mandatory && !errors.Is(handled[0], audit.ErrUnavailable) {
			t.Errorf("mandatory: %v, want ErrUnavailable", handled[0])
		}
		mu.Unlock()
		close(release)
		ok := false
		for range 10000 {
			_, rec, err := a.Start(context.Background(), selectEvent())
			if err == nil {
				rec.End(audit.Outcome{})
			}
			mu.Lock()
			ok = len(written) >= 2 && written[len(written)-1] == audit.KindStatement
			mu.Unlock()
			if ok {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if !ok {
			t.Fatalf("mandatory %v: the sink never took records again", mandatory)
		}
	}
}

// TestErrorHandlerPanics: an error handler that panics on a sink's
// failure does not take the statement down with it.
func TestErrorHandlerPanics(t *testing.T) {
	var calls int
	a, _ := newAuditor(t, audit.WithSink(failing(&calls)), audit.WithErrorHandler(func(err error) { panic(err) }))
	_, rec, err := a.Start(context.Background(), selectEvent())
	if err != nil {
		t.Fatal(err)
	}
	rec.End(audit.Outcome{})
	if calls != 1 {
		t.Errorf("sink called %d times, want 1", calls)
	}
}

// TestRedactorPanics: a Redactor that panics on a value records the
// argument by type and size, never the value, and the statement goes on.
func TestRedactorPanics(t *testing.T) {
	var got []string
	sink := audit.SinkFunc(func(_ context.Context, e *audit.Entry) error {
		got = e.Args
		return nil
	})
	a, _ := newAuditor(t, audit.WithSink(sink), audit.WithArgs(func(_ int, _ string, v any) string { panic(v) }))
	_, rec, err := a.Start(context.Background(), selectEvent())
	if err != nil {
		t.Fatal(err)
	}
	rec.End(audit.Outcome{})
	if len(got) != 1 || strings.Contains(got[0], secret) || got[0] != "string(17)" {
		t.Errorf("args recorded %q, want the type and size of the argument", got)
	}
}

// TestStuckMandatorySinkThroughDriver: through sqlvigil on the real
// servers, a mandatory audit whose sink hangs refuses the statement when
// its context ends — the statement does not run unrecorded, and the caller
// is not held past its deadline — on every path (exec, query, prepared,
// transaction).
func TestStuckMandatorySinkThroughDriver(t *testing.T) {
	servers := []struct {
		name, driver string
		dsn          func(testing.TB) string
	}{
		{"postgresql", "postgres", testdb.Postgres},
		{"mariadb", "mysql", func(tb testing.TB) string { return testdb.MySQL(tb) }},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			var hang atomic.Bool
			release := make(chan struct{})
			defer close(release)
			sink := audit.SinkFunc(func(ctx context.Context, e *audit.Entry) error {
				if hang.Load() && e.Kind == audit.KindIntent {
					<-release // ignores ctx, as a stuck disk would
				}
				return nil
			})
			a, err := audit.New(audit.WithSink(sink), audit.WithMandatory(), audit.WithEndDelay(0))
			if err != nil {
				t.Fatal(err)
			}
			db, err := sqlvigil.Open(srv.driver, srv.dsn(t), sqlvigil.WithAuditor(a))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := identity.NewContext(context.Background(), agent())
			if _, err := db.ExecContext(ctx, "CREATE TABLE victims (id int)"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO victims (id) VALUES (1), (2), (3)"); err != nil {
				t.Fatal(err)
			}
			hang.Store(true)
			paths := map[string]func(context.Context) error{
				"exec": func(ctx context.Context) error {
					_, err := db.ExecContext(ctx, "DELETE FROM victims WHERE id = 1")
					return err
				},
				"query": func(ctx context.Context) error {
					rows, err := db.QueryContext(ctx, "DELETE FROM victims WHERE id = 2 RETURNING id")
					if err == nil {
						rows.Close()
					}
					return err
				},
				"tx": func(ctx context.Context) error {
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					defer tx.Rollback()
					_, err = tx.ExecContext(ctx, "DELETE FROM victims")
					if err == nil {
						err = tx.Commit()
					}
					return err
				},
			}
			for name, run := range paths {
				if srv.name == "mariadb" && name == "query" {
					continue // MariaDB's RETURNING needs 10.5; the exec path covers it
				}
				tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				done := make(chan error, 1)
				go func() { done <- run(tctx) }()
				select {
				case err := <-done:
					if err == nil {
						t.Errorf("%s with a stuck mandatory sink: ran", name)
					}
				case <-time.After(20 * time.Second):
					t.Fatalf("%s with a stuck mandatory sink: still waiting after its context ended", name)
				}
				cancel()
			}
			hang.Store(false)
			var n int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM victims").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Errorf("%d rows left, want 3: a statement ran although its intent was never written", n)
			}
		})
	}
}
