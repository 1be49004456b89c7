package redteam_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
)

// literalTexts carry a seeded e-mail address in every lexical position a
// dialect has: the audit trail records the literal-free text, so the
// address must never reach a span or a sink record, whether the statement
// is allowed, refused by a rule, or refused because it could not be read.
func literalTexts(family, s string) []string {
	texts := []string{
		"SELECT id FROM people WHERE email = '" + s + "'",
		"SELECT id FROM people /* " + s + " */ WHERE id = 1",
		"SELECT id FROM people -- " + s + "\nWHERE id = 1",
		"SELECT id FROM people WHERE email IN ('x', '" + s + "')",
		"SELECT id FROM people WHERE email = '" + s + "' OR email = 'it''s'",
		"DELETE FROM people WHERE email = '" + s + "' OR 1=1",
		"SELECT id FROM people WHERE email = '" + s,
		"SELECT id FROM people WHERE email = '" + s + "';\x00",
		"SELECT id FROM people WHERE email = '" + s + "'; DROP TABLE victim",
		"DROP TABLE victim -- " + s,
	}
	switch family {
	case pg:
		texts = append(texts,
			"SELECT id FROM people WHERE email = E'"+s+"'",
			"SELECT id FROM people WHERE email = $$"+s+"$$",
			"SELECT id FROM people WHERE email = $t$"+s+"$t$",
			"SELECT id FROM people WHERE email = '"+s+"\\'",
			"SELECT id FROM people /* /* "+s+" */ */ WHERE id = 1",
			"SELECT id FROM people WHERE email = U&'"+s+"'",
		)
	case my:
		texts = append(texts,
			`SELECT id FROM people WHERE email = "`+s+`"`,
			"SELECT id FROM people WHERE email = _utf8mb4'"+s+"'",
			"SELECT id FROM people WHERE email = N'"+s+"'",
			"SELECT id FROM people # "+s+"\nWHERE id = 1",
			"SELECT id FROM people WHERE email = /*! '"+s+"' */ 'x'",
			"SELECT id FROM people WHERE email = /*!99999 '"+s+"' */ 'x'",
			"SELECT id FROM people WHERE email = '"+s+"\\''",
		)
	case lite:
		texts = append(texts,
			"SELECT id FROM people WHERE email = '"+s+"\\'",
			"SELECT id FROM people WHERE email = '"+s+"' /* unterminated",
		)
	}
	return texts
}

func TestAuditTrailHoldsNoLiteral(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			for _, q := range literalTexts(b.family, people[0].email) {
				m := l.mark()
				err := drain(l.db.QueryContext(as(dev), q))
				l.oneRecord(t, m)
				var be *guard.BlockedError
				if errors.As(err, &be) && leaked(be.Error()) != "" {
					t.Errorf("the denial of %q quotes the literal: %v", q, be)
				}
				if h := l.victim(); h != "" {
					t.Fatalf("%q harmed the engine: victim %s", q, h)
				}
			}
			l.noLeakInTrail(t)
		})
	}
}

// TestOneRecordPerAttempt checks the awkward endings of a statement: rows
// closed early, a server error, a QueryRow over many rows, a Stmt executed
// twice, a denial inside a transaction.
func TestOneRecordPerAttempt(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			steps := []struct {
				name    string
				records int
				run     func(ctx context.Context) error
			}{
				{"rows-closed-early", 1, func(ctx context.Context) error {
					rows, err := l.db.QueryContext(ctx, "SELECT id, email FROM people")
					if err != nil {
						return err
					}
					rows.Next()
					return rows.Close()
				}},
				{"server-error", 1, func(ctx context.Context) error {
					_, err := l.db.ExecContext(ctx, "INSERT INTO no_such_table VALUES (1)")
					if err == nil {
						return errors.New("no error from the server")
					}
					return nil
				}},
				{"bad-conn-on-conn", 2, func(ctx context.Context) error {
					// A context cancelled before the statement starts: pgx
					// and lib/pq may answer driver.ErrBadConn, which
					// database/sql does not retry on a sql.Conn. The record
					// is written at the latest when the connection closes.
					for _, query := range []bool{false, true} {
						c, err := l.db.Conn(ctx)
						if err != nil {
							return err
						}
						cctx, cancel := context.WithCancel(ctx)
						cancel()
						if query {
							if rows, err := c.QueryContext(cctx, "SELECT 1"); err == nil {
								rows.Close()
							}
						} else {
							_, _ = c.ExecContext(cctx, "SELECT 1")
						}
						c.Close()
					}
					return nil
				}},
				{"query-row-many", 1, func(ctx context.Context) error {
					var id int
					return l.db.QueryRowContext(ctx, "SELECT id FROM people ORDER BY id").Scan(&id)
				}},
				{"stmt-twice", 2, func(ctx context.Context) error {
					st, err := l.db.PrepareContext(ctx, placeholders(b.family, "SELECT email FROM people WHERE id = $1"))
					if err != nil {
						return err
					}
					defer st.Close()
					for i := 1; i <= 2; i++ {
						if err := drain(st.QueryContext(ctx, i)); err != nil {
							return err
						}
					}
					return nil
				}},
				{"denied-in-tx-then-rollback", 3, func(ctx context.Context) error {
					tx, err := l.db.BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, "UPDATE victim SET name = 'x' WHERE id = 1"); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, "DELETE FROM victim"); !errors.Is(err, guard.ErrBlocked) {
						return errors.New("unbounded DELETE not refused in a transaction")
					}
					var n int
					if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM victim").Scan(&n); err != nil || n != 3 {
						return errors.New("transaction unusable after a denial")
					}
					return tx.Rollback()
				}},
			}
			for _, s := range steps {
				t.Run(s.name, func(t *testing.T) {
					l.resetVictim(t)
					m := l.mark()
					if err := s.run(as(dev)); err != nil {
						t.Fatal(err)
					}
					if n := len(l.sink.statements()) - m.records; n != s.records {
						t.Errorf("%d statement records, want %d", n, s.records)
					}
					if n := len(l.statementSpans()) - m.spans; n != s.records {
						t.Errorf("%d statement spans, want %d", n, s.records)
					}
					if h := l.victim(); h != "" {
						t.Errorf("victim %s after a rolled-back or refused change", h)
					}
				})
			}
			l.noLeakInTrail(t)
		})
	}
}

// TestAliasNotInTrail: a quoted identifier is not a literal, but one the
// text gives as an alias names nothing in the database and may hold
// anything: db.query.text and the sink record replace it, as they do a
// literal, whether written with AS or without.
func TestAliasNotInTrail(t *testing.T) {
	for _, b := range backends() {
		lq, rq := `"`, `"`
		switch b.name {
		case "mariadb", "mariadb-interpolate":
			lq, rq = "`", "`"
		case "mariadb-ansi":
			continue // the analyser reads "…" as a string there, and drops it
		}
		alias := func(p person) string { return lq + p.email + rq }
		qs := []string{
			"SELECT 1 AS " + alias(people[0]),
			"SELECT id " + alias(people[1]) + " FROM people WHERE id = 2",
			"SELECT count(*) " + alias(people[2]) + " FROM people",
		}
		t.Run(b.name, func(t *testing.T) {
			l := newLab(t, b)
			for _, q := range qs {
				if err := drain(l.db.QueryContext(as(dev), q)); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			l.noLeakInTrail(t)
		})
	}
}
