package difftest

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
	"vitess.io/vitess/go/vt/sqlparser"
)

// pgSQLSyntaxFuncs maps the functions PostgreSQL's grammar calls for SQL
// syntax to the word the text holds.
var pgSQLSyntaxFuncs = map[string]string{
	"btrim": "trim", "ltrim": "trim", "rtrim": "trim", "extract": "extract", "overlay": "overlay",
	"position": "position", "substring": "substring", "timezone": "", "like_escape": "",
	"similar_to_escape": "", "similar_escape": "", "collation_for": "",
	"pg_collation_for": "", "system_user": "", "normalize": "normalize",
	"is_normalized": "", "xmlexists": "xmlexists", "json_object": "json_object",
}

// pgFuncs returns the names (last component, lower case) of the functions
// a reference statement calls, and the words the text holds for them.
func pgFuncs(n *pg.Node) []string {
	var out []string
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if m.Descriptor().Name() == "FuncCall" {
			fc := m.Interface().(*pg.FuncCall)
			if k := len(fc.Funcname); k > 0 {
				name := strings.ToLower(fc.Funcname[k-1].GetString_().GetSval())
				if w, ok := pgSQLSyntaxFuncs[name]; ok && k > 1 {
					name = w
				}
				if name != "" {
					out = append(out, name)
				}
			}
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
	return out
}

// missingFuncs returns the reference's functions the analyser did not list.
func missingFuncs(got, want []string) []string {
	have := map[string]bool{}
	for _, g := range got {
		if k := strings.LastIndexByte(g, '.'); k >= 0 {
			g = g[k+1:]
		}
		have[strings.Trim(g, `"`)] = true
	}
	var miss []string
	for _, w := range want {
		if !have[w] {
			miss = append(miss, w)
		}
	}
	return miss
}

// callsNow reports statements whose function calls run when they run:
// queries and data-modifying statements, not the definitions of DDL.
func callsNow(n *pg.Node) bool {
	switch n.Node.(type) {
	case *pg.Node_SelectStmt, *pg.Node_InsertStmt, *pg.Node_UpdateStmt, *pg.Node_DeleteStmt, *pg.Node_MergeStmt,
		*pg.Node_ExplainStmt, *pg.Node_CallStmt, *pg.Node_CopyStmt, *pg.Node_VariableSetStmt:
		return true
	}
	return false
}

// mysqlFuncs returns the generic function calls of a vitess statement
// (vitess gives many built-ins node types of their own; those are not
// compared).
func mysqlFuncs(s sqlparser.Statement) []string {
	var out []string
	_ = sqlparser.Walk(func(node sqlparser.SQLNode) (bool, error) {
		if f, ok := node.(*sqlparser.FuncExpr); ok {
			out = append(out, f.Name.Lowered())
		}
		return true, nil
	}, s)
	return out
}

// mysqlCallsNow is callsNow for vitess's statements.
func mysqlCallsNow(s sqlparser.Statement) bool {
	switch s.(type) {
	case *sqlparser.Select, *sqlparser.Union, *sqlparser.Insert, *sqlparser.Update, *sqlparser.Delete,
		*sqlparser.Set, *sqlparser.CallProc:
		return true
	}
	return false
}
