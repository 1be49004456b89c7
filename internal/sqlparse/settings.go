package sqlparse

// Facts about session settings and maintenance: the names and values of
// PRAGMA and SET, the scope of a change, the lock a LOCK takes, the reach
// of VACUUM, CLUSTER, REINDEX and OPTIMIZE. The guard judges them; here
// they are only read.

// maxSettings bounds the settings one statement lists.
const maxSettings = 64

func (a *analyzer) setting(s Setting) {
	if len(a.st.Settings) >= maxSettings {
		a.st.SettingsUnknown = true
		return
	}
	a.st.Settings = append(a.st.Settings, s)
}

// settingValue reads the value in tokens [lo, hi) when it is one word,
// number, signed number or plain quoted string; else "".
func (a *analyzer) settingValue(lo, hi int) string {
	switch hi - lo {
	case 1:
		t := a.toks[lo]
		s := a.text(lo)
		switch t.kind {
		case tWord, tNumber:
			return lowerASCII(s)
		case tString, tQIdent, tDQ:
			if t.esc || len(s) < 2 {
				return ""
			}
			q := s[0]
			if q != '\'' && q != '"' && q != '`' && q != '[' {
				return "" // E'…', N'…', X'…', $$…$$: not plain
			}
			body := s[1 : len(s)-1]
			for k := 0; k < len(body); k++ {
				if c := body[k]; c == '\\' || c == '\'' || c == '"' || c == '`' || c == ']' {
					return ""
				}
			}
			return lowerASCII(body)
		}
	case 2:
		if (a.isOp(lo, "-") || a.isOp(lo, "+")) && a.toks[lo+1].kind == tNumber {
			return a.text(lo) + lowerASCII(a.text(lo+1))
		}
	}
	return ""
}

// pragma reads SQLite PRAGMA [schema.]name [= value | (value)].
func (a *analyzer) pragma(lo, hi int) {
	a.simple(KindPragma, lo, hi)
	t, next, ok := a.name(lo+1, hi)
	if !ok {
		a.st.SettingsUnknown = true
		a.fail(reasonConstuct)
		return
	}
	s := Setting{Name: lowerASCII(t.Name), Scope: ScopeSession}
	switch {
	case next == hi:
	case a.isOp(next, "="):
		s.Assigned = true
		s.Value = a.settingValue(next+1, hi)
	case a.isOp(next, "("):
		end := a.closeOf(next, hi)
		s.Assigned = true
		s.Value = a.settingValue(next+1, end)
		if end+1 != hi {
			a.st.SettingsUnknown = true
			a.fail(reasonConstuct)
		}
	default:
		s.Assigned = true
		a.st.SettingsUnknown = true
		a.fail(reasonConstuct)
	}
	a.setting(s)
}

// setSettings reads the assignments of SET (tokens after SET in [lo, hi)).
func (a *analyzer) setSettings(lo, hi int) {
	switch a.d {
	case PostgreSQL:
		a.pgSet(lo, hi, ScopeSession)
	case MySQL:
		a.mySet(lo, hi)
	}
}

// pgSet reads what follows PostgreSQL's SET (or the SET of ALTER … SET,
// with scope other than ScopeSession).
func (a *analyzer) pgSet(i, hi int, scope SettingScope) {
	if scope == ScopeSession {
		switch {
		case a.is(i, "SESSION") && !a.isAny(i+1, "AUTHORIZATION", "CHARACTERISTICS"):
			i++
		case a.is(i, "LOCAL"):
			scope = ScopeTransaction
			i++
		}
	}
	s := Setting{Assigned: true, Scope: scope}
	switch {
	case a.is(i, "TIME") && a.is(i+1, "ZONE"):
		s.Name, s.Value = "timezone", a.settingValue(i+2, hi)
	case a.is(i, "SCHEMA"):
		s.Name, s.Value = "search_path", a.settingValue(i+1, hi)
	case a.is(i, "NAMES"):
		s.Name, s.Value = "client_encoding", a.settingValue(i+1, hi)
	case a.is(i, "XML") && a.is(i+1, "OPTION"):
		s.Name, s.Value = "xmloption", a.settingValue(i+2, hi)
	case a.is(i, "ROLE"):
		s.Name = "role"
	case a.is(i, "SESSION") && a.is(i+1, "AUTHORIZATION"):
		s.Name = "session_authorization"
	case a.is(i, "TRANSACTION"), a.is(i, "SESSION") && a.is(i+1, "CHARACTERISTICS"):
		s.Name = "transaction"
	case a.is(i, "CONSTRAINTS"):
		s.Name = "constraints"
	default:
		t, next, ok := a.name(i, hi)
		if !ok || !a.is(next, "TO") && !a.isOp(next, "=") {
			if ok && a.is(next, "FROM") && a.is(next+1, "CURRENT") {
				// ALTER … SET name FROM CURRENT: the session's value.
				s.Name = lowerASCII(t.String())
				a.setting(s)
				return
			}
			a.st.SettingsUnknown = true
			a.setting(Setting{Assigned: true, Scope: scope})
			return
		}
		s.Name = lowerASCII(t.String())
		s.Value = a.settingValue(next+1, hi)
	}
	a.setting(s)
}

