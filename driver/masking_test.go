package driver_test

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

const (
	seededSSN   = "123-45-6789"
	seededEmail = "ada@example.com"
)

// seedPeople creates people (id, ssn, email) and orders (id, person_id,
// item) with one row each.
func seedPeople(t *testing.T, db *sql.DB) {
	t.Helper()
	mustExec(t, db, "CREATE TABLE people (id INT PRIMARY KEY, ssn VARCHAR(20), email VARCHAR(80) UNIQUE)")
	mustExec(t, db, "CREATE TABLE orders (oid INT, person_id INT, item VARCHAR(20))")
	mustExec(t, db, "INSERT INTO people VALUES (1, '"+seededSSN+"', '"+seededEmail+"')")
	mustExec(t, db, "INSERT INTO orders VALUES (10, 1, 'teapot')")
}

// readAll returns every value of every result set of a query, and every
// error met on the way (query, Next, NextResultSet, Err, Close), as text.
func readAll(ctx context.Context, db *sql.DB, query string) (sets [][]string, errs []error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, []error{err}
	}
	for {
		cols, err := rows.Columns()
		if err != nil {
			errs = append(errs, err)
			break
		}
		var vals []string
		for rows.Next() {
			v := make([]any, len(cols))
			p := make([]any, len(cols))
			for k := range v {
				p[k] = &v[k]
			}
			if err := rows.Scan(p...); err != nil {
				errs = append(errs, err)
				continue
			}
			for k := range v {
				if b, ok := v[k].([]byte); ok {
					v[k] = string(b)
				}
				vals = append(vals, fmt.Sprintf("%s=%v", strings.ToLower(cols[k]), v[k]))
			}
		}
		sets = append(sets, vals)
		if !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Err(); err != nil {
		errs = append(errs, err)
	}
	if err := rows.Close(); err != nil {
		errs = append(errs, err)
	}
	return sets, errs
}

func leaks(sets [][]string, errs []error, secrets ...string) string {
	for _, set := range sets {
		for _, v := range set {
			for _, s := range secrets {
				if strings.Contains(v, s) {
					return v
				}
			}
		}
	}
	for _, err := range errs {
		for _, s := range secrets {
			if strings.Contains(errText(err), s) {
				return errText(err)
			}
		}
	}
	return ""
}

// errText is an error's text with the PostgreSQL detail, where values are
// quoted.
func errText(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var pqe *pq.Error
	if errors.As(err, &pqe) {
		s += " " + pqe.Detail
	}
	var pge *pgconn.PgError
	if errors.As(err, &pge) {
		s += " " + pge.Detail
	}
	return s
}

func newMasker(t *testing.T, opts ...mask.Option) *mask.Masker {
	t.Helper()
	m, err := mask.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMaskReturningStar: RETURNING * returns the written table's columns,
// so a table-scoped rule masks them instead of refusing the result set as
// unattributed.
func TestMaskReturningStar(t *testing.T) {
	m := newMasker(t, mask.WithRules(mask.Rule{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact()}))
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			db := openWith(t, tg, sqlvigil.WithMasker(m))
			seedPeople(t, db)
			ctx := context.Background()
			queries := []string{
				"INSERT INTO people VALUES (2, '987-65-4321', 'bob@example.com') RETURNING *",
				"DELETE FROM people WHERE id = 1 RETURNING *",
			}
			if tg.family != "mysql" { // MariaDB has no UPDATE … RETURNING
				queries = append(queries[:1], "UPDATE people SET id = id RETURNING *", queries[1])
			}
			for _, q := range queries {
				sets, errs := readAll(ctx, db, q)
				if len(errs) > 0 {
					t.Errorf("%s: got errors %v, want none", q, errs)
					continue
				}
				if len(sets) == 0 || len(sets[0]) == 0 {
					t.Errorf("%s: got no rows", q)
					continue
				}
				if v := leaks(sets, nil, seededSSN, "987-65-4321"); v != "" {
					t.Errorf("%s: got %q in the result, want ssn masked", q, v)
				}
				if !strings.Contains(strings.Join(sets[0], " "), "@example.com") {
					t.Errorf("%s: got %v, want email unmasked", q, sets[0])
				}
			}
		})
	}
}

