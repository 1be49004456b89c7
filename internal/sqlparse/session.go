package sqlparse

// stateless is the analysis behind [Script.ChangesSession]: true when no
// statement of a complete script may change its session and the text's
// tokens show no change either (sessionText).
func stateless(s *Script, sessionText bool) bool {
	if !s.Complete || sessionText {
		return false
	}
	for k := range s.Statements {
		if changesSession(&s.Statements[k], s.Dialect, 0) {
			return false
		}
	}
	return true
}

// changesSession is ChangesSession for one statement, judged by its
// analysis alone (the text's tokens are judged by sessionTokens).
func changesSession(st *Statement, d Dialect, depth int) bool {
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
	if st.Inner != nil && changesSession(st.Inner, d, depth+1) {
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
