package sqlparse

// Whether a WHERE clause restricts rows. The principle: a condition that
// reads no column of the written table has the same value for every row,
// so it selects all of them or none; the analyser does not try to know
// which, except for the constants it can evaluate. See [Where.Trivial].

// truth is what a condition does to the rows of the written table.
type truth uint8

const (
	restricts truth = iota // depends on the row
	allRows                // true for every row
	noRows                 // false for every row
	sameRows               // the same for every row, value not known
	// bare: a value of the row taken as a truth value, by no comparison (a
	// column, rowid, NOT of one, x IS NOT NULL): it singles out no row by
	// what the text says, and is counted as trivial with sameRows.
	bare
)

// trivialWhere reports whether the condition [lo, hi) does not restrict
// the rows of targets.
func (a *analyzer) trivialWhere(lo, hi int, targets []rel) bool {
	switch a.cond(lo, hi, targets, 0) {
	case allRows, sameRows, bare:
		return true
	}
	return false
}

// cond classifies the condition [lo, hi).
func (a *analyzer) cond(lo, hi int, tg []rel, depth int) truth {
	if depth > maxDepth {
		return restricts
	}
	depth++
	// Strip enclosing parentheses (not those of a subquery).
	for lo < hi && a.isOp(lo, "(") && a.match(lo) == hi-1 && !a.isQueryParen(lo, hi-1) {
		lo++
		hi--
	}
	if lo >= hi {
		return restricts
	}
	// OR: restricts only if every branch restricts or selects nothing.
	if a.splitAt(lo, hi, true) > 0 {
		if a.complementary(lo, hi) {
			return allRows
		}
		out, some := noRows, false
		a.eachPart(lo, hi, true, func(l, h int) {
			c := a.cond(l, h, tg, depth)
			switch {
			case c == allRows || out == allRows:
				out = allRows
			case c == sameRows || c == bare || out == sameRows:
				out = sameRows
			case c == restricts:
				some = true
			}
		})
		if out == noRows && some {
			return restricts
		}
		return out
	}
	// AND: restricts if any conjunct does.
	if a.splitAt(lo, hi, false) > 0 {
		out := allRows
		a.eachPart(lo, hi, false, func(l, h int) {
			c := a.cond(l, h, tg, depth)
			switch {
			case c == noRows || out == noRows:
				out = noRows
			case c == restricts || out == restricts:
				out = restricts
			case c == sameRows || c == bare:
				out = sameRows
			}
		})
		return out
	}
	if a.is(lo, "NOT") {
		switch c := a.cond(lo+1, hi, tg, depth); c {
		case allRows:
			return noRows
		case noRows:
			return allRows
		default:
			return c
		}
	}
	if a.refersTo(lo, hi, tg) {
		if a.alwaysTrue(lo, hi) || a.inWholeTarget(lo, hi, tg) {
			return allRows
		}
		if a.bareValue(lo, hi) {
			return bare
		}
		return restricts
	}
	return a.constant(lo, hi)
}

// bareValue reports a condition that is a column's own value taken as a
// truth value: a possibly qualified name (a column, SQLite's rowid), with
// an optional sign, PostgreSQL cast (x::bool) or IS NOT NULL / NOTNULL.
// MySQL and SQLite read any non-zero value as true, so WHERE id matches
// every row whose id is not 0; PostgreSQL accepts only a boolean there, and
// WHERE flag is a real filter, but one that compares nothing: a guard
// counts it as trivial, and asks for WHERE flag = true.
func (a *analyzer) bareValue(lo, hi int) bool {
	if a.isOp(lo, "-") || a.isOp(lo, "+") {
		lo++
	}
	switch {
	case hi-lo > 3 && a.is(hi-3, "IS") && a.is(hi-2, "NOT") && a.is(hi-1, "NULL"):
		hi -= 3
	case hi-lo > 1 && a.d == PostgreSQL && a.is(hi-1, "NOTNULL"):
		hi--
	case hi-lo > 2 && a.isOp(hi-2, "::") && a.isName(hi-1):
		hi -= 2
	}
	if lo >= hi || hi-lo > 5 || (hi-lo)%2 == 0 {
		return false
	}
	for i := lo; i < hi; i += 2 {
		if !a.isName(i) && a.toks[i].kind != tDQ || i+1 < hi && !a.isOp(i+1, ".") {
			return false
		}
	}
	return true
}

