package sqlparse

// scope is the relations of one FROM clause, for resolving column names.
type scope struct {
	rels []rel
	buf  [2]rel
	// parent is the scope of the enclosing query, for LATERAL and
	// correlated references.
	parent *scope
}

// newScope returns an empty scope under the innermost enclosing one. A
// query's scope is not used once the query is read (its columns are
// copied out), so it is taken back for the next query: a script of many
// short queries allocated one per query.
func (a *analyzer) newScope() *scope {
	sc := a.spare
	if sc == nil {
		return &scope{parent: a.outer}
	}
	a.spare = nil
	*sc = scope{parent: a.outer}
	return sc
}

// add adds r to the scope. Two relations under one name (FROM orders p,
// people p, which SQLite accepts) make a reference through that name
// ambiguous: both become opaque.
func (sc *scope) add(r rel) {
	if sc.rels == nil {
		sc.rels = sc.buf[:0]
	}
	if n := r.name(); n != "" {
		for k := range sc.rels {
			if sc.rels[k].name() == n {
				sc.rels[k].opaque = true
				r.opaque = true
			}
		}
	}
	sc.rels = append(sc.rels, r)
}

// name is what a reference qualifies r's columns with: its alias, or a
// table's own name.
func (r *rel) name() string {
	if r.alias != "" {
		return r.alias
	}
	if !r.derived {
		return r.table.Name
	}
	return ""
}

// rel is one relation of a FROM clause: a table, or a derived table (a
// subquery or a CTE) with its columns.
type rel struct {
	alias   string
	table   Table
	derived bool
	cols    []Column
	// opaque is true when the relation's columns cannot be traced: a
	// function in FROM, a derived table whose columns are unknown, a table
	// or join whose columns an alias list renamed.
	opaque bool
	// anyCol is true when every column of the derived relation, whatever
	// its name, is taken as computed from no column: a recursive CTE's
	// reference to itself in the first reading of its body (see
	// recursiveCols).
	anyCol bool
}

// unsure reports whether a column read from r has no certain lineage.
func (r *rel) unsure() bool { return r.opaque || r.derived && r.cols == nil && !r.anyCol }

// findOuter finds alias in the scopes of the enclosing queries (a
// correlated or LATERAL reference), innermost first.
func (a *analyzer) findOuter(alias string) *rel {
	for o := a.outer; o != nil; o = o.parent {
		if r := o.find(alias); r != nil {
			return r
		}
	}
	return nil
}

func (sc *scope) find(alias string) *rel {
	for k := range sc.rels {
		if sc.rels[k].alias == alias {
			return &sc.rels[k]
		}
	}
	for k := range sc.rels {
		if sc.rels[k].alias == "" && !sc.rels[k].derived && sc.rels[k].table.Name == alias {
			return &sc.rels[k]
		}
	}
	return nil
}

// isClause reports whether token i ends an expression.
func (a *analyzer) isClause(i int) bool {
	if i >= len(a.toks) || a.toks[i].kind != tWord {
		return false
	}
	s := a.text(i)
	if len(s) < 2 || len(s) > 13 {
		return false
	}
	switch s[0] | 0x20 {
	case 'f', 'w', 'g', 'h', 'o', 'l', 'u', 'i', 'e', 'r', 'j', 'c', 'n', 's', 'q':
	default:
		return false
	}
	if !clauseWord(s) {
		return false
	}
	// LEFT(…), RIGHT(…) and SET(…) are functions.
	return !(a.isOp(i+1, "(") && (eqFold(s, "LEFT") || eqFold(s, "RIGHT") || eqFold(s, "SET")))
}

// expr scans an expression from i to the first clause word at depth 0
// (or hi), recording functions and subqueries, and returns where it
// stopped.
func (a *analyzer) expr(i, hi int) int { return a.exprTo(i, hi, false) }

// exprTo is expr that, with comma set, also stops at a comma at depth 0
// (after a join's ON condition, the next table of the FROM list).
func (a *analyzer) exprTo(i, hi int, comma bool) int {
	cases := 0
	for i < hi {
		t := a.toks[i]
		if t.kind == tSemi || comma && t.kind == tOp && a.src[t.pos] == ',' && t.end-t.pos == 1 {
			return i
		}
		if t.kind == tWord {
			switch {
			case a.is(i, "CASE"):
				cases++
			case a.is(i, "END") && cases > 0:
				cases--
			case cases > 0 && a.isAny(i, "WHEN", "THEN", "ELSE"):
			case a.is(i, "FROM") && (a.is(i-1, "DISTINCT") || a.isAny(i-1, "BOTH", "LEADING", "TRAILING")):
			case a.is(i, "GROUP") && a.is(i-1, "WITHIN"):
			case a.is(i, "FOR") && a.is(i-1, "COLLATION"):
			case a.is(i, "FOR") && a.isAny(i+1, "PORTION"):
			case a.isClause(i):
				return i
			}
		}
		i = a.atom(i, hi)
	}
	return i
}

