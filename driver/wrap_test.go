package driver_test

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	upstream "github.com/ngrok/sqlmw"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/driver"
	"github.com/sqlvigil/sqlvigil/internal/fakedriver"
	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// The ways a fake driver is opened: raw, wrapped by upstream sqlmw with its
// NullInterceptor, and wrapped by sqlvigil (pass-through, and with the
// pipeline active).
type opener struct {
	name string
	open func(t *testing.T, fd *fakedriver.Driver) *sql.DB
}

func rawOpener() opener {
	return opener{"raw", func(t *testing.T, fd *fakedriver.Driver) *sql.DB {
		return sql.OpenDB(fd.Connector())
	}}
}

func bareOpener() opener {
	return opener{"bare sqlmw", func(t *testing.T, fd *fakedriver.Driver) *sql.DB {
		c, err := upstream.Driver(fd, upstream.NullInterceptor{}).(sqldriver.DriverContext).OpenConnector("")
		if err != nil {
			t.Fatal(err)
		}
		return sql.OpenDB(c)
	}}
}

func vigilOpener(name string, opts ...sqlvigil.Option) opener {
	return opener{name, func(t *testing.T, fd *fakedriver.Driver) *sql.DB {
		c, err := sqlvigil.WrapConnector(fd.Connector(), append([]sqlvigil.Option{sqlvigil.WithDialect(sqlstmt.PostgreSQL)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return sql.OpenDB(c)
	}}
}

func activeMasker(t *testing.T) *mask.Masker {
	t.Helper()
	m, err := mask.New(mask.WithRules(mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Redact()}),
		mask.WithUnattributed(mask.UnattributedByName))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func vigilOpeners(t *testing.T) []opener {
	return []opener{vigilOpener("sqlvigil"), vigilOpener("sqlvigil active", sqlvigil.WithMasker(activeMasker(t)))}
}

// outcome runs f and describes its result, turning a panic into text.
func outcome(f func() error) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("panic: %v", r)
		}
	}()
	if err := f(); err != nil {
		return "error: " + err.Error()
	}
	return "ok"
}

// TestDefects runs each upstream sqlmw defect listed in DESIGN.md against
// the raw driver, bare sqlmw and sqlvigil: sqlvigil must behave as the raw
// driver, and bare sqlmw must not (which proves the check can fail).
func TestDefects(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  fakedriver.Config
		run  func(t *testing.T, db *sql.DB, fd *fakedriver.Driver) string
	}{
		{
			name: "driver without Execer or ExecerContext",
			cfg:  fakedriver.Config{Shape: fakedriver.Bare, RowsAffected: 1},
			run: func(t *testing.T, db *sql.DB, fd *fakedriver.Driver) string {
				return outcome(func() error {
					_, err := db.ExecContext(ctx, "UPDATE t SET x = 1")
					return err
				})
			},
		},
		{
			name: "isolation level without ConnBeginTx",
			cfg:  fakedriver.Config{Shape: fakedriver.Bare},
			run: func(t *testing.T, db *sql.DB, fd *fakedriver.Driver) string {
				return outcome(func() error {
					tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
					if err == nil {
						return tx.Rollback()
					}
					return err
				})
			},
		},
		{
			name: "read-only without ConnBeginTx",
			cfg:  fakedriver.Config{Shape: fakedriver.Bare},
			run: func(t *testing.T, db *sql.DB, fd *fakedriver.Driver) string {
				return outcome(func() error {
					tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
					if err == nil {
						return tx.Rollback()
					}
					return err
				})
			},
		},
		{
			name: "connector Close",
			cfg:  fakedriver.Config{Closer: true},
			run: func(t *testing.T, db *sql.DB, fd *fakedriver.Driver) string {
				if err := db.Close(); err != nil {
					return "error: " + err.Error()
				}
				return fmt.Sprintf("connector closed %d times", fd.Counts.ConnectorCloses.Load())
			},
		},
		{
			name: "statement ColumnConverter",
			cfg:  fakedriver.Config{Shape: fakedriver.Bare, ColumnConverter: true},
			run: func(t *testing.T, db *sql.DB, fd *fakedriver.Driver) string {
				return outcome(func() error {
					_, err := db.ExecContext(ctx, "INSERT INTO t VALUES (?)", fakedriver.Celsius{Degrees: 21})
					if err != nil {
						return err
					}
					args := fd.Counts.Args()
					return fmt.Errorf("driver got %#v", args[len(args)-1][0].Value)
				})
			},
		},
		{
			name: "session checks faked",
			cfg:  fakedriver.Config{Shape: fakedriver.Legacy},
			run: func(t *testing.T, db *sql.DB, fd *fakedriver.Driver) string {
				return offered(t, db)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, o := range append([]opener{rawOpener(), bareOpener()}, vigilOpeners(t)...) {
				fd := fakedriver.New(tt.cfg)
				db := o.open(t, fd)
				got[o.name] = tt.run(t, db, fd)
				db.Close()
			}
			want := got["raw"]
			for _, name := range []string{"sqlvigil", "sqlvigil active"} {
				if got[name] != want {
					t.Errorf("%s: got %q, want %q as raw", name, got[name], want)
				}
			}
			if got["bare sqlmw"] == want {
				t.Errorf("bare sqlmw: got %q, the same as raw: the check cannot tell the defect", got["bare sqlmw"])
			}
		})
	}
}

