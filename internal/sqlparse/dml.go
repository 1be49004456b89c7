package sqlparse

import "strconv"

// insert reads INSERT and REPLACE.
func (a *analyzer) insert(lo, hi int) {
	a.kind(KindInsert)
	if a.is(lo, "REPLACE") {
		a.kind(KindReplace)
	}
	i := lo + 1
	if a.d == SQLite && a.is(i, "OR") {
		if a.is(i+1, "REPLACE") {
			a.kind(KindReplace)
		} else if !a.isAny(i+1, "IGNORE", "ABORT", "FAIL", "ROLLBACK") {
			a.fail(reasonConstuct)
		}
		i += 2
	}
	for a.d == MySQL && a.isAny(i, "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE") {
		i++
	}
	if a.is(i, "INTO") {
		i++
	} else if a.d != MySQL {
		a.fail(reasonConstuct)
		return
	}
	t, next, ok := a.name(i, hi)
	if !ok {
		a.fail(reasonConstuct)
		return
	}
	a.write(t)
	sc := &scope{}
	sc.add(rel{table: t})
	i = next
	if a.d == MySQL && a.is(i, "PARTITION") && a.isOp(i+1, "(") {
		i = a.closeOf(i+1, hi) + 1
	}
	if a.is(i, "AS") && a.d != MySQL {
		if !a.isName(i + 1) {
			a.fail(reasonConstuct)
			return
		}
		sc.rels[0].alias = a.fold(i + 1)
		i += 2
	}
	var names []string
	if a.isOp(i, "(") && !a.startsQuery(i+1) {
		end := a.closeOf(i, hi)
		names = a.columnNames(i, end)
		if names == nil {
			names = []string{} // named, but not plainly: each value may land anywhere
		}
		i = end + 1
	}
	if a.is(i, "OVERRIDING") {
		i += 3
	}
	// The rows: up to ON CONFLICT / ON DUPLICATE KEY / RETURNING.
	end := i
	for end < hi {
		if m := a.match(end); m > end {
			end = int(m) + 1
			continue
		}
		if a.is(end, "ON") && a.isAny(end+1, "CONFLICT", "DUPLICATE") || a.is(end, "RETURNING") {
			break
		}
		if a.d == MySQL && a.is(end, "AS") && end > i {
			break // row alias
		}
		end++
	}
	// An upsert updates at most the rows it inserts: a bounded number when
	// they are listed, any number when a query yields them.
	listed := true
	switch {
	case a.is(i, "DEFAULT") && a.is(i+1, "VALUES"):
		i += 2
		if i != end {
			a.fail(reasonConstuct)
		}
	case a.is(i, "SET") && a.d == MySQL:
		a.scanAll(i+1, end)
		a.assignments(i+1, end, sc, t)
	case a.isAny(i, "VALUES", "VALUE") && a.d == MySQL:
		a.valuesList(i+1, end)
		a.storeRows(i+1, end, t, names)
	case a.is(i, "VALUES") && a.plainValues(i+1, end):
		a.query(i, end, false)
		a.storeRows(i+1, end, t, names)
	case a.isAny(i, "SELECT", "WITH", "VALUES", "TABLE") || a.isOp(i, "(") && a.startsQuery(i+1):
		listed = false
		if len(names) == 0 {
			names = nil
		}
		a.storeColumns(a.query(i, end, true), t, names)
	default:
		a.fail(reasonConstuct)
		return
	}
	if a.st.Kind == KindReplace {
		// REPLACE deletes every row a new one conflicts with: fed by a
		// query (REPLACE INTO t SELECT … FROM t), it may rewrite them all.
		a.restrict(listed)
	}
	i = end
	if a.d == MySQL && a.is(i, "AS") {
		i += 2
		if a.isOp(i, "(") {
			i = a.closeOf(i, hi) + 1
		}
	}
	for i < hi {
		switch {
		case a.is(i, "ON") && a.is(i+1, "DUPLICATE") && a.is(i+2, "KEY") && a.is(i+3, "UPDATE"):
			a.effect(KindUpdate)
			a.restrict(listed)
			// The assignments, up to MariaDB's RETURNING.
			end := i + 4
			for end < hi && !a.is(end, "RETURNING") {
				if m := a.match(end); m > end {
					end = int(m)
				}
				end++
			}
			a.scanAll(i+4, end)
			a.assignments(i+4, end, sc, t)
			i = end
		case a.is(i, "ON") && a.is(i+1, "CONFLICT"):
			i = a.onConflict(i+2, hi, listed, a.excluded(sc, t, names), t)
		case a.is(i, "RETURNING"):
			a.returning(i+1, hi, sc)
			return
		default:
			a.fail(reasonConstuct)
			return
		}
	}
}

