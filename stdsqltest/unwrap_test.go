package stdsqltest

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"testing"
)

// The tests of database/sql look into what the pool holds: they assert
// db.Driver().(*fakeDriver), dc.ci.(*fakeConn)… to count opens or make a
// connection go bad. Wrapped, those values are sqlvigil's, which unwrap to
// the fake driver's. seeThrough rewrites such an assertion x.(T), for T a
// type the package's tests declare, into vigilAs[T](x) (vigilAsOK in the
// comma-ok form), which follows Unwrap methods until it finds a T and
// otherwise fails exactly as the assertion did. What still fails after
// that — a value sqlvigil does not let unwrap — is listed in expectations.

// unwrapGlue is added to the copied package with the glue.
const unwrapGlue = `package sql

import "database/sql/driver"

// vigilUnwrap returns what v wraps, if it says.
func vigilUnwrap(v any) (any, bool) {
	switch u := v.(type) {
	case interface{ Unwrap() driver.Driver }:
		return u.Unwrap(), true
	case interface{ Unwrap() driver.Connector }:
		return u.Unwrap(), true
	case interface{ Unwrap() driver.Conn }:
		return u.Unwrap(), true
	case interface{ Unwrap() driver.Stmt }:
		return u.Unwrap(), true
	case interface{ Unwrap() driver.Tx }:
		return u.Unwrap(), true
	case interface{ Unwrap() driver.Rows }:
		return u.Unwrap(), true
	}
	return nil, false
}

func vigilAs[T any](v any) T {
	if t, ok := vigilAsOK[T](v); ok {
		return t
	}
	return v.(T) // fails as the test's own assertion would
}

func vigilAsOK[T any](v any) (T, bool) {
	for w := v; w != nil; {
		if t, ok := w.(T); ok {
			return t, true
		}
		var ok bool
		if w, ok = vigilUnwrap(w); !ok {
			break
		}
	}
	t, ok := v.(T)
	return t, ok
}
`

// declaredTypes returns the names of the types the files declare.
func declaredTypes(files []*ast.File) map[string]bool {
	types := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				types[s.(*ast.TypeSpec).Name.Name] = true
			}
		}
	}
	return types
}

// seeThrough rewrites, in src, the type assertions to one of types (a
// name, or a pointer to it) as described above, and reports how many.
func seeThrough(fset *token.FileSet, f *ast.File, src []byte, types map[string]bool) ([]byte, int, error) {
	named := func(e ast.Expr) bool {
		if s, ok := e.(*ast.StarExpr); ok {
			e = s.X
		}
		id, ok := e.(*ast.Ident)
		return ok && types[id.Name]
	}
	commaOK := map[*ast.TypeAssertExpr]bool{}
	var asserts []*ast.TypeAssertExpr
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if len(n.Lhs) == 2 && len(n.Rhs) == 1 {
				if ta, ok := n.Rhs[0].(*ast.TypeAssertExpr); ok {
					commaOK[ta] = true
				}
			}
		case *ast.ValueSpec:
			if len(n.Names) == 2 && len(n.Values) == 1 {
				if ta, ok := n.Values[0].(*ast.TypeAssertExpr); ok {
					commaOK[ta] = true
				}
			}
		case *ast.TypeAssertExpr:
			if n.Type != nil && named(n.Type) { // n.Type is nil in x.(type)
				asserts = append(asserts, n)
			}
		}
		return true
	})
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	// Innermost first would break outer offsets; outermost last is what
	// sorting by end offset, descending, and rebuilding gives.
	slices.SortFunc(asserts, func(a, b *ast.TypeAssertExpr) int { return off(b.Pos()) - off(a.Pos()) })
	out := slices.Clone(src)
	for _, ta := range asserts {
		x := src[off(ta.X.Pos()):off(ta.X.End())]
		if bytes.Contains(x, []byte(".(")) {
			return nil, 0, fmt.Errorf("%s: nested type assertion: rewrite by hand", fset.Position(ta.Pos()))
		}
		typ := src[off(ta.Type.Pos()):off(ta.Type.End())]
		fn := "vigilAs"
		if commaOK[ta] {
			fn = "vigilAsOK"
		}
		repl := fmt.Appendf(nil, "%s[%s](%s)", fn, typ, x)
		start, end := off(ta.Pos()), off(ta.End())
		out = slices.Concat(out[:start], repl, out[end:])
	}
	return out, len(asserts), nil
}

// parseFile parses one Go file of the copy.
func parseFile(fset *token.FileSet, name string, src []byte) (*ast.File, error) {
	return parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
}

func TestSeeThrough(t *testing.T) {
	types := map[string]bool{"fakeConn": true, "fakeDriver": true}
	tests := []struct {
		name string
		give string
		want string
	}{
		{"pointer", "x := dc.ci.(*fakeConn)", "x := vigilAs[*fakeConn](dc.ci)"},
		{"call", "d := db.Driver().(*fakeDriver).n", "d := vigilAs[*fakeDriver](db.Driver()).n"},
		{"comma ok", "c, ok := v.(*fakeConn)", "c, ok := vigilAsOK[*fakeConn](v)"},
		{"two on a line", "a, b := x.(*fakeConn), y.(fakeDriver)", "a, b := vigilAs[*fakeConn](x), vigilAs[fakeDriver](y)"},
		{"other type", "s := v.(string)", "s := v.(string)"},
		{"type switch", "switch v.(type) {}", "switch v.(type) {}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := []byte("package sql\n\nfunc f() {\n\t" + tt.give + "\n}\n")
			fset := token.NewFileSet()
			f, err := parseFile(fset, "x.go", src)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := seeThrough(fset, f, src, types)
			if err != nil {
				t.Fatal(err)
			}
			want := "package sql\n\nfunc f() {\n\t" + tt.want + "\n}\n"
			if string(got) != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}