// complementary reports an OR of which two branches are each other's
// negation, so that one holds for every row (NULLs aside): x = v OR x <> v,
// x < v OR x >= v, x IS NULL OR x IS NOT NULL, p OR NOT p.
func (a *analyzer) complementary(lo, hi int) bool {
	var buf [8][2]int
	parts := buf[:0]
	over := false
	a.eachPart(lo, hi, true, func(l, h int) {
		if len(parts) == len(buf) {
			over = true
			return
		}
		for l < h && a.isOp(l, "(") && a.match(l) == h-1 {
			l++
			h--
		}
		parts = append(parts, [2]int{l, h})
	})
	if over {
		return false
	}
	for x := range parts {
		for y := range parts {
			if x != y && a.negates(parts[x][0], parts[x][1], parts[y][0], parts[y][1]) {
				return true
			}
		}
	}
	return false
}

// negates reports whether [l2, h2) is the negation of [l1, h1).
func (a *analyzer) negates(l1, h1, l2, h2 int) bool {
	if l1 >= h1 || l2 >= h2 {
		return false
	}
	if a.is(l2, "NOT") {
		l, h := l2+1, h2
		for l < h && a.isOp(l, "(") && a.match(l) == h-1 {
			l++
			h--
		}
		return a.sameTokens(l1, h1, l, h)
	}
	// x IS NULL / x IS NOT NULL
	if h1-l1 >= 3 && a.is(h1-2, "IS") && a.is(h1-1, "NULL") && h2-l2 == h1-l1+1 &&
		a.is(h2-3, "IS") && a.is(h2-2, "NOT") && a.is(h2-1, "NULL") {
		return a.sameTokens(l1, h1-2, l2, h2-3)
	}
	o1, o2 := a.comparison(l1, h1), a.comparison(l2, h2)
	if o1 < 0 || o2 < 0 || !a.sameTokens(l1, o1, l2, o2) || !a.sameTokens(o1+1, h1, o2+1, h2) {
		return false
	}
	switch x, y := a.text(o1), a.text(o2); x {
	case "=":
		return y == "<>" || y == "!="
	case "<":
		return y == ">="
	case ">":
		return y == "<="
	}
	return false
}

// comparison returns the index of the only top-level comparison operator
// of [lo, hi), or -1.
func (a *analyzer) comparison(lo, hi int) int {
	at := -1
	for i := lo; i < hi; i++ {
		if m := a.match(i); m > i {
			i = int(m)
			continue
		}
		if a.toks[i].kind == tWord && !a.isOp(i+1, "(") && condWord(a.text(i), a.d) {
			return -1 // LIKE, IN, BETWEEN, AND …: not a plain comparison
		}
		if a.toks[i].kind != tOp {
			continue
		}
		switch a.text(i) {
		case "=", "<>", "!=", "<", ">", "<=", ">=":
			if at >= 0 {
				return -1
			}
			at = i
		}
	}
	return at
}

// isOr and isAnd report the connectives at i.
func (a *analyzer) isOr(i int) bool {
	return a.is(i, "OR") || a.d == MySQL && a.isOp(i, "||")
}

func (a *analyzer) isAnd(i int) bool {
	if !a.is(i, "AND") && !(a.d == MySQL && a.isOp(i, "&&")) {
		return false
	}
	// x BETWEEN a AND b
	return !(a.is(i-2, "BETWEEN") || a.is(i-3, "BETWEEN") && a.isOp(i-2, "-") ||
		a.is(i-3, "BETWEEN") && a.is(i-2, "SYMMETRIC"))
}

// splitAt counts the top-level ORs (or) or ANDs in [lo, hi).
func (a *analyzer) splitAt(lo, hi int, or bool) int {
	n := 0
	cases := 0
	for i := lo; i < hi; i++ {
		if m := a.match(i); m > i {
			i = int(m)
			continue
		}
		switch {
		case a.is(i, "CASE"):
			cases++
		case a.is(i, "END") && cases > 0:
			cases--
		case cases > 0:
		case or && a.isOr(i), !or && a.isAnd(i):
			n++
		}
	}
	return n
}

// eachPart calls f for each operand of the top-level ORs or ANDs.
func (a *analyzer) eachPart(lo, hi int, or bool, f func(l, h int)) {
	start, cases := lo, 0
	for i := lo; i < hi; i++ {
		if m := a.match(i); m > i {
			i = int(m)
			continue
		}
		switch {
		case a.is(i, "CASE"):
			cases++
		case a.is(i, "END") && cases > 0:
			cases--
		case cases > 0:
		case or && a.isOr(i), !or && a.isAnd(i):
			f(start, i)
			start = i + 1
		}
	}
	f(start, hi)
}

