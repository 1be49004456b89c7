package sqlparse

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Reasons for an incomplete analysis. They are constant strings: a reason
// never carries text from the statement.
const (
	reasonDialect  = "unknown dialect"
	reasonTooLong  = "text exceeds 1 MiB"
	reasonUnknown  = "unknown statement"
	reasonConstuct = "unknown construct"
	reasonInternal = "internal error"
)

// scriptAlloc holds a script and its first statement in one allocation.
type scriptAlloc struct {
	s  Script
	st [1]Statement
}

// Analyze reads sql in dialect d. It never panics and never returns nil;
// whatever it cannot read with certainty is reported with Complete false.
// The result is not cached: see [Cache].
func Analyze(d Dialect, sql string) (script *Script) {
	sa := &scriptAlloc{}
	sc := &sa.s
	sc.Dialect = d
	defer func() {
		// A defect of the analyser must fail closed, never crash the caller.
		if recover() != nil {
			script = failScript(&scriptAlloc{s: Script{Dialect: d}}, reasonInternal)
		}
	}()
	if d != PostgreSQL && d != MySQL && d != SQLite {
		return failScript(sa, reasonDialect)
	}
	if len(sql) > MaxTextLen {
		return failScript(sa, reasonTooLong)
	}
	var buf [32]token
	toks := buf[:0]
	if len(sql) > 240 {
		toks = make([]token, 0, len(sql)/3+8)
	}
	lx := lexer{d: d, src: sql}
	toks = lx.lex(toks)
	if k := strings.IndexByte(sql, 0); k >= 0 {
		// Drivers and servers may cut the text at a NUL, wherever it is:
		// in a string, in a comment.
		lx.flawAt(k, "NUL byte in text")
	}
	if !utf8.ValidString(sql) {
		// Charge each statement holding an invalid sequence.
		for k := 0; k < len(sql); {
			r, size := utf8.DecodeRuneInString(sql[k:])
			if r == utf8.RuneError && size == 1 {
				lx.flawAt(k, "invalid UTF-8")
				for k < len(sql) && sql[k] != ';' {
					k++
				}
				continue
			}
			k += size
		}
	}
	a := analyzer{d: d, src: sql, toks: toks, parenFlaw: -1}
	a.matchParens()
	a.split(sa)
	if a.parenFlaw >= 0 {
		lx.flawAt(a.parenFlaw, "unbalanced parentheses")
	}
	a.applyFlaws(lx.flaws)
	sc.Complete = true
	for i := range sc.Statements {
		if !sc.Statements[i].Complete {
			sc.Complete = false
			sc.Reason = sc.Statements[i].Reason
			break
		}
	}
	// One allocation holds the normalized text and the summary.
	var sb [64]byte
	summary := a.summary(sc, sb[:0])
	sc.Normalized, sc.Summary = normalize(sql, toks, summary)
	if !sc.Complete && (strings.IndexByte(sc.Normalized, 0) >= 0 || !utf8.ValidString(sc.Normalized)) {
		// Keep what is recorded printable: spans want valid UTF-8.
		sc.Normalized = strings.ToValidUTF8(strings.ReplaceAll(sc.Normalized, "\x00", ""), "?")
	}
	sc.Fingerprint = fingerprint(d, sc.Normalized)
	sc.Placeholders = countPlaceholders(sql, toks)
	sc.Stateless = stateless(sc, sessionTokens(d, sql, toks))
	return sc
}

// countPlaceholders counts the placeholder tokens by style.
func countPlaceholders(src string, toks []token) Placeholders {
	var p Placeholders
	for k := range toks {
		t := &toks[k]
		if t.kind != tParam {
			continue
		}
		text := src[t.pos:t.end]
		switch {
		case text == "?":
			p.Positional++
		case len(text) > 1 && (text[0] == '$' || text[0] == '?') && isDigit(text[1]):
			n := 0
			for _, c := range []byte(text[1:]) {
				if !isDigit(c) || n > 1<<20 {
					n = -1
					break
				}
				n = n*10 + int(c-'0')
			}
			if n < 0 {
				p.Named++ // not a number the analyser can hold: do not judge
				continue
			}
			p.MaxOrdinal = max(p.MaxOrdinal, n)
		default:
			p.Named++
		}
	}
	return p
}