// mySet reads what follows MySQL's SET: comma-separated assignments, each
// with an optional scope, or one of the special forms.
func (a *analyzer) mySet(lo, hi int) {
	scope := ScopeSession
	special := func(i int) string {
		switch {
		case a.is(i, "NAMES"):
			return "names"
		case a.is(i, "CHARACTER") && a.is(i+1, "SET"), a.is(i, "CHARSET"):
			return "character_set"
		case a.is(i, "PASSWORD"):
			return "password"
		case a.is(i, "ROLE"), a.is(i, "DEFAULT") && a.is(i+1, "ROLE"):
			return "role"
		case a.is(i, "TRANSACTION"):
			return "transaction"
		}
		return ""
	}
	for i := lo; i < hi; {
		end := i
		for end < hi && !a.isOp(end, ",") {
			if m := a.match(end); m > end && int(m) < hi {
				end = int(m)
			}
			end++
		}
		k := i
		switch {
		case a.is(k, "GLOBAL"):
			scope = ScopeGlobal
			k++
		case a.isAny(k, "PERSIST", "PERSIST_ONLY"):
			scope = ScopePersist
			k++
		case a.isAny(k, "SESSION", "LOCAL"):
			scope = ScopeSession
			k++
		}
		if name := special(k); name != "" {
			a.setting(Setting{Name: name, Assigned: true, Scope: scope})
			if name == "names" || name == "character_set" {
				// SET NAMES x, foreign_key_checks = 0: an item of the
				// list like any other.
				i = end + 1
				continue
			}
			// The other special forms take the rest of the statement
			// (SET ROLE a, b; SET TRANSACTION …, READ ONLY; SET PASSWORD
			// FOR u = …): no value is recorded.
			return
		}
		s := Setting{Assigned: true, Scope: scope}
		switch {
		case k < end && a.toks[k].kind == tVar:
			v := a.text(k)
			if len(v) < 2 || v[1] != '@' {
				i = end + 1 // a user variable, not a setting
				continue
			}
			v = lowerASCII(v[2:])
			for _, p := range [...]struct {
				prefix string
				scope  SettingScope
			}{{"global.", ScopeGlobal}, {"session.", ScopeSession}, {"local.", ScopeSession},
				{"persist.", ScopePersist}, {"persist_only.", ScopePersist}} {
				if len(v) > len(p.prefix) && v[:len(p.prefix)] == p.prefix {
					s.Scope, v = p.scope, v[len(p.prefix):]
					break
				}
			}
			if v == "" || v[len(v)-1] == '.' {
				a.st.SettingsUnknown = true
			}
			for d := len(v) - 1; d >= 0; d-- {
				if v[d] == '.' {
					v = v[d+1:]
					break
				}
			}
			s.Name = v
			k++
		case a.isName(k):
			t, next, ok := a.name(k, end)
			if !ok {
				a.st.SettingsUnknown = true
			}
			s.Name = lowerASCII(t.Name)
			k = next
		default:
			a.st.SettingsUnknown = true
		}
		if a.isOp(k, "=") || a.isOp(k, ":=") {
			s.Value = a.settingValue(k+1, end)
		} else {
			a.st.SettingsUnknown = true
		}
		a.setting(s)
		i = end + 1
	}
}