// refersTo reports whether [lo, hi) may read a column of the targets: a
// name that is not known to be a keyword, a function, a type, a relation
// of a subquery, or a column qualified by another relation.
func (a *analyzer) refersTo(lo, hi int, tg []rel) bool {
	cases := 0
	for i := lo; i < hi; i++ {
		t := a.toks[i]
		if t.kind != tWord && t.kind != tQIdent && t.kind != tDQ || t.bits&markRel != 0 {
			continue
		}
		// A possibly qualified name: i … j.
		j := i
		for j+2 < hi && a.isOp(j+1, ".") && a.isName(j+2) {
			j += 2
		}
		if a.isOp(j+1, "(") {
			i = j // a function
			continue
		}
		if j == i && a.isOp(i+1, ".") && a.isOp(i+2, "*") {
			j = i + 2 // t.*
		}
		if j > i {
			q := j - 2
			if a.isOp(j, "*") {
				q = i
			}
			if a.isTarget(q, tg) {
				return true
			}
			i = j
			continue
		}
		if t.kind == tDQ {
			return true // a column under ANSI_QUOTES
		}
		if a.isOp(i-1, "::") || a.is(i-1, "AS") && i-1 >= lo {
			continue // a type or an alias
		}
		if t.kind == tQIdent {
			return true
		}
		if i+1 < hi && a.toks[i+1].kind == tString {
			continue // DATE '…', INTERVAL '…', _utf8'…'
		}
		switch {
		case a.is(i, "CASE"):
			cases++
			continue
		case a.is(i, "END") && cases > 0:
			cases--
			continue
		case a.is(i, "BY") && a.isAny(i-1, "GROUP", "ORDER", "PARTITION"):
			continue
		case a.is(i, "UNKNOWN") && (a.is(i-1, "IS") || a.is(i-1, "NOT") && a.is(i-2, "IS")):
			continue
		}
		s := a.text(i)
		if niladicWord(s) || condWord(s, a.d) {
			continue
		}
		return true
	}
	return false
}

// isTarget reports whether the qualifier at i names one of the targets.
func (a *analyzer) isTarget(i int, tg []rel) bool {
	q := a.fold(i)
	for k := range tg {
		r := &tg[k]
		if r.alias != "" && equalFoldASCII(r.alias, q) || !r.derived && equalFoldASCII(r.table.Name, q) {
			return true
		}
	}
	return false
}

// alwaysTrue reports a comparison that holds for every row whatever the
// columns hold (NULLs aside): x = x, x >= x, x LIKE '%'.
func (a *analyzer) alwaysTrue(lo, hi int) bool {
	for i := lo + 1; i < hi-1; i++ {
		if m := a.match(i); m > i {
			i = int(m)
			continue
		}
		switch {
		case a.is(i, "LIKE"):
			r := a.text(i + 1)
			return i+2 == hi && a.toks[i+1].kind == tString && (r == "'%'" || r == "'%%'")
		case a.is(i, "GLOB") && a.d == SQLite:
			return i+2 == hi && a.toks[i+1].kind == tString && a.text(i+1) == "'*'"
		case a.is(i, "IS") && a.is(i+1, "NOT") && a.is(i+2, "DISTINCT") && a.is(i+3, "FROM"):
			return a.sameTokens(lo, i, i+4, hi)
		case a.is(i, "IS") && a.d == SQLite && !a.isAny(i+1, "NOT", "NULL", "TRUE", "FALSE", "DISTINCT"):
			return a.sameTokens(lo, i, i+1, hi) // x IS x
		}
		if a.toks[i].kind != tOp {
			continue
		}
		switch a.text(i) {
		case "=", "==", "<=>", ">=", "<=":
			return a.sameTokens(lo, i, i+1, hi)
		case "!=", "<>", "<", ">":
			return false
		}
	}
	return false
}

// inWholeTarget reports x IN (SELECT x FROM target): every row of the
// target whose x is not NULL.
func (a *analyzer) inWholeTarget(lo, hi int, tg []rel) bool {
	// x IN ( SELECT x FROM t ) with x and t single names.
	if hi-lo != 8 || !a.is(lo+1, "IN") || !a.isOp(lo+2, "(") || a.match(lo+2) != hi-1 ||
		!a.is(lo+3, "SELECT") || !a.is(lo+5, "FROM") || !a.isName(lo) || !a.isName(lo+6) {
		return false
	}
	if a.fold(lo) != a.fold(lo+4) {
		return false
	}
	t := a.fold(lo + 6)
	for k := range tg {
		if !tg[k].derived && tg[k].table.Schema == "" && tg[k].table.Name == t {
			return true
		}
	}
	return false
}

