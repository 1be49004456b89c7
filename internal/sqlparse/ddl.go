package sqlparse

// objectWord maps the word(s) at i naming an object type; n is how many
// tokens the name takes (0 when none).
func (a *analyzer) objectWord(i int) (ObjectType, int) {
	switch {
	case a.is(i, "TABLE"):
		return ObjectTable, 1
	case a.is(i, "FOREIGN") && a.is(i+1, "DATA") && a.is(i+2, "WRAPPER"):
		return ObjectOther, 3
	case a.is(i, "FOREIGN") && a.is(i+1, "TABLE"):
		return ObjectTable, 2
	case a.is(i, "VIRTUAL") && a.is(i+1, "TABLE") && a.d == SQLite:
		return ObjectTable, 2
	case a.is(i, "MATERIALIZED") && a.is(i+1, "VIEW"):
		return ObjectMaterializedView, 2
	case a.is(i, "VIEW"):
		return ObjectView, 1
	case a.is(i, "INDEX"):
		return ObjectIndex, 1
	case a.is(i, "SEQUENCE"):
		return ObjectSequence, 1
	case a.is(i, "SCHEMA"):
		if a.d == MySQL {
			return ObjectDatabase, 1
		}
		return ObjectSchema, 1
	case a.is(i, "DATABASE"):
		return ObjectDatabase, 1
	case a.is(i, "FUNCTION"):
		return ObjectFunction, 1
	case a.is(i, "AGGREGATE") && a.d == PostgreSQL:
		return ObjectFunction, 1
	case a.is(i, "PROCEDURE"):
		return ObjectProcedure, 1
	case a.is(i, "TRIGGER"):
		return ObjectTrigger, 1
	case a.is(i, "EVENT") && a.is(i+1, "TRIGGER"):
		return ObjectTrigger, 2
	case a.isAny(i, "TYPE", "DOMAIN"):
		return ObjectDataType, 1
	case a.is(i, "EXTENSION"):
		return ObjectExtension, 1
	case a.isAny(i, "ROLE", "USER", "GROUP"):
		if a.is(i, "USER") && a.is(i+1, "MAPPING") {
			return ObjectOther, 2
		}
		return ObjectRole, 1
	case a.is(i, "POLICY"):
		return ObjectPolicy, 1
	case a.is(i, "TABLESPACE"):
		return ObjectTablespace, 1
	case a.isAny(i, "RULE", "OPERATOR", "CAST", "COLLATION", "CONVERSION", "LANGUAGE", "PUBLICATION",
		"SUBSCRIPTION", "SERVER", "STATISTICS", "TRANSFORM", "EVENT", "ACCESS", "TEXT", "OWNED", "LOGFILE",
		"SPATIAL", "RESOURCE", "LARGE", "ROUTINE", "DEFAULT", "SYSTEM", "INSTANCE"):
		return ObjectOther, 1
	}
	return ObjectUnknown, 0
}

// tableLike reports objects whose name is recorded in Writes when they
// are created, altered or dropped.
func tableLike(o ObjectType) bool {
	return o == ObjectTable || o == ObjectView || o == ObjectMaterializedView || o == ObjectSequence
}

// create reads CREATE.
func (a *analyzer) create(lo, hi int) {
	a.kind(KindCreate)
	i := lo + 1
	for k := 0; k < 12 && i < hi; k++ {
		switch {
		case a.is(i, "OR") && a.isAny(i+1, "REPLACE", "ALTER"):
			i += 2
		case a.isAny(i, "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "UNIQUE", "RECURSIVE", "TRUSTED",
			"PROCEDURAL", "FULLTEXT", "ONLINE", "OFFLINE", "CONSTRAINT", "DEFAULT", "AGGREGATE") &&
			!(a.is(i, "AGGREGATE") && a.d == PostgreSQL):
			i++
		case a.d == MySQL && a.isAny(i, "ALGORITHM", "DEFINER") && a.isOp(i+1, "="):
			i += 3
			if a.toks[i-1].kind == tQIdent || a.toks[i-1].kind == tWord || a.toks[i-1].kind == tString {
				if i < hi && a.toks[i].kind == tVar {
					i++
				}
			}
		case a.d == MySQL && a.is(i, "SQL") && a.is(i+1, "SECURITY"):
			i += 3
		case a.d == MySQL && a.is(i, "SPATIAL") && a.is(i+1, "INDEX"):
			i++
		default:
			k = 12
		}
	}
	obj, n := a.objectWord(i)
	if n == 0 {
		a.st.Object = ObjectUnknown
		a.fail(reasonUnknown)
		return
	}
	a.st.Object = obj
	i += n
	if a.is(i, "CONCURRENTLY") {
		i++
	}
	if a.is(i, "IF") && a.is(i+1, "NOT") && a.is(i+2, "EXISTS") {
		i += 3
	}
	switch obj {
	case ObjectTable, ObjectView, ObjectMaterializedView, ObjectSequence:
		t, next, ok := a.name(i, hi)
		if !ok {
			a.fail(reasonConstuct)
			return
		}
		a.write(t)
		a.createBody(next, hi)
	case ObjectIndex:
		for i < hi && !a.is(i, "ON") {
			i++
		}
		if a.is(i+1, "ONLY") {
			i++
		}
		if t, next, ok := a.name(i+1, hi); ok {
			// A new index changes the table it is built on.
			a.write(t)
			a.scanAll(next, hi)
		} else {
			a.fail(reasonConstuct)
		}
	case ObjectSchema:
		for k := i; k < hi; k++ {
			if m := a.toks[k].m; m > int32(k) {
				k = int(m)
				continue
			}
			if a.isAny(k, "CREATE", "GRANT") {
				a.fail("schema elements")
			}
		}
	case ObjectTrigger:
		if a.d == SQLite {
			// The body runs later, on the trigger's events.
			return
		}
	}
}

