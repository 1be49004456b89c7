package sqlparse

// statement analyses the tokens [lo, hi) as one statement into st.
func (a *analyzer) statement(lo, hi int, st *Statement) {
	*st = Statement{Kind: KindUnknown, Effect: KindUnknown, Object: ObjectNone, Limit: -1, Complete: true}
	prev, prevCTEs, prevEffect, prevDepth := a.st, a.ctes, a.cteEffect, a.stmtDepth
	a.st = st
	a.ctes = nil
	a.cteEffect = KindUnknown
	defer func() { a.st, a.ctes, a.cteEffect, a.stmtDepth = prev, prevCTEs, prevEffect, prevDepth }()
	if !a.enter() {
		return
	}
	defer a.leave()
	a.stmtDepth = a.depth
	a.dispatch(lo, hi)
	if st.Effect == KindUnknown {
		st.Effect = st.Kind
	}
	finishRestriction(st)
	if st.Kind == KindUnknown {
		a.fail(reasonUnknown)
	}
}

func (a *analyzer) kind(k Kind) {
	a.st.Kind = k
	a.st.Effect = k
}

// simple records a statement whose arguments cannot hide another
// statement: its kind is all there is to know.
func (a *analyzer) simple(k Kind, lo, hi int) {
	a.kind(k)
	a.scanAll(lo, hi)
}

