package sqlparse

// copy reads PostgreSQL COPY.
func (a *analyzer) copy(lo, hi int) {
	a.kind(KindCopy)
	i := lo + 1
	if a.is(i, "BINARY") {
		i++
	}
	var target Table
	hasTarget := false
	if a.isOp(i, "(") {
		end := a.closeOf(i, hi)
		if !a.startsQuery(i+1) && !a.isAny(i+1, "INSERT", "UPDATE", "DELETE", "MERGE") {
			a.fail(reasonConstuct)
			return
		}
		if a.isAny(i+1, "INSERT", "UPDATE", "DELETE", "MERGE") {
			// COPY (DML RETURNING …) TO runs the statement.
			a.cteDML(i+1, end)
			a.effect(a.cteEffect)
		} else {
			a.query(i+1, end, false)
		}
		i = end + 1
	} else {
		t, next, ok := a.name(i, hi)
		if !ok {
			a.fail(reasonConstuct)
			return
		}
		target, hasTarget = t, true
		i = next
		if a.isOp(i, "(") {
			i = a.closeOf(i, hi) + 1
		}
	}
	from := a.is(i, "FROM")
	if !from && !a.is(i, "TO") {
		a.fail(reasonConstuct)
		return
	}
	i++
	if a.is(i, "PROGRAM") {
		a.st.Program = true
		i++
	}
	external := !a.isAny(i, "STDIN", "STDOUT")
	if from {
		if hasTarget {
			a.write(target)
		}
		if external {
			a.st.ReadsFile = true
		}
	} else {
		if hasTarget {
			a.read(target)
		}
		if external {
			a.st.IntoFile = true
		}
	}
	a.scanAll(i, hi)
}

// loadData reads MySQL LOAD DATA / LOAD XML.
func (a *analyzer) loadData(lo, hi int) {
	a.kind(KindLoadData)
	a.st.ReadsFile = true
	i := lo + 2
	for ; i < hi && !a.is(i, "INTO"); i++ {
		if a.is(i, "LOCAL") {
			a.st.Local = true
		}
	}
	if !a.is(i, "INTO") || !a.is(i+1, "TABLE") {
		a.fail(reasonConstuct)
		return
	}
	t, next, ok := a.name(i+2, hi)
	if !ok {
		a.fail(reasonConstuct)
		return
	}
	a.write(t)
	a.scanAll(next, hi)
}

// call reads CALL proc(args).
func (a *analyzer) call(lo, hi int) {
	a.kind(KindCall)
	t, next, ok := a.name(lo+1, hi)
	if !ok {
		a.fail(reasonConstuct)
		return
	}
	name := t.Name
	if t.Schema != "" {
		name = t.Schema + "." + t.Name
	}
	a.st.Routine = lowerASCII(name)
	a.function(a.st.Routine)
	a.scanAll(next, hi)
}

// prepare reads PREPARE name AS statement (PostgreSQL), PREPARE name FROM
// 'text' (MySQL) and PREPARE TRANSACTION.
func (a *analyzer) prepare(lo, hi int) {
	a.kind(KindPrepare)
	if a.is(lo+1, "TRANSACTION") && a.d == PostgreSQL {
		a.kind(KindOther)
		return
	}
	i := lo + 2
	if a.d == PostgreSQL && a.isOp(i, "(") {
		i = a.closeOf(i, hi) + 1
	}
	switch {
	case a.d == PostgreSQL && a.is(i, "AS"):
		inner := &Statement{}
		a.statement(i+1, hi, inner)
		a.st.Inner = inner
		a.st.Functions = inner.Functions
		a.restrictFrom(inner.Restriction)
		if !inner.Complete {
			a.fail(inner.Reason)
		}
		a.remember(lo+1, inner)
	case a.d == MySQL && a.is(i, "FROM"):
		if i+2 == hi && a.toks[i+1].kind == tString {
			s := a.text(i + 1)
			body := s[1 : len(s)-1]
			if !plainBody(body) {
				a.fail("prepared text with escapes")
				return
			}
			in := Analyze(a.d, body)
			switch len(in.Statements) {
			case 1:
				inner := in.Statements[0]
				a.st.Inner = &inner
				a.restrictFrom(inner.Restriction)
				if !inner.Complete {
					a.fail(inner.Reason)
				}
				a.remember(lo+1, &inner)
			default:
				a.fail("prepared text with several statements")
			}
			return
		}
		// From a variable: the text is not known here, so an EXECUTE of
		// it is not either.
		a.remember(lo+1, nil)
	default:
		a.fail(reasonConstuct)
	}
}

