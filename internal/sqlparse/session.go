package sqlparse

// ChangesSession reports whether running the script may leave state on its
// connection that outlives it and that a later statement on the same
// connection would see, whoever issues it: a setting, the role or session
// authorization, the search path or current database, a PRAGMA, a
// temporary object, a prepared statement or held cursor, a lock or
// advisory lock, a user variable, a LISTEN, an attached database, an open
// transaction begun by text.
//
// It errs towards true: an incomplete script, a statement of a kind that
// may change the session, a function that is not a known value function
// (see [ValueFunction]: a user function may call set_config or create a
// temporary table), a TEMP or TEMPORARY keyword or a pg_temp or temp
// schema anywhere in the text, and a MySQL user variable assigned (:=) or
// written by INTO all count. A plain SELECT, INSERT, UPDATE, DELETE,
// MERGE or DDL on ordinary objects does not. Values every write leaves
// behind (PostgreSQL currval and lastval, MySQL LAST_INSERT_ID and
// ROW_COUNT) are not counted.
func (s *Script) ChangesSession() bool {
	if s == nil || !s.Complete || s.sessionText {
		return true
	}
	for k := range s.Statements {
		if s.Statements[k].changesSession(s.Dialect, 0) {
			return true
		}
	}
	return false
}

// changesSession is ChangesSession for one statement, judged by its
// analysis alone (the text's tokens are judged by sessionTokens).
func (st *Statement) changesSession(d Dialect, depth int) bool {
	if !st.Complete || depth > 8 {
		return true
	}
	if st.LexingSetting || st.PrivilegeSetting || st.DefinesCode {
		return true
	}
	for _, k := range [...]Kind{st.Kind, st.Effect} {
		switch k {
		case KindUnknown, KindOther, KindSet, KindReset, KindPragma, KindPrepare, KindExecute,
			KindDeallocate, KindUse, KindDiscard, KindLock, KindUnlock, KindAttach, KindListen,
			KindBegin, KindSavepoint, KindDo, KindCall, KindHandler, KindFlush:
			return true
		}
	}
	for _, f := range st.Functions {
		if !ValueFunction(d, f) {
			return true
		}
	}
	if st.Inner != nil && st.Inner.changesSession(d, depth+1) {
		return true
	}
	return false
}

// sessionTokens reports whether the tokens of a text hold a sign of
// session state that the statement analysis does not record: a TEMP or
// TEMPORARY keyword, the pg_temp or temp schema, or a MySQL user variable
// assigned with := or after INTO.
func sessionTokens(d Dialect, src string, toks []token) bool {
	into := false
	for k := range toks {
		t := &toks[k]
		text := src[t.pos:t.end]
		switch t.kind {
		case tWord:
			if eqFold(text, "TEMP") || eqFold(text, "TEMPORARY") || tempSchema(d, text) {
				return true
			}
			if eqFold(text, "INTO") {
				into = true
			}
		case tQIdent:
			if len(text) >= 2 {
				inner := text[1 : len(text)-1]
				if t.esc || eqFold(inner, "TEMP") || tempSchema(d, inner) {
					return true
				}
			}
		case tVar:
			if len(text) < 2 || text[1] == '@' {
				continue // a system variable is set by SET, a statement kind
			}
			if into {
				return true
			}
			if k+1 < len(toks) && toks[k+1].kind == tOp && src[toks[k+1].pos:toks[k+1].end] == ":=" {
				return true
			}
		case tSemi:
			into = false
		}
	}
	return false
}

// tempSchema reports whether name is PostgreSQL's pg_temp (or pg_temp_N)
// schema.
func tempSchema(d Dialect, name string) bool {
	return d == PostgreSQL && len(name) >= 7 && eqFold(name[:7], "PG_TEMP")
}