// createBody reads what follows the name of a created table or view:
// column definitions and AS query.
func (a *analyzer) createBody(i, hi int) {
	for i < hi {
		switch {
		case a.isOp(i, "(") && !a.startsQuery(i+1):
			end := a.closeOf(i, hi)
			i = end + 1
		case a.is(i, "AS") && a.is(i+1, "EXECUTE"):
			a.fail("CREATE TABLE AS EXECUTE")
			return
		case a.is(i, "AS") && (a.isAny(i+1, "SELECT", "WITH", "VALUES", "TABLE") || a.isOp(i+1, "(")):
			a.query(i+1, a.queryEnd(i+1, hi), false)
			return
		case a.d == MySQL && (a.isAny(i, "SELECT", "WITH", "TABLE", "VALUES") || a.isOp(i, "(") && a.startsQuery(i+1)):
			a.query(i, hi, false)
			return
		case a.d == MySQL && a.isAny(i, "IGNORE", "REPLACE") && (a.is(i+1, "AS") || a.isAny(i+1, "SELECT")):
			i++
			if a.is(i, "AS") {
				i++
			}
		case a.is(i, "LIKE") || a.is(i, "INHERITS") || a.is(i, "PARTITION") && a.is(i+1, "OF"):
			j := i + 1
			if a.is(i, "PARTITION") {
				j++
			}
			if a.isOp(j, "(") {
				j++
			}
			if t, _, ok := a.name(j, hi); ok {
				a.read(t)
			}
			i = j + 1
		default:
			i++
		}
	}
}

// queryEnd returns where a CREATE … AS query ends: before WITH [NO] DATA.
func (a *analyzer) queryEnd(i, hi int) int {
	for k := i; k < hi; k++ {
		if m := a.toks[k].m; m > int32(k) {
			k = int(m)
			continue
		}
		if a.is(k, "WITH") && (a.is(k+1, "DATA") || a.is(k+1, "NO") && a.is(k+2, "DATA") ||
			a.isAny(k+1, "CASCADED", "LOCAL", "CHECK")) {
			return k
		}
	}
	return hi
}

// alter reads ALTER.
func (a *analyzer) alter(lo, hi int) {
	a.kind(KindAlter)
	i := lo + 1
	if a.d == MySQL {
		for a.isAny(i, "ONLINE", "OFFLINE", "IGNORE") {
			i++
		}
		if a.isAny(i, "ALGORITHM", "DEFINER") && a.isOp(i+1, "=") {
			i += 3
			if i < hi && a.toks[i].kind == tVar {
				i++
			}
		}
	}
	obj, n := a.objectWord(i)
	if n == 0 {
		a.st.Object = ObjectUnknown
		a.fail(reasonUnknown)
		return
	}
	a.st.Object = obj
	i += n
	if !tableLike(obj) {
		a.scanAll(i, hi)
		return
	}
	if a.is(i, "ALL") && a.is(i+1, "IN") {
		a.fail("ALTER … ALL IN TABLESPACE")
		return
	}
	if a.is(i, "IF") && a.is(i+1, "EXISTS") {
		i += 2
	}
	if a.is(i, "ONLY") {
		i++
	}
	t, next, ok := a.name(i, hi)
	if !ok {
		a.fail(reasonConstuct)
		return
	}
	a.write(t)
	for k := next; k < hi; k++ {
		if m := a.toks[k].m; m > int32(k) {
			k = int(m)
			continue
		}
		if a.is(k, "DROP") && !a.is(k-1, "ON") {
			switch {
			case a.isAny(k+1, "COLUMN", "CONSTRAINT", "IF"):
				a.st.DropsColumn = true
			case a.isAny(k+1, "DEFAULT", "NOT", "EXPRESSION", "IDENTITY", "INDEX", "KEY", "PRIMARY", "FOREIGN",
				"PARTITION", "CHECK", "SYSTEM", "ROW", "OWNED"):
			case a.isName(k + 1):
				a.st.DropsColumn = true
			}
		}
	}
	a.scanAll(next, hi)
}

