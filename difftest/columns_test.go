package difftest

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// The column checks hold the analyser's lineage to what masking needs:
// every column an output item reads is among its sources, an item that is
// not a bare column is an expression, and an alias is its name. They run
// on plain SELECTs over base tables, where lineage needs no resolution
// through derived tables; a nil Columns (unknown) is never wrong.

func lastPart(s string) string {
	if k := strings.LastIndexByte(s, '.'); k >= 0 {
		return s[k+1:]
	}
	return s
}

func hasSource(c sqlparse.Column, name string) bool {
	for _, s := range c.Sources {
		if s == name || strings.HasSuffix(s, "."+name) {
			return true
		}
	}
	return false
}

// pgColumnRefs returns the last field of every column reference in an
// expression, and whether it holds a subquery.
func pgColumnRefs(n *pg.Node) (refs []string, sub bool) {
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		switch m.Descriptor().Name() {
		case "SubLink":
			sub = true
			return
		case "ColumnRef":
			f := m.Interface().(*pg.ColumnRef).Fields
			if len(f) > 0 {
				if s := f[len(f)-1].GetString_(); s != nil {
					refs = append(refs, s.Sval)
				}
			}
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				l := v.List()
				for i := 0; i < l.Len(); i++ {
					walk(l.Get(i).Message())
				}
			case fd.Message() != nil && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	walk(n.ProtoReflect())
	return refs, sub
}

func pgPlainFrom(from []*pg.Node) bool {
	for _, f := range from {
		switch x := f.Node.(type) {
		case *pg.Node_RangeVar:
		case *pg.Node_JoinExpr:
			if !pgPlainFrom([]*pg.Node{x.JoinExpr.Larg, x.JoinExpr.Rarg}) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// pgColumnsDisagree returns why the analyser's columns disagree with the
// reference, or "".
func pgColumnsDisagree(n *pg.Node, cols []sqlparse.Column) string {
	sel := n.GetSelectStmt()
	if sel == nil || cols == nil || sel.Op != pg.SetOperation_SETOP_NONE || sel.IntoClause != nil ||
		sel.WithClause != nil || len(sel.ValuesLists) > 0 || !pgPlainFrom(sel.FromClause) {
		return ""
	}
	for _, t := range sel.TargetList {
		if cr := t.GetResTarget().GetVal().GetColumnRef(); cr != nil {
			if f := cr.Fields; len(f) > 0 && f[len(f)-1].GetAStar() != nil {
				return "" // stars expand to the tables' columns
			}
		}
	}
	if len(cols) != len(sel.TargetList) {
		return fmt.Sprintf("%d columns, want %d", len(cols), len(sel.TargetList))
	}
	for i, t := range sel.TargetList {
		rt := t.GetResTarget()
		c := cols[i]
		bare := rt.GetVal().GetColumnRef() != nil && len(rt.Indirection) == 0
		refs, sub := pgColumnRefs(rt.GetVal())
		if !bare && !c.Expr {
			return fmt.Sprintf("column %d is an expression", i)
		}
		// An empty name is "not known", never wrong.
		if rt.Name != "" && c.Name != "" && c.Name != rt.Name {
			return fmt.Sprintf("column %d named %q, want %q", i, c.Name, rt.Name)
		}
		if bare && rt.Name == "" && len(refs) == 1 && c.Name != "" && c.Name != refs[0] {
			return fmt.Sprintf("column %d named %q, want %q", i, c.Name, refs[0])
		}
		if sub {
			continue
		}
		for _, r := range refs {
			if !hasSource(c, r) {
				return fmt.Sprintf("column %d misses source %q (has %v)", i, r, c.Sources)
			}
		}
	}
	return ""
}

func vtPlainFrom(from []sqlparser.TableExpr) bool {
	for _, f := range from {
		switch x := f.(type) {
		case *sqlparser.AliasedTableExpr:
			if _, ok := x.Expr.(sqlparser.TableName); !ok {
				return false
			}
		case *sqlparser.JoinTableExpr:
			if !vtPlainFrom([]sqlparser.TableExpr{x.LeftExpr, x.RightExpr}) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// mysqlColumnsDisagree is pgColumnsDisagree for vitess's statements.
func mysqlColumnsDisagree(s sqlparser.Statement, cols []sqlparse.Column) string {
	sel, ok := s.(*sqlparser.Select)
	if !ok || cols == nil || sel.With != nil || sel.Into != nil || sel.SelectExprs == nil || !vtPlainFrom(sel.From) {
		return ""
	}
	exprs := sel.SelectExprs.Exprs
	for _, e := range exprs {
		if _, ok := e.(*sqlparser.AliasedExpr); !ok {
			return "" // stars
		}
	}
	if len(cols) != len(exprs) {
		return fmt.Sprintf("%d columns, want %d", len(cols), len(exprs))
	}
	for i, e := range exprs {
		ae := e.(*sqlparser.AliasedExpr)
		c := cols[i]
		cn, bare := ae.Expr.(*sqlparser.ColName)
		if !bare && !c.Expr {
			return fmt.Sprintf("column %d is an expression", i)
		}
		if !ae.As.IsEmpty() && c.Name != "" && c.Name != ae.As.String() {
			return fmt.Sprintf("column %d named %q, want %q", i, c.Name, ae.As.String())
		}
		if bare && ae.As.IsEmpty() && c.Name != "" && c.Name != cn.Name.String() {
			return fmt.Sprintf("column %d named %q, want %q", i, c.Name, cn.Name.String())
		}
		var refs []string
		sub := false
		_ = sqlparser.Walk(func(node sqlparser.SQLNode) (bool, error) {
			switch x := node.(type) {
			case *sqlparser.Subquery:
				sub = true
				return false, nil
			case *sqlparser.ColName:
				refs = append(refs, x.Name.String())
			}
			return true, nil
		}, ae.Expr)
		if sub {
			continue
		}
		for _, r := range refs {
			if !hasSource(c, r) {
				return fmt.Sprintf("column %d misses source %q (has %v)", i, r, c.Sources)
			}
		}
	}
	return ""
}