func (a *analyzer) dispatch(lo, hi int) {
	st := a.st
	switch {
	case a.isOp(lo, "("):
		a.kind(KindSelect)
		a.st.Columns = a.query(lo, hi, true)
	case a.is(lo, "SELECT"):
		a.kind(KindSelect)
		a.st.Columns = a.query(lo, hi, true)
		a.selectInto()
	case a.is(lo, "WITH"):
		a.withStatement(lo, hi)
	case a.is(lo, "VALUES"):
		a.kind(KindValues)
		a.query(lo, hi, false)
	case a.is(lo, "TABLE"):
		a.kind(KindTable)
		a.query(lo, hi, false)
	case a.is(lo, "INSERT"):
		a.insert(lo, hi)
	case a.is(lo, "REPLACE") && a.d != PostgreSQL:
		a.insert(lo, hi)
	case a.is(lo, "UPDATE"):
		a.update(lo, hi)
	case a.is(lo, "DELETE"):
		a.delete(lo, hi)
	case a.is(lo, "MERGE"):
		a.merge(lo, hi)
	case a.is(lo, "CREATE"):
		a.create(lo, hi)
	case a.is(lo, "ALTER"):
		a.alter(lo, hi)
	case a.is(lo, "DROP"):
		a.drop(lo, hi)
	case a.is(lo, "TRUNCATE"):
		a.truncate(lo, hi)
	case a.is(lo, "RENAME") && a.d == MySQL:
		a.rename(lo, hi)
	case a.is(lo, "COMMENT") && a.is(lo+1, "ON") && a.d == PostgreSQL:
		a.simple(KindComment, lo, hi)
		st.Object = ObjectOther
	case a.is(lo, "GRANT"):
		a.grant(KindGrant, lo, hi)
	case a.is(lo, "REVOKE"):
		a.grant(KindRevoke, lo, hi)
	case a.is(lo, "COPY") && a.d == PostgreSQL:
		a.copy(lo, hi)
	case a.is(lo, "LOAD") && a.d == MySQL && a.isAny(lo+1, "DATA", "XML"):
		a.loadData(lo, hi)
	case a.is(lo, "LOAD") && a.d == MySQL && a.is(lo+1, "INDEX"):
		a.simple(KindFlush, lo, hi)
	case a.is(lo, "LOAD") && a.d == PostgreSQL:
		a.simple(KindOther, lo, hi)
		st.DefinesCode = true // loads a shared library into the server
	case a.is(lo, "CALL") && a.d != SQLite:
		a.call(lo, hi)
	case a.is(lo, "DO") && a.d != SQLite:
		a.simple(KindDo, lo, hi)
		if a.d == PostgreSQL {
			// An anonymous code block: what it does is in code not read here.
			a.fail("procedural code block")
		}
	case a.is(lo, "PREPARE"):
		a.prepare(lo, hi)
	case a.is(lo, "EXECUTE") && a.d != SQLite:
		a.execute(lo, hi)
	case a.is(lo, "DEALLOCATE") && a.d != SQLite:
		a.simple(KindDeallocate, lo, hi)
	case a.is(lo, "SET") && a.d != SQLite:
		a.set(lo, hi)
	case a.is(lo, "RESET") && a.d != SQLite:
		a.reset(lo, hi)
	case a.is(lo, "SHOW") && a.d != SQLite, a.is(lo, "HELP") && a.d == MySQL:
		a.simple(KindShow, lo, hi)
	case a.is(lo, "BEGIN"):
		a.simple(KindBegin, lo, hi)
	case a.is(lo, "START") && a.is(lo+1, "TRANSACTION") && a.d != SQLite:
		a.simple(KindBegin, lo, hi)
	case a.is(lo, "COMMIT"), a.is(lo, "END") && a.d != MySQL:
		a.simple(KindCommit, lo, hi)
	case a.is(lo, "ROLLBACK"), a.is(lo, "ABORT") && a.d == PostgreSQL:
		a.simple(KindRollback, lo, hi)
	case a.is(lo, "SAVEPOINT"):
		a.simple(KindSavepoint, lo, hi)
	case a.is(lo, "RELEASE"):
		a.simple(KindRelease, lo, hi)
	case a.isAny(lo, "EXPLAIN", "DESCRIBE", "DESC") && !(a.d != MySQL && !a.is(lo, "EXPLAIN")):
		a.explain(lo, hi)
	case a.is(lo, "LOCK") && a.d != SQLite:
		a.lock(lo, hi)
	case a.is(lo, "UNLOCK") && a.d == MySQL:
		a.simple(KindUnlock, lo, hi)
	case a.is(lo, "VACUUM") && a.d != MySQL:
		a.vacuum(lo, hi)
	case a.isAny(lo, "ANALYZE", "ANALYSE"):
		a.analyze(lo, hi)
	case a.is(lo, "USE") && a.d == MySQL:
		a.use(lo, hi)
	case a.isAny(lo, "ATTACH", "DETACH") && a.d == SQLite:
		a.simple(KindAttach, lo, hi)
		if a.is(lo, "ATTACH") {
			// ATTACH opens, or creates, a database file.
			st.ReadsFile, st.IntoFile = true, true
		}
	case a.is(lo, "PRAGMA") && a.d == SQLite:
		a.pragma(lo, hi)
	case a.isAny(lo, "LISTEN", "NOTIFY", "UNLISTEN") && a.d == PostgreSQL:
		a.simple(KindListen, lo, hi)
	case a.is(lo, "CHECKPOINT") && a.d == PostgreSQL:
		a.simple(KindCheckpoint, lo, hi)
	case a.is(lo, "DISCARD") && a.d == PostgreSQL:
		a.simple(KindDiscard, lo, hi)
	case a.is(lo, "REINDEX") && a.d != MySQL:
		a.reindex(lo, hi)
	case a.is(lo, "CLUSTER") && a.d == PostgreSQL:
		a.simple(KindCluster, lo, hi)
		st.RewritesTables = true
	case a.is(lo, "REFRESH") && a.is(lo+1, "MATERIALIZED") && a.is(lo+2, "VIEW") && a.d == PostgreSQL:
		a.kind(KindRefresh)
		st.Object = ObjectMaterializedView
		i := lo + 3
		if a.is(i, "CONCURRENTLY") {
			i++
		}
		if t, _, ok := a.name(i, hi); ok {
			a.write(t)
		} else {
			a.fail(reasonConstuct)
		}
	case a.is(lo, "SECURITY") && a.is(lo+1, "LABEL") && a.d == PostgreSQL:
		a.simple(KindSecurityLabel, lo, hi)
	case a.is(lo, "IMPORT") && a.is(lo+1, "FOREIGN") && a.d == PostgreSQL:
		a.simple(KindImport, lo, hi)
	case a.is(lo, "HANDLER") && a.d == MySQL:
		a.simple(KindHandler, lo, hi)
		// HANDLER t OPEN [AS h] reads t; later HANDLER h READ … name h.
		if t, _, ok := a.name(lo+1, hi); ok {
			a.read(t)
		} else {
			a.fail(reasonConstuct)
		}
	case a.d == MySQL && a.is(lo, "OPTIMIZE"):
		// OPTIMIZE TABLE: InnoDB recreates each table.
		a.simple(KindFlush, lo, hi)
		st.RewritesTables = true
	case a.d == MySQL && a.isAny(lo, "FLUSH", "KILL", "SHUTDOWN", "PURGE", "OPTIMIZE", "REPAIR", "CHECK", "CHECKSUM",
		"INSTALL", "UNINSTALL", "CACHE", "BINLOG", "CHANGE", "STOP", "START", "RESTART", "CLONE"):
		a.simple(KindFlush, lo, hi)
	case a.d == MySQL && a.isAny(lo, "XA", "SIGNAL", "RESIGNAL", "GET"):
		a.simple(KindOther, lo, hi)
	case a.d == PostgreSQL && a.isAny(lo, "FETCH", "MOVE", "CLOSE", "REASSIGN"):
		a.simple(KindOther, lo, hi)
	case a.d == PostgreSQL && a.is(lo, "DECLARE"):
		a.declare(lo, hi)
	default:
		a.fail(reasonUnknown)
	}
}

