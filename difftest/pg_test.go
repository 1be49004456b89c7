package difftest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

const pgCorpus = "../../shared/sqlcorpus/postgres"

var (
	psqlTrailing = regexp.MustCompile(`(?m)\s\\(gset|gexec|gx|g|crosstabview|gdesc|watch|bind|sendpipeline|syncpipeline|getresults)\b.*$`)
	fromStdin    = regexp.MustCompile(`(?i)\bfrom\s+stdin\b`)
	psqlVar      = regexp.MustCompile(`:'?"?[A-Za-z_][A-Za-z0-9_]*'?"?`)
)

// pgStatements reads the PostgreSQL regression corpus: psql meta-commands
// and COPY data blocks are removed, then the reference scanner splits the
// text into statements.
func pgStatements(tb testing.TB) []string {
	files, err := filepath.Glob(filepath.Join(pgCorpus, "*.sql"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no corpus in %s: %v", pgCorpus, err)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var sb strings.Builder
		lines := strings.Split(string(b), "\n")
		for i := 0; i < len(lines); i++ {
			l := lines[i]
			if strings.HasPrefix(strings.TrimSpace(l), `\`) {
				sb.WriteString(";\n")
				continue
			}
			l = psqlTrailing.ReplaceAllString(l, ";")
			sb.WriteString(l)
			sb.WriteByte('\n')
			if fromStdin.MatchString(l) && strings.HasSuffix(strings.TrimSpace(l), ";") {
				for i++; i < len(lines) && lines[i] != `\.`; i++ {
				}
			}
		}
		stmts, err := pg.SplitWithScanner(sb.String(), true)
		if err != nil {
			continue
		}
		for _, s := range stmts {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// pgKinds maps a reference statement to the kinds the analyser may give.
func pgKinds(n *pg.Node) []sqlparse.Kind {
	K := func(k ...sqlparse.Kind) []sqlparse.Kind { return k }
	switch x := n.Node.(type) {
	case *pg.Node_SelectStmt:
		return K(sqlparse.KindSelect, sqlparse.KindValues, sqlparse.KindTable)
	case *pg.Node_InsertStmt:
		return K(sqlparse.KindInsert)
	case *pg.Node_UpdateStmt:
		return K(sqlparse.KindUpdate)
	case *pg.Node_DeleteStmt:
		return K(sqlparse.KindDelete)
	case *pg.Node_MergeStmt:
		return K(sqlparse.KindMerge)
	case *pg.Node_TruncateStmt:
		return K(sqlparse.KindTruncate)
	case *pg.Node_CommentStmt:
		return K(sqlparse.KindComment)
	case *pg.Node_GrantStmt:
		if x.GrantStmt.IsGrant {
			return K(sqlparse.KindGrant)
		}
		return K(sqlparse.KindRevoke)
	case *pg.Node_GrantRoleStmt:
		if x.GrantRoleStmt.IsGrant {
			return K(sqlparse.KindGrant)
		}
		return K(sqlparse.KindRevoke)
	case *pg.Node_AlterDefaultPrivilegesStmt:
		return K(sqlparse.KindAlter)
	case *pg.Node_CopyStmt:
		return K(sqlparse.KindCopy)
	case *pg.Node_CallStmt:
		return K(sqlparse.KindCall)
	case *pg.Node_DoStmt:
		return K(sqlparse.KindDo)
	case *pg.Node_PrepareStmt:
		return K(sqlparse.KindPrepare)
	case *pg.Node_ExecuteStmt:
		return K(sqlparse.KindExecute)
	case *pg.Node_DeallocateStmt:
		return K(sqlparse.KindDeallocate)
	case *pg.Node_VariableSetStmt:
		if x.VariableSetStmt.Kind == pg.VariableSetKind_VAR_RESET || x.VariableSetStmt.Kind == pg.VariableSetKind_VAR_RESET_ALL {
			return K(sqlparse.KindReset)
		}
		return K(sqlparse.KindSet)
	case *pg.Node_ConstraintsSetStmt:
		return K(sqlparse.KindSet)
	case *pg.Node_VariableShowStmt:
		return K(sqlparse.KindShow)
	case *pg.Node_TransactionStmt:
		switch x.TransactionStmt.Kind {
		case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
			return K(sqlparse.KindBegin)
		case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED:
			return K(sqlparse.KindCommit)
		case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO,
			pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
			return K(sqlparse.KindRollback)
		case pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
			return K(sqlparse.KindSavepoint)
		case pg.TransactionStmtKind_TRANS_STMT_RELEASE:
			return K(sqlparse.KindRelease)
		case pg.TransactionStmtKind_TRANS_STMT_PREPARE:
			return K(sqlparse.KindOther)
		}
	case *pg.Node_ExplainStmt:
		return K(sqlparse.KindExplain)
	case *pg.Node_LockStmt:
		return K(sqlparse.KindLock)
	case *pg.Node_VacuumStmt:
		if x.VacuumStmt.IsVacuumcmd {
			return K(sqlparse.KindVacuum)
		}
		return K(sqlparse.KindAnalyze)
	case *pg.Node_ListenStmt, *pg.Node_UnlistenStmt, *pg.Node_NotifyStmt:
		return K(sqlparse.KindListen)
	case *pg.Node_CheckPointStmt:
		return K(sqlparse.KindCheckpoint)
	case *pg.Node_DiscardStmt:
		return K(sqlparse.KindDiscard)
	case *pg.Node_ReindexStmt:
		return K(sqlparse.KindReindex)
	case *pg.Node_ClusterStmt:
		return K(sqlparse.KindCluster)
	case *pg.Node_RefreshMatViewStmt:
		return K(sqlparse.KindRefresh)
	case *pg.Node_SecLabelStmt:
		return K(sqlparse.KindSecurityLabel)
	case *pg.Node_ImportForeignSchemaStmt:
		return K(sqlparse.KindImport)
	case *pg.Node_LoadStmt, *pg.Node_DeclareCursorStmt, *pg.Node_FetchStmt, *pg.Node_ClosePortalStmt,
		*pg.Node_ReassignOwnedStmt:
		return K(sqlparse.KindOther)
	case *pg.Node_DropStmt, *pg.Node_DropRoleStmt, *pg.Node_DropdbStmt, *pg.Node_DropOwnedStmt,
		*pg.Node_DropTableSpaceStmt, *pg.Node_DropUserMappingStmt, *pg.Node_DropSubscriptionStmt:
		return K(sqlparse.KindDrop)
	case *pg.Node_RenameStmt, *pg.Node_AlterObjectSchemaStmt, *pg.Node_AlterOwnerStmt, *pg.Node_AlterSystemStmt:
		return K(sqlparse.KindAlter)
	case *pg.Node_CreateTableAsStmt, *pg.Node_ViewStmt, *pg.Node_IndexStmt, *pg.Node_DefineStmt,
		*pg.Node_CompositeTypeStmt, *pg.Node_RuleStmt, *pg.Node_CreatedbStmt:
		return K(sqlparse.KindCreate)
	}
	name := fmt.Sprintf("%T", n.Node)
	name = strings.TrimPrefix(name, "*pg_query.Node_")
	switch {
	case strings.HasPrefix(name, "Create"):
		return K(sqlparse.KindCreate)
	case strings.HasPrefix(name, "Alter"):
		return K(sqlparse.KindAlter)
	case strings.HasPrefix(name, "Drop"):
		return K(sqlparse.KindDrop)
	}
	return nil
}

func rv(r *pg.RangeVar) string {
	if r == nil {
		return ""
	}
	if r.Schemaname != "" {
		return r.Schemaname + "." + r.Relname
	}
	return r.Relname
}

func tableLikePG(o pg.ObjectType) bool {
	switch o {
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW,
		pg.ObjectType_OBJECT_SEQUENCE, pg.ObjectType_OBJECT_FOREIGN_TABLE:
		return true
	}
	return false
}

// pgWrites returns the written relations of the reference statement, and
// false when the statement is not in the compared set.
func pgWrites(n *pg.Node) ([]string, bool) {
	var w []string
	add := func(s string) {
		if s != "" {
			w = append(w, s)
		}
	}
	var with func(wc *pg.WithClause)
	var dml func(n *pg.Node) bool
	dml = func(n *pg.Node) bool {
		switch x := n.Node.(type) {
		case *pg.Node_InsertStmt:
			add(rv(x.InsertStmt.Relation))
			with(x.InsertStmt.WithClause)
		case *pg.Node_UpdateStmt:
			add(rv(x.UpdateStmt.Relation))
			with(x.UpdateStmt.WithClause)
		case *pg.Node_DeleteStmt:
			add(rv(x.DeleteStmt.Relation))
			with(x.DeleteStmt.WithClause)
		case *pg.Node_MergeStmt:
			add(rv(x.MergeStmt.Relation))
			with(x.MergeStmt.WithClause)
		case *pg.Node_SelectStmt:
			if x.SelectStmt.IntoClause != nil {
				add(rv(x.SelectStmt.IntoClause.Rel))
			}
			with(x.SelectStmt.WithClause)
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
				dml(cte.Ctequery)
			}
		}
	}
	if dml(n) {
		return w, true
	}
	switch x := n.Node.(type) {
	case *pg.Node_CopyStmt:
		if x.CopyStmt.IsFrom {
			add(rv(x.CopyStmt.Relation))
		}
		if x.CopyStmt.Query != nil {
			dml(x.CopyStmt.Query)
		}
	case *pg.Node_TruncateStmt:
		for _, r := range x.TruncateStmt.Relations {
			add(rv(r.GetRangeVar()))
		}
	case *pg.Node_CreateStmt:
		add(rv(x.CreateStmt.Relation))
	case *pg.Node_CreateTableAsStmt:
		add(rv(x.CreateTableAsStmt.Into.Rel))
	case *pg.Node_ViewStmt:
		add(rv(x.ViewStmt.View))
	case *pg.Node_CreateSeqStmt:
		add(rv(x.CreateSeqStmt.Sequence))
	case *pg.Node_RefreshMatViewStmt:
		add(rv(x.RefreshMatViewStmt.Relation))
	case *pg.Node_DropStmt:
		if !tableLikePG(x.DropStmt.RemoveType) {
			return nil, true
		}
		for _, o := range x.DropStmt.Objects {
			var parts []string
			for _, it := range o.GetList().GetItems() {
				parts = append(parts, it.GetString_().GetSval())
			}
			if len(parts) > 2 {
				parts = parts[len(parts)-2:]
			}
			add(strings.Join(parts, "."))
		}
	case *pg.Node_AlterTableStmt:
		if tableLikePG(x.AlterTableStmt.Objtype) {
			add(rv(x.AlterTableStmt.Relation))
			// ATTACH or DETACH PARTITION p changes p as well.
			for _, c := range x.AlterTableStmt.Cmds {
				if pc := c.GetAlterTableCmd().GetDef().GetPartitionCmd(); pc != nil && pc.Name != nil {
					add(rv(pc.Name))
				}
			}
		}
	case *pg.Node_AlterSeqStmt:
		add(rv(x.AlterSeqStmt.Sequence))
	case *pg.Node_RenameStmt:
		r := x.RenameStmt
		switch {
		case tableLikePG(r.RenameType):
			add(rv(r.Relation))
		case r.RenameType == pg.ObjectType_OBJECT_TABCONSTRAINT,
			r.RenameType == pg.ObjectType_OBJECT_COLUMN && tableLikePG(r.RelationType):
			add(rv(r.Relation))
		}
	case *pg.Node_AlterObjectSchemaStmt:
		if tableLikePG(x.AlterObjectSchemaStmt.ObjectType) {
			add(rv(x.AlterObjectSchemaStmt.Relation))
		}
	default:
		return nil, false
	}
	return w, true
}

// pgWhere returns whether an UPDATE or DELETE has a WHERE clause.
func pgWhere(n *pg.Node) (present, ok bool) {
	switch x := n.Node.(type) {
	case *pg.Node_UpdateStmt:
		return x.UpdateStmt.WhereClause != nil, true
	case *pg.Node_DeleteStmt:
		return x.DeleteStmt.WhereClause != nil, true
	}
	return false, false
}

func TestDiffPostgreSQL(t *testing.T) {
	stmts := pgStatements(t)
	ty := newTally("postgresql")
	for _, q := range stmts {
		res, err := pg.Parse(q)
		if err != nil || len(res.Stmts) != 1 {
			continue
		}
		if psqlVar.MatchString(q) && strings.Contains(q, ":") {
			// May hold a psql variable the reference read as something else.
			if strings.Contains(q, ":'") || strings.Contains(q, ` :`) && !strings.Contains(q, "::") {
				continue
			}
		}
		ty.refOK++
		sc := sqlparse.Analyze(sqlparse.PostgreSQL, q)
		if !sc.Complete {
			ty.reasons[sc.Reason]++
			ty.note("INCOMPLETE\t%s\t%s", sc.Reason, oneLine(q))
			continue
		}
		ty.complete++
		node := res.Stmts[0].Stmt
		if len(sc.Statements) != 1 {
			ty.disagree++
			ty.note("SPLIT\t%d statements\t%s", len(sc.Statements), oneLine(q))
			continue
		}
		st := sc.Statements[0]
		kinds := pgKinds(node)
		if kinds == nil {
			continue
		}
		ty.compared++
		if !kindIn(st.Kind, kinds) {
			ty.disagree++
			ty.note("KIND\tgot %v want %v (%T)\t%s", st.Kind, kinds, node.Node, oneLine(q))
			continue
		}
		if w, ok := pgWrites(node); ok {
			sort.Strings(w)
			want := strings.Join(dedupe(w), ",")
			if got := tableSet(st.Writes); got != want {
				ty.disagree++
				ty.note("WRITES\tgot [%s] want [%s]\t%s", got, want, oneLine(q))
				continue
			}
		}
		if eff, ok := pgEffect(node); ok && !sameEffect(st.Effect, eff) {
			ty.disagree++
			ty.note("EFFECT\tgot %v want %v\t%s", st.Effect, eff, oneLine(q))
			continue
		}
		if r, ctes, ok := pgReads(node); ok {
			if got, want := tableSet(st.Reads), sortedSet(r); got != want && !cteScoped(splitSet(got), splitSet(want), ctes) {
				ty.disagree++
				ty.note("READS\tgot [%s] want [%s]\t%s", got, want, oneLine(q))
				continue
			}
		}
		if miss := missingFuncs(st.Functions, pgFuncs(node)); len(miss) > 0 && callsNow(node) {
			ty.disagree++
			ty.note("FUNCS\tmissing %v (got %v)\t%s", miss, st.Functions, oneLine(q))
			continue
		}
		if why := pgColumnsDisagree(node, st.Columns); why != "" {
			ty.disagree++
			ty.note("COLUMNS\t%s\t%s", why, oneLine(q))
			continue
		}
		if present, ok := pgWhere(node); ok && present != st.Where.Present {
			ty.disagree++
			ty.note("WHERE\tgot %v want %v\t%s", st.Where.Present, present, oneLine(q))
		}
	}
	ty.report(t)
}