// scanAll scans [lo, hi) for functions and subqueries without regard to
// clauses.
func (a *analyzer) scanAll(lo, hi int) {
	for i := lo; i < hi; {
		i = a.atom(i, hi)
	}
}

// atom handles the token at i inside an expression and returns the index
// after it: a parenthesised subquery or list, a function call, or a
// single token.
func (a *analyzer) atom(i, hi int) int {
	t := a.toks[i]
	switch t.kind {
	case tOp:
		if a.src[t.pos] == '(' && t.end-t.pos == 1 {
			end := a.closeOf(i, hi)
			a.parens(i, end)
			return end + 1
		}
	case tWord, tQIdent:
		if t.kind == tWord && a.isAny(i, "NEXT", "PREVIOUS", "LASTVAL") && a.is(i+1, "VALUE") && a.is(i+2, "FOR") {
			// MariaDB sequences: NEXT VALUE FOR s reads and advances s, as
			// nextval(s) does; PREVIOUS VALUE FOR s only reads it.
			if s, next, ok := a.name(i+3, hi); ok {
				a.read(s)
				if a.is(i, "NEXT") {
					a.function("nextval")
				}
				return next
			}
		}
		if a.isOp(i+1, "(") && !a.isOp(i-1, "::") && (t.kind == tQIdent || !a.isNotFunc(i)) && !a.withinGroup(i-1) {
			a.funcName(i)
		} else if t.kind == tWord && !a.isOp(i-1, ".") && niladicWord(a.text(i)) {
			a.funcName(i)
		} else if a.isOp(i+1, ".") && a.isName(i+2) && a.isOp(i+3, "(") {
			return i + 2
		}
	}
	return i + 1
}

// parens analyses the parenthesised range (open, close).
func (a *analyzer) parens(open, close int) {
	j := open + 1
	switch {
	case a.isQueryParen(open, close):
		a.query(j, close, false)
	case a.isAny(j, "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE") && !a.isOp(j+1, "("):
		a.fail("data-modifying statement in a subquery")
	default:
		if !a.enter() {
			return
		}
		a.scanAll(j, close)
		a.leave()
	}
}

// isQueryParen reports whether the parentheses (open, close) hold a query
// rather than an expression that starts with a parenthesised query.
func (a *analyzer) isQueryParen(open, close int) bool {
	j := open + 1
	for k := 0; k < maxDepth; k++ {
		if a.isAny(j, "SELECT", "WITH", "VALUES", "TABLE") {
			return true
		}
		if !a.isOp(j, "(") {
			return false
		}
		m := a.match(j)
		if m <= j || m >= close {
			return false
		}
		if m+1 != close && !a.isAny(m+1, "UNION", "INTERSECT", "EXCEPT", "ORDER", "LIMIT", "OFFSET", "FETCH") {
			return false
		}
		open, close, j = j, m, j+1
	}
	return false
}

// startsQuery reports whether the parenthesis at i opens a query.
func (a *analyzer) startsQuery(i int) bool {
	for k := 0; k < maxDepth && a.isOp(i, "("); k++ {
		i++
	}
	return a.isAny(i, "SELECT", "WITH", "VALUES", "TABLE")
}

func (a *analyzer) isNotFunc(i int) bool { return notFuncWord(a.text(i)) }

// withinGroup reports whether i starts WITHIN GROUP ( of an ordered-set
// aggregate (percentile_cont(0.5) WITHIN GROUP (ORDER BY x)): the
// parentheses hold the aggregate's ORDER BY, not a call of GROUP.
func (a *analyzer) withinGroup(i int) bool {
	return i >= 0 && a.toks[i].kind == tWord && a.is(i, "WITHIN") && a.is(i+1, "GROUP") && a.isOp(i+2, "(")
}