// withStatement reads WITH … followed by the main statement.
func (a *analyzer) withStatement(lo, hi int) {
	i := a.with(lo, hi)
	switch {
	case i >= hi:
		a.fail(reasonConstuct)
	case a.is(i, "SELECT"), a.isOp(i, "("), a.is(i, "VALUES"), a.is(i, "TABLE"):
		a.kind(KindSelect)
		a.st.Columns = a.query(i, hi, true)
		a.selectInto()
	case a.is(i, "INSERT"), a.is(i, "REPLACE") && a.d != PostgreSQL:
		a.insert(i, hi)
	case a.is(i, "UPDATE"):
		a.update(i, hi)
	case a.is(i, "DELETE"):
		a.delete(i, hi)
	case a.is(i, "MERGE") && a.d == PostgreSQL:
		a.merge(i, hi)
	default:
		a.fail(reasonConstuct)
	}
	a.effectsFromCTEs()
}

// selectInto records the columns a PostgreSQL SELECT … INTO stores in the
// table it creates (its only write).
func (a *analyzer) selectInto() {
	if a.st.Effect == KindCreate && len(a.st.Writes) == 1 {
		a.storeNamed(a.st.Columns, a.st.Writes[0])
	} else if a.st.Effect == KindCreate {
		a.st.StoresUnknown = true
	}
}

// effectsFromCTEs raises the effect to the data-modifying CTEs' effects.
func (a *analyzer) effectsFromCTEs() {
	if k := a.cteEffect; k != KindUnknown {
		a.effect(k)
	}
}

// with reads a WITH clause at lo, registering its names, and returns the
// index after it.
// maxRecursion bounds the passes over a recursive CTE's body that find its
// columns' lineage.
const maxRecursion = 4

// recursiveCols returns the columns of the CTE named at i whose body
// [body, end) may refer to the CTE itself (slot in a.ctes), or nil when
// their lineage cannot be told. A column of a recursive CTE holds what its
// first query yields and what each later pass computes from the rows
// before: its sources are the least set that reading the body again does
// not grow. The first pass takes every column of the self-reference as
// computed from nothing; each later pass takes the columns the passes
// before found, and adds to them.
func (a *analyzer) recursiveCols(i, body, end, slot int) []Column {
	name := a.ctes[slot].name
	if a.recursing {
		// Inside another recursive CTE's body, which is read several
		// times: one reading, whose self-references are unknown, keeps
		// the cost linear.
		a.query(body, end, false)
		return nil
	}
	a.recursing = true
	defer func() { a.recursing = false }()
	a.ctes[slot] = cte{name: name, any: true}
	var prev []Column
	for pass := 0; pass <= maxRecursion; pass++ {
		cols := a.query(body, end, true)
		if cols != nil && a.isOp(i+1, "(") {
			// name(a, b) AS (…) renames the body's columns by position.
			cols = a.renameCols(cols, i+2, a.match(i+1))
		}
		if cols == nil || prev != nil && len(cols) != len(prev) {
			break
		}
		if prev != nil {
			// Sources only grow from pass to pass.
			for k := range cols {
				for _, s := range prev[k].Sources {
					cols[k].Sources = addSource(cols[k].Sources, s)
				}
				cols[k].Expr = cols[k].Expr || prev[k].Expr
			}
			if sameLineage(prev, cols) {
				a.ctes[slot] = cte{name: name}
				return cols
			}
		}
		prev = cols
		a.ctes[slot] = cte{name: name, cols: cols}
	}
	a.ctes[slot] = cte{name: name}
	return nil
}

