package sqlparse

// Keyword sets: a word is upper-cased into a small buffer and looked up
// with a switch, which the compiler turns into a search without allocating.

// upperWord returns s upper-cased (ASCII) in buf, or false when s is too
// long to be a keyword.
func upperWord(s string, buf *[32]byte) ([]byte, bool) {
	if len(s) > len(buf) {
		return nil, false
	}
	b := buf[:len(s)]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		b[i] = c
	}
	return b, true
}

// clauseWord reports whether s is one of clauseWords.
func clauseWord(s string) bool {
	var buf [32]byte
	b, ok := upperWord(s, &buf)
	if !ok {
		return false
	}
	switch string(b) {
	case "CROSS", "EXCEPT", "FETCH", "FOR", "FROM", "FULL", "GROUP", "HAVING", "INNER", "INTERSECT",
		"INTO", "JOIN", "LEFT", "LIMIT", "LOCK", "NATURAL", "OFFSET", "ON", "ORDER", "QUALIFY",
		"RETURNING", "RIGHT", "SET", "STRAIGHT_JOIN", "UNION", "USING", "WHEN", "WHERE", "WINDOW":
		return true
	}
	return false
}

// notFuncWord reports whether s is one of notFunc.
func notFuncWord(s string) bool {
	var buf [32]byte
	b, ok := upperWord(s, &buf)
	if !ok {
		return false
	}
	switch string(b) {
	case "AGAINST", "ALL", "AND", "ANY", "ARRAY", "AS", "BETWEEN", "BY", "CASE", "CHECK", "COLUMNS",
		"CUBE", "DEFAULT", "DISTINCT", "ELSE", "ELSEIF", "EXISTS", "FILTER", "FOR", "FORCE",
		"FROM", "HAVING", "IGNORE", "ILIKE", "IN", "INDEX", "INTO", "IS", "JOIN", "KEY", "LATERAL",
		"LIKE", "LIMIT", "MATCH", "NESTED", "NOT", "OF", "ON", "ONLY", "OR", "ORDINALITY",
		"OVER", "PARTITION", "PATH", "RECURSIVE", "REFERENCES", "RETURNING", "ROLLUP", "ROW",
		"SELECT", "SETS", "SIMILAR", "SOME", "TABLE", "THEN", "TO", "UNIQUE", "USE", "USING",
		"VALUES", "WHEN", "WHERE", "WITHIN":
		return true
	}
	return false
}

// niladicWord reports whether s is one of niladic.
func niladicWord(s string) bool {
	var buf [32]byte
	b, ok := upperWord(s, &buf)
	if !ok {
		return false
	}
	switch string(b) {
	case "CURRENT_CATALOG", "CURRENT_DATE", "CURRENT_ROLE", "CURRENT_SCHEMA", "CURRENT_TIME",
		"CURRENT_TIMESTAMP", "CURRENT_USER", "LOCALTIME", "LOCALTIMESTAMP", "SESSION_USER",
		"SYSTEM_USER", "UTC_DATE", "UTC_TIME", "UTC_TIMESTAMP":
		return true
	}
	return false
}

// aliasStopWord reports whether s is one of aliasStop.
func aliasStopWord(s string) bool {
	var buf [32]byte
	b, ok := upperWord(s, &buf)
	if !ok {
		return false
	}
	switch string(b) {
	case "AND", "ANTI", "APPLY", "AS", "CONNECT", "CROSS", "DEFAULT", "DO", "ELSE", "END", "EXCEPT",
		"FETCH", "FOR", "FORCE", "FROM", "FULL", "GROUP", "HAVING", "IGNORE", "INDEXED", "INNER",
		"INTERSECT", "INTO", "JOIN", "LEFT", "LIMIT", "LOCK", "NATURAL", "NOT", "OFFSET", "ON",
		"OR", "ORDER", "OUTER", "OVERRIDING", "PARTITION", "QUALIFY", "RETURNING", "RIGHT",
		"SELECT", "SEMI", "SET", "START", "STRAIGHT_JOIN", "TABLESAMPLE", "THEN", "TO", "UNION",
		"USE", "USING", "VALUES", "WHEN", "WHERE", "WINDOW", "WITH":
		return true
	}
	return false
}

// exprWord reports whether s is one of exprWords.
func exprWord(s string) bool {
	var buf [32]byte
	b, ok := upperWord(s, &buf)
	if !ok {
		return false
	}
	switch string(b) {
	case "ALL", "AND", "ANY", "ARRAY", "AS", "ASC", "BETWEEN", "BINARY", "BOTH", "BY", "CASE",
		"COLLATE", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER", "DEFAULT",
		"DESC", "DISTINCT", "DIV", "ELSE", "END", "ESCAPE", "EXISTS", "FALSE", "FOR", "FROM",
		"GROUP", "ILIKE", "IN", "IS", "ISNULL", "LEADING", "LIKE", "LOCALTIME", "LOCALTIMESTAMP",
		"MOD", "NOT", "NOTNULL", "NULL", "OR", "ORDER", "OVER", "REGEXP", "RLIKE", "SESSION_USER",
		"SIMILAR", "SOME", "SYMMETRIC", "THEN", "TO", "TRAILING", "TRUE", "UNKNOWN", "USING",
		"VARIADIC", "WHEN", "WHERE", "XOR":
		return true
	}
	return false
}

// operatorOrColumn reports whether the expression word s (see exprWord)
// may also name a column in some dialect: mod, div, escape, array and
// unknown are valid column names in one dialect and operators in another.
func operatorOrColumn(s string) bool {
	var buf [32]byte
	b, ok := upperWord(s, &buf)
	if !ok {
		return false
	}
	switch string(b) {
	case "ARRAY", "BINARY", "DIV", "ESCAPE", "ILIKE", "ISNULL", "MOD", "NOTNULL", "REGEXP", "RLIKE",
		"SIMILAR", "SYMMETRIC", "UNKNOWN", "VARIADIC", "XOR":
		return true
	}
	return false
}

// lexingWord reports whether s is one of lexingSettings.
func lexingWord(s string) bool {
	var buf [32]byte
	b, ok := upperWord(s, &buf)
	if !ok {
		return false
	}
	switch string(b) {
	case "BACKSLASH_QUOTE", "CHARACTER", "CHARACTER_SET_CLIENT", "CHARACTER_SET_CONNECTION",
		"CHARSET", "CLIENT_ENCODING", "ESCAPE_STRING_WARNING", "NAMES", "SQL_MODE", "STANDARD_CONFORMING_STRINGS":
		return true
	}
	return false
}
