package driver_test

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/driver"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/fakedriver"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// TestDriverAnswers: every answer a driver may legally give (a nil
// Result, a result without column names, a result with zero columns) goes
// through the whole pipeline without a panic.
func TestDriverAnswers(t *testing.T) {
	ctx := context.Background()
	_, a, err := newRecorder()
	if err != nil {
		t.Fatal(err)
	}
	limit, err := guard.New(guard.WithRules(guard.MaxRows(1)), guard.WithUnknown(guard.Allow))
	if err != nil {
		t.Fatal(err)
	}
	full := []sqlvigil.Option{sqlvigil.WithDialect(sqlstmt.PostgreSQL), sqlvigil.WithAuditor(a), sqlvigil.WithMasker(activeMasker(t))}
	tests := []struct {
		name string
		cfg  fakedriver.Config
		opts []sqlvigil.Option
		run  func(db *sql.DB) error
		want string
	}{
		{
			name: "nil Result from Exec",
			cfg:  fakedriver.Config{NilResult: true},
			opts: full,
			run:  func(db *sql.DB) error { _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (1)"); return err },
			want: "ok",
		},
		{
			name: "nil Result from a prepared statement",
			cfg:  fakedriver.Config{NilResult: true, Shape: fakedriver.Bare},
			opts: full,
			run:  func(db *sql.DB) error { _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (1)"); return err },
			want: "ok",
		},
		{
			name: "nil Result under a row limit",
			cfg:  fakedriver.Config{NilResult: true},
			opts: append([]sqlvigil.Option{sqlvigil.WithPolicy(limit)}, full...),
			run: func(db *sql.DB) error {
				_, err := db.ExecContext(ctx, "UPDATE t SET a = 1 WHERE id = 1")
				return err
			},
			want: "blocked",
		},
		{
			name: "nil Result under a row limit in a transaction",
			cfg:  fakedriver.Config{NilResult: true},
			opts: append([]sqlvigil.Option{sqlvigil.WithPolicy(limit)}, full...),
			run: func(db *sql.DB) error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				_, err = tx.ExecContext(ctx, "UPDATE t SET a = 1 WHERE id = 1")
				return err
			},
			want: "blocked",
		},
		{
			name: "nil column names",
			cfg:  fakedriver.Config{Results: []fakedriver.ResultSet{{Columns: nil}}},
			opts: full,
			run:  func(db *sql.DB) error { return drain(db.QueryContext(ctx, "SELECT * FROM t")) },
			want: "ok",
		},
		{
			name: "zero columns, two rows",
			cfg:  fakedriver.Config{Results: []fakedriver.ResultSet{{Columns: []string{}, Rows: [][]sqldriver.Value{{}, {}}}}},
			opts: full,
			run:  func(db *sql.DB) error { return drain(db.QueryContext(ctx, "SELECT FROM t")) },
			want: "ok",
		},
		{
			name: "zero columns in a second result set",
			cfg: fakedriver.Config{Results: []fakedriver.ResultSet{
				{Columns: []string{"id"}, Rows: [][]sqldriver.Value{{int64(1)}}},
				{Columns: []string{}, Rows: [][]sqldriver.Value{{}}},
			}},
			// No masker: a stacked script's result sets are refused to a
			// reader with a rule in force.
			opts: full[:2],
			run:  func(db *sql.DB) error { return drain(db.QueryContext(ctx, "SELECT id FROM t; SELECT FROM t")) },
			want: "ok",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := fakedriver.New(tt.cfg)
			c, err := sqlvigil.WrapConnector(fd.Connector(), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			db := sql.OpenDB(c)
			defer db.Close()
			var runErr error
			got := outcome(func() error { runErr = tt.run(db); return runErr })
			if errors.Is(runErr, guard.ErrBlocked) {
				got = "blocked"
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// drain reads every row of every result set.
func drain(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for {
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		dest := make([]any, len(cols))
		for k := range dest {
			dest[k] = new(any)
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
		}
		if !rows.NextResultSet() {
			return rows.Err()
		}
	}
}

// TestSessionResetFake: the driver's own ResetSession is still called, a
// driver without one gets sqlvigil's, and a dirty connection of a dialect
// that cannot reset in place is closed before another identity uses it.
func TestSessionResetFake(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	_, a, err := newRecorder()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		shape        fakedriver.Shape
		dialect      sqlstmt.Dialect
		set          string
		wantConnects int64
	}{
		{"PostgreSQL resets in place", fakedriver.Full, sqlstmt.PostgreSQL, "SET search_path = x", 1},
		{"PostgreSQL, a library loaded", fakedriver.Full, sqlstmt.PostgreSQL, "LOAD 'auto_explain'", 2},
		{"PostgreSQL, a dblink connection", fakedriver.Full, sqlstmt.PostgreSQL, "SELECT dblink_connect('c', 'dbname=x')", 2},
		{"MySQL closes the connection", fakedriver.Full, sqlstmt.MySQL, "SET @v = 1", 2},
		{"MySQL, driver without SessionResetter", fakedriver.Legacy, sqlstmt.MySQL, "SET @v = 1", 2},
		{"no session change", fakedriver.Full, sqlstmt.MySQL, "SELECT 1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := fakedriver.New(fakedriver.Config{Shape: tt.shape})
			c, err := sqlvigil.WrapConnector(fd.Connector(), sqlvigil.WithDialect(tt.dialect), sqlvigil.WithAuditor(a))
			if err != nil {
				t.Fatal(err)
			}
			db := sql.OpenDB(c)
			defer db.Close()
			db.SetMaxOpenConns(1)
			for _, step := range []struct {
				ctx context.Context
				q   string
			}{{agent, tt.set}, {agent, "SELECT 1"}, {human, "SELECT 1"}} {
				if _, err := db.ExecContext(step.ctx, step.q); err != nil {
					t.Fatal(err)
				}
			}
			if got := fd.Counts.Connects.Load(); got != tt.wantConnects {
				t.Errorf("connections made: got %d, want %d", got, tt.wantConnects)
			}
			if tt.shape == fakedriver.Full && fd.Counts.Resets.Load() < 1 {
				t.Error("the driver's ResetSession was not called")
			}
		})
	}
}

// TestSessionRawConn: a connection whose driver connection was handed out
// by RawConn is closed before another identity uses it.
func TestSessionRawConn(t *testing.T) {
	agent := identity.NewContext(context.Background(), agentID)
	human := identity.NewContext(context.Background(), humanID)
	_, a, err := newRecorder()
	if err != nil {
		t.Fatal(err)
	}
	fd := fakedriver.New(fakedriver.Config{})
	c, err := sqlvigil.WrapConnector(fd.Connector(), sqlvigil.WithDialect(sqlstmt.PostgreSQL), sqlvigil.WithAuditor(a))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(agent)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Raw(func(dc any) error { _, err := driver.RawConn(agent, dc); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(agent, "SELECT 1"); err != nil {
		t.Fatalf("the same identity on its held connection: %v", err)
	}
	if _, err := conn.ExecContext(human, "SELECT 1"); !errors.Is(err, driver.ErrSessionState) {
		t.Fatalf("another identity on the held connection: got %v, want ErrSessionState", err)
	}
	conn.Close()
	if _, err := db.ExecContext(human, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if got := fd.Counts.Connects.Load(); got != 2 {
		t.Errorf("connections made: got %d, want 2", got)
	}
}
