package redteam_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
)

// path sends one statement on one database/sql path and returns its error.
type path struct {
	name string
	run  func(ctx context.Context, t *testing.T, db *sql.DB, q string, args ...any) error
}

func paths() []path {
	return []path{
		{"Exec", func(ctx context.Context, _ *testing.T, db *sql.DB, q string, args ...any) error {
			_, err := db.ExecContext(ctx, q, args...)
			return err
		}},
		{"Query", func(ctx context.Context, _ *testing.T, db *sql.DB, q string, args ...any) error {
			return drain(db.QueryContext(ctx, q, args...))
		}},
		{"QueryRow", func(ctx context.Context, _ *testing.T, db *sql.DB, q string, args ...any) error {
			var v any
			if err := db.QueryRowContext(ctx, q, args...).Scan(&v); !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			return nil
		}},
		{"StmtExec", func(ctx context.Context, t *testing.T, db *sql.DB, q string, args ...any) error {
			st, err := db.PrepareContext(ctx, q)
			if err != nil {
				t.Fatalf("prepare (which runs no policy): %v", err)
			}
			defer st.Close()
			_, err = st.ExecContext(ctx, args...)
			return err
		}},
		{"StmtQuery", func(ctx context.Context, t *testing.T, db *sql.DB, q string, args ...any) error {
			st, err := db.PrepareContext(ctx, q)
			if err != nil {
				t.Fatalf("prepare (which runs no policy): %v", err)
			}
			defer st.Close()
			return drain(st.QueryContext(ctx, args...))
		}},
		{"Tx", func(ctx context.Context, t *testing.T, db *sql.DB, q string, args ...any) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tx.ExecContext(ctx, q, args...)
			afterwards(ctx, func() {
				if err == nil {
					if e := tx.Commit(); e != nil {
						t.Errorf("commit: %v", e)
					}
					return
				}
				var one int
				if e := tx.QueryRowContext(ctx, "SELECT 1").Scan(&one); e != nil || one != 1 {
					t.Errorf("transaction unusable after a denial: %v", e)
				}
				if e := tx.Rollback(); e != nil {
					t.Errorf("rollback after a denial: %v", e)
				}
			})
			return err
		}},
		{"Conn", func(ctx context.Context, t *testing.T, db *sql.DB, q string, args ...any) error {
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ExecContext(ctx, q, args...)
			afterwards(ctx, func() {
				defer c.Close()
				var one int
				if e := c.QueryRowContext(ctx, "SELECT 1").Scan(&one); e != nil || one != 1 {
					t.Errorf("connection unusable after %v: %v", err, e)
				}
			})
			return err
		}},
	}
}

type afterKey struct{}

// withAfter returns a context under which a path hands back, instead of
// running, the checks it makes after the statement (the connection is still
// usable, the transaction rolls back): the caller counts the statement's
// records first, then runs them.
func withAfter(ctx context.Context) (context.Context, func()) {
	var fs []func()
	ctx = context.WithValue(ctx, afterKey{}, &fs)
	return ctx, func() {
		for _, f := range fs {
			f()
		}
	}
}

func afterwards(ctx context.Context, f func()) {
	if fs, ok := ctx.Value(afterKey{}).(*[]func()); ok {
		*fs = append(*fs, f)
		return
	}
	f()
}

// placeholders turns "$1" placeholders into the family's.
func placeholders(family, q string) string {
	if family == pg {
		return q
	}
	return strings.NewReplacer("$1", "?", "$2", "?").Replace(q)
}

// TestEveryPath attacks every database/sql path, with bound arguments so
// that go-sql-driver/mysql without interpolateParams takes its
// driver.ErrSkip fallback (prepare, then execute): the statement must be
// refused once, recorded once, and harm nothing.
func TestEveryPath(t *testing.T) {
	attacks := []struct {
		sql  string
		args []any
		rule string
	}{
		{"DELETE FROM victim WHERE id = $1 OR 1=1", []any{1}, "missing-where"},
		{"UPDATE victim SET name = $1", []any{"x"}, "missing-where"},
		{"DROP TABLE victim", nil, "destructive-ddl"},
		{"SELECT note FROM vault WHERE id = $1", []any{1}, "tables"},
		{"SELECT 1 FROM victim WHERE id = $1; DROP TABLE victim", nil, "stacked"},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			for _, p := range paths() {
				for _, a := range attacks {
					q := placeholders(b.family, a.sql)
					t.Run(p.name+"/"+q, func(t *testing.T) {
						if strings.HasPrefix(p.name, "Stmt") && strings.Contains(q, ";") {
							t.Skip("servers refuse to prepare two statements")
						}
						l.resetVictim(t)
						m := l.mark()
						ctx, after := withAfter(as(dev))
						err := p.run(ctx, t, l.db, q, a.args...)
						l.denied(t, m, err, a.rule)
						after()
						if h := l.victim(); h != "" {
							t.Errorf("the engine was harmed: victim %s", h)
						}
					})
				}
			}
			// Ordinary traffic passes on every path, recorded once, and
			// neither the bound argument nor the data reach the trail.
			arg := people[0].email
			for _, p := range paths() {
				t.Run(p.name+"/allowed", func(t *testing.T) {
					m := l.mark()
					q := placeholders(b.family, "SELECT id FROM people WHERE email = $1")
					ctx, after := withAfter(as(dev))
					err := p.run(ctx, t, l.db, q, arg)
					l.oneRecord(t, m)
					after()
					if err != nil {
						t.Fatalf("ordinary statement refused: %v", err)
					}
				})
			}
			l.noLeakInTrail(t, arg, "argsecret")
		})
	}
}
