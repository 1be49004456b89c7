package sqlmw

import (
	"bytes"
	"context"
	"database/sql/driver"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The tests in this file prove, for every combination the generated picker
// (picker.go, written by gen/main.go) enumerates, that a wrapped connection
// or rows offers each optional interface if and only if the wrapped one
// has it. The fakes are built with reflect.StructOf, one type per
// combination; the flags are read from picker.go, so a mixin added to the
// generator without a line here fails the test instead of going unchecked.
//
// StructOf does not sort the methods it promotes from embedded interfaces,
// and type assertions need them sorted; so a fake embeds one single-method
// interface per method, in the order of the method names.

// optional describes one flag of the picker: the interface the wrapper
// then offers, and what earns it: a wrapped object with all the methods of
// any one source.
type optional struct {
	flag    int
	offers  reflect.Type
	sources [][]reflect.Type
}

// Single-method interfaces, for the methods of the driver interfaces that
// have several. (Exported: StructOf embeds only exported names.)
type (
	BeginMethod interface {
		Begin() (driver.Tx, error)
	}
	CloseMethod   interface{ Close() error }
	PrepareMethod interface {
		Prepare(string) (driver.Stmt, error)
	}
	ColumnsMethod          interface{ Columns() []string }
	NextMethod             interface{ Next([]driver.Value) error }
	HasNextResultSetMethod interface{ HasNextResultSet() bool }
	NextResultSetMethod    interface{ NextResultSet() error }
	DatabaseTypeNameMethod interface{ ColumnTypeDatabaseTypeName(int) string }
	LengthMethod           interface{ ColumnTypeLength(int) (int64, bool) }
	NullableMethod         interface{ ColumnTypeNullable(int) (bool, bool) }
	PrecisionScaleMethod   interface {
		ColumnTypePrecisionScale(int) (int64, int64, bool)
	}
	ScanTypeMethod interface{ ColumnTypeScanType(int) reflect.Type }
)

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// one is a source made of single-method interfaces.
func one(types ...reflect.Type) []reflect.Type { return types }

var (
	connBase = one(typeOf[BeginMethod](), typeOf[CloseMethod](), typeOf[PrepareMethod]())
	rowsBase = one(typeOf[CloseMethod](), typeOf[ColumnsMethod](), typeOf[NextMethod]())
)

var connOptionals = map[string]optional{
	"connExecerContext": {connExecerContext, typeOf[driver.ExecerContext](),
		[][]reflect.Type{one(typeOf[driver.ExecerContext]()), one(typeOf[driver.Execer]())}}, //nolint:staticcheck // the legacy interface earns it too
	"connQueryerContext": {connQueryerContext, typeOf[driver.QueryerContext](),
		[][]reflect.Type{one(typeOf[driver.QueryerContext]()), one(typeOf[driver.Queryer]())}}, //nolint:staticcheck
	"connPinger":            {connPinger, typeOf[driver.Pinger](), [][]reflect.Type{one(typeOf[driver.Pinger]())}},
	"connSessionResetter":   {connSessionResetter, typeOf[driver.SessionResetter](), [][]reflect.Type{one(typeOf[driver.SessionResetter]())}},
	"connValidator":         {connValidator, typeOf[driver.Validator](), [][]reflect.Type{one(typeOf[driver.Validator]())}},
	"connNamedValueChecker": {connNamedValueChecker, typeOf[driver.NamedValueChecker](), [][]reflect.Type{one(typeOf[driver.NamedValueChecker]())}},
}

var rowsOptionals = map[string]optional{
	"rowsNextResultSet": {rowsNextResultSet, typeOf[driver.RowsNextResultSet](),
		[][]reflect.Type{one(typeOf[HasNextResultSetMethod](), typeOf[NextResultSetMethod]())}},
	"rowsColumnTypeDatabaseTypeName": {rowsColumnTypeDatabaseTypeName, typeOf[driver.RowsColumnTypeDatabaseTypeName](), [][]reflect.Type{one(typeOf[DatabaseTypeNameMethod]())}},
	"rowsColumnTypeLength":           {rowsColumnTypeLength, typeOf[driver.RowsColumnTypeLength](), [][]reflect.Type{one(typeOf[LengthMethod]())}},
	"rowsColumnTypeNullable":         {rowsColumnTypeNullable, typeOf[driver.RowsColumnTypeNullable](), [][]reflect.Type{one(typeOf[NullableMethod]())}},
	"rowsColumnTypePrecisionScale":   {rowsColumnTypePrecisionScale, typeOf[driver.RowsColumnTypePrecisionScale](), [][]reflect.Type{one(typeOf[PrecisionScaleMethod]())}},
	"rowsColumnTypeScanType":         {rowsColumnTypeScanType, typeOf[driver.RowsColumnTypeScanType](), [][]reflect.Type{one(typeOf[ScanTypeMethod]())}},
}

// generatedFlags returns the picker's flag constants of one family
// ("conn" or "rows") in declaration order, read from picker.go.
func generatedFlags(t *testing.T, family string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "picker.go", nil, 0)
	if err != nil {
		t.Fatalf("parse picker.go: %v", err)
	}
	var names []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			for _, n := range spec.(*ast.ValueSpec).Names {
				if strings.HasPrefix(n.Name, family) {
					names = append(names, n.Name)
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatalf("picker.go declares no %s flags", family)
	}
	return names
}

// flagsFor checks that the table knows every generated flag of a family
// and that the flags are the bits the picker switches on, and returns the
// table's entries in bit order.
func flagsFor(t *testing.T, family string, table map[string]optional) []optional {
	t.Helper()
	names := generatedFlags(t, family)
	if len(names) != len(table) {
		t.Errorf("picker.go has %d %s flags %v, the test knows %d: describe each new one here", len(names), family, names, len(table))
	}
	out := make([]optional, len(names))
	for i, name := range names {
		o, ok := table[name]
		if !ok {
			t.Fatalf("picker.go flag %s is unknown to the test: add its interfaces to the table", name)
		}
		if o.flag != 1<<i {
			t.Fatalf("flag %s = %d, want bit %d", name, o.flag, i)
		}
		out[i] = o
	}
	return out
}

// combination is one fake: for each flag, the index of the source
// interface the wrapped object has, or -1.
type combination []int

func (c combination) k() int {
	var k int
	for i, s := range c {
		if s >= 0 {
			k |= 1 << i
		}
	}
	return k
}

// combinations enumerates every combination: each flag absent or earned
// by each of its sources.
func combinations(flags []optional) []combination {
	out := []combination{{}}
	for _, f := range flags {
		var next []combination
		for _, c := range out {
			for s := -1; s < len(f.sources); s++ {
				next = append(next, append(slices.Clone(c), s))
			}
		}
		out = next
	}
	return out
}

// fake returns a zero value of a new struct type that has exactly the
// methods of base and of the chosen sources. (Calling one panics: the fakes
// are only asserted on.)
func fake(base []reflect.Type, flags []optional, c combination) any {
	embed := slices.Clone(base)
	for i, s := range c {
		if s >= 0 {
			embed = append(embed, flags[i].sources[s]...)
		}
	}
	slices.SortFunc(embed, func(a, b reflect.Type) int { return strings.Compare(a.Method(0).Name, b.Method(0).Name) })
	fields := make([]reflect.StructField, len(embed))
	for i, t := range embed {
		fields[i] = reflect.StructField{Name: t.Name(), Type: t, Anonymous: true}
	}
	return reflect.New(reflect.StructOf(fields)).Elem().Interface()
}

// implementsAll reports whether t implements every interface of source.
func implementsAll(t reflect.Type, source []reflect.Type) bool {
	for _, s := range source {
		if !t.Implements(s) {
			return false
		}
	}
	return true
}

func (c combination) String(flags []optional) string {
	var parts []string
	for i, s := range c {
		if s >= 0 {
			for _, t := range flags[i].sources[s] {
				parts = append(parts, t.Name())
			}
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// checkPicked checks what the picker returned for combination c: the
// generated type for its k, each optional interface offered if and only if
// c has it (or always, when always says so), the always-offered ones, and
// every mixin wired to the embedded base.
func checkPicked(t *testing.T, family string, got any, flags []optional, c combination, always map[reflect.Type]bool, base []reflect.Type) {
	t.Helper()
	name := c.String(flags)
	gt := reflect.TypeOf(got)
	k := c.k()
	for _, f := range flags {
		if always[f.offers] {
			k |= f.flag
		}
	}
	if want := fmt.Sprintf("%s%d", family, k); gt.Kind() != reflect.Pointer || gt.Elem().Name() != want {
		t.Errorf("%s: picked %v, want *%s", name, gt, want)
		return
	}
	for _, b := range base {
		if !gt.Implements(b) {
			t.Errorf("%s: wrapper does not offer %v", name, b)
		}
	}
	for i, f := range flags {
		want := c[i] >= 0 || always[f.offers]
		if gt.Implements(f.offers) != want {
			t.Errorf("%s: wrapper offers %v = %v, want %v", name, f.offers, !want, want)
		}
	}
	// Every mixin points back at the base the picker embedded.
	v := reflect.ValueOf(got).Elem()
	baseAddr := v.Field(0).Addr().Pointer()
	for i := 1; i < v.NumField(); i++ {
		if p := v.Field(i).Field(0).Pointer(); p != baseAddr {
			t.Errorf("%s: mixin %s points at %#x, want the embedded %s at %#x", name, v.Type().Field(i).Name, p, family, baseAddr)
		}
	}
}

// resetInterceptor is an interceptor that takes over ResetSession.
type resetInterceptor struct{ NullInterceptor }

func (resetInterceptor) ConnResetSession(context.Context, *ParentConn) error { return nil }

func TestConnPickerOffersExactlyWhatTheDriverHas(t *testing.T) {
	flags := flagsFor(t, "conn", connOptionals)
	base := []reflect.Type{typeOf[driver.Conn](), typeOf[driver.ConnPrepareContext](), typeOf[driver.ConnBeginTx]()}
	never := []reflect.Type{typeOf[driver.Execer](), typeOf[driver.Queryer]()} //nolint:staticcheck // legacy: reached through the context ones
	tests := []struct {
		name   string
		intr   Interceptor
		always map[reflect.Type]bool
	}{
		{"NullInterceptor", NullInterceptor{}, nil},
		{"ConnResetInterceptor", resetInterceptor{}, map[reflect.Type]bool{typeOf[driver.SessionResetter](): true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[int]bool{}
			for _, c := range combinations(flags) {
				f := fake(connBase, flags, c)
				if !reflect.TypeOf(f).Implements(typeOf[driver.Conn]()) {
					t.Fatalf("%s: the fake is no driver.Conn", c.String(flags))
				}
				for i, fl := range flags {
					for s, src := range fl.sources {
						if implementsAll(reflect.TypeOf(f), src) != (c[i] == s) {
							t.Fatalf("%s: the fake implements %v = %v", c.String(flags), src, c[i] != s)
						}
					}
				}
				got := wrapConn(f.(driver.Conn), tt.intr)
				checkPicked(t, "conn", got, flags, c, tt.always, base)
				for _, n := range never {
					if reflect.TypeOf(got).Implements(n) {
						t.Errorf("%s: wrapper offers the legacy %v", c.String(flags), n)
					}
				}
				seen[c.k()] = true
			}
			if len(seen) != 1<<len(flags) {
				t.Errorf("covered %d of the picker's %d conn types", len(seen), 1<<len(flags))
			}
		})
	}
}

// interceptedRows is rows an interceptor wrapped: it offers nothing
// optional itself, and the picker must look through it.
type interceptedRows struct{ driver.Rows }

func (r interceptedRows) Unwrap() driver.Rows { return r.Rows }

func TestRowsPickerOffersExactlyWhatTheDriverHas(t *testing.T) {
	flags := flagsFor(t, "rows", rowsOptionals)
	base := []reflect.Type{typeOf[driver.Rows]()}
	tests := []struct {
		name string
		wrap func(driver.Rows) driver.Rows
	}{
		{"driver rows", func(r driver.Rows) driver.Rows { return r }},
		{"rows wrapped by the interceptor", func(r driver.Rows) driver.Rows { return interceptedRows{interceptedRows{r}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[int]bool{}
			for _, c := range combinations(flags) {
				f := fake(rowsBase, flags, c)
				if !reflect.TypeOf(f).Implements(typeOf[driver.Rows]()) {
					t.Fatalf("%s: the fake is no driver.Rows", c.String(flags))
				}
				for i, fl := range flags {
					if reflect.TypeOf(f).Implements(fl.offers) != (c[i] >= 0) {
						t.Fatalf("%s: the fake implements %v = %v", c.String(flags), fl.offers, c[i] < 0)
					}
				}
				got := wrapRows(context.Background(), NullInterceptor{}, tt.wrap(f.(driver.Rows)))
				checkPicked(t, "rows", got, flags, c, nil, base)
				seen[c.k()] = true
			}
			if len(seen) != 1<<len(flags) {
				t.Errorf("covered %d of the picker's %d rows types", len(seen), 1<<len(flags))
			}
		})
	}
}

func TestPickerDefaultIsBase(t *testing.T) {
	if _, ok := pickConn(-1, conn{}).(*conn0); !ok {
		t.Errorf("pickConn(-1) = %T, want *conn0", pickConn(-1, conn{}))
	}
	if _, ok := pickRows(-1, rows{}).(*rows0); !ok {
		t.Errorf("pickRows(-1) = %T, want *rows0", pickRows(-1, rows{}))
	}
}

// fullConn has every optional interface and records the calls that reach it.
type fullConn struct{ calls []string }

func (c *fullConn) record(m string)                          { c.calls = append(c.calls, m) }
func (c *fullConn) Prepare(string) (driver.Stmt, error)      { c.record("Prepare"); return nil, io.EOF }
func (c *fullConn) Close() error                             { c.record("Close"); return nil }
func (c *fullConn) Begin() (driver.Tx, error)                { c.record("Begin"); return nil, io.EOF }
func (c *fullConn) Ping(context.Context) error               { c.record("Ping"); return nil }
func (c *fullConn) ResetSession(context.Context) error       { c.record("ResetSession"); return nil }
func (c *fullConn) IsValid() bool                            { c.record("IsValid"); return true }
func (c *fullConn) CheckNamedValue(*driver.NamedValue) error { c.record("CheckNamedValue"); return nil }
func (c *fullConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	c.record("ExecContext")
	return driver.RowsAffected(1), nil
}
func (c *fullConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	c.record("QueryContext")
	return &fullRows{}, nil
}

// fullRows has every optional rows interface and records the calls.
type fullRows struct{ calls []string }

func (r *fullRows) record(m string)           { r.calls = append(r.calls, m) }
func (r *fullRows) Columns() []string         { r.record("Columns"); return []string{"a"} }
func (r *fullRows) Close() error              { r.record("Close"); return nil }
func (r *fullRows) Next([]driver.Value) error { r.record("Next"); return io.EOF }
func (r *fullRows) HasNextResultSet() bool    { r.record("HasNextResultSet"); return false }
func (r *fullRows) NextResultSet() error      { r.record("NextResultSet"); return io.EOF }
func (r *fullRows) ColumnTypeDatabaseTypeName(int) string {
	r.record("ColumnTypeDatabaseTypeName")
	return ""
}
func (r *fullRows) ColumnTypeLength(int) (int64, bool) { r.record("ColumnTypeLength"); return 0, false }
func (r *fullRows) ColumnTypeNullable(int) (bool, bool) {
	r.record("ColumnTypeNullable")
	return false, false
}
func (r *fullRows) ColumnTypePrecisionScale(int) (int64, int64, bool) {
	r.record("ColumnTypePrecisionScale")
	return 0, 0, false
}
func (r *fullRows) ColumnTypeScanType(int) reflect.Type { r.record("ColumnTypeScanType"); return nil }

// TestPickedMethodsReachTheDriver calls every optional method of a wrapper
// around a driver that has them all: each reaches the driver's own method.
func TestPickedMethodsReachTheDriver(t *testing.T) {
	ctx := context.Background()
	fc := &fullConn{}
	w := wrapConn(fc, NullInterceptor{})
	_, _ = w.(driver.ExecerContext).ExecContext(ctx, "x", nil)
	_, _ = w.(driver.QueryerContext).QueryContext(ctx, "x", nil)
	_ = w.(driver.Pinger).Ping(ctx)
	_ = w.(driver.SessionResetter).ResetSession(ctx)
	_ = w.(driver.Validator).IsValid()
	_ = w.(driver.NamedValueChecker).CheckNamedValue(&driver.NamedValue{})
	wantConn := []string{"ExecContext", "QueryContext", "Ping", "ResetSession", "IsValid", "CheckNamedValue"}
	if !slices.Equal(fc.calls, wantConn) {
		t.Errorf("driver conn got calls %v, want %v", fc.calls, wantConn)
	}

	fr := &fullRows{}
	r := wrapRows(ctx, NullInterceptor{}, interceptedRows{fr})
	_ = r.(driver.RowsNextResultSet).HasNextResultSet()
	_ = r.(driver.RowsNextResultSet).NextResultSet()
	_ = r.(driver.RowsColumnTypeDatabaseTypeName).ColumnTypeDatabaseTypeName(0)
	_, _ = r.(driver.RowsColumnTypeLength).ColumnTypeLength(0)
	_, _ = r.(driver.RowsColumnTypeNullable).ColumnTypeNullable(0)
	_, _, _ = r.(driver.RowsColumnTypePrecisionScale).ColumnTypePrecisionScale(0)
	_ = r.(driver.RowsColumnTypeScanType).ColumnTypeScanType(0)
	wantRows := []string{"HasNextResultSet", "NextResultSet", "ColumnTypeDatabaseTypeName", "ColumnTypeLength",
		"ColumnTypeNullable", "ColumnTypePrecisionScale", "ColumnTypeScanType"}
	if !slices.Equal(fr.calls, wantRows) {
		t.Errorf("driver rows got calls %v, want %v", fr.calls, wantRows)
	}
}

// TestPickerIsGenerated checks that gen/main.go reproduces picker.go
// exactly, as go generate would.
func TestPickerIsGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	out := filepath.Join(t.TempDir(), "picker.go")
	cmd := exec.Command("go", "run", "./gen", "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./gen: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("picker.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("picker.go differs from what gen/main.go writes: run go generate ./internal/sqlmw")
	}
}