// constant evaluates a condition that reads no column of the targets: a
// few forms are known true or false, the rest is the same for every row.
func (a *analyzer) constant(lo, hi int) truth {
	n := hi - lo
	switch {
	case n == 1:
		switch t := a.toks[lo]; {
		case a.is(lo, "TRUE"):
			return allRows
		case a.isAny(lo, "FALSE", "NULL"):
			return noRows
		case t.kind == tNumber && a.d != PostgreSQL:
			if nonZero(a.text(lo)) {
				return allRows
			}
			return noRows
		}
		return sameRows
	case n == 2 && a.isOp(lo, "-") && a.toks[lo+1].kind == tNumber && a.d != PostgreSQL:
		if nonZero(a.text(lo + 1)) {
			return allRows
		}
		return noRows
	case n == 5 && a.is(lo+1, "BETWEEN") && a.is(lo+3, "AND"):
		x, y, z := a.num(lo), a.num(lo+2), a.num(lo+4)
		if x != nil && y != nil && z != nil {
			if *y <= *x && *x <= *z {
				return allRows
			}
			return noRows
		}
		return sameRows
	case n == 3 && a.is(lo+1, "IS"):
		if a.is(lo, "TRUE") && a.is(lo+2, "TRUE") || a.is(lo, "NULL") && a.is(lo+2, "NULL") {
			return allRows
		}
		return sameRows
	}
	if a.alwaysTrue(lo, hi) {
		return allRows
	}
	if n != 3 || a.toks[lo+1].kind != tOp {
		return sameRows
	}
	// number op number
	x, y := a.num(lo), a.num(lo+2)
	if x == nil || y == nil {
		return sameRows
	}
	var v bool
	switch a.text(lo + 1) {
	case "=", "==", "<=>":
		v = *x == *y
	case "!=", "<>":
		v = *x != *y
	case "<":
		v = *x < *y
	case ">":
		v = *x > *y
	case "<=":
		v = *x <= *y
	case ">=":
		v = *x >= *y
	default:
		return sameRows
	}
	if v {
		return allRows
	}
	return noRows
}

// condWord reports keywords that cannot name a column in a condition of
// dialect d. Words that some dialect accepts as column names (END, DESC,
// MOD in PostgreSQL, GLOB in SQLite, …) are left out, or handled by
// context, so that the analyser errs towards "reads a column".
func condWord(s string, d Dialect) bool {
	var buf [32]byte
	b, ok := upperWord(s, &buf)
	if !ok {
		return false
	}
	switch string(b) {
	case "ALL", "AND", "AS", "BETWEEN", "CASE", "COLLATE", "CROSS", "DEFAULT", "DISTINCT", "ELSE",
		"EXCEPT", "EXISTS", "FALSE", "FROM", "GROUP", "HAVING", "IN", "INNER", "INTERSECT", "IS",
		"JOIN", "LEFT", "LIKE", "LIMIT", "NATURAL", "NOT", "NULL", "ON", "OR", "ORDER", "RIGHT",
		"SELECT", "THEN", "TRUE", "UNION", "USING", "WHEN", "WHERE":
		return true
	case "ARRAY", "ILIKE", "ISNULL", "NOTNULL", "ONLY", "SIMILAR", "SYMMETRIC":
		return d == PostgreSQL
	case "BINARY", "DIV", "INTERVAL", "MOD", "REGEXP", "RLIKE", "XOR":
		return d == MySQL
	}
	return false
}

// restrict records one UPDATE or DELETE the statement runs, restricted by
// its WHERE or not.
func (a *analyzer) restrict(ok bool) {
	switch {
	case !ok:
		a.st.Restriction = RestrictionMissing
	case a.st.Restriction != RestrictionMissing:
		a.st.Restriction = RestrictionAll
	}
}

// restrictFrom records the UPDATE and DELETE statements another statement
// runs as part of this one.
func (a *analyzer) restrictFrom(r Restriction) {
	switch r {
	case RestrictionAll:
		a.restrict(true)
	case RestrictionMissing, RestrictionUnknown:
		a.restrict(false)
	}
}

// finishRestriction settles st's Restriction once it is read: an UPDATE
// or DELETE effect that no WHERE was recorded for is unrestricted.
func finishRestriction(st *Statement) {
	if st.Restriction != RestrictionUnknown {
		return
	}
	switch {
	case st.Effect == KindUpdate, st.Effect == KindDelete, st.Kind == KindUpdate, st.Kind == KindDelete:
		st.Restriction = RestrictionMissing
	default:
		st.Restriction = RestrictionNoWrites
	}
}