// TestMaskStarJoin: the columns of SELECT * over a join are table columns
// under their own names, so a table-scoped rule masks ssn (whichever
// table it may come from) and leaves the others clear; an expression
// before the star is attributed by position.
func TestMaskStarJoin(t *testing.T) {
	m := newMasker(t, mask.WithRules(mask.Rule{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact()}))
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			db := openWith(t, tg, sqlvigil.WithMasker(m))
			seedPeople(t, db)
			ctx := context.Background()
			for _, q := range []string{
				"SELECT * FROM people p JOIN orders o ON o.person_id = p.id",
				"SELECT p.*, o.* FROM people p JOIN orders o ON o.person_id = p.id",
				"SELECT upper(ssn), people.* FROM people",
				"SELECT *, upper(ssn) FROM people JOIN orders ON orders.person_id = people.id",
			} {
				sets, errs := readAll(ctx, db, q)
				if len(errs) > 0 {
					t.Errorf("%s: got errors %v, want none", q, errs)
					continue
				}
				if v := leaks(sets, nil, seededSSN); v != "" {
					t.Errorf("%s: got %q in the result, want ssn masked", q, v)
				}
				if strings.Contains(q, "orders") && !strings.Contains(strings.Join(sets[0], " "), "teapot") {
					t.Errorf("%s: got %v, want item unmasked", q, sets[0])
				}
			}
		})
	}
}

// TestMaskStacked: every result set of a stacked script is masked, with
// name rules only (the default masks unattributed columns by name, so an
// alias in a result set left unattributed would escape).
func TestMaskStacked(t *testing.T) {
	m := newMasker(t, mask.WithRules(mask.Rule{Name: "ssn", Columns: []string{"ssn"}, Strategy: mask.Redact()}))
	for _, tg := range targets() {
		if tg.name == "pgx" {
			continue // pgx refuses stacked statements
		}
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			db := openWith(t, tg, sqlvigil.WithMasker(m))
			seedPeople(t, db)
			ctx := context.Background()
			for _, q := range []string{
				"SELECT 1 AS a; SELECT ssn AS x FROM people",
				"SELECT id AS y FROM people; SELECT ssn AS x FROM people",
				"UPDATE people SET id = id; SELECT ssn AS x FROM people",
				"SELECT ssn AS x FROM people; SELECT 1 AS a",
				"SELECT 1 AS a; SELECT * FROM (SELECT ssn AS x FROM people) s",
			} {
				sets, errs := readAll(ctx, db, q)
				if len(errs) > 0 {
					t.Errorf("%s: got errors %v, want none", q, errs)
					continue
				}
				if v := leaks(sets, nil, seededSSN); v != "" {
					t.Errorf("%s: got %q in the result, want ssn masked", q, v)
				}
			}
			// A stacked script the analysis cannot describe (a statement
			// whose output it does not know) is refused rather than masked
			// by output name only.
			hidden := "EXPLAIN SELECT 1; SELECT ssn AS x FROM people"
			if tg.family == "mysql" {
				hidden = "SHOW TABLES; SELECT ssn AS x FROM people"
			}
			sets, errs := readAll(ctx, db, hidden)
			if v := leaks(sets, nil, seededSSN); v != "" || len(errs) == 0 || !errors.Is(errs[0], mask.ErrUnattributed) {
				t.Errorf("%s: got %q %v, want mask.ErrUnattributed", hidden, v, errs)
			}
			if tg.family == "sqlite" {
				return // modernc.org/sqlite returns the last statement's rows only
			}
			// Where the k-th result set is certainly the k-th statement's,
			// the other statements' columns stay clear.
			sets, errs = readAll(ctx, db, "SELECT ssn AS x FROM people; SELECT id AS y FROM people")
			if len(errs) > 0 || len(sets) != 2 || len(sets[1]) != 1 || sets[1][0] != "y=1" {
				t.Errorf("got %v %v, want y=1 in the second result set", sets, errs)
			}
		})
	}
}