// plainValues reports a VALUES list [i, hi) with no set operation or
// ORDER BY / LIMIT after it: it yields the rows it lists.
func (a *analyzer) plainValues(i, hi int) bool {
	for k := i; k < hi; k++ {
		if m := a.match(k); m > k {
			k = int(m)
			continue
		}
		if a.isAny(k, "UNION", "INTERSECT", "EXCEPT", "ORDER", "LIMIT", "OFFSET", "FETCH") {
			return false
		}
	}
	return true
}

// excluded returns the scope of ON CONFLICT … DO UPDATE: sc, and the row
// proposed for insertion as the relation excluded, whose column c holds
// what the INSERT stored in c (its sources are those of the stores
// recorded so far). Without a plain column list, or with a store whose
// origin is unknown, excluded is left out: a reference to it has no
// certain lineage.
func (a *analyzer) excluded(sc *scope, t Table, names []string) *scope {
	if len(names) == 0 || a.st.StoresUnknown || a.d == MySQL {
		return sc
	}
	cols := make([]Column, len(names))
	for k, n := range names {
		cols[k] = Column{Name: n, Expr: true}
		for _, s := range a.st.Stores {
			if s.Table == t && s.Column == n {
				for _, src := range s.Sources {
					cols[k].Sources = addSource(cols[k].Sources, src)
				}
			}
		}
	}
	up := &scope{parent: sc.parent}
	for _, r := range sc.rels {
		up.add(r)
	}
	up.add(rel{alias: "excluded", derived: true, cols: cols})
	return up
}

// onConflict reads the rest of ON CONFLICT … DO NOTHING | DO UPDATE SET … .
func (a *analyzer) onConflict(i, hi int, listed bool, sc *scope, t Table) int {
	for i < hi && !a.is(i, "DO") {
		if a.isOp(i, "(") {
			end := a.closeOf(i, hi)
			a.scanAll(i+1, end)
			i = end + 1
			continue
		}
		i++
	}
	if !a.is(i, "DO") {
		a.fail(reasonConstuct)
		return hi
	}
	i++
	if a.is(i, "NOTHING") {
		return i + 1
	}
	if !a.is(i, "UPDATE") || !a.is(i+1, "SET") {
		a.fail(reasonConstuct)
		return hi
	}
	a.effect(KindUpdate)
	a.restrict(listed)
	set := i + 2
	i = a.expr(set, hi)
	a.assignments(set, i, sc, t)
	if a.is(i, "WHERE") {
		i = a.expr(i+1, hi)
	}
	return i
}

// returning reads a RETURNING list: a column of the written table (the
// first relation of sc) returns what was stored in it.
func (a *analyzer) returning(i, hi int, sc *scope) {
	a.st.Returning = true
	a.st.Columns = a.columns(i, hi, sc)
	if len(sc.rels) > 0 {
		a.st.Columns = a.returningStores(a.st.Columns, sc.rels[0].table)
	}
}

