package difftest

import (
	"bufio"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// vitessDir finds vitess's sqlparser directory in the module cache.
func vitessDir(tb testing.TB) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "vitess.io/vitess").Output()
	if err != nil {
		tb.Fatalf("go list vitess: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "go", "vt", "sqlparser")
}

// vitessOnly matches vitess's own statements and syntax, which MySQL does
// not know.
var vitessOnly = regexp.MustCompile(`(?i)\b(vschema|vitess_migration|vindex|vexplain|vstream|vitess_\w+|vgtid_executed|keyspaces|vitess_shards)\b|\bshow\s+vitess|outfile\s+s3\b`)

var goInput = regexp.MustCompile("input:\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`)")

// mysqlStatements reads vitess's MySQL corpora: the INPUT blocks of
// select_cases.txt and union_cases.txt, django_queries.txt, lobsters.sql.gz
// and the inputs of parse_test.go.
func mysqlStatements(tb testing.TB) []string {
	dir := vitessDir(tb)
	var out []string
	for _, f := range []string{"select_cases.txt", "union_cases.txt"} {
		b, err := os.ReadFile(filepath.Join(dir, "testdata", f))
		if err != nil {
			tb.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for i := 0; i < len(lines); i++ {
			if lines[i] != "INPUT" {
				continue
			}
			var q []string
			for i++; i < len(lines) && lines[i] != "END"; i++ {
				q = append(q, lines[i])
			}
			out = append(out, strings.TrimSuffix(strings.TrimSpace(strings.Join(q, "\n")), ";"))
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "testdata", "django_queries.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	f, err := os.Open(filepath.Join(dir, "testdata", "lobsters.sql.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "parse_test.go")); err == nil {
		for _, m := range goInput.FindAllStringSubmatch(string(b), -1) {
			if s, err := strconv.Unquote(m[1]); err == nil && strings.TrimSpace(s) != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func mysqlKinds(s sqlparser.Statement) []sqlparse.Kind {
	K := func(k ...sqlparse.Kind) []sqlparse.Kind { return k }
	switch x := s.(type) {
	case *sqlparser.Select, *sqlparser.Union:
		return K(sqlparse.KindSelect, sqlparse.KindValues, sqlparse.KindTable)
	case *sqlparser.ValuesStatement:
		return K(sqlparse.KindValues, sqlparse.KindSelect)
	case *sqlparser.Insert:
		if x.Action == sqlparser.ReplaceAct {
			return K(sqlparse.KindReplace)
		}
		return K(sqlparse.KindInsert)
	case *sqlparser.Update:
		return K(sqlparse.KindUpdate)
	case *sqlparser.Delete:
		return K(sqlparse.KindDelete)
	case *sqlparser.Set:
		return K(sqlparse.KindSet)
	case *sqlparser.CreateDatabase, *sqlparser.CreateTable, *sqlparser.CreateView, *sqlparser.CreateProcedure:
		return K(sqlparse.KindCreate)
	case *sqlparser.AlterTable:
		// vitess reads CREATE INDEX and DROP INDEX as ALTER TABLE.
		return K(sqlparse.KindAlter, sqlparse.KindCreate, sqlparse.KindDrop)
	case *sqlparser.AlterDatabase, *sqlparser.AlterView:
		return K(sqlparse.KindAlter)
	case *sqlparser.DropDatabase, *sqlparser.DropTable, *sqlparser.DropView, *sqlparser.DropProcedure:
		return K(sqlparse.KindDrop)
	case *sqlparser.TruncateTable:
		return K(sqlparse.KindTruncate)
	case *sqlparser.RenameTable:
		return K(sqlparse.KindRename)
	case *sqlparser.Flush, *sqlparser.Kill, *sqlparser.PurgeBinaryLogs:
		return K(sqlparse.KindFlush)
	case *sqlparser.OtherAdmin:
		// vitess files DO and the table maintenance statements here.
		return K(sqlparse.KindFlush, sqlparse.KindDo)
	case *sqlparser.Show:
		return K(sqlparse.KindShow)
	case *sqlparser.Use:
		return K(sqlparse.KindUse)
	case *sqlparser.Begin:
		return K(sqlparse.KindBegin)
	case *sqlparser.Commit:
		return K(sqlparse.KindCommit)
	case *sqlparser.Rollback, *sqlparser.SRollback:
		return K(sqlparse.KindRollback)
	case *sqlparser.Savepoint:
		return K(sqlparse.KindSavepoint)
	case *sqlparser.Release:
		return K(sqlparse.KindRelease)
	case *sqlparser.Analyze:
		return K(sqlparse.KindAnalyze)
	case *sqlparser.Load:
		return K(sqlparse.KindLoadData)
	case *sqlparser.LockTables:
		return K(sqlparse.KindLock)
	case *sqlparser.UnlockTables:
		return K(sqlparse.KindUnlock)
	case *sqlparser.CallProc:
		return K(sqlparse.KindCall)
	case *sqlparser.ExplainStmt, *sqlparser.ExplainTab:
		return K(sqlparse.KindExplain)
	case *sqlparser.PrepareStmt:
		return K(sqlparse.KindPrepare)
	case *sqlparser.ExecuteStmt:
		return K(sqlparse.KindExecute)
	case *sqlparser.DeallocateStmt:
		return K(sqlparse.KindDeallocate)
	}
	return nil
}

func tn(t sqlparser.TableName) string {
	if q := t.Qualifier.String(); q != "" {
		return q + "." + t.Name.String()
	}
	return t.Name.String()
}

// baseTables lists the tables of table expressions, with their aliases.
func baseTables(exprs []sqlparser.TableExpr, alias map[string]string) []string {
	var out []string
	var walk func(e sqlparser.TableExpr)
	walk = func(e sqlparser.TableExpr) {
		switch x := e.(type) {
		case *sqlparser.AliasedTableExpr:
			if t, ok := x.Expr.(sqlparser.TableName); ok {
				out = append(out, tn(t))
				if alias != nil {
					if a := x.As.String(); a != "" {
						alias[a] = tn(t)
					} else {
						alias[t.Name.String()] = tn(t)
					}
				}
			}
		case *sqlparser.JoinTableExpr:
			walk(x.LeftExpr)
			walk(x.RightExpr)
		case *sqlparser.ParenTableExpr:
			for _, y := range x.Exprs {
				walk(y)
			}
		}
	}
	for _, e := range exprs {
		walk(e)
	}
	return out
}

// mysqlWrites returns the written tables of the reference statement, and
// false when the statement is not in the compared set.
func mysqlWrites(s sqlparser.Statement) ([]string, bool) {
	switch x := s.(type) {
	case *sqlparser.Select, *sqlparser.Union:
		return nil, true
	case *sqlparser.Insert:
		if t, ok := x.Table.Expr.(sqlparser.TableName); ok {
			return []string{tn(t)}, true
		}
		return nil, false
	case *sqlparser.Update:
		return baseTables(x.TableExprs, nil), true
	case *sqlparser.Delete:
		if len(x.Targets) == 0 {
			return baseTables(x.TableExprs, nil), true
		}
		alias := map[string]string{}
		baseTables(x.TableExprs, alias)
		var w []string
		for _, t := range x.Targets {
			if t.Qualifier.String() == "" {
				if r, ok := alias[t.Name.String()]; ok {
					w = append(w, r)
					continue
				}
			}
			w = append(w, tn(t))
		}
		return w, true
	case *sqlparser.CreateTable:
		return []string{tn(x.Table)}, true
	case *sqlparser.AlterTable:
		w := []string{tn(x.Table)}
		// EXCHANGE PARTITION … WITH TABLE t moves t's rows: it writes t.
		if ps := x.PartitionSpec; ps != nil && ps.Action == sqlparser.ExchangeAction && !ps.TableName.IsEmpty() {
			w = append(w, tn(ps.TableName))
		}
		return w, true
	case *sqlparser.DropTable:
		var w []string
		for _, t := range x.FromTables {
			w = append(w, tn(t))
		}
		return w, true
	case *sqlparser.TruncateTable:
		return []string{tn(x.Table)}, true
	case *sqlparser.RenameTable:
		var w []string
		for _, p := range x.TablePairs {
			w = append(w, tn(p.FromTable), tn(p.ToTable))
		}
		return w, true
	case *sqlparser.CreateView:
		return []string{tn(x.ViewName)}, true
	case *sqlparser.AlterView:
		return []string{tn(x.ViewName)}, true
	case *sqlparser.DropView:
		var w []string
		for _, t := range x.FromTables {
			w = append(w, tn(t))
		}
		return w, true
	}
	return nil, false
}

func mysqlWhere(s sqlparser.Statement) (present, ok bool) {
	switch x := s.(type) {
	case *sqlparser.Update:
		return x.Where != nil, true
	case *sqlparser.Delete:
		return x.Where != nil, true
	}
	return false, false
}

func TestDiffMySQL(t *testing.T) {
	parser, err := sqlparser.New(sqlparser.Options{MySQLServerVersion: "8.0.40"})
	if err != nil {
		t.Fatal(err)
	}
	stmts := mysqlStatements(t)
	ty := newTally("mysql")
	seen := map[string]bool{}
	for _, q := range stmts {
		if seen[q] {
			continue
		}
		seen[q] = true
		if vitessOnly.MatchString(q) {
			continue
		}
		ref, err := parser.ParseStrictDDL(q)
		if err != nil {
			continue
		}
		if _, ok := ref.(*sqlparser.CommentOnly); ok {
			continue
		}
		ty.refOK++
		sc := sqlparse.Analyze(sqlparse.MySQL, q)
		if !sc.Complete {
			ty.reasons[sc.Reason]++
			ty.note("INCOMPLETE\t%s\t%s", sc.Reason, oneLine(q))
			continue
		}
		ty.complete++
		if len(sc.Statements) != 1 {
			ty.disagree++
			ty.note("SPLIT\t%d statements\t%s", len(sc.Statements), oneLine(q))
			continue
		}
		st := sc.Statements[0]
		kinds := mysqlKinds(ref)
		if kinds == nil {
			continue
		}
		ty.compared++
		if !kindIn(st.Kind, kinds) {
			ty.disagree++
			ty.note("KIND\tgot %v want %v (%T)\t%s", st.Kind, kinds, ref, oneLine(q))
			continue
		}
		if w, ok := mysqlWrites(ref); ok {
			sort.Strings(w)
			want := strings.Join(dedupe(w), ",")
			if got := tableSet(st.Writes); got != want {
				ty.disagree++
				ty.note("WRITES\tgot [%s] want [%s]\t%s", got, want, oneLine(q))
				continue
			}
		}
		if eff, ok := mysqlEffect(ref); ok && !sameEffect(st.Effect, eff) {
			ty.disagree++
			ty.note("EFFECT\tgot %v want %v\t%s", st.Effect, eff, oneLine(q))
			continue
		}
		if r, ok := mysqlReads(ref); ok && !nestedWith.MatchString(q) {
			if got, want := tableSet(st.Reads), sortedSet(r); got != want {
				ty.disagree++
				ty.note("READS\tgot [%s] want [%s]\t%s", got, want, oneLine(q))
				continue
			}
		}
		if miss := missingFuncs(st.Functions, mysqlFuncs(ref)); len(miss) > 0 && mysqlCallsNow(ref) {
			ty.disagree++
			ty.note("FUNCS\tmissing %v (got %v)\t%s", miss, st.Functions, oneLine(q))
			continue
		}
		if why := mysqlColumnsDisagree(ref, st.Columns); why != "" {
			ty.disagree++
			ty.note("COLUMNS\t%s\t%s", why, oneLine(q))
			continue
		}
		if present, ok := mysqlWhere(ref); ok && present != st.Where.Present {
			ty.disagree++
			ty.note("WHERE\tgot %v want %v\t%s", st.Where.Present, present, oneLine(q))
		}
	}
	ty.report(t)
}