// TestRedactErrorForReader: a database error that quotes a masked value is
// redacted for a reader the rule masks, and left intact for one it
// exempts; this holds for errors of Exec, of a later statement of a
// stacked script (met in NextResultSet or Close) and of a deferred
// constraint at commit.
func TestRedactErrorForReader(t *testing.T) {
	m := newMasker(t, mask.WithRules(mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Redact(), ExemptRoles: []string{"pii:read"}}))
	masked := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindUser, Subject: "u-1"})
	exempt := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindUser, Subject: "u-2", Roles: []string{"pii:read"}})
	dup := "INSERT INTO people VALUES (3, 'x', '" + seededEmail + "')"
	for _, tg := range targets() {
		if tg.family == "sqlite" {
			continue // SQLite's constraint errors quote no value
		}
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			db := openWith(t, tg, sqlvigil.WithMasker(m))
			seedPeople(t, db)
			_, err := db.ExecContext(masked, dup)
			if err == nil || strings.Contains(errText(err), seededEmail) || !errors.Is(err, mask.ErrRedacted) {
				t.Errorf("masked reader: got %v, want a redacted error", err)
			}
			_, err = db.ExecContext(exempt, dup)
			if err == nil || !strings.Contains(errText(err), seededEmail) {
				t.Errorf("exempt reader: got %v, want the database's error", err)
			}
			if tg.name != "pgx" {
				_, errs := readAll(masked, db, "SELECT 1 AS a; "+dup)
				if len(errs) == 0 {
					t.Errorf("stacked: got no error, want the duplicate key")
				}
				if v := leaks(nil, errs, seededEmail); v != "" {
					t.Errorf("stacked: got %q, want the value redacted", v)
				}
			}
			if tg.family != "pg" {
				return
			}
			mustExec(t, db, "CREATE TABLE d (email TEXT UNIQUE DEFERRABLE INITIALLY DEFERRED)")
			for _, tt := range []struct {
				ctx   context.Context
				clear bool
			}{{masked, false}, {exempt, true}} {
				tx, err := db.BeginTx(tt.ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				for range 2 {
					if _, err := tx.ExecContext(tt.ctx, "INSERT INTO d VALUES ('"+seededEmail+"')"); err != nil {
						t.Fatal(err)
					}
				}
				err = tx.Commit()
				if err == nil || strings.Contains(errText(err), seededEmail) != tt.clear {
					t.Errorf("commit (exempt %v): got %v", tt.clear, err)
				}
			}
		})
	}
}