// plainBody reports a string body without quotes or backslashes.
func plainBody(s string) bool {
	for k := 0; k < len(s); k++ {
		if s[k] == '\\' || s[k] == '\'' || s[k] == '"' {
			return false
		}
	}
	return true
}

// set reads SET and records whether it changes lexing.
func (a *analyzer) set(lo, hi int) {
	a.kind(KindSet)
	if a.d == MySQL && a.is(lo+1, "STATEMENT") {
		a.fail("SET STATEMENT … FOR")
	}
	a.markLexing(lo+1, hi)
	a.markPrivilege(lo+1, hi)
	a.setSettings(lo+1, hi)
	a.scanAll(lo+1, hi)
}

// markPrivilege records a SET or RESET of the session's identity or of a
// password. A word in any place counts: the analyser errs towards
// sensitive.
func (a *analyzer) markPrivilege(lo, hi int) {
	for i := lo; i < hi; i++ {
		if a.isAny(i, "ROLE", "AUTHORIZATION", "SESSION_AUTHORIZATION", "PASSWORD") {
			a.st.PrivilegeSetting = true
			return
		}
	}
}

func (a *analyzer) markLexing(lo, hi int) {
	for i := lo; i < hi; i++ {
		t := a.toks[i]
		s := a.src[t.pos:t.end]
		if t.kind == tVar {
			// @@session.sql_mode, @@sql_mode
			for k := len(s) - 1; k >= 0; k-- {
				if s[k] == '.' || s[k] == '@' {
					s = s[k+1:]
					break
				}
			}
		} else if t.kind != tWord && t.kind != tQIdent {
			continue
		}
		if lexingWord(s) {
			a.st.LexingSetting = true
			return
		}
	}
}

// reset reads RESET (PostgreSQL, MySQL session) and MySQL RESET MASTER etc.
func (a *analyzer) reset(lo, hi int) {
	if a.d == MySQL && a.isAny(lo+1, "MASTER", "SLAVE", "REPLICA", "QUERY", "BINARY") {
		a.kind(KindFlush)
		return
	}
	a.kind(KindReset)
	if a.is(lo+1, "ALL") {
		a.st.LexingSetting = true
	}
	a.markLexing(lo+1, hi)
	a.markPrivilege(lo+1, hi)
}

// explain reads EXPLAIN / DESCRIBE, and whether the inner statement runs.
func (a *analyzer) explain(lo, hi int) {
	a.kind(KindExplain)
	i := lo + 1
	runs := false
	for i < hi {
		switch {
		case a.d == PostgreSQL && a.isOp(i, "("):
			end := a.closeOf(i, hi)
			for k := i + 1; k < end; k++ {
				if a.isAny(k, "ANALYZE", "ANALYSE") && !a.isAny(k+1, "FALSE", "OFF") && !(k+1 < end && a.text(k+1) == "0") {
					runs = true
				}
			}
			i = end + 1
			continue
		case a.isAny(i, "ANALYZE", "ANALYSE"):
			runs = a.d != SQLite
		case a.isAny(i, "VERBOSE", "EXTENDED", "PARTITIONS"):
		case a.d == SQLite && a.is(i, "QUERY") && a.is(i+1, "PLAN"):
			i++
		case a.d == MySQL && a.is(i, "FORMAT") && a.isOp(i+1, "="):
			i += 2
		default:
			a.explainInner(i, hi, runs)
			return
		}
		i++
	}
	a.fail(reasonConstuct)
}

func (a *analyzer) explainInner(i, hi int, runs bool) {
	if a.d == MySQL && !a.isAny(i, "SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH", "TABLE", "VALUES") && !a.isOp(i, "(") {
		// EXPLAIN tbl: the columns of a table; EXPLAIN FOR CONNECTION n.
		if a.is(i, "FOR") {
			return
		}
		if t, _, ok := a.name(i, hi); ok {
			a.read(t)
		}
		return
	}
	inner := &Statement{}
	a.statement(i, hi, inner)
	a.st.Inner = inner
	for _, t := range inner.Reads {
		a.read(t)
	}
	for _, f := range inner.Functions {
		a.function(f)
	}
	if runs {
		a.restrictFrom(inner.Restriction)
		a.storesFrom(inner)
		for _, t := range inner.Writes {
			a.write(t)
		}
		a.st.Effect = inner.Effect
		a.st.IntoFile = inner.IntoFile
	}
	if !inner.Complete {
		a.fail(inner.Reason)
	}
}

