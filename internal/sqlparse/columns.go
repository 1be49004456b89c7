package sqlparse

// noAlias lists words that end an expression without naming it.
var noAlias = [...]string{
	"END", "NULL", "TRUE", "FALSE", "UNKNOWN", "ZONE", "DESC", "ASC", "FIRST", "LAST",
	"PRECEDING", "FOLLOWING", "ROW", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP",
	"CURRENT_USER", "SESSION_USER", "LOCALTIME", "LOCALTIMESTAMP", "USER", "DEFAULT",
}

// columns computes the lineage of a SELECT (or RETURNING) list in
// [lo, hi). It returns nil when some item cannot be traced.
func (a *analyzer) columns(lo, hi int, sc *scope) []Column {
	if lo >= hi {
		return nil
	}
	n := 1
	for i := lo; i < hi; i++ {
		if m := a.match(i); m > i {
			i = int(m)
			continue
		}
		if a.isOp(i, ",") {
			n++
		}
	}
	cols := make([]Column, 0, n)
	known := true
	prevUnsure := a.colUnsure
	a.colUnsure = false
	defer func() { a.colUnsure = prevUnsure }()
	a.commaItems(lo, hi, func(start, end int) {
		var ok bool
		cols, ok = a.item(start, end, sc, cols)
		known = known && ok
	})
	if !known || a.colUnsure {
		return nil
	}
	return cols
}

// commaItems calls f with the bounds [start, end) of each comma-separated
// item of [lo, hi), skipping over bracketed groups: select items, SET
// assignments, the values of a VALUES row.
func (a *analyzer) commaItems(lo, hi int, f func(start, end int)) {
	start := lo
	for i := lo; i <= hi; i++ {
		if i < hi {
			if m := a.match(i); m > i {
				i = int(m)
				continue
			}
			if !a.isOp(i, ",") {
				continue
			}
		}
		f(start, i)
		start = i + 1
	}
}

// item appends the lineage of the select item [lo, hi).
func (a *analyzer) item(lo, hi int, sc *scope, cols []Column) ([]Column, bool) {
	if lo >= hi {
		return cols, false
	}
	// * and t.*
	if a.isOp(hi-1, "*") && (hi-lo == 1 || hi-lo >= 3 && a.isOp(hi-2, ".")) {
		if hi-lo == 1 {
			if len(sc.rels) == 0 {
				return append(cols, Column{Star: true}), true
			}
			for k := range sc.rels {
				cols = a.starOf(&sc.rels[k], cols)
			}
			return cols, true
		}
		t, next, ok := a.name(lo, hi-2)
		if !ok || next != hi-2 {
			return cols, false
		}
		if t.Schema == "" {
			r := sc.find(t.Name)
			if r == nil {
				r = a.findOuter(t.Name) // SELECT p.* in a LATERAL subquery
			}
			if r != nil {
				return a.starOf(r, cols), true
			}
		}
		return append(cols, Column{Star: true, StarTable: t.String()}), true
	}
	prevMode := a.colMode
	a.colMode = true
	defer func() { a.colMode = prevMode }()
	c := Column{}
	exprHi := hi
	if hi-lo >= 3 && a.is(hi-2, "AS") && a.isName(hi-1) {
		c.Name = a.fold(hi - 1)
		exprHi = hi - 2
		a.toks[hi-1].bits |= markAlias
	} else if hi-lo >= 2 && a.isName(hi-1) && a.implicitAlias(hi-1) {
		c.Name = a.fold(hi - 1)
		exprHi = hi - 1
		a.toks[hi-1].bits |= markAlias
	} else if name, ok := a.stringAlias(lo, hi); ok {
		c.Name = name
		exprHi = hi - 1
		if a.is(hi-2, "AS") {
			exprHi--
		}
	}
	return a.value(c, lo, exprHi, sc, cols)
}