// offered lists the optional interfaces of the connection database/sql
// holds.
func offered(t *testing.T, db *sql.DB) string {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var names []string
	err = conn.Raw(func(dc any) error {
		for _, it := range []struct {
			name string
			ok   bool
		}{
			// A legacy Execer is adapted to ExecerContext: the same to
			// database/sql, which would adapt it itself.
			{"Exec", is[sqldriver.ExecerContext](dc) || is[sqldriver.Execer](dc)},    //nolint:staticcheck
			{"Query", is[sqldriver.QueryerContext](dc) || is[sqldriver.Queryer](dc)}, //nolint:staticcheck
			{"Pinger", is[sqldriver.Pinger](dc)},
			// SessionResetter is left out: sqlvigil offers it for every
			// driver, to reset the session state a statement left (see
			// TestSessionReset*), and calls the driver's own.
			{"Validator", is[sqldriver.Validator](dc)},
			{"NamedValueChecker", is[sqldriver.NamedValueChecker](dc)},
		} {
			if it.ok {
				names = append(names, it.name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(names, ",")
}

func is[T any](v any) bool {
	_, ok := v.(T)
	return ok
}

// columnTypes describes what database/sql reports of a result's columns.
func columnTypes(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT id, name FROM t")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, ct := range cts {
		l, lok := ct.Length()
		n, nok := ct.Nullable()
		p, s, dok := ct.DecimalSize()
		fmt.Fprintf(&b, "%s %s %q %d/%v %v/%v %d,%d/%v;", ct.Name(), ct.ScanType(), ct.DatabaseTypeName(), l, lok, n, nok, p, s, dok)
	}
	fmt.Fprintf(&b, " next result set: %v", rows.NextResultSet())
	return b.String()
}

// TestOfferedInterfaces checks, for every connection shape, that
// database/sql sees the optional interfaces of the driver's connection,
// statement and rows, no more and no fewer.
func TestOfferedInterfaces(t *testing.T) {
	for _, shape := range []fakedriver.Shape{fakedriver.Full, fakedriver.Legacy, fakedriver.Bare} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			raw := rawOpener().open(t, fakedriver.New(fakedriver.Config{Shape: shape}))
			defer raw.Close()
			want := offered(t, raw) + " " + columnTypes(t, raw)
			for _, o := range vigilOpeners(t) {
				db := o.open(t, fakedriver.New(fakedriver.Config{Shape: shape}))
				if got := offered(t, db) + " " + columnTypes(t, db); got != want {
					t.Errorf("%s: got %q, want %q", o.name, got, want)
				}
				db.Close()
			}
		})
	}
}

// TestNamedValueChecker checks that an argument only the driver's
// NamedValueChecker accepts reaches the driver unchanged.
func TestNamedValueChecker(t *testing.T) {
	want := fmt.Sprintf("%#v", fakedriver.Array{1, 2})
	for _, o := range append([]opener{rawOpener()}, vigilOpeners(t)...) {
		fd := fakedriver.New(fakedriver.Config{})
		db := o.open(t, fd)
		if _, err := db.ExecContext(context.Background(), "INSERT INTO t VALUES ($1)", fakedriver.Array{1, 2}); err != nil {
			t.Fatalf("%s: %v", o.name, err)
		}
		// The statement's are the last arguments: a masked reader's write
		// may be preceded by catalog lookups, which take none.
		args := fd.Counts.Args()
		if len(args) == 0 || len(args[len(args)-1]) == 0 {
			t.Fatalf("%s: the driver got no argument (%d statements)", o.name, len(args))
		}
		if got := fmt.Sprintf("%#v", args[len(args)-1][0].Value); got != want {
			t.Errorf("%s: driver got %s, want %s", o.name, got, want)
		}
		db.Close()
	}
}

// TestNextResultSetHook checks that NextResultSet reaches an interceptor
// that asks for it: upstream sqlmw never calls it.
func TestNextResultSetHook(t *testing.T) {
	results := []fakedriver.ResultSet{
		{Columns: []string{"email", "id"}, Rows: [][]sqldriver.Value{{"ada@example.com", int64(1)}}},
		{Columns: []string{"id", "email"}, Rows: [][]sqldriver.Value{{int64(2), "grace@example.com"}}},
	}
	fd := fakedriver.New(fakedriver.Config{Results: results})
	c, err := sqlvigil.WrapConnector(fd.Connector(), sqlvigil.WithDialect(sqlstmt.PostgreSQL), sqlvigil.WithMasker(activeMasker(t)))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), "SELECT email, id FROM a; SELECT id, email FROM b")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for {
		for rows.Next() {
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for k := range vals {
				ptrs[k] = &vals[k]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprint(vals...))
		}
		if !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, g := range got {
		if strings.Contains(g, "@example.com") {
			t.Errorf("row %q: the email column is not masked in every result set", g)
		}
	}
	if len(got) != 2 {
		t.Errorf("rows: got %d, want 2", len(got))
	}
}

