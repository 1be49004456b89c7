package sqlparse

import (
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"
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

// maxStatements is the most statements a script is read for: the rest of
// the text is one statement of KindUnknown, incomplete (reasonTooMany), so
// that the policy denies the script, and the statements of a text never
// take more than a bounded share of memory (a Statement is some 300 bytes;
// 1 MiB of "SELECT 1;" holds 116,508 statements). Real scripts stay far
// below: PostgreSQL's largest regression script, alter_table.sql, read
// whole, holds 1,632.
const maxStatements = 4096

const reasonTooMany = "more than 4096 statements"

// scriptAlloc holds a script and its first statement in one allocation.
type scriptAlloc struct {
	s  Script
	st [1]Statement
}

// Analyze reads sql in dialect d. It never panics and never returns nil;
// whatever it cannot read with certainty is reported with Complete false.
// The result is not cached: see [Cache].
//
// The text is lexed and read a statement at a time, its tokens dropped
// once read: the memory it takes is bounded by a small multiple of the
// text's length (see BenchmarkAnalyze1MiB).
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
	a := analyzer{d: d, src: sql, toks: buf[:0], parenFlaw: -1}
	a.lx = lexer{d: d, src: sql}
	a.norm.src = sql
	lx := &a.lx
	a.split(sa)
	if k := strings.IndexByte(sql, 0); k >= 0 && k < a.capPos {
		// Drivers and servers may cut the text at a NUL, wherever it is:
		// in a string, in a comment.
		lx.flawAt(k, "NUL byte in text")
	}
	if !utf8.ValidString(sql) {
		// Charge each statement holding an invalid sequence (those past
		// the statement cap are incomplete already).
		for k := 0; k < a.capPos; {
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
	a.tally(a.toks)
	// One allocation holds the normalized text and the summary.
	var sb [64]byte
	summary := a.summary(sc, sb[:0])
	sc.Normalized, sc.Summary = a.norm.finish(a.toks, a.capPos, summary)
	if !sc.Complete && (strings.IndexByte(sc.Normalized, 0) >= 0 || !utf8.ValidString(sc.Normalized)) {
		// Keep what is recorded printable: spans want valid UTF-8.
		sc.Normalized = strings.ToValidUTF8(strings.ReplaceAll(sc.Normalized, "\x00", ""), "?")
	}
	sc.Fingerprint = fingerprint(d, sc.Normalized)
	sc.Placeholders = a.placeholders
	sc.Stateless = stateless(sc, a.sessionText)
	return sc
}

// tally counts the placeholders of tokens read and looks in them for signs
// of session state.
func (a *analyzer) tally(toks []token) {
	if len(toks) == 0 {
		return
	}
	p := countPlaceholders(a.src, toks)
	a.placeholders.Positional += p.Positional
	a.placeholders.Named += p.Named
	a.placeholders.MaxOrdinal = max(a.placeholders.MaxOrdinal, p.MaxOrdinal)
	a.sessionText = a.sessionText || sessionTokens(a.d, a.src, toks)
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
		k := sort.Search(len(a.starts), func(j int) bool { return int(a.starts[j]) > f.pos }) - 1
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

// split reads the text a chunk of tokens at a time (see lexer.lex), cuts
// them into statements and analyses each. Tokens read are passed to tally
// and normalize, then dropped: only the last chunk's are left in a.toks.
func (a *analyzer) split(sa *scriptAlloc) {
	a.script = &sa.s
	a.capPos = len(a.src)
	lo := 0
	for {
		for lo < len(a.toks) && a.toks[lo].kind == tSemi {
			lo++
		}
		if lo == len(a.toks) {
			if a.lx.done {
				break
			}
			a.more()
			lo = 0
			continue
		}
		if a.capPos < len(a.src) {
			lo = len(a.toks) // past the cap: lexed, not read
			continue
		}
		if a.count == maxStatements {
			a.capPos = int(a.toks[lo].pos)
			a.starts = append(a.starts, a.toks[lo].pos)
			*a.newStatement(sa) = Statement{Kind: KindUnknown, Effect: KindUnknown, Object: ObjectUnknown, Limit: -1, Reason: reasonTooMany}
			continue
		}
		hi, swallow := a.stmtEnd(lo)
		if hi == len(a.toks) && !a.lx.done {
			// A body holding semicolons: it may run to the end of the text.
			a.toks = a.lx.lex(a.toks, false)
			a.matchParens()
			continue
		}
		a.starts = append(a.starts, a.toks[lo].pos)
		st := a.newStatement(sa)
		a.statement(lo, hi, st)
		if swallow != "" && st.Complete {
			st.Complete = false
			st.Reason = swallow
		}
		lo = hi
	}
	switch {
	case a.count > 1 && len(a.chunks) == 0 && len(a.chunk) == cap(a.chunk):
		sa.s.Statements = a.chunk
	case a.count > 1:
		// The statements take one allocation of their size rather than a
		// growing slice's copies (a 1 MiB text of short statements
		// allocated 146 MiB growing it).
		sts := make([]Statement, 0, a.count)
		for _, c := range a.chunks {
			sts = append(sts, c...)
		}
		sa.s.Statements = append(sts, a.chunk...)
	}
	a.chunks, a.chunk = nil, nil
}

// more passes the tokens read on and reads the next chunk of the text. A
// chunk ends at a semicolon outside parentheses; when its parentheses do
// not balance after all, the rest of the text is read at once, so that
// they are matched as across the whole text.
func (a *analyzer) more() {
	a.tally(a.toks)
	if len(a.toks) > 0 {
		if a.norm.b == nil {
			// A text of several chunks: its normalized text is rarely
			// longer than the text.
			a.norm.b = make([]byte, 0, len(a.src)+64)
		}
		a.norm.add(a.toks, a.capPos)
	}
	a.toks = a.lx.lex(a.toks[:0], true)
	if a.capPos < len(a.src) {
		return
	}
	a.matchParens()
	if a.parenFlaw >= 0 && !a.lx.done {
		a.toks = a.lx.lex(a.toks, false)
		a.matchParens()
	}
}

// newStatement returns room for the next statement: the first in the
// script's allocation, the others in chunks that never move while they are
// analysed. The first chunk is sized by the first statement's length, so
// that a script of statements alike takes one allocation of its size.
func (a *analyzer) newStatement(sa *scriptAlloc) *Statement {
	a.count++
	if a.count == 1 {
		sa.s.Statements = sa.st[:1:1]
		return &sa.st[0]
	}
	if a.count == 2 {
		first := int(a.starts[1] - a.starts[0])
		est := (len(a.src) - int(a.starts[0]) + first - 1) / first
		a.chunk = make([]Statement, 1, min(max(est, 2), maxStatements+1))
		a.chunk[0] = sa.st[0]
	}
	if len(a.chunk) == cap(a.chunk) {
		a.chunks = append(a.chunks, a.chunk)
		a.chunk = make([]Statement, 0, min(max(cap(a.chunk), 4), 256))
	}
	a.chunk = append(a.chunk, Statement{})
	return &a.chunk[len(a.chunk)-1]
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
		if m := a.match(i); m > i {
			i = m
		}
	}
	return n, ""
}

// blockEnd finds the end of a statement that may hold BEGIN [ATOMIC] … END.
func (a *analyzer) blockEnd(lo int, atomic bool) (int, string) {
	n := len(a.toks)
	depth := 0
	for i := lo; i < n; i++ {
		if m := a.match(i); m > i {
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

// normalizer writes the normalized text of tokens read: literals replaced
// by "?", comments dropped and whitespace collapsed to one space.
type normalizer struct {
	src string
	// b holds the text written; it is turned into a string in place at
	// the end, as strings.Builder does, and never written after.
	b []byte
	// prev is the last token written, when any.
	prev token
	any  bool
}

// add appends the normalized text of toks. Past capPos (see maxStatements),
// where nothing is read, every quoted name is taken for an alias.
func (n *normalizer) add(toks []token, capPos int) {
	if len(toks) == 0 {
		return
	}
	b := n.b // a local slice: kept in registers in the loop
	src := n.src
	prev, any := &n.prev, n.any
	for k := range toks {
		t := &toks[k]
		if t.space() && any {
			b = append(b, ' ')
		}
		switch {
		case t.kind == tString || t.kind == tNumber || t.kind == tDQ:
			b = append(b, '?')
		case t.kind == tQIdent && (int(t.pos) >= capPos || aliasIdent(src, t, prev, any)):
			// A name the text gives, not one it references: it may
			// hold anything (SELECT 1 AS "ada@example.com").
			q := src[t.end-1]
			if q == ']' {
				b = append(b, "[?]"...)
			} else {
				b = append(b, q, '?', q)
			}
		default:
			b = append(b, src[t.pos:t.end]...)
		}
		prev, any = t, true
	}
	n.b = b
	n.prev, n.any = toks[len(toks)-1], true
}

// size returns the length of the normalized text of toks (see add).
func (n *normalizer) size(toks []token, capPos int) int {
	size := 0
	any, prev := n.any, &n.prev
	for k := range toks {
		t := &toks[k]
		if t.space() && any {
			size++
		}
		switch {
		case t.kind == tString || t.kind == tNumber || t.kind == tDQ:
			size++
		case t.kind == tQIdent && (int(t.pos) >= capPos || aliasIdent(n.src, t, prev, any)):
			size += 3
		default:
			size += int(t.end - t.pos)
		}
		any, prev = true, t
	}
	return size
}

// finish writes the last tokens and returns the normalized text and the
// summary. A text read in one chunk takes one allocation of their size for
// both.
func (n *normalizer) finish(toks []token, capPos int, summary []byte) (string, string) {
	if n.b == nil {
		if len(toks) == 0 {
			return "", string(summary)
		}
		var size int
		if len(n.src) <= 1<<12 {
			// A bound is enough for a short text, and quicker.
			size = len(summary)
			for k := range toks {
				size += int(toks[k].end-toks[k].pos) + 1
			}
		} else if size = n.size(toks, capPos); size <= maxSharedNormalized {
			size += len(summary)
		}
		n.b = make([]byte, 0, size)
	}
	n.add(toks, capPos)
	l := len(n.b)
	if l > maxSharedNormalized {
		// The summary (a span's name) outlives the text: it must not
		// keep a long text alive.
		return unsafe.String(unsafe.SliceData(n.b), l), string(summary)
	}
	n.b = append(n.b, summary...)
	all := unsafe.String(unsafe.SliceData(n.b), len(n.b))
	return all[:l], all[l:]
}

// maxSharedNormalized is the longest normalized text that shares its
// allocation with the summary.
const maxSharedNormalized = 512

// aliasIdent reports whether the quoted identifier t names an alias: the
// analyser marked it so, or it follows (p, when any) AS, a literal, a
// placeholder, a closing parenthesis or another quoted identifier, after
// which no reference can stand.
func aliasIdent(src string, t, p *token, any bool) bool {
	if t.bits&markAlias != 0 {
		return true
	}
	if !any {
		return false
	}
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