// alterSettings reads the SET or RESET at k of a PostgreSQL ALTER
// DATABASE, ROLE, USER or SYSTEM.
func (a *analyzer) alterSettings(k, hi int, scope SettingScope) {
	switch {
	case a.is(k, "SET"):
		a.pgSet(k+1, hi, scope)
	case a.is(k, "RESET"):
		name := "all"
		if !a.is(k+1, "ALL") {
			t, _, ok := a.name(k+1, hi)
			if !ok {
				a.st.SettingsUnknown = true
			}
			name = lowerASCII(t.String())
		}
		a.setting(Setting{Name: name, Scope: scope})
	default:
		a.st.SettingsUnknown = true
		a.setting(Setting{Assigned: true, Scope: scope})
	}
}

// use reads MySQL USE db.
func (a *analyzer) use(lo, hi int) {
	a.simple(KindUse, lo, hi)
	switch {
	case lo+2 == hi && a.isName(lo+1):
		a.st.Database = a.fold(lo + 1)
	case lo+2 == hi && a.toks[lo+1].kind == tDQ:
		// "db": a name under ANSI_QUOTES (else the server refuses it).
		if s := a.text(lo + 1); len(s) > 2 && !a.toks[lo+1].esc && indexFrom(s[1:len(s)-1], `"`, 0) < 0 {
			a.st.Database = s[1 : len(s)-1]
		} else {
			a.fail(reasonConstuct)
		}
	default:
		a.fail(reasonConstuct)
	}
}

// lockMode reads the mode of LOCK (tokens [lo, hi) of the statement).
func (a *analyzer) lockMode(lo, hi int) {
	switch a.d {
	case PostgreSQL:
		for i := lo + 1; i < hi; i++ {
			if !a.is(i, "IN") {
				continue
			}
			mode := ""
			k := i + 1
			for ; k < hi && !a.is(k, "MODE"); k++ {
				if !a.isAny(k, "ACCESS", "ROW", "SHARE", "UPDATE", "EXCLUSIVE") {
					return
				}
				if mode != "" {
					mode += " "
				}
				mode += upperASCII(a.text(k))
			}
			if k < hi {
				a.st.LockMode = mode
			}
			return
		}
		a.st.LockMode = "ACCESS EXCLUSIVE"
	case MySQL:
		if a.is(lo+1, "INSTANCE") {
			a.st.LockMode = "BACKUP"
			return
		}
		mode := ""
		for i := lo + 1; i < hi; i++ {
			switch {
			case a.is(i, "WRITE"):
				a.st.LockMode = "WRITE"
				return
			case a.is(i, "READ"):
				mode = "READ"
			}
		}
		a.st.LockMode = mode
	}
}

func upperASCII(s string) string {
	b := []byte(s)
	for k, c := range b {
		if 'a' <= c && c <= 'z' {
			b[k] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// vacuumFull reports a PostgreSQL VACUUM that rewrites its tables:
// VACUUM FULL …, VACUUM (FULL [true | on | 1], …).
func (a *analyzer) vacuumFull(lo, hi int) bool {
	i := lo + 1
	if a.isOp(i, "(") {
		end := a.closeOf(i, hi)
		for k := i + 1; k < end; k++ {
			if a.is(k, "FULL") && !a.isAny(k+1, "FALSE", "OFF") && !(k+1 < end && a.text(k+1) == "0") {
				return true
			}
		}
		return false
	}
	for ; i < hi && a.isAny(i, "FULL", "FREEZE", "VERBOSE", "ANALYZE", "ANALYSE"); i++ {
		if a.is(i, "FULL") {
			return true
		}
	}
	return false
}

// reindex reads REINDEX and what it rebuilds.
func (a *analyzer) reindex(lo, hi int) {
	a.simple(KindReindex, lo, hi)
	i := lo + 1
	if a.d == SQLite {
		if i == hi {
			a.st.ReindexScope = ObjectDatabase
		} else {
			a.st.ReindexScope = ObjectOther
		}
		return
	}
	if a.isOp(i, "(") {
		i = a.closeOf(i, hi) + 1
	}
	switch {
	case a.isAny(i, "DATABASE", "SYSTEM"):
		a.st.ReindexScope = ObjectDatabase
	case a.is(i, "SCHEMA"):
		a.st.ReindexScope = ObjectSchema
	case a.is(i, "TABLE"):
		a.st.ReindexScope = ObjectTable
	case a.is(i, "INDEX"):
		a.st.ReindexScope = ObjectIndex
	}
}