// update reads UPDATE.
func (a *analyzer) update(lo, hi int) {
	a.kind(KindUpdate)
	i := lo + 1
	if a.d == SQLite && a.is(i, "OR") {
		i += 2
	}
	for a.d == MySQL && a.isAny(i, "LOW_PRIORITY", "IGNORE") {
		i++
	}
	sc := a.dmlScope()
	defer a.leaveScope(sc)
	if a.d == MySQL {
		i = a.tableList(i, hi, sc, true)
		if len(sc.rels) > 1 {
			// A join: the tables are read to match rows, and written.
			for _, r := range sc.rels {
				if !r.derived {
					a.read(r.table)
				}
			}
		}
	} else {
		i = a.tableRef(i, hi, sc, true)
	}
	if !a.is(i, "SET") {
		a.fail(reasonConstuct)
		return
	}
	set := i + 1
	i = a.expr(set, hi)
	setEnd := i
	if a.is(i, "FROM") && a.d != MySQL {
		i = a.tableList(i+1, hi, sc, false)
	}
	if len(sc.rels) > 0 {
		// The values may read the FROM tables: read them in full scope.
		a.assignments(set, setEnd, sc, sc.rels[0].table)
	}
	a.tail(i, hi, sc)
}

// tail reads WHERE, ORDER BY, LIMIT and RETURNING of UPDATE and DELETE,
// and records whether the statement's WHERE restricts rows. The targets
// are the relations of sc whose columns restrict them: the written table,
// or every table of a MySQL multi-table statement (its joins tie them).
func (a *analyzer) tail(i, hi int, sc *scope) {
	targets := sc.rels
	if a.d != MySQL && len(targets) > 1 {
		targets = targets[:1]
	}
	defer func() { a.restrict(a.st.Where.Present && !a.st.Where.Trivial) }()
	for i < hi {
		switch {
		case a.is(i, "WHERE"):
			a.st.Where.Present = true
			if a.is(i+1, "CURRENT") && a.is(i+2, "OF") {
				i = a.expr(i+3, hi)
				continue
			}
			end := a.expr(i+1, hi)
			a.st.Where.Trivial = a.trivialWhere(i+1, end, targets)
			i = end
		case a.is(i, "ORDER") && a.is(i+1, "BY"):
			i = a.expr(i+2, hi)
		case a.is(i, "LIMIT"):
			a.st.HasLimit = true
			if i+2 <= hi && a.toks[i+1].kind == tNumber {
				if v, err := strconv.ParseInt(a.text(i+1), 10, 64); err == nil {
					a.st.Limit = v
				}
			}
			i = a.expr(i+1, hi)
			if a.is(i, "OFFSET") {
				i = a.expr(i+1, hi)
			}
		case a.is(i, "RETURNING"):
			a.returning(i+1, hi, sc)
			return
		default:
			a.fail(reasonConstuct)
			return
		}
	}
}

// delete reads DELETE.
func (a *analyzer) delete(lo, hi int) {
	a.kind(KindDelete)
	i := lo + 1
	for a.d == MySQL && a.isAny(i, "LOW_PRIORITY", "QUICK", "IGNORE") {
		i++
	}
	sc := a.dmlScope()
	defer a.leaveScope(sc)
	if a.d == MySQL && !a.is(i, "FROM") {
		// DELETE t1, t2 FROM refs
		targets := i
		for i < hi && !a.is(i, "FROM") {
			i++
		}
		if !a.is(i, "FROM") {
			a.fail(reasonConstuct)
			return
		}
		i = a.tableList(i+1, hi, sc, false)
		a.multiTargets(targets, hi, sc)
		a.tail(i, hi, sc)
		return
	}
	if !a.is(i, "FROM") {
		a.fail(reasonConstuct)
		return
	}
	i++
	if a.d == MySQL {
		// DELETE FROM t1, t2 USING refs
		j := i
		for j < hi && !a.isAny(j, "USING", "WHERE", "ORDER", "LIMIT", "RETURNING") && !a.isOp(j, "(") {
			j++
		}
		if a.is(j, "USING") {
			k := a.tableList(j+1, hi, sc, false)
			a.multiTargets(i, j, sc)
			a.tail(k, hi, sc)
			return
		}
	}
	i = a.tableRef(i, hi, sc, true)
	if a.is(i, "USING") && a.d == PostgreSQL {
		i = a.tableList(i+1, hi, sc, false)
	}
	a.tail(i, hi, sc)
}