// value appends c with the lineage of the expression [lo, exprHi).
func (a *analyzer) value(c Column, lo, exprHi int, sc *scope, cols []Column) ([]Column, bool) {
	if lo >= exprHi {
		return cols, false
	}
	prevMode := a.colMode
	a.colMode = true
	defer func() { a.colMode = prevMode }()
	// (a.b) is the bare column a.b.
	bareLo, bareHi := lo, exprHi
	for bareHi-bareLo >= 3 && a.isOp(bareLo, "(") && a.match(bareLo) == bareHi-1 {
		bareLo++
		bareHi--
	}
	// A bare column reference.
	if t, next, ok := a.name(bareLo, bareHi); ok && next == bareHi && !a.isExprWord(bareLo) &&
		!(a.toks[bareLo].kind == tWord && niladicWord(a.text(bareLo))) {
		if c.Name == "" {
			c.Name = t.Name
		}
		var local [2]string
		srcs := a.resolve(t, sc, local[:0])
		c.Expr = derivedExpr(t, sc)
		if a.wholeRow(t, sc) {
			// SELECT p FROM people p: every column of the row, in one value.
			var ok bool
			if srcs, ok = a.rowSources(t.Name, sc, srcs); !ok {
				return cols, false
			}
			c.Expr = true
		}
		c.Sources = a.keepSources(srcs)
		return append(cols, c), true
	}
	c.Expr = true
	ok := true
	// The sources gather in a local array, copied out by keepSources: a
	// slice of it held in c would make the compiler move it to the heap
	// (c is appended to cols), one allocation per column.
	var local [4]string
	srcs := local[:0]
	for i := lo; i < exprHi; i++ {
		t := a.toks[i]
		switch t.kind {
		case tOp:
			m := a.match(i)
			if m > i && a.isAny(i+1, "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE") && !a.isOp(i+2, "(") {
				a.fail("data-modifying statement in a subquery")
			}
			if m > i && m < exprHi && a.isQueryParen(i, m) && a.is(i-1, "EXISTS") && a.toks[i-1].kind == tWord {
				// EXISTS (…) is true or false by whether the subquery
				// yields a row: none of its output values reaches the
				// result (what its WHERE lets one infer is a predicate's).
				a.query(i+1, m, false)
				i = m
				continue
			}
			if m > i && m < exprHi && a.isQueryParen(i, m) {
				sub := a.query(i+1, m, true)
				if sub == nil {
					ok = false
				}
				for _, sub := range sub {
					if sub.Star {
						ok = false
					}
					for _, s := range sub.Sources {
						srcs = addSource(srcs, s)
					}
				}
				i = m
			}
		case tVar:
			// A MySQL user variable holds whatever was stored in it: a
			// value read from any column (SELECT email INTO @x).
			if s := a.text(i); len(s) > 1 && s[1] != '@' {
				ok = false
			}
		case tDQ:
			// A string by default, a column under ANSI_QUOTES: count it as
			// a possible source.
			if s := a.text(i); plainBody(s[1 : len(s)-1]) {
				srcs = a.resolve(Table{Name: s[1 : len(s)-1]}, sc, srcs)
			}
		case tWord, tQIdent:
			if a.isOp(i-1, ".") || a.isOp(i-1, "::") {
				continue
			}
			if a.withinGroup(i) {
				i++ // WITHIN GROUP: the ORDER BY in the parentheses follows
				continue
			}
			if t.kind == tWord && a.isExprWord(i) {
				if operatorOrColumn(a.text(i)) && !a.isOp(i+1, "(") && !a.isOp(i+1, "[") {
					// MOD, DIV, ESCAPE… are operators in one place and
					// column names in another: count the column.
					srcs = a.resolve(Table{Name: a.fold(i)}, sc, srcs)
				}
				continue
			}
			if a.is(i-1, "AS") && a.isCastAs(i-1) {
				continue
			}
			ref, next, _ := a.name(i, exprHi)
			if a.isOp(next, "(") {
				if a.toks[next-1].kind == tWord && !a.isNotFunc(next-1) {
					a.funcName(next - 1)
					if !valueFunction(a.d, ref) && !storedValueFunction(a.d, ref) {
						ok = false // a user's function may read any table
					}
				} else if a.toks[next-1].kind == tQIdent {
					ok = false
				}
				i = next - 1
				continue
			}
			if a.isOp(next, ".") && a.isOp(next+1, "*") || a.wholeRow(ref, sc) {
				// t.* or t as a value: the whole row, every column of t.
				var known bool
				if srcs, known = a.rowSources(ref.Name, sc, srcs); !known {
					ok = false
				}
			}
			srcs = a.resolve(ref, sc, srcs)
			i = next - 1
		}
	}
	if len(srcs) >= maxNames {
		ok = false
	}
	c.Sources = a.keepSources(srcs)
	return append(cols, c), ok
}