func failScript(sa *scriptAlloc, reason string) *Script {
	sa.st[0] = Statement{Kind: KindUnknown, Effect: KindUnknown, Object: ObjectUnknown, Limit: -1, Reason: reason}
	sa.s.Statements = sa.st[:1:1]
	sa.s.Reason = reason
	sa.s.Summary = "UNKNOWN"
	sa.s.Fingerprint = fingerprint(sa.s.Dialect, "")
	return &sa.s
}

// applyFlaws marks the statements holding lexer flaws incomplete.
func (a *analyzer) applyFlaws(flaws []lexFlaw) {
	sts := a.script.Statements
	for _, f := range flaws {
		if len(sts) == 0 {
			a.script.Statements = append(a.script.Statements, Statement{Kind: KindUnknown, Effect: KindUnknown, Object: ObjectUnknown, Limit: -1, Reason: f.reason})
			sts = a.script.Statements
			continue
		}
		// The statement starting last at or before the flaw holds it.
		k := sort.Search(len(a.starts), func(j int) bool { return int(a.toks[a.starts[j]].pos) > f.pos }) - 1
		if k < 0 {
			k = 0
		}
		if k >= len(sts) {
			k = len(sts) - 1
		}
		if sts[k].Complete {
			sts[k].Complete = false
			sts[k].Reason = f.reason
		}
	}
}

// split cuts the token stream into statements and analyses each.
func (a *analyzer) split(sa *scriptAlloc) {
	a.script = &sa.s
	toks := a.toks
	n := len(toks)
	lo := 0
	count := 0
	for lo < n {
		if toks[lo].kind == tSemi {
			lo++
			continue
		}
		hi, swallow := a.stmtEnd(lo)
		var st *Statement
		if count == 0 {
			sa.s.Statements = sa.st[:1:1]
			st = &sa.st[0]
		} else {
			if count == 1 {
				// A script: its statements are counted first, so that
				// they take one allocation of their size rather than a
				// growing slice's copies (a 1 MiB text of short
				// statements allocated 146 MiB growing it).
				more := a.countStatements(lo)
				sts := make([]Statement, 1, 1+more)
				sts[0] = sa.st[0]
				sa.s.Statements = sts
				a.starts = slices.Grow(a.starts, more)
			}
			sa.s.Statements = append(sa.s.Statements, Statement{})
			st = &sa.s.Statements[len(sa.s.Statements)-1]
		}
		a.starts = append(a.starts, lo)
		count++
		a.statement(lo, hi, st)
		if swallow != "" && st.Complete {
			st.Complete = false
			st.Reason = swallow
		}
		lo = hi
	}
}

// countStatements returns the number of statements from the token lo on,
// as split finds them.
func (a *analyzer) countStatements(lo int) int {
	n := 0
	for lo < len(a.toks) {
		if a.toks[lo].kind == tSemi {
			lo++
			continue
		}
		lo, _ = a.stmtEnd(lo)
		n++
	}
	return n
}

// stmtEnd returns the index of the token ending the statement starting at
// lo (its semicolon, or len(toks)). Statements with bodies holding
// semicolons (PostgreSQL BEGIN ATOMIC, SQLite triggers, MySQL stored
// programs and compound statements) are kept whole.
func (a *analyzer) stmtEnd(lo int) (int, string) {
	toks := a.toks
	n := len(toks)
	switch a.d {
	case MySQL:
		if a.mysqlCompound(lo) {
			return n, "stored program or compound statement"
		}
	case SQLite:
		if a.is(lo, "CREATE") && (a.is(lo+1, "TRIGGER") || (a.is(lo+1, "TEMP") || a.is(lo+1, "TEMPORARY")) && a.is(lo+2, "TRIGGER")) {
			return a.blockEnd(lo, false)
		}
	case PostgreSQL:
		if a.is(lo, "CREATE") {
			return a.blockEnd(lo, true)
		}
	}
	for i := lo; i < n; i++ {
		if toks[i].kind == tSemi {
			return i, ""
		}
		if m := toks[i].m; m > int32(i) {
			i = int(m)
		}
	}
	return n, ""
}