// lock reads LOCK [TABLE] names and MySQL LOCK TABLES.
func (a *analyzer) lock(lo, hi int) {
	a.kind(KindLock)
	a.lockMode(lo, hi)
	i := lo + 1
	if a.isAny(i, "TABLE", "TABLES") {
		i++
	}
	if a.d == MySQL && a.is(i, "INSTANCE") {
		return
	}
	if a.is(i, "ONLY") {
		i++
	}
	for i < hi {
		t, next, ok := a.name(i, hi)
		if !ok {
			return
		}
		a.read(t)
		i = next
		for i < hi && !a.isOp(i, ",") {
			i++
		}
		i++
	}
}

// vacuum reads VACUUM (PostgreSQL, SQLite VACUUM INTO file).
func (a *analyzer) vacuum(lo, hi int) {
	a.kind(KindVacuum)
	for i := lo + 1; i < hi; i++ {
		if a.is(i, "INTO") && a.d == SQLite {
			a.st.IntoFile = true
		}
	}
	switch {
	case a.d == SQLite && !a.st.IntoFile:
		a.st.RewritesTables = true // the whole file, under an exclusive lock
	case a.d == PostgreSQL && a.vacuumFull(lo, hi):
		a.st.RewritesTables = true
	}
}

// analyze reads ANALYZE: statistics, or MariaDB's ANALYZE statement, which
// runs the statement.
func (a *analyzer) analyze(lo, hi int) {
	if a.d == MySQL {
		i := lo + 1
		if a.is(i, "FORMAT") && a.isOp(i+1, "=") {
			i += 3
		}
		if a.isAny(i, "SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH") || a.isOp(i, "(") {
			a.kind(KindExplain)
			a.explainInner(i, hi, true)
			return
		}
	}
	a.kind(KindAnalyze)
}

// declare reads PostgreSQL DECLARE name CURSOR FOR query.
func (a *analyzer) declare(lo, hi int) {
	a.kind(KindOther)
	for i := lo + 1; i < hi; i++ {
		if a.is(i, "FOR") {
			if a.isAny(i+1, "SELECT", "WITH", "VALUES", "TABLE") || a.isOp(i+1, "(") {
				a.query(i+1, hi, false)
				return
			}
			a.fail(reasonConstuct)
			return
		}
	}
	a.fail(reasonConstuct)
}

// prepared is a statement prepared earlier in the same text.
type prepared struct {
	name string
	st   *Statement // nil when its text is not known
}

// preparedName reads the name of a prepared statement at i.
func (a *analyzer) preparedName(i int) string {
	if !a.isName(i) {
		return ""
	}
	if a.d == MySQL {
		return lowerASCII(a.fold(i)) // MySQL's names ignore case
	}
	return a.fold(i)
}

func (a *analyzer) remember(i int, st *Statement) {
	if name := a.preparedName(i); name != "" {
		a.prepared = append(a.prepared, prepared{name, st})
	}
}

// execute reads EXECUTE name: it does what the prepared statement does,
// which is known only when the same text prepared it.
func (a *analyzer) execute(lo, hi int) {
	a.kind(KindExecute)
	name := a.preparedName(lo + 1)
	a.scanAll(lo+2, hi)
	for k := len(a.prepared) - 1; k >= 0; k-- {
		p := a.prepared[k]
		if p.name != name {
			continue
		}
		if p.st == nil {
			break
		}
		a.st.Inner = p.st
		a.st.Effect = p.st.Effect
		a.restrictFrom(p.st.Restriction)
		a.storesFrom(p.st)
		a.st.IntoFile = p.st.IntoFile
		for _, t := range p.st.Reads {
			a.read(t)
		}
		for _, t := range p.st.Writes {
			a.write(t)
		}
		for _, f := range p.st.Functions {
			a.function(f)
		}
		if !p.st.Complete {
			a.fail(p.st.Reason)
		}
		return
	}
	a.fail("prepared statement not in this text")
}
