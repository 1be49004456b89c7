package difftest

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// severity orders data effects as the analyser does.
func severity(k sqlparse.Kind) int {
	switch k {
	case sqlparse.KindSelect, sqlparse.KindValues, sqlparse.KindTable, sqlparse.KindExplain:
		return 1
	case sqlparse.KindInsert:
		return 2
	case sqlparse.KindUpdate, sqlparse.KindMerge, sqlparse.KindReplace:
		return 3
	case sqlparse.KindDelete:
		return 4
	}
	return 0
}

func sameEffect(got, want sqlparse.Kind) bool {
	if got == want {
		return true
	}
	return severity(got) == 1 && severity(want) == 1 && got != sqlparse.KindExplain && want != sqlparse.KindExplain
}

// pgEffect returns the most consequential data effect of a reference
// statement: its own, its data-modifying CTEs', or, under EXPLAIN ANALYZE,
// the inner statement's; false when the statement is not in the compared
// set.
func pgEffect(n *pg.Node) (sqlparse.Kind, bool) {
	best := sqlparse.KindUnknown
	raise := func(k sqlparse.Kind) {
		if severity(k) > severity(best) {
			best = k
		}
	}
	var with func(wc *pg.WithClause)
	dml := func(n *pg.Node) bool {
		switch x := n.Node.(type) {
		case *pg.Node_SelectStmt:
			if x.SelectStmt.IntoClause != nil {
				best = sqlparse.KindCreate
				return true
			}
			raise(sqlparse.KindSelect)
			with(x.SelectStmt.WithClause)
		case *pg.Node_InsertStmt:
			raise(sqlparse.KindInsert)
			if oc := x.InsertStmt.OnConflictClause; oc != nil && oc.Action == pg.OnConflictAction_ONCONFLICT_UPDATE {
				raise(sqlparse.KindUpdate)
			}
			with(x.InsertStmt.WithClause)
		case *pg.Node_UpdateStmt:
			raise(sqlparse.KindUpdate)
			with(x.UpdateStmt.WithClause)
		case *pg.Node_DeleteStmt:
			raise(sqlparse.KindDelete)
			with(x.DeleteStmt.WithClause)
		case *pg.Node_MergeStmt:
			raise(sqlparse.KindMerge)
			for _, w := range x.MergeStmt.MergeWhenClauses {
				if w.GetMergeWhenClause().GetCommandType() == pg.CmdType_CMD_DELETE {
					raise(sqlparse.KindDelete)
				}
			}
			with(x.MergeStmt.WithClause)
		default:
			return false
		}
		return true
	}
	with = func(wc *pg.WithClause) {
		if wc == nil {
			return
		}
		for _, c := range wc.Ctes {
			if cte := c.GetCommonTableExpr(); cte != nil && cte.Ctequery != nil {
				if _, ok := cte.Ctequery.Node.(*pg.Node_SelectStmt); ok {
					continue // a plain query: only its own nested WITH could not modify data
				}
				dml(cte.Ctequery)
			}
		}
	}
	if x, ok := n.Node.(*pg.Node_ExplainStmt); ok {
		runs := false
		for _, o := range x.ExplainStmt.Options {
			d := o.GetDefElem()
			if d == nil || !strings.EqualFold(d.Defname, "analyze") {
				continue
			}
			runs = true
			switch a := d.Arg.GetNode().(type) {
			case *pg.Node_Boolean:
				runs = a.Boolean.Boolval
			case *pg.Node_String_:
				v := strings.ToLower(a.String_.Sval)
				runs = v != "false" && v != "off" && v != "0" && v != "no"
			case *pg.Node_Integer:
				runs = a.Integer.Ival != 0
			}
		}
		if !runs {
			return sqlparse.KindExplain, true
		}
		return best, dml(x.ExplainStmt.Query)
	}
	return best, dml(n)
}

// mysqlEffect is pgEffect for vitess's statements.
func mysqlEffect(s sqlparser.Statement) (sqlparse.Kind, bool) {
	switch x := s.(type) {
	case *sqlparser.Select:
		if x.Into != nil && (x.Into.Type == sqlparser.IntoOutfile || x.Into.Type == sqlparser.IntoDumpfile) {
			return sqlparse.KindCopy, true
		}
		return sqlparse.KindSelect, true
	case *sqlparser.Insert:
		if len(x.OnDup) > 0 {
			return sqlparse.KindUpdate, true
		}
		if x.Action == sqlparser.ReplaceAct {
			return sqlparse.KindReplace, true
		}
		return sqlparse.KindInsert, true
	case *sqlparser.Update:
		return sqlparse.KindUpdate, true
	case *sqlparser.Delete:
		return sqlparse.KindDelete, true
	}
	return sqlparse.KindUnknown, false
}