// sameLineage reports whether two readings of one query's columns have the
// same names and sources.
func sameLineage(x, y []Column) bool {
	if len(x) != len(y) {
		return false
	}
	for k := range x {
		if x[k].Name != y[k].Name || x[k].Star != y[k].Star || x[k].StarTable != y[k].StarTable || len(x[k].Sources) != len(y[k].Sources) {
			return false
		}
		for _, s := range x[k].Sources {
			found := false
			for _, t := range y[k].Sources {
				if s == t {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	return true
}

func (a *analyzer) with(lo, hi int) int {
	i := lo + 1
	recursive := a.is(i, "RECURSIVE")
	if recursive {
		i++
	}
	base := len(a.ctes)
	// PostgreSQL's WITH RECURSIVE makes every name visible in every body,
	// even before its definition.
	forward := recursive && a.d == PostgreSQL
	if forward {
		for k := i; k < hi; {
			name, _, end, next, ok := a.cteHead(k, hi)
			if !ok {
				break
			}
			a.ctes = append(a.ctes, cte{name: name})
			k = a.cteTail(end+1, hi)
			if !a.isOp(k, ",") || next < 0 {
				break
			}
			k++
		}
	}
	for n := 0; i < hi; n++ {
		name, body, end, _, ok := a.cteHead(i, hi)
		if !ok {
			a.fail(reasonConstuct)
			return hi
		}
		var cols []Column
		self := recursive && !forward
		if self {
			a.ctes = append(a.ctes, cte{name: name})
		}
		// The slot of this CTE while its body is read, when the body may
		// refer to it.
		slot := -1
		switch {
		case self:
			slot = len(a.ctes) - 1
		case forward && base+n < len(a.ctes) && a.ctes[base+n].name == name:
			slot = base + n
		}
		switch {
		case a.isAny(body, "INSERT", "UPDATE", "DELETE", "MERGE") || a.is(body, "REPLACE") && a.d != PostgreSQL:
			a.cteDML(body, end)
		case slot >= 0:
			cols = a.recursiveCols(i, body, end, slot)
		default:
			cols = a.query(body, end, true)
			if cols != nil && a.isOp(i+1, "(") {
				// name(a, b) AS (…) renames the body's columns by position.
				cols = a.renameCols(cols, i+2, a.match(i+1))
			}
		}
		if self {
			a.ctes = a.ctes[:len(a.ctes)-1]
		}
		if forward && base+n < len(a.ctes) && a.ctes[base+n].name == name {
			a.ctes[base+n].cols = cols
		} else {
			a.ctes = append(a.ctes, cte{name: name, cols: cols})
		}
		i = a.cteTail(end+1, hi)
		if a.isOp(i, ",") {
			i++
			continue
		}
		return i
	}
	return i
}

// cteHead reads "name [(columns)] AS [NOT] [MATERIALIZED] (" at i and
// returns the name, the first token of the body, its closing parenthesis
// and ok.
func (a *analyzer) cteHead(i, hi int) (name string, body, end, next int, ok bool) {
	if !a.isName(i) {
		return "", 0, 0, -1, false
	}
	name = a.fold(i)
	i++
	if a.isOp(i, "(") {
		i = a.closeOf(i, hi) + 1
	}
	if !a.is(i, "AS") {
		return "", 0, 0, -1, false
	}
	i++
	if a.is(i, "NOT") {
		i++
	}
	if a.is(i, "MATERIALIZED") {
		i++
	}
	if !a.isOp(i, "(") {
		return "", 0, 0, -1, false
	}
	end = a.closeOf(i, hi)
	return name, i + 1, end, end + 1, true
}

// cteTail skips the SEARCH and CYCLE clauses after a CTE body.
func (a *analyzer) cteTail(i, hi int) int {
	for i < hi && a.isAny(i, "SEARCH", "CYCLE") {
		for i < hi && !a.isOp(i, ",") && !a.isAny(i, "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE") && !a.isOp(i, "(") {
			i++
		}
	}
	return i
}

// cteDML analyses a data-modifying statement inside a WITH clause. Only
// the top-level WITH of a statement may hold one.
func (a *analyzer) cteDML(lo, hi int) {
	if a.depth > a.stmtDepth {
		a.fail("data-modifying statement in a nested WITH")
	}
	outer := a.st
	tmp := Statement{Kind: KindUnknown, Effect: KindUnknown, Object: ObjectNone, Limit: -1, Complete: true}
	a.st = &tmp
	ctes := a.ctes
	switch {
	case a.is(lo, "INSERT"), a.is(lo, "REPLACE"):
		a.insert(lo, hi)
	case a.is(lo, "UPDATE"):
		a.update(lo, hi)
	case a.is(lo, "DELETE"):
		a.delete(lo, hi)
	case a.is(lo, "MERGE"):
		a.merge(lo, hi)
	}
	a.ctes = ctes
	a.st = outer
	if tmp.Effect == KindUnknown {
		tmp.Effect = tmp.Kind
	}
	finishRestriction(&tmp)
	a.restrictFrom(tmp.Restriction)
	a.storesFrom(&tmp)
	outer.LexingSetting = outer.LexingSetting || tmp.LexingSetting
	outer.PrivilegeSetting = outer.PrivilegeSetting || tmp.PrivilegeSetting
	for _, t := range tmp.Reads {
		a.read(t)
	}
	for _, t := range tmp.Writes {
		a.write(t)
	}
	for _, f := range tmp.Functions {
		a.function(f)
	}
	for _, f := range tmp.FunctionsOverNames {
		outer.FunctionsOverNames = addSource(outer.FunctionsOverNames, f)
	}
	outer.CustomSetting = outer.CustomSetting || tmp.CustomSetting
	if severity(tmp.Effect) > severity(a.cteEffect) {
		a.cteEffect = tmp.Effect
	}
	if !tmp.Complete {
		a.fail(tmp.Reason)
	}
}