// drop reads DROP.
func (a *analyzer) drop(lo, hi int) {
	a.kind(KindDrop)
	i := lo + 1
	if a.is(i, "TEMPORARY") && a.d == MySQL {
		i++
	}
	obj, n := a.objectWord(i)
	if n == 0 {
		a.st.Object = ObjectUnknown
		a.fail(reasonUnknown)
		return
	}
	a.st.Object = obj
	i += n
	if obj == ObjectIndex && a.d == MySQL {
		// DROP INDEX i ON t changes t.
		if t, _, ok := a.name(i+2, hi); ok && a.is(i+1, "ON") {
			a.write(t)
		} else {
			a.fail(reasonConstuct)
		}
		return
	}
	if !tableLike(obj) {
		return
	}
	if a.is(i, "CONCURRENTLY") {
		i++
	}
	if a.is(i, "IF") && a.is(i+1, "EXISTS") {
		i += 2
	}
	a.nameList(i, hi)
}

// nameList records a comma-separated list of written names at i.
func (a *analyzer) nameList(i, hi int) int {
	for i < hi {
		t, next, ok := a.name(i, hi)
		if !ok {
			a.fail(reasonConstuct)
			return hi
		}
		a.write(t)
		i = next
		if a.isOp(i, "*") {
			i++
		}
		if !a.isOp(i, ",") {
			break
		}
		i++
	}
	return i
}

// truncate reads TRUNCATE.
func (a *analyzer) truncate(lo, hi int) {
	a.kind(KindTruncate)
	a.st.Object = ObjectTable
	i := lo + 1
	if a.is(i, "TABLE") {
		i++
	}
	if a.is(i, "ONLY") {
		i++
	}
	i = a.nameList(i, hi)
	for i < hi {
		if !a.isAny(i, "RESTART", "CONTINUE", "IDENTITY", "CASCADE", "RESTRICT") {
			a.fail(reasonConstuct)
			return
		}
		i++
	}
}

// rename reads MySQL RENAME TABLE a TO b, … and RENAME USER.
func (a *analyzer) rename(lo, hi int) {
	a.kind(KindRename)
	i := lo + 1
	if a.is(i, "USER") {
		a.st.Object = ObjectRole
		return
	}
	if !a.isAny(i, "TABLE", "TABLES") {
		a.st.Object = ObjectUnknown
		a.fail(reasonUnknown)
		return
	}
	a.st.Object = ObjectTable
	i++
	for i < hi {
		from, next, ok := a.name(i, hi)
		if !ok || !a.is(next, "TO") {
			a.fail(reasonConstuct)
			return
		}
		to, next2, ok := a.name(next+1, hi)
		if !ok {
			a.fail(reasonConstuct)
			return
		}
		a.write(from)
		a.write(to)
		i = next2
		if !a.isOp(i, ",") {
			if i < hi {
				a.fail(reasonConstuct)
			}
			return
		}
		i++
	}
}

// grant reads GRANT and REVOKE: on an object, or of a role.
func (a *analyzer) grant(k Kind, lo, hi int) {
	a.kind(k)
	a.st.Object = ObjectRole
	for i := lo + 1; i < hi; i++ {
		if a.is(i, "ON") {
			a.st.Object = ObjectTable
			if obj, n := a.objectWord(i + 1); n > 0 {
				a.st.Object = obj
			} else if a.is(i+1, "ALL") {
				a.st.Object = ObjectOther
			}
			return
		}
	}
}

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
	a.function(lowerASCII(name))
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

// lexingSettings change how later text is lexed on the same connection.
var lexingSettings = [...]string{
	"STANDARD_CONFORMING_STRINGS", "BACKSLASH_QUOTE", "CLIENT_ENCODING", "SQL_MODE", "NAMES",
	"CHARACTER", "CHARSET", "CHARACTER_SET_CLIENT", "CHARACTER_SET_CONNECTION", "ESCAPE_STRING_WARNING",
	"ALL",
}

// set reads SET and records whether it changes lexing.
func (a *analyzer) set(lo, hi int) {
	a.kind(KindSet)
	if a.d == MySQL && a.is(lo+1, "STATEMENT") {
		a.fail("SET STATEMENT … FOR")
	}
	a.markLexing(lo+1, hi)
	a.scanAll(lo+1, hi)
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
		for _, w := range lexingSettings {
			if eqFold(s, w) {
				a.st.LexingSetting = true
				return
			}
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
	a.markLexing(lo+1, hi)
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
