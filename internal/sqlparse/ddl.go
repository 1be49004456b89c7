package sqlparse

import "strings"

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
	orReplace := false
	for k := 0; k < 12 && i < hi; k++ {
		switch {
		case a.is(i, "OR") && a.isAny(i+1, "REPLACE", "ALTER"):
			orReplace = orReplace || a.is(i+1, "REPLACE")
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
	if orReplace && obj == ObjectTable {
		// MariaDB drops the existing table, rows and all.
		a.st.Replaces = true
	}
	switch {
	case obj == ObjectFunction, obj == ObjectProcedure, obj == ObjectTrigger, obj == ObjectExtension,
		a.isAny(i, "RULE", "EVENT"):
		// Code the server runs later, or loads: not read here.
		a.st.DefinesCode = true
	}
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
		a.createBody(next, hi, t)
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
			if m := a.match(k); m > k {
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

// createBody reads what follows the name of a created table or view t:
// column definitions and AS query, whose columns it stores.
func (a *analyzer) createBody(i, hi int, t Table) {
	// A column list names the columns the query fills, by position; a
	// list of definitions leaves where each lands unknown.
	var names []string
	store := func(cols []Column) {
		if names == nil {
			a.storeNamed(cols, t)
		} else {
			a.storeColumns(cols, t, names)
		}
	}
	for i < hi {
		switch {
		case a.isOp(i, "(") && !a.startsQuery(i+1):
			end := a.closeOf(i, hi)
			a.columnDefs(i+1, end)
			if names = a.columnNames(i, end); names == nil {
				names = []string{}
			}
			i = end + 1
		case a.is(i, "AS") && a.is(i+1, "EXECUTE"):
			a.fail("CREATE TABLE AS EXECUTE")
			return
		case a.is(i, "AS") && (a.isAny(i+1, "SELECT", "WITH", "VALUES", "TABLE") || a.isOp(i+1, "(")):
			store(a.query(i+1, a.queryEnd(i+1, hi), true))
			return
		case a.d == MySQL && (a.isAny(i, "SELECT", "WITH", "TABLE", "VALUES") || a.isOp(i, "(") && a.startsQuery(i+1)):
			store(a.query(i, hi, true))
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

// columnDefs scans column and constraint definitions for the functions
// their DEFAULT, CHECK and GENERATED expressions call: they run later, on
// every INSERT or UPDATE (DEFAULT pg_read_file(…) reads a server file).
// The table a REFERENCES names is no function, nor is a column's type
// with its length, precision or values (datetime(3), enum('a', 'b')), nor
// the name of an index or key before its columns (UNIQUE INDEX name (c)).
func (a *analyzer) columnDefs(lo, hi int) {
	a.commaItems(lo, hi, a.columnDef)
}

// columnDef scans one column or constraint definition [lo, hi).
func (a *analyzer) columnDef(lo, hi int) {
	i := lo
	if a.is(i, "CONSTRAINT") && a.isName(i+1) {
		i += 2
	}
	if a.isAny(i, "PRIMARY", "UNIQUE", "FOREIGN", "FULLTEXT", "SPATIAL", "INDEX", "KEY") {
		for a.isAny(i, "PRIMARY", "UNIQUE", "FOREIGN", "FULLTEXT", "SPATIAL", "INDEX", "KEY") {
			i++
		}
		if a.isName(i) && a.isOp(i+1, "(") {
			i++ // the index's name, then its columns
		}
	} else if i == lo && a.isName(i) {
		// A column: its name, then its type.
		j := i + 1
		if a.isAny(j, "CHARACTER", "CHAR", "NATIONAL", "BIT", "DOUBLE") && j+1 < hi && a.toks[j+1].kind == tWord {
			j++ // character varying(20), national char(10)
		}
		if j < hi && a.toks[j].kind == tWord && a.isOp(j+1, "(") && a.literalsOnly(j+1) {
			i = a.match(j+1) + 1
		}
	}
	for i < hi {
		if a.is(i, "REFERENCES") {
			if t, next, ok := a.name(i+1, hi); ok {
				a.read(t)
				i = next
				if a.isOp(i, "(") {
					i = a.closeOf(i, hi) + 1
				}
				continue
			}
		}
		i = a.atom(i, hi)
	}
}

// literalsOnly reports whether the parentheses opening at open hold only
// numbers and strings, separated by commas: a type's modifiers.
func (a *analyzer) literalsOnly(open int) bool {
	m := a.match(open)
	if m <= open {
		return false
	}
	for k := open + 1; k < m; k++ {
		switch a.toks[k].kind {
		case tNumber, tString, tDQ:
		case tOp:
			if !a.isOp(k, ",") {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// queryEnd returns where a CREATE … AS query ends: before WITH [NO] DATA.
func (a *analyzer) queryEnd(i, hi int) int {
	for k := i; k < hi; k++ {
		if m := a.match(k); m > k {
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
	if a.is(lo+1, "DEFAULT") && a.is(lo+2, "PRIVILEGES") {
		a.st.PrivilegeSetting = true
	}
	i += n
	if !tableLike(obj) {
		if obj == ObjectDatabase || obj == ObjectRole || a.is(lo+1, "SYSTEM") {
			// ALTER DATABASE | ROLE | USER | SYSTEM … SET or RESET a setting
			// for later sessions.
			found := false
			for k := i; k < hi; k++ {
				if a.isAny(k, "SET", "RESET") {
					a.markLexing(k+1, hi)
					if a.d == PostgreSQL {
						a.alterSettings(k, hi, alterScope(a.is(lo+1, "SYSTEM")))
					}
					found = true
					break
				}
			}
			if !found && a.d == PostgreSQL && a.is(lo+1, "SYSTEM") {
				// Any ALTER SYSTEM changes the server's configuration.
				a.alterSettings(hi, hi, ScopeServer)
			}
		}
		if a.d == PostgreSQL && (obj == ObjectFunction || obj == ObjectProcedure) {
			// ALTER FUNCTION f() SET name = value: every later call runs
			// with it (SET SCHEMA moves the routine instead).
			for k := i; k < hi; k++ {
				if m := a.match(k); m > k {
					k = int(m)
					continue
				}
				if a.isAny(k, "SET", "RESET") && !a.is(k+1, "SCHEMA") {
					a.alterSettings(k, hi, ScopeDatabase)
					break
				}
			}
		}
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
	typeChange := false
	for k := next; k < hi; k++ {
		if m := a.match(k); m > k {
			k = int(m)
			continue
		}
		if a.is(k, "RENAME") {
			// The object, or a column, is gone under its name.
			a.st.Renames = true
		}
		if a.is(k, "SET") && a.is(k+1, "SCHEMA") && a.d == PostgreSQL {
			// The relation is gone under its qualified name.
			a.st.Renames = true
		}
		if a.isAny(k, "ATTACH", "DETACH") && a.is(k+1, "PARTITION") && a.d == PostgreSQL {
			// ALTER TABLE parent ATTACH PARTITION t: t's rows are read
			// under the parent's name from then on; the table rules
			// judge t as written.
			if pt, _, ok := a.name(k+2, hi); ok {
				a.write(pt)
			}
		}
		if a.is(k, "EXCHANGE") && a.is(k+1, "PARTITION") && a.d == MySQL {
			// ALTER TABLE parent EXCHANGE PARTITION p WITH TABLE t moves
			// t's rows into the partition and the partition's into t: a
			// copy of every column of both, not traced.
			for j := k + 2; j+1 < hi; j++ {
				if a.is(j, "WITH") && a.is(j+1, "TABLE") {
					if pt, _, ok := a.name(j+2, hi); ok {
						a.write(pt)
						a.read(pt)
					}
					break
				}
			}
			a.read(t)
			a.st.StoresUnknown = true
		}
		if a.is(k, "USING") && typeChange {
			// ALTER COLUMN … TYPE … USING expr rewrites every value.
			a.st.RewritesColumn = true
			a.st.StoresUnknown = true // from any column of the table
		}
		if a.is(k, "GENERATED") || a.is(k, "AS") && a.isOp(k+1, "(") {
			// A generated column computed from others: a copy of them
			// (not traced).
			a.st.StoresUnknown = true
		}
		if a.is(k, "TYPE") && a.d == PostgreSQL {
			typeChange = true
		}
		if a.is(k, "DISABLE") && a.is(k+1, "TRIGGER") && a.d == PostgreSQL {
			// ALL and USER include the foreign-key triggers; a named
			// trigger may be one of them.
			a.st.DisablesTriggers = true
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
		if obj == ObjectView && a.is(k, "AS") && (a.isAny(k+1, "SELECT", "WITH") || a.isOp(k+1, "(") && a.startsQuery(k+2)) {
			// MySQL ALTER VIEW v AS query: a new definition, read as
			// CREATE VIEW's.
			a.createBody(next, hi, t)
			break
		}
	}
	if tableLike(obj) && obj != ObjectView {
		a.commaItems(next, hi, a.alterAction)
		return
	}
	a.scanAll(next, hi)
}

// alterAction scans one action of ALTER TABLE for the functions it calls.
// A column that ADD, MODIFY or CHANGE defines is read as in CREATE TABLE
// (its type is no function call), and so is an added constraint.
func (a *analyzer) alterAction(lo, hi int) {
	i := lo
	if a.isAny(i, "ADD", "MODIFY", "CHANGE") {
		change := a.is(i, "CHANGE")
		i++
		if a.is(i, "COLUMN") {
			i++
		}
		if a.is(i, "IF") && a.is(i+1, "NOT") && a.is(i+2, "EXISTS") {
			i += 3
		}
		if change && a.isName(i) {
			if !a.isName(i+1) || !strings.EqualFold(a.fold(i), a.fold(i+1)) {
				// CHANGE old new type: the column is gone under its name,
				// as with RENAME COLUMN (a masked column would be read
				// under a name no rule selects).
				a.st.Renames = true
			}
			i++
		}
		if i < hi {
			a.columnDef(i, hi)
			return
		}
	}
	a.scanAll(lo, hi)
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
	a.st.Renames = true
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

// alterScope is the scope of ALTER SYSTEM (system) or ALTER DATABASE,
// ROLE, USER … SET.
func alterScope(system bool) SettingScope {
	if system {
		return ScopeServer
	}
	return ScopeDatabase
}