// TestRawConn checks the escape hatch: the driver's own connection comes
// out of sql.Conn.Raw.
func TestRawConn(t *testing.T) {
	fd := fakedriver.New(fakedriver.Config{})
	raw := sql.OpenDB(fd.Connector())
	defer raw.Close()
	var want string
	conn, err := raw.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Raw(func(dc any) error {
		want = reflect.TypeOf(dc).String()
		if _, err := driver.RawConn(context.Background(), dc); !errors.Is(err, driver.ErrNotWrapped) {
			t.Errorf("RawConn of a raw connection: got %v, want ErrNotWrapped", err)
		}
		return nil
	})
	conn.Close()
	for _, o := range vigilOpeners(t) {
		db := o.open(t, fakedriver.New(fakedriver.Config{}))
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		err = conn.Raw(func(dc any) error {
			rc, err := driver.RawConn(context.Background(), dc)
			if err != nil {
				return err
			}
			if got := reflect.TypeOf(rc).String(); got != want {
				t.Errorf("%s: got %s, want %s", o.name, got, want)
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", o.name, err)
		}
		conn.Close()
		db.Close()
	}
}

// TestErrSkipUnwrapped checks that a driver's ErrSkip reaches database/sql
// as the very same value (database/sql compares it with ==).
func TestErrSkipUnwrapped(t *testing.T) {
	fd := fakedriver.New(fakedriver.Config{SkipWithArgs: true})
	w, err := sqlvigil.Wrap(fd, sqlvigil.WithDialect(sqlstmt.PostgreSQL), sqlvigil.WithMasker(activeMasker(t)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.(sqldriver.ExecerContext).ExecContext(context.Background(), "UPDATE t SET x = $1", []sqldriver.NamedValue{{Ordinal: 1, Value: int64(1)}})
	if err != sqldriver.ErrSkip { //nolint:errorlint // identity is the contract
		t.Errorf("got %v, want driver.ErrSkip itself", err)
	}
	_, err = c.(sqldriver.QueryerContext).QueryContext(context.Background(), "SELECT $1", []sqldriver.NamedValue{{Ordinal: 1, Value: int64(1)}})
	if err != sqldriver.ErrSkip { //nolint:errorlint
		t.Errorf("got %v, want driver.ErrSkip itself", err)
	}
}

func TestDialect(t *testing.T) {
	fd := fakedriver.New(fakedriver.Config{})
	if _, err := sqlvigil.Wrap(fd); !errors.Is(err, driver.ErrUnknownDialect) || !errors.Is(err, driver.ErrConfig) {
		t.Errorf("unknown driver without WithDialect: got %v, want ErrUnknownDialect", err)
	}
	if _, err := sqlvigil.WrapConnector(fd.Connector(), sqlvigil.WithDialect(sqlstmt.MySQL)); err != nil {
		t.Errorf("with WithDialect: got %v", err)
	}
	if _, err := sqlvigil.Wrap(fd, sqlvigil.WithDialect(sqlstmt.Dialect(200))); !errors.Is(err, driver.ErrConfig) {
		t.Errorf("invalid dialect: got %v, want ErrConfig", err)
	}
	if _, err := sqlvigil.Wrap(nil); !errors.Is(err, driver.ErrConfig) {
		t.Errorf("nil driver: got %v, want ErrConfig", err)
	}
	// A nil policy, masker or auditor is most likely a constructor's error
	// dropped: refused rather than running unguarded, unmasked, unrecorded.
	for _, o := range []sqlvigil.Option{sqlvigil.WithStatementCacheSize(-1), sqlvigil.WithServer("db", 70000),
		sqlvigil.WithPolicy(nil), sqlvigil.WithMasker(nil), sqlvigil.WithAuditor(nil)} {
		if _, err := sqlvigil.Wrap(fd, sqlvigil.WithDialect(sqlstmt.MySQL), o); !errors.Is(err, driver.ErrConfig) {
			t.Errorf("invalid option: got %v, want ErrConfig", err)
		}
	}
	if _, err := sqlvigil.Wrap(fd, sqlvigil.WithDialect(sqlstmt.MySQL), sqlvigil.WithStatementCacheSize(0), nil); err != nil {
		t.Errorf("no cache, nil option: got %v", err)
	}
}

type nextResultSetCounter struct {
	upstream.NullInterceptor
	calls int
}

func (c *nextResultSetCounter) RowsNextResultSet(ctx context.Context, rows sqldriver.RowsNextResultSet) error {
	c.calls++
	return rows.NextResultSet()
}

// TestNextResultSetReachesInterceptor checks that an interceptor is told of
// a new result set (so a masker can make a new plan for its columns):
// upstream sqlmw never tells it.
func TestNextResultSetReachesInterceptor(t *testing.T) {
	results := []fakedriver.ResultSet{
		{Columns: []string{"a"}, Rows: [][]sqldriver.Value{{int64(1)}}},
		{Columns: []string{"b", "c"}, Rows: [][]sqldriver.Value{{int64(2), int64(3)}}},
	}
	tests := []struct {
		name string
		wrap func(sqldriver.Driver, upstream.Interceptor) sqldriver.Driver
		want int
	}{
		{name: "sqlvigil mechanics", wrap: sqlmw.Driver, want: 2}, // the second answers io.EOF
		{name: "bare sqlmw", wrap: upstream.Driver, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &nextResultSetCounter{}
			conn, err := tt.wrap(fakedriver.New(fakedriver.Config{Results: results}), c).(sqldriver.DriverContext).OpenConnector("")
			if err != nil {
				t.Fatal(err)
			}
			db := sql.OpenDB(conn)
			defer db.Close()
			rows, err := db.Query("SELECT a; SELECT b, c")
			if err != nil {
				t.Fatal(err)
			}
			sets := 1
			for rows.NextResultSet() {
				sets++
			}
			rows.Close()
			if sets != 2 {
				t.Fatalf("result sets: got %d, want 2", sets)
			}
			if c.calls != tt.want {
				t.Errorf("interceptor calls: got %d, want %d", c.calls, tt.want)
			}
		})
	}
}

// TestNoColumnScanner checks that rows never offer Go 1.27's
// driver.RowsColumnScanner, through which database/sql would read values
// without Next, where masking happens.
func TestNoColumnScanner(t *testing.T) {
	type columnScanner interface {
		ScanColumn(dest any, index int) error
	}
	fd := fakedriver.New(fakedriver.Config{})
	raw, err := fd.Open("")
	if err != nil {
		t.Fatal(err)
	}
	rr, err := raw.(sqldriver.QueryerContext).QueryContext(context.Background(), "SELECT 1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !is[columnScanner](rr) {
		t.Fatal("the fake's rows lack ScanColumn: the test cannot fail")
	}
	for _, opts := range [][]sqlvigil.Option{nil, {sqlvigil.WithMasker(activeMasker(t))}} {
		w, err := sqlvigil.Wrap(fd, append(opts, sqlvigil.WithDialect(sqlstmt.PostgreSQL))...)
		if err != nil {
			t.Fatal(err)
		}
		c, err := w.Open("")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := c.(sqldriver.QueryerContext).QueryContext(context.Background(), "SELECT id, name FROM t", nil)
		if err != nil {
			t.Fatal(err)
		}
		if is[columnScanner](rows) {
			t.Errorf("wrapped rows offer ScanColumn")
		}
		if !is[sqldriver.RowsColumnTypeScanType](rows) {
			t.Errorf("wrapped rows lost the driver's column types")
		}
		rows.Close()
		c.Close()
	}
}