// funcName records the function called at i (with its qualifier).
func (a *analyzer) funcName(i int) {
	s := a.text(i)
	if a.toks[i].kind == tQIdent {
		s = a.fold(i)
	}
	if i >= 2 && a.isOp(i-1, ".") && a.isName(i-2) {
		start := a.toks[i-2].pos
		if i >= 4 && a.isOp(i-3, ".") && a.isName(i-4) {
			start = a.toks[i-4].pos
		}
		s = a.src[start:a.toks[i].end]
		s = stripSpaceQuotes(s)
	}
	s = lowerASCII(s)
	if s == "set_config" || s == "pg_catalog.set_config" {
		// set_config('standard_conforming_strings', 'off', …) is a SET.
		a.st.LexingSetting = true
	}
	a.function(s)
	if a.isOp(i+1, "(") {
		m := a.match(i + 1)
		if m > i+1 && a.readsNames(i+2, m) {
			a.st.FunctionsOverNames = addSource(a.st.FunctionsOverNames, s)
		}
		if (s == "current_setting" || s == "pg_catalog.current_setting") && !a.builtinSetting(i+2, m) {
			a.st.CustomSetting = true
		}
	}
}

// builtinSetting reports whether the arguments [lo, hi) of current_setting
// name a built-in setting as a plain literal ('server_version_num', with
// an optional missing_ok flag): a custom one holds a dot.
func (a *analyzer) builtinSetting(lo, hi int) bool {
	if lo >= hi || a.toks[lo].kind != tString {
		return false
	}
	v := a.text(lo)
	if len(v) < 2 || v[0] != '\'' {
		return false
	}
	for k := 1; k < len(v)-1; k++ {
		c := v[k]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	switch hi - lo {
	case 1:
		return true
	case 3:
		return a.isOp(lo+1, ",") && a.isAny(lo+2, "TRUE", "FALSE")
	}
	return false
}

// stripSpaceQuotes removes spaces and identifier quotes from a qualified
// name.
func stripSpaceQuotes(s string) string {
	clean := true
	for k := 0; k < len(s); k++ {
		switch s[k] {
		case ' ', '\t', '\n', '\r', '"', '`', '[', ']':
			clean = false
		}
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s))
	for k := 0; k < len(s); k++ {
		switch s[k] {
		case ' ', '\t', '\n', '\r', '"', '`', '[', ']':
		default:
			b = append(b, s[k])
		}
	}
	return string(b)
}

// query analyses a query expression in [lo, hi): WITH, SELECT cores,
// VALUES, TABLE, set operations, ORDER BY, LIMIT. It returns the output
// columns when wantCols is set and they are known.
func (a *analyzer) query(lo, hi int, wantCols bool) []Column {
	if !a.enter() {
		return nil
	}
	defer a.leave()
	nctes := len(a.ctes)
	defer func() { a.ctes = a.ctes[:nctes] }()
	i := lo
	if a.is(i, "WITH") {
		i = a.with(i, hi)
	}
	var cols []Column
	branch := 0
	known := wantCols
	for i < hi {
		switch {
		case a.isOp(i, "("):
			end := a.closeOf(i, hi)
			if !a.startsQuery(i + 1) {
				a.fail(reasonConstuct)
				return nil
			}
			c := a.query(i+1, end, wantCols && known)
			cols, known = mergeCols(cols, c, branch, known)
			branch++
			i = end + 1
		case a.is(i, "SELECT"):
			var c []Column
			i, c = a.selectCore(i, hi, wantCols && known)
			cols, known = mergeCols(cols, c, branch, known)
			branch++
		case a.is(i, "VALUES"):
			i = a.valuesList(i+1, hi)
			known = false
			branch++
		case a.is(i, "TABLE"):
			t, next, ok := a.name(i+1, hi)
			if !ok {
				a.fail(reasonConstuct)
				return nil
			}
			a.read(t)
			if a.is(next, "ONLY") {
				a.fail(reasonConstuct)
			}
			known = false
			branch++
			i = next
		case a.isAny(i, "UNION", "INTERSECT", "EXCEPT", "MINUS"):
			i++
			if a.isAny(i, "ALL", "DISTINCT") {
				i++
			}
		case a.isAny(i, "ORDER", "LIMIT", "OFFSET", "FETCH", "FOR", "LOCK"):
			i = a.expr(i+1, hi)
		case a.is(i, "INTO") && a.d == MySQL:
			i = a.into(i, hi)
		default:
			a.fail(reasonConstuct)
			return nil
		}
	}
	if !known {
		return nil
	}
	return cols
}

