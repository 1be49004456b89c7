package difftest

import (
	"regexp"
	"sort"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
	"vitess.io/vitess/go/vt/sqlparser"
)

// pgReads returns the relations a reference SELECT, INSERT, UPDATE, DELETE
// or MERGE reads: every RangeVar but the targets of the data-modifying
// statements and of SELECT INTO, and but the names of CTEs; false for other
// statements.
func pgReads(n *pg.Node) (reads []string, ctes map[string]bool, ok bool) {
	switch n.Node.(type) {
	case *pg.Node_SelectStmt, *pg.Node_InsertStmt, *pg.Node_UpdateStmt, *pg.Node_DeleteStmt, *pg.Node_MergeStmt:
	default:
		return nil, nil, false
	}
	ctes = map[string]bool{}
	var rels []*pg.RangeVar
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		name := m.Descriptor().Name()
		if name == "CommonTableExpr" {
			ctes[m.Interface().(*pg.CommonTableExpr).Ctename] = true
		}
		if name == "RangeVar" {
			rels = append(rels, m.Interface().(*pg.RangeVar))
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Name() == "relation" && (name == "InsertStmt" || name == "UpdateStmt" || name == "DeleteStmt" || name == "MergeStmt") {
				return true
			}
			if fd.Name() == "into_clause" && name == "SelectStmt" || fd.Name() == "locking_clause" {
				return true // SELECT INTO's target; FOR UPDATE OF names aliases
			}
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
	var out []string
	for _, r := range rels {
		if r.Schemaname == "" && ctes[r.Relname] {
			continue
		}
		out = append(out, rv(r))
	}
	return out, ctes, true
}

// cteScoped reports whether got and want differ only in names that are
// also CTE names of the statement: which one a reference means depends on
// scopes the harness does not model.
func cteScoped(got, want []string, ctes map[string]bool) bool {
	in := func(s []string, x string) bool {
		for _, y := range s {
			if y == x {
				return true
			}
		}
		return false
	}
	for _, g := range got {
		if !in(want, g) && !ctes[g] {
			return false
		}
	}
	for _, w := range want {
		if !in(got, w) && !ctes[w] {
			return false
		}
	}
	return true
}

// nestedWith matches a WITH whose query is a parenthesised query with its
// own WITH: vitess v0.24.4 drops the outer WITH there.
var nestedWith = regexp.MustCompile(`(?is)\bwith\b.*\(\s*with\b`)

// mysqlReads returns the tables a vitess SELECT, INSERT, UPDATE or DELETE
// reads, but its write targets and CTE names; false for other statements.
func mysqlReads(s sqlparser.Statement) ([]string, bool) {
	var skip []sqlparser.TableExpr
	switch x := s.(type) {
	case *sqlparser.Select, *sqlparser.Union:
	case *sqlparser.Insert:
		skip = append(skip, x.Table)
	case *sqlparser.Update:
		if len(x.TableExprs) == 1 {
			if _, ok := x.TableExprs[0].(*sqlparser.AliasedTableExpr); ok {
				skip = append(skip, x.TableExprs...)
			}
		}
	case *sqlparser.Delete:
		if len(x.Targets) == 0 {
			skip = append(skip, x.TableExprs...)
		}
	default:
		return nil, false
	}
	ctes := map[string]bool{}
	var out []string
	_ = sqlparser.Walk(func(node sqlparser.SQLNode) (bool, error) {
		switch x := node.(type) {
		case *sqlparser.CommonTableExpr:
			ctes[x.ID.String()] = true
		case *sqlparser.AliasedTableExpr:
			for _, k := range skip {
				if k == sqlparser.TableExpr(x) {
					return true, nil
				}
			}
			if t, ok := x.Expr.(sqlparser.TableName); ok {
				out = append(out, tn(t))
			}
		}
		return true, nil
	}, s)
	var res []string
	for _, t := range out {
		if !strings.Contains(t, ".") && (ctes[t] || strings.EqualFold(t, "dual")) {
			continue
		}
		res = append(res, t)
	}
	return res, true
}

func sortedSet(s []string) string {
	sort.Strings(s)
	return strings.Join(dedupe(s), ",")
}

func splitSet(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