// keepSources moves a column's sources into the statement's shared
// backing array: one allocation for all the columns of a statement.
func (a *analyzer) keepSources(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	if cap(a.srcArena)-len(a.srcArena) < len(s) {
		a.srcArena = make([]string, 0, max(16, 2*len(s)))
	}
	start := len(a.srcArena)
	a.srcArena = append(a.srcArena, s...)
	return a.srcArena[start:len(a.srcArena):len(a.srcArena)]
}

// stringAlias reads a MySQL alias written as a string at the end of the
// item [lo, hi): expr [AS] 'name'.
func (a *analyzer) stringAlias(lo, hi int) (string, bool) {
	if a.d != MySQL || hi-lo < 2 {
		return "", false
	}
	k := a.toks[hi-1].kind
	if k != tString && k != tDQ {
		return "", false
	}
	s := a.text(hi - 1)
	if s[0] != '\'' && s[0] != '"' || !plainBody(s[1:len(s)-1]) {
		return "", false
	}
	if !a.is(hi-2, "AS") {
		// Without AS, only after a parenthesis or a quoted name: after a
		// word, the string is a typed or introduced literal (DATE '…',
		// _utf8mb4 '…').
		if a.toks[hi-2].kind != tQIdent && !a.isOp(hi-2, ")") {
			return "", false
		}
	} else if hi-lo < 3 {
		return "", false
	}
	return s[1 : len(s)-1], true
}

// isCastAs reports whether the AS at i sits inside CAST( … AS type).
func (a *analyzer) isCastAs(i int) bool {
	depth := 0
	for k := i - 1; k >= 0 && k > i-64; k-- {
		if a.isOp(k, ")") {
			depth++
		} else if a.isOp(k, "(") {
			if depth == 0 {
				return a.isAny(k-1, "CAST", "CONVERT", "TRY_CAST")
			}
			depth--
		}
	}
	return false
}

func (a *analyzer) isExprWord(i int) bool {
	if a.toks[i].kind != tWord {
		return false
	}
	return exprWord(a.text(i))
}

// implicitAlias reports whether the name at i, ending an item, is an alias
// written without AS.
func (a *analyzer) implicitAlias(i int) bool {
	if a.toks[i].kind == tWord && a.isAny(i, noAlias[:]...) {
		return false
	}
	p := a.toks[i-1]
	switch p.kind {
	case tWord:
		if a.isAny(i-1, "NULL", "TRUE", "FALSE", "UNKNOWN", "END") {
			return true // they end an expression
		}
		return !a.isExprWord(i-1) && !a.is(i-1, "COLLATE")
	case tQIdent, tString, tNumber, tParam, tDQ:
		return true
	case tOp:
		return a.isOp(i-1, ")")
	}
	return false
}

// resolve appends the source of the column reference t ("c", "x.c" or
// "s.x.c" as read by name) to list. A reference whose lineage cannot be
// told (a column of a function, of a renamed table, of a derived table
// whose columns are unknown, a qualifier that names no relation in scope)
// makes the list unknown (colUnsure).
//
// The analyser does not know which columns a table has, so an unqualified
// name in a subquery may be a column of its own relations or of any
// enclosing query's (SELECT (SELECT ssn FROM orders) FROM people reads
// people.ssn when orders has no ssn): it is traced to every relation of
// every enclosing scope as well. Over-attributed, never under-attributed.
func (a *analyzer) resolve(t Table, sc *scope, list []string) []string {
	col := t.Name
	if t.Schema != "" {
		r := sc.find(t.Schema)
		if r == nil {
			r = a.findOuter(t.Schema)
		}
		if r == nil {
			// Not a relation in scope: a table function's implicit name
			// (unnest.unnest, json_each.value), a composite field, or a
			// name the server refuses. Its lineage is not known.
			a.colUnsure = true
			return list
		}
		return a.fromRel(r, col, list)
	}
	n := len(list)
	list = a.resolveIn(sc.rels, col, list)
	for o := sc.parent; o != nil; o = o.parent {
		if o != sc {
			list = a.resolveIn(o.rels, col, list)
		}
	}
	if sc.parent == nil && len(sc.rels) == 0 {
		// A query without FROM reads the enclosing query's columns (a
		// LATERAL or correlated subquery).
		for o := a.outer; o != nil; o = o.parent {
			if o != sc {
				list = a.resolveIn(o.rels, col, list)
			}
		}
	}
	if len(list) == n {
		// No relation in scope: the bare name.
		list = addSource(list, col)
	}
	return list
}