// multiTargets reads the target list of a MySQL multi-table DELETE,
// resolving aliases through the table references.
func (a *analyzer) multiTargets(i, hi int, sc *scope) {
	for i < hi && !a.isAny(i, "FROM", "USING") {
		t, next, ok := a.name(i, hi)
		if !ok {
			a.fail(reasonConstuct)
			return
		}
		if a.isOp(next, ".") && a.isOp(next+1, "*") {
			next += 2
		}
		if t.Schema == "" {
			if r := sc.find(t.Name); r != nil {
				if r.derived {
					a.fail("derived table as a write target")
				}
				t = r.table
			}
		}
		a.write(t)
		i = next
		if a.isOp(i, ",") {
			i++
		} else if !a.isAny(i, "FROM", "USING") {
			a.fail(reasonConstuct)
			return
		}
	}
}

// merge reads MERGE INTO target USING source ON … WHEN … .
func (a *analyzer) merge(lo, hi int) {
	a.kind(KindMerge)
	i := lo + 1
	if !a.is(i, "INTO") {
		a.fail(reasonConstuct)
		return
	}
	sc := a.dmlScope()
	defer a.leaveScope(sc)
	i = a.tableRef(i+1, hi, sc, true)
	if !a.is(i, "USING") {
		a.fail(reasonConstuct)
		return
	}
	i = a.tableRef(i+1, hi, sc, false)
	if !a.is(i, "ON") {
		a.fail(reasonConstuct)
		return
	}
	for i < hi {
		switch {
		case a.is(i, "DELETE"):
			a.st.Effect = KindDelete
			a.restrict(false) // no WHERE of its own
		case a.isAny(i, "INSERT", "UPDATE") && a.is(i-1, "THEN"):
			// Values from the source relation: not traced.
			a.st.StoresUnknown = true
		case a.is(i, "RETURNING"):
			a.returning(i+1, hi, sc)
			return
		case a.isOp(i, "("):
			end := a.closeOf(i, hi)
			a.parens(i, end)
			i = end + 1
			continue
		case a.toks[i].kind == tWord && a.isOp(i+1, "(") && !a.isNotFunc(i) && !a.isAny(i, "INSERT", "UPDATE", "VALUES", "SET"):
			a.funcName(i)
		}
		i++
	}
}

// sameTokens reports whether [a0, a1) and [b0, b1) hold the same tokens.
func (a *analyzer) sameTokens(a0, a1, b0, b1 int) bool {
	if a1-a0 != b1-b0 || a1 <= a0 {
		return false
	}
	for k := 0; k < a1-a0; k++ {
		x, y := a.toks[a0+k], a.toks[b0+k]
		if x.kind != y.kind || x.kind == tParam || x.kind == tVar {
			return false
		}
		xs, ys := a.src[x.pos:x.end], a.src[y.pos:y.end]
		if x.kind == tWord {
			if !equalFoldASCII(xs, ys) {
				return false
			}
			if a.isAny(a0+k, "RANDOM", "RAND", "NOW", "NULL") {
				return false
			}
		} else if xs != ys {
			return false
		}
	}
	return true
}

func equalFoldASCII(x, y string) bool {
	if len(x) != len(y) {
		return false
	}
	for k := 0; k < len(x); k++ {
		c, d := x[k], y[k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if d >= 'A' && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

func nonZero(num string) bool {
	v, err := strconv.ParseFloat(num, 64)
	return err != nil || v != 0
}

// num returns the value of the number token at i, or nil.
func (a *analyzer) num(i int) *float64 {
	if a.toks[i].kind != tNumber {
		return nil
	}
	v, err := strconv.ParseFloat(a.text(i), 64)
	if err != nil {
		return nil
	}
	return &v
}

// dmlScope opens the scope of an UPDATE, DELETE or MERGE: the subqueries
// of its SET, WHERE and RETURNING clauses see its relations as an
// enclosing query's (UPDATE people p SET note = (SELECT p.ssn)).
func (a *analyzer) dmlScope() *scope {
	sc := &scope{parent: a.outer}
	a.outer = sc
	return sc
}

// leaveScope closes a scope dmlScope opened.
func (a *analyzer) leaveScope(sc *scope) { a.outer = sc.parent }