// TestServerInAuditRecords: the database name, host and port reach audit
// records through every way of opening: a wrapped driver's OpenConnector
// (sql.Open on a registered driver) reads them from the DSN, a wrapped
// connector takes them from options, and options win over the DSN.
func TestServerInAuditRecords(t *testing.T) {
	for _, tg := range targets() {
		if tg.family == "sqlite" || tg.name == "mysql interpolateParams" {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			dsn := tg.dsn(t)
			raw, err := sql.Open(tg.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			drv := raw.Driver()
			raw.Close()
			wantNS, wantPort := "test", "5432"
			if tg.family == "mysql" {
				wantNS, wantPort = schemaOf(tg, dsn), "3306"
			}
			opens := []struct {
				name   string
				open   func(opts ...sqlvigil.Option) (*sql.DB, error)
				opts   []sqlvigil.Option
				ns     string
				server string
				port   string
			}{
				{name: "Wrap+OpenConnector", ns: wantNS, server: "127.0.0.1", port: wantPort, open: func(opts ...sqlvigil.Option) (*sql.DB, error) {
					w, err := sqlvigil.Wrap(drv, opts...)
					if err != nil {
						return nil, err
					}
					c, err := w.(sqldriver.DriverContext).OpenConnector(dsn)
					if err != nil {
						return nil, err
					}
					return sql.OpenDB(c), nil
				}},
				{name: "Wrap+options", ns: "app", server: "db.internal", port: "6000",
					opts: []sqlvigil.Option{sqlvigil.WithNamespace("app"), sqlvigil.WithServer("db.internal", 6000)},
					open: func(opts ...sqlvigil.Option) (*sql.DB, error) {
						w, err := sqlvigil.Wrap(drv, opts...)
						if err != nil {
							return nil, err
						}
						c, err := w.(sqldriver.DriverContext).OpenConnector(dsn)
						if err != nil {
							return nil, err
						}
						return sql.OpenDB(c), nil
					}},
				{name: "WrapConnector+options", ns: "app", server: "db.internal", port: "6000",
					opts: []sqlvigil.Option{sqlvigil.WithNamespace("app"), sqlvigil.WithServer("db.internal", 6000)},
					open: func(opts ...sqlvigil.Option) (*sql.DB, error) {
						var c sqldriver.Connector
						var err error
						if dc, ok := drv.(sqldriver.DriverContext); ok {
							c, err = dc.OpenConnector(dsn)
						} else {
							c, err = pq.NewConnector(dsn)
						}
						if err != nil {
							return nil, err
						}
						w, err := sqlvigil.WrapConnector(c, opts...)
						if err != nil {
							return nil, err
						}
						return sql.OpenDB(w), nil
					}},
				{name: "sqlvigil.Open", ns: wantNS, server: "127.0.0.1", port: wantPort, open: func(opts ...sqlvigil.Option) (*sql.DB, error) {
					return sqlvigil.Open(tg.driver, dsn, opts...)
				}},
			}
			for _, o := range opens {
				rec, a, err := newRecorder()
				if err != nil {
					t.Fatal(err)
				}
				db, err := o.open(append(o.opts, sqlvigil.WithAuditor(a))...)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec("SELECT 1"); err != nil {
					t.Fatal(err)
				}
				db.Close()
				spans := rec.Ended()
				if !hasAttr(spans, "db.namespace", o.ns) || !hasAttr(spans, "server.address", o.server) || !hasAttr(spans, "server.port", o.port) {
					var got []string
					for _, s := range spans {
						for _, kv := range s.Attributes() {
							if strings.HasPrefix(string(kv.Key), "server.") || kv.Key == "db.namespace" {
								got = append(got, string(kv.Key)+"="+kv.Value.Emit())
							}
						}
					}
					t.Errorf("%s: got %v, want db.namespace=%s server.address=%s server.port=%s", o.name, got, o.ns, o.server, o.port)
				}
				for _, s := range spans {
					for _, kv := range s.Attributes() {
						if v := kv.Value.Emit(); strings.Contains(v, "root@") || strings.Contains(v, "postgres@") {
							t.Errorf("%s: %s carries the DSN's user: %q", o.name, kv.Key, v)
						}
					}
				}
			}
		})
	}
}

// rewriter is a pgx QueryRewriter: pgx runs the text it returns instead of
// the caller's.
type rewriter struct{ sql string }

func (r rewriter) RewriteQuery(_ context.Context, _ *pgx.Conn, _ string, args []any) (string, []any, error) {
	return r.sql, nil, nil
}

// TestQueryRewriterRefused: an argument that makes pgx run another text
// than the one the policy decided on is refused; pgx's own named
// arguments still work.
func TestQueryRewriterRefused(t *testing.T) {
	var tg target
	for _, x := range targets() {
		if x.name == "pgx" {
			tg = x
		}
	}
	p, err := guard.New(guard.WithRules(guard.DestructiveDDL()))
	if err != nil {
		t.Fatal(err)
	}
	db := openWith(t, tg, sqlvigil.WithPolicy(p))
	mustExec(t, db, "CREATE TABLE victim (id INT)")
	_, err = db.Exec("SELECT 1", rewriter{"DROP TABLE victim"})
	if !errors.Is(err, guard.ErrBlocked) {
		t.Errorf("rewriter: got %v, want guard.ErrBlocked", err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM victim").Scan(&n); err != nil {
		t.Errorf("victim: %v", err)
	}
	if err := db.QueryRow("SELECT @x::int", pgx.NamedArgs{"x": 7}).Scan(&n); err != nil || n != 7 {
		t.Errorf("named arguments: got %d %v, want 7", n, err)
	}
}