// resolveIn appends the sources the unqualified column col may have in the
// relations rels of one scope.
func (a *analyzer) resolveIn(rels []rel, col string, list []string) []string {
	switch len(rels) {
	case 0:
		return list
	case 1:
		return a.fromRelMaybe(&rels[0], col, list)
	}
	// Any of the relations may hold the column: the bare name for the
	// tables, and what each derived table returns under that name.
	list = addSource(list, col)
	for k := range rels {
		r := &rels[k]
		if !r.derived && !r.opaque {
			continue
		}
		list = a.fromRelMaybe(r, col, list)
	}
	return list
}

// fromRelMaybe appends the source of column col of r when r may have such
// a column: a table always may; a derived table with known columns only
// when it returns one under that name (or a star).
func (a *analyzer) fromRelMaybe(r *rel, col string, list []string) []string {
	if r.unsure() {
		a.colUnsure = true
		return list
	}
	if r.anyCol {
		return list
	}
	if !r.derived {
		return addSource(list, r.table.String()+"."+col)
	}
	for _, c := range r.cols {
		switch {
		case c.Star && c.StarTable != "":
			list = addSource(list, c.StarTable+"."+col)
		case c.Star:
			a.colUnsure = true
			return list
		case c.Name == col:
			for _, s := range c.Sources {
				list = addSource(list, s)
			}
		}
	}
	return list
}

// fromRel appends the source of column col of relation r.
func (a *analyzer) fromRel(r *rel, col string, list []string) []string {
	if r.unsure() {
		a.colUnsure = true
		return list
	}
	if r.anyCol {
		return list
	}
	if !r.derived {
		return addSource(list, r.table.String()+"."+col)
	}
	for _, c := range r.cols {
		if c.Name == col && !c.Star {
			for _, s := range c.Sources {
				list = addSource(list, s)
			}
			return list
		}
	}
	for _, c := range r.cols {
		if c.Star && c.StarTable != "" {
			return addSource(list, c.StarTable+"."+col)
		}
	}
	// Not a column the derived table is known to return.
	a.colUnsure = true
	return list
}

// wholeRow reports whether the reference t may name a relation of the
// FROM clause (or of an enclosing query's) as a value: in PostgreSQL,
// SELECT p FROM people p returns the whole row, every column of it.
func (a *analyzer) wholeRow(t Table, sc *scope) bool {
	if a.d != PostgreSQL || t.Schema != "" || t.Name == "" {
		return false
	}
	return sc.find(t.Name) != nil || a.findOuter(t.Name) != nil
}

// rowSources appends the sources of every column of the relation named
// alias (a whole-row reference): "table.*" for a table — the masker reads
// it as every column of the table, and the driver expands it through the
// catalog —, the sources of every column for a derived table. It reports
// false when the relation's columns cannot be traced.
func (a *analyzer) rowSources(alias string, sc *scope, list []string) ([]string, bool) {
	r := sc.find(alias)
	if r == nil {
		r = a.findOuter(alias)
	}
	if r == nil || r.unsure() {
		return list, false
	}
	if r.anyCol {
		return list, true
	}
	if !r.derived {
		return addSource(list, r.table.String()+".*"), true
	}
	for _, c := range r.cols {
		switch {
		case c.Star && c.StarTable != "":
			list = addSource(list, c.StarTable+".*")
		case c.Star:
			return list, false
		default:
			for _, s := range c.Sources {
				list = addSource(list, s)
			}
		}
	}
	return list, true
}

// derivedExpr reports whether the bare column reference t may name a
// computed column of a derived table (a subquery or a CTE): the value is
// then an expression although it is referenced bare, as e in
// SELECT e FROM (SELECT reverse(email) AS e FROM people) s.
func derivedExpr(t Table, sc *scope) bool {
	for k := range sc.rels {
		r := &sc.rels[k]
		if !r.derived || t.Schema != "" && sc.find(t.Schema) != r {
			continue
		}
		if r.cols == nil {
			return true
		}
		for _, c := range r.cols {
			if c.Name == t.Name && !c.Star && c.Expr {
				return true
			}
		}
	}
	return false
}

// starOf appends the columns "*" stands for over the relation r.
func (a *analyzer) starOf(r *rel, cols []Column) []Column {
	switch {
	case r.unsure(), r.anyCol:
		// A function's, a renamed table's or an unknown derived table's
		// columns: a star over them hides where they come from (and how
		// many there are).
		a.colUnsure = true
		return cols
	case !r.derived:
		return append(cols, Column{Star: true, StarTable: r.table.String()})
	default:
		return append(cols, r.cols...)
	}
}