// blockEnd finds the end of a statement that may hold BEGIN [ATOMIC] … END.
func (a *analyzer) blockEnd(lo int, atomic bool) (int, string) {
	n := len(a.toks)
	depth := 0
	for i := lo; i < n; i++ {
		if m := a.toks[i].m; m > int32(i) {
			i = int(m)
			continue
		}
		switch {
		case a.toks[i].kind == tSemi:
			if depth == 0 {
				return i, ""
			}
		case a.is(i, "BEGIN") && (!atomic || a.is(i+1, "ATOMIC")):
			if depth == 0 {
				depth = 1
			}
		case depth > 0 && a.is(i, "CASE"):
			depth++
		case depth > 0 && a.is(i, "END"):
			depth--
		}
	}
	if depth > 0 {
		return n, "unterminated BEGIN … END block"
	}
	return n, ""
}

// mysqlCompound reports a MySQL statement whose body may hold semicolons:
// CREATE PROCEDURE / FUNCTION / TRIGGER / EVENT, and MariaDB's compound
// statements outside stored programs.
func (a *analyzer) mysqlCompound(lo int) bool {
	if a.is(lo, "BEGIN") && a.is(lo+1, "NOT") {
		return true
	}
	for _, kw := range [...]string{"IF", "WHILE", "LOOP", "REPEAT", "CASE", "FOR", "DECLARE"} {
		if a.is(lo, kw) {
			return true
		}
	}
	if a.toks[lo].kind == tWord && a.isOp(lo+1, ":") && a.isAny(lo+2, "BEGIN", "LOOP", "WHILE", "REPEAT", "FOR") {
		return true // label:
	}
	if !a.is(lo, "CREATE") && !a.is(lo, "ALTER") {
		return false // ALTER EVENT … DO may carry a body too
	}
	for i := lo + 1; i < len(a.toks) && i < lo+16; i++ {
		if a.isOp(i, "(") || a.toks[i].kind == tSemi {
			return false
		}
		if a.is(i, "PROCEDURE") || a.is(i, "FUNCTION") || a.is(i, "TRIGGER") || a.is(i, "EVENT") {
			return true
		}
	}
	return false
}

// normalize writes the tokens with literals replaced by "?", comments
// dropped and whitespace collapsed to one space.
func normalize(src string, toks []token, summary []byte) (string, string) {
	if len(toks) == 0 {
		return "", string(summary)
	}
	size := len(summary)
	for _, t := range toks {
		size += int(t.end-t.pos) + 1
	}
	var b strings.Builder
	b.Grow(size)
	for k, t := range toks {
		if t.space && k > 0 {
			b.WriteByte(' ')
		}
		switch {
		case t.kind == tString || t.kind == tNumber || t.kind == tDQ:
			b.WriteByte('?')
		case t.kind == tQIdent && aliasIdent(src, toks, k):
			// A name the text gives, not one it references: it may
			// hold anything (SELECT 1 AS "ada@example.com").
			q := src[t.end-1]
			if q == ']' {
				b.WriteString("[?]")
			} else {
				b.WriteByte(q)
				b.WriteByte('?')
				b.WriteByte(q)
			}
		default:
			b.WriteString(src[t.pos:t.end])
		}
	}
	if b.Len() > maxSharedNormalized {
		// The summary (a span's name) outlives the text: it must not
		// keep a long text alive.
		return b.String(), string(summary)
	}
	n := b.Len()
	b.Write(summary)
	all := b.String()
	return all[:n], all[n:]
}

// maxSharedNormalized is the longest normalized text that shares its
// allocation with the summary.
const maxSharedNormalized = 512

// aliasIdent reports whether the quoted identifier toks[k] names an alias:
// the analyser marked it so, or it follows AS, a literal, a placeholder, a
// closing parenthesis or another quoted identifier, after which no
// reference can stand.
func aliasIdent(src string, toks []token, k int) bool {
	if toks[k].mark&markAlias != 0 {
		return true
	}
	if k == 0 {
		return false
	}
	p := toks[k-1]
	switch p.kind {
	case tString, tNumber, tParam, tDQ, tQIdent:
		return true
	case tWord:
		return eqFold(src[p.pos:p.end], "AS")
	case tOp:
		return src[p.pos:p.end] == ")"
	}
	return false
}

// fingerprint is FNV-1a 64 over the dialect and the normalized text.
func fingerprint(d Dialect, norm string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	h ^= uint64(d)
	h *= prime
	for i := 0; i < len(norm); i++ {
		h ^= uint64(norm[i])
		h *= prime
	}
	return h
}