// valuesList scans VALUES rows.
func (a *analyzer) valuesList(i, hi int) int {
	for i < hi {
		if a.is(i, "ROW") {
			i++
		}
		if !a.isOp(i, "(") {
			a.fail(reasonConstuct)
			return hi
		}
		end := a.closeOf(i, hi)
		a.scanAll(i+1, end)
		i = end + 1
		if !a.isOp(i, ",") {
			return i
		}
		i++
	}
	return i
}

// mergeCols merges the columns of a set-operation branch into the first
// branch's: sources add up position by position.
func mergeCols(cols, c []Column, branch int, known bool) ([]Column, bool) {
	if !known || c == nil {
		return nil, false
	}
	if branch == 0 {
		return c, true
	}
	if len(c) != len(cols) {
		return nil, false
	}
	for k := range cols {
		if c[k].Star || cols[k].Star {
			return nil, false
		}
		for _, s := range c[k].Sources {
			cols[k].Sources = addSource(cols[k].Sources, s)
		}
		if len(c[k].Sources) > 0 || c[k].Expr {
			cols[k].Expr = cols[k].Expr || c[k].Expr || len(cols[k].Sources) > 1
		}
	}
	return cols, true
}

func addSource(list []string, s string) []string {
	if len(list) >= maxNames {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// selectCore reads SELECT … up to a set operation or the end, returning
// the index after it and its columns.
func (a *analyzer) selectCore(i, hi int, wantCols bool) (int, []Column) {
	i++
	for a.isAny(i, "ALL", "DISTINCT", "DISTINCTROW", "HIGH_PRIORITY", "STRAIGHT_JOIN", "SQL_SMALL_RESULT",
		"SQL_BIG_RESULT", "SQL_BUFFER_RESULT", "SQL_NO_CACHE", "SQL_CACHE", "SQL_CALC_FOUND_ROWS") {
		i++
		if a.is(i-1, "DISTINCT") && a.is(i, "ON") && a.isOp(i+1, "(") {
			end := a.closeOf(i+1, hi)
			a.scanAll(i+2, end)
			i = end + 1
		}
	}
	listLo := i
	listHi := a.expr(i, hi)
	// The FROM list's own LATERAL items and the subqueries of this query
	// see sc as an enclosing scope.
	sc := a.newScope()
	a.outer = sc
	defer func() {
		a.outer = sc.parent
		a.spare = sc
	}()
	i = listHi
	for i < hi {
		switch {
		case a.is(i, "INTO"):
			i = a.into(i, hi)
		case a.is(i, "FROM"):
			i = a.tableList(i+1, hi, sc, false)
		case a.isAny(i, "WHERE", "HAVING", "QUALIFY"):
			i = a.expr(i+1, hi)
		case a.is(i, "GROUP") && a.is(i+1, "BY"), a.is(i, "ORDER") && a.is(i+1, "BY"):
			i = a.expr(i+2, hi)
		case a.is(i, "WINDOW"):
			i = a.expr(i+1, hi)
		case a.isAny(i, "UNION", "INTERSECT", "EXCEPT", "MINUS", "LIMIT", "OFFSET", "FETCH", "FOR", "LOCK"):
			// Set operations and what follows belong to the query.
			goto done
		default:
			a.fail(reasonConstuct)
			return hi, nil
		}
	}
done:
	if !wantCols {
		a.scanAll(listLo, listHi)
		return i, nil
	}
	// columns scans the list for functions and subqueries as well.
	return i, a.columns(listLo, listHi, sc)
}

// into reads SELECT … INTO: a new table (PostgreSQL), variables or a file
// (MySQL).
func (a *analyzer) into(i, hi int) int {
	i++
	switch a.d {
	case MySQL:
		if a.isAny(i, "OUTFILE", "DUMPFILE") {
			a.st.IntoFile = true
			a.st.Effect = KindCopy
		} else {
			a.st.IntoVariables = true
		}
		j := a.expr(i, hi)
		for a.is(j, "SET") && a.is(j-1, "CHARACTER") {
			j = a.expr(j+1, hi)
		}
		return j
	case PostgreSQL:
		if a.depth > a.stmtDepth+1 || a.st.Kind != KindSelect {
			// PostgreSQL accepts SELECT INTO only as a statement of its own.
			a.fail("SELECT INTO inside another statement")
		}
		for a.isAny(i, "TEMPORARY", "TEMP", "UNLOGGED", "TABLE", "LOCAL", "GLOBAL") {
			i++
		}
		t, next, ok := a.name(i, hi)
		if !ok {
			a.fail(reasonConstuct)
			return hi
		}
		a.write(t)
		a.st.Effect = KindCreate
		a.st.Object = ObjectTable
		return next
	}
	a.fail(reasonConstuct)
	return hi
}

// joinWords introduce the next table of a join.
func (a *analyzer) joinStart(i int) (int, bool) {
	j := i
	for k := 0; k < 4 && a.isAny(j, "NATURAL", "LEFT", "RIGHT", "FULL", "INNER", "CROSS", "OUTER", "SEMI", "ANTI"); k++ {
		j++
	}
	if a.is(j, "JOIN") || a.is(j, "STRAIGHT_JOIN") {
		return j + 1, true
	}
	if j > i && a.is(j, "APPLY") {
		a.fail(reasonConstuct)
	}
	return i, false
}

// tableList reads a FROM list (table references and joins) and returns the
// index after it. With write set, the tables named are written.
func (a *analyzer) tableList(i, hi int, sc *scope, write bool) int {
	for i < hi {
		i = a.tableRef(i, hi, sc, write)
		for {
			if j, ok := a.joinStart(i); ok {
				i = a.tableRef(j, hi, sc, write)
				continue
			}
			if a.is(i, "ON") {
				i = a.exprTo(i+1, hi, true)
				continue
			}
			if a.is(i, "USING") && a.isOp(i+1, "(") {
				i = a.closeOf(i+1, hi) + 1
				if a.is(i, "AS") && a.isName(i+1) {
					// A join alias names the merged columns only.
					sc.add(rel{alias: a.fold(i + 1), derived: true, opaque: true})
					i += 2
				}
				continue
			}
			break
		}
		if !a.isOp(i, ",") {
			return i
		}
		i++
	}
	return i
}

// tableRef reads one table reference: a name, a subquery, a table function
// or a parenthesised join, with its alias.
func (a *analyzer) tableRef(i, hi int, sc *scope, write bool) int {
	lateral := a.is(i, "LATERAL")
	if lateral {
		i++
	}
	if a.is(i, "ONLY") && a.d == PostgreSQL {
		i++
		if a.isOp(i, "(") {
			end := a.closeOf(i, hi)
			a.tableRef(i+1, end, sc, write)
			return a.alias(end+1, hi, nil)
		}
	}
	switch {
	case i >= hi:
		a.fail(reasonConstuct)
		return hi
	case a.isOp(i, "("):
		end := a.closeOf(i, hi)
		if a.isQueryParen(i, end) {
			if write {
				a.fail("derived table as a write target")
			}
			// A subquery in FROM sees the FROM items before it only
			// under LATERAL; otherwise only the enclosing queries'.
			outer := a.outer
			if !lateral && outer == sc {
				a.outer = sc.parent
			}
			cols := a.query(i+1, end, true)
			a.outer = outer
			r := rel{derived: true, cols: cols}
			next := a.alias(end+1, hi, &r)
			sc.add(r)
			return next
		}
		// A parenthesised join.
		inner := a.tableList(i+1, end, sc, write)
		if inner != end {
			a.fail(reasonConstuct)
		}
		r := rel{derived: true, opaque: true}
		next := a.alias(end+1, hi, &r)
		if r.alias != "" {
			// An alias hides the join's tables, and an alias list renames
			// its columns: what it names cannot be traced.
			sc.add(r)
		}
		return next
	case a.is(i, "ROWS") && a.is(i+1, "FROM") && a.isOp(i+2, "(") && a.d == PostgreSQL:
		end := a.closeOf(i+2, hi)
		a.scanAll(i+3, end)
		next := end + 1
		if a.is(next, "WITH") && a.is(next+1, "ORDINALITY") {
			next += 2
		}
		r := rel{derived: true, opaque: true}
		next = a.alias(next, hi, &r)
		sc.add(r)
		return next
	case a.isName(i):
		t, next, _ := a.name(i, hi)
		for k := i; k < next; k++ {
			a.toks[k].bits |= markRel
		}
		if a.isOp(next, "(") {
			// A table function.
			if write {
				a.fail(reasonConstuct)
			}
			a.funcName(next - 1)
			end := a.closeOf(next, hi)
			a.scanAll(next+1, end)
			next = end + 1
			if a.is(next, "WITH") && a.is(next+1, "ORDINALITY") {
				next += 2
			}
			// Its columns come from its arguments, or, for a function
			// the user defined, from any table: their lineage is unknown.
			r := rel{derived: true, opaque: true}
			next = a.alias(next, hi, &r)
			sc.add(r)
			return next
		}
		if a.isOp(next, "*") {
			next++
		}
		r := rel{table: t}
		if t.Schema == "" {
			for k := len(a.ctes) - 1; k >= 0; k-- {
				if a.ctes[k].name == t.Name {
					r.derived = true
					r.cols = a.ctes[k].cols
					r.anyCol = a.ctes[k].any
					r.alias = t.Name
					break
				}
			}
		}
		if write {
			if r.derived {
				a.fail("CTE as a write target")
			}
			a.write(t)
		} else if !r.derived {
			a.read(t)
		}
		next = a.alias(next, hi, &r)
		sc.add(r)
		return next
	default:
		a.fail(reasonConstuct)
		return hi
	}
}

// alias reads an optional [AS] alias [(columns)] and the table options a
// reference may carry, and returns the index after them.
func (a *analyzer) alias(i, hi int, r *rel) int {
	i = a.tableOpts(i, hi)
	if i < hi && a.is(i, "AS") {
		i++
		if a.isName(i) {
			if r != nil {
				r.alias = a.fold(i)
			}
			a.toks[i].bits |= markRel
			i++
		} else {
			a.fail(reasonConstuct)
		}
	} else if i < hi && (a.toks[i].kind == tQIdent || a.toks[i].kind == tWord && !aliasStopWord(a.text(i))) {
		if r != nil {
			r.alias = a.fold(i)
		}
		a.toks[i].bits |= markRel
		i++
	}
	if a.isOp(i, "(") {
		end := a.closeOf(i, hi)
		if r != nil {
			if r.derived && !r.opaque && r.cols != nil {
				// The list renames the columns by position.
				r.cols = a.renameCols(r.cols, i+1, end)
			}
			if r.cols == nil && !r.anyCol || !r.derived {
				r.opaque = true // a table's columns in an order not known here
			}
		}
		i = end + 1
	}
	return a.tableOpts(i, hi)
}

// tableOpts skips the options a table reference may carry: TABLESAMPLE,
// index hints, partitions.
func (a *analyzer) tableOpts(i, hi int) int {
	for i < hi {
		switch {
		case a.is(i, "TABLESAMPLE"):
			i++
			if a.isName(i) {
				i++
			}
			if a.isOp(i, "(") {
				i = a.closeOf(i, hi) + 1
			}
			if a.is(i, "REPEATABLE") && a.isOp(i+1, "(") {
				i = a.closeOf(i+1, hi) + 1
			}
		case a.d == MySQL && a.isAny(i, "USE", "FORCE", "IGNORE") && a.isAny(i+1, "INDEX", "KEY"):
			i += 2
			if a.is(i, "FOR") {
				i += 2
				if a.is(i, "BY") {
					i++
				}
			}
			if a.isOp(i, "(") {
				i = a.closeOf(i, hi) + 1
			}
		case a.d == MySQL && a.is(i, "PARTITION") && a.isOp(i+1, "("):
			i = a.closeOf(i+1, hi) + 1
		case a.d == SQLite && a.is(i, "INDEXED") && a.is(i+1, "BY"):
			i += 3
		case a.d == SQLite && a.is(i, "NOT") && a.is(i+1, "INDEXED"):
			i += 2
		default:
			return i
		}
	}
	return i
}

// renameCols returns a copy of cols renamed by the column alias list in
// [lo, hi) (name, name, …), in order: nil when the list cannot be mapped
// (more names than columns, a star whose width is unknown, a malformed
// list). Columns past the list keep their names.
func (a *analyzer) renameCols(cols []Column, lo, hi int) []Column {
	for k := range cols {
		if cols[k].Star {
			return nil
		}
	}
	out := make([]Column, len(cols))
	copy(out, cols)
	n := 0
	for i := lo; i < hi; i++ {
		if !a.isName(i) || n >= len(out) {
			return nil
		}
		out[n].Name = a.fold(i)
		n++
		if i+1 < hi && !a.isOp(i+1, ",") {
			return nil
		}
		i++
	}
	if n == 0 {
		return nil
	}
	return out
}
