package sqlparse

// MaxTextLen is the longest text the analyser reads. Longer texts are
// reported incomplete without being lexed.
const MaxTextLen = 1 << 20 // 1 MiB

// tokKind is the lexical class of a token.
type tokKind uint8

const (
	tWord   tokKind = iota + 1 // unquoted identifier or keyword
	tQIdent                    // quoted identifier
	tString                    // string literal of any form
	tNumber                    // numeric literal
	tParam                     // placeholder: $1, ?, ?1, :name, @name (SQLite)
	tVar                       // MySQL user or system variable: @x, @@x
	tDQ                        // MySQL "…": a string, or an identifier under ANSI_QUOTES
	tOp                        // operator or punctuation
	tSemi                      // ;
)

// token is one lexical token; its text is src[pos:end]. It takes 12 bytes:
// a long text holds about one token per 3 bytes, and the tokens of its
// longest statement are held at once.
type token struct {
	pos, end int32
	kind     tokKind
	// esc is true for a quoted identifier holding doubled quotes or escapes
	// that must be decoded.
	esc bool
	// bits holds tokSpace, the marks, and for an opening parenthesis the
	// distance to its partner (see analyzer.match).
	bits uint16
}

// Token bits. tokSpace is set when whitespace or a comment precedes the
// token. The marks are set by the analyser: markRel on the name or alias of
// a relation in a FROM list (such a word is no column), markAlias on the
// alias of a select item (a name given, not a reference). The bits from
// matchShift up hold how many tokens after an opening parenthesis its
// partner is: 0 when it has none, farMatch when it is too far to tell here.
const (
	tokSpace uint16 = 1 << iota
	markRel
	markAlias
	matchShift = iota
	farMatch   = 1<<(16-matchShift) - 1
	matchMask  = farMatch << matchShift
)

// space reports whether whitespace or a comment precedes the token.
func (t *token) space() bool { return t.bits&tokSpace != 0 }

// lexFlaw is the first thing the lexer could not read with certainty.
type lexFlaw struct {
	pos    int // byte offset; the statement holding it is incomplete
	reason string
}

// lexer splits a text into tokens according to a dialect. It reads the
// text a statement at a time (see lex), so that the tokens of a script
// need not all be held at once.
type lexer struct {
	d     Dialect
	src   string
	flaws []lexFlaw
	// inExec is true inside a MySQL executable comment /*! … */.
	inExec bool
	// semis counts the semicolons so far; flawSemis its value at the
	// last flaw recorded.
	semis, flawSemis int
	// i is the offset lexing resumes at; space is true when whitespace or
	// a comment precedes it; depth counts the parentheses open there.
	i     int
	space bool
	depth int
	// done is true once the whole text is read.
	done bool
	// counting is true for a copy of the lexer counting tokens ahead, in
	// count: it records no token and no flaw.
	counting bool
	count    int
}

// flaw records the first flaw between two semicolons: statements end
// only at semicolons, so a later one could only repeat that a statement is
// incomplete. This keeps the flaws, and the work to place them, linear.
func (lx *lexer) flaw(pos int, reason string) {
	if lx.counting || len(lx.flaws) > 0 && lx.semis == lx.flawSemis {
		return
	}
	lx.flawSemis = lx.semis
	lx.flaws = append(lx.flaws, lexFlaw{pos, reason})
}

// flawAt records a flaw found after lexing, at any place.
func (lx *lexer) flawAt(pos int, reason string) {
	lx.flaws = append(lx.flaws, lexFlaw{pos, reason})
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentChar(c byte, d Dialect) bool {
	return isIdentStart(c) || isDigit(c) || c == '$'
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// isOpChar reports operator characters that may combine into one operator.
func isOpChar(c byte) bool {
	switch c {
	case '+', '-', '*', '/', '<', '>', '=', '~', '!', '@', '#', '%', '^', '&', '|', '`', '?':
		return true
	}
	return false
}

// emitFunc appends a token.
type emitFunc func(k tokKind, pos, end int, space, esc bool)

// lex reads tokens from lx.i on, appending them to toks. With chunk set
// it stops after a semicolon outside parentheses: what a statement can span.
// The tokens live in a local slice appended to by a closure, so that a
// caller's buffer can stay on its stack; the loop stays in this function,
// where the calls of the closure are inlined.
func (lx *lexer) lex(toks []token, chunk bool) []token {
	grown := false
	emit := func(k tokKind, pos, end int, space, esc bool) {
		if lx.counting {
			lx.count++
			return
		}
		if len(toks) == cap(toks) {
			toks = lx.grow(toks, k, end, chunk, grown)
			grown = true
		}
		var b uint16
		if space {
			b = tokSpace
		}
		toks = append(toks, token{pos: int32(pos), end: int32(end), kind: k, esc: esc, bits: b})
	}
	src := lx.src
	n := len(src)
	space := lx.space
	i := lx.i
	for i < n {
		c := src[i]
		if c == 0 {
			// Analyze reports NUL bytes wherever they are.
			i++
			space = true
			continue
		}
		if isSpace(c) {
			i++
			space = true
			continue
		}
		// Comments.
		if c == '-' && i+1 < n && src[i+1] == '-' {
			if lx.d == MySQL && i+2 < n && src[i+2] > ' ' {
				// MySQL: "--" is a comment only before whitespace or a
				// control character; otherwise it is two minus signs.
				emit(tOp, i, i+1, space, false)
				space = false
				i++
				continue
			}
			i = lx.lineEnd(i)
			space = true
			continue
		}
		if c == '#' && lx.d == MySQL {
			i = lx.lineEnd(i)
			space = true
			continue
		}
		if c == '/' && i+1 < n && src[i+1] == '*' {
			i = lx.blockComment(i)
			space = true
			continue
		}
		if c == '*' && lx.inExec && i+1 < n && src[i+1] == '/' {
			lx.inExec = false
			i += 2
			space = true
			continue
		}
		start := i
		switch {
		case c == '\'':
			i = lx.plainString(i)
			emit(tString, start, i, space, false)
		case c == '"':
			i = lx.doubleQuoted(i, space, emit)
		case c == '`' && (lx.d == MySQL || lx.d == SQLite):
			end, esc := quoted(src, i, '`')
			if end < 0 {
				lx.flaw(i, "unterminated quoted identifier")
				end = n
			}
			if lx.inExec && containsCommentEnd(src[i:end]) {
				lx.flaw(i, "string holding a comment end inside an executable comment")
			}
			emit(tQIdent, start, end, space, esc)
			i = end
		case c == '[' && lx.d == SQLite:
			j := i + 1
			for j < n && src[j] != ']' {
				j++
			}
			if j >= n {
				lx.flaw(i, "unterminated quoted identifier")
				j = n - 1
			}
			emit(tQIdent, start, j+1, space, false)
			i = j + 1
		case isDigit(c) || c == '.' && i+1 < n && isDigit(src[i+1]):
			if end := lx.digitName(i); end > 0 {
				// MySQL names may start with digits: 3t2.
				emit(tWord, start, end, space, false)
				i = end
				break
			}
			i = lx.number(i)
			emit(tNumber, start, i, space, false)
		case isIdentStart(c):
			i = lx.word(i, space, emit)
		case c == '$':
			i = lx.dollar(i, space, emit)
		case c == '?' && lx.d != PostgreSQL:
			i++
			for i < n && isDigit(src[i]) {
				i++
			}
			emit(tParam, start, i, space, false)
		case c == ':' && lx.d == SQLite && i+1 < n && isIdentStart(src[i+1]):
			i = identEnd(src, i+1, lx.d)
			emit(tParam, start, i, space, false)
		case c == '@' && lx.d == SQLite && i+1 < n && isIdentStart(src[i+1]):
			i = identEnd(src, i+1, lx.d)
			emit(tParam, start, i, space, false)
		case c == '@' && lx.d == MySQL:
			i = lx.mysqlVar(i, space, emit)
		case c == ';':
			i++
			lx.semis++
			emit(tSemi, start, i, space, false)
			if chunk && lx.depth == 0 {
				lx.i, lx.space = i, false
				return toks
			}
		case c == '(' || c == '[':
			i++
			lx.depth++
			emit(tOp, start, i, space, false)
		case c == ')' || c == ']':
			i++
			lx.depth--
			emit(tOp, start, i, space, false)
		case c == ',' || c == '{' || c == '}':
			i++
			emit(tOp, start, i, space, false)
		case c == '.':
			i++
			emit(tOp, start, i, space, false)
		case c == ':' && lx.d == MySQL && !(i+1 < n && src[i+1] == '='):
			// MySQL has no ":name" placeholders; a label's colon is read
			// only in compound statements, which are incomplete anyway.
			lx.flaw(i, "unexpected character")
			i++
			emit(tOp, start, i, space, false)
		case c == ':':
			i++
			if i < n && (src[i] == ':' || src[i] == '=') {
				i++
			}
			emit(tOp, start, i, space, false)
		case isOpChar(c):
			i++
			for i < n && isOpChar(src[i]) {
				// An operator never swallows the start of a comment.
				if src[i] == '-' && i+1 < n && src[i+1] == '-' || src[i] == '/' && i+1 < n && src[i+1] == '*' {
					break
				}
				if lx.d == MySQL && (src[i] == '#' || src[i] == '`' || src[i] == '@' || src[i] == '?') {
					break
				}
				if lx.d != PostgreSQL && src[i] == '?' {
					break
				}
				if lx.inExec && src[i] == '*' && i+1 < n && src[i+1] == '/' {
					break
				}
				i++
			}
			i = start + opLen(src[start:i], lx.d)
			emit(tOp, start, i, space, false)
		default:
			lx.flaw(i, "unexpected character")
			i++
			emit(tOp, start, i, space, false)
		}
		space = false
	}
	lx.i, lx.space, lx.done = i, space, true
	if lx.inExec {
		lx.flaw(n, "unterminated executable comment")
	}
	return toks
}

// grow returns toks with room for the tokens of the chunk lexing resumes
// at offset at: an estimate the first time for a short rest of text, else
// their exact count, so that a long text's tokens take one allocation of
// their size rather than a growing slice's copies.
func (lx *lexer) grow(toks []token, k tokKind, at int, chunk, grown bool) []token {
	n := len(toks) + 1
	if k == tSemi && chunk && lx.depth == 0 {
		// The chunk ends with this token.
	} else if rest := len(lx.src) - at; rest < 1<<16 && !grown {
		n += rest/3 + 8
	} else {
		c := *lx
		c.flaws, c.counting, c.count, c.i, c.space = nil, true, 0, at, false
		c.lex(nil, chunk)
		n += c.count
	}
	return append(make([]token, 0, n), toks...)
}

// lineEnd returns the end of the line comment starting at i. PostgreSQL
// ends a line comment at a carriage return as well as at a newline
// ("SELECT 1 -- x\r; DROP TABLE t" drops t there); MariaDB, MySQL and SQLite
// end it at a newline only, as their engines were seen to do
// (internal/redteam runs such texts on them as harmless look-alikes).
func (lx *lexer) lineEnd(i int) int {
	src := lx.src
	for i < len(src) && src[i] != '\n' {
		if src[i] == '\r' && lx.d == PostgreSQL {
			return i
		}
		i++
	}
	return i
}

// blockComment skips a comment starting at i and returns the offset after it.
func (lx *lexer) blockComment(i int) int {
	src := lx.src
	n := len(src)
	if lx.d == MySQL {
		if lx.inExec {
			lx.flaw(i, "comment inside an executable comment")
		}
		j := i + 2
		if j < n && src[j] == '!' || j+1 < n && (src[j] == 'M' || src[j] == 'm') && src[j+1] == '!' {
			// Executable comment: its contents are code.
			if src[j] != '!' {
				j++
			}
			j++
			if j < n && isDigit(src[j]) {
				// Versioned: code only when the server is at least that
				// version, which we do not know.
				lx.flaw(i, "versioned executable comment")
			}
			lx.inExec = true
			return j
		}
	}
	depth := 0
	j := i
	for j < n {
		if src[j] == '/' && j+1 < n && src[j+1] == '*' {
			if depth > 0 && lx.d != PostgreSQL {
				j++ // comments do not nest outside PostgreSQL
				continue
			}
			depth++
			j += 2
			continue
		}
		if src[j] == '*' && j+1 < n && src[j+1] == '/' {
			depth--
			j += 2
			if depth == 0 {
				return j
			}
			continue
		}
		j++
	}
	lx.flaw(i, "unterminated comment")
	return n
}

// quoted scans a quoted token starting at i whose quote q is doubled to
// escape it, without backslash escapes. It returns the offset after the
// closing quote, or -1, and whether a doubled quote occurred.
func quoted(src string, i int, q byte) (int, bool) {
	esc := false
	j := i + 1
	for j < len(src) {
		if src[j] == q {
			if j+1 < len(src) && src[j+1] == q {
				esc = true
				j += 2
				continue
			}
			return j + 1, esc
		}
		j++
	}
	return -1, esc
}

// backslashQuoted is quoted with backslash escapes as well.
func backslashQuoted(src string, i int, q byte) int {
	j := i + 1
	for j < len(src) {
		switch src[j] {
		case '\\':
			j += 2
			continue
		case q:
			if j+1 < len(src) && src[j+1] == q {
				j += 2
				continue
			}
			return j + 1
		}
		j++
	}
	return -1
}

// plainString scans a '…' string at i. Where the dialect's lexing of
// backslashes depends on a session setting, both readings are taken; if they
// end the string at different places the text is ambiguous.
func (lx *lexer) plainString(i int) int {
	src := lx.src
	switch lx.d {
	case PostgreSQL:
		// standard_conforming_strings on (the default) decides where the
		// string ends; off must agree.
		on, _ := quoted(src, i, '\'')
		if on < 0 {
			lx.flaw(i, "unterminated string")
			return len(src)
		}
		if backslashQuoted(src[:on], i, '\'') != on {
			lx.flaw(i, "string whose end depends on standard_conforming_strings")
		}
		return on
	case MySQL:
		return lx.mysqlString(i, '\'')
	default:
		end, _ := quoted(src, i, '\'')
		if end < 0 {
			lx.flaw(i, "unterminated string")
			return len(src)
		}
		return end
	}
}

// mysqlString scans a MySQL string quoted by q, reading it both with
// backslash escapes (default) and without (NO_BACKSLASH_ESCAPES).
func (lx *lexer) mysqlString(i int, q byte) int {
	src := lx.src
	// Backslash escapes (the default) decide where the string ends;
	// NO_BACKSLASH_ESCAPES must agree.
	end := backslashQuoted(src, i, q)
	if end < 0 {
		lx.flaw(i, "unterminated string")
		return len(src)
	}
	if nb, _ := quoted(src[:end], i, q); nb != end {
		lx.flaw(i, "string whose end depends on NO_BACKSLASH_ESCAPES")
	}
	if lx.inExec && containsCommentEnd(src[i:end]) {
		lx.flaw(i, "string holding a comment end inside an executable comment")
	}
	return end
}

func containsCommentEnd(s string) bool {
	for k := 0; k+1 < len(s); k++ {
		if s[k] == '*' && s[k+1] == '/' {
			return true
		}
	}
	return false
}

func (lx *lexer) doubleQuoted(i int, space bool, emit emitFunc) int {
	src := lx.src
	if lx.d == MySQL {
		// A string by default, an identifier under ANSI_QUOTES.
		end := lx.mysqlString(i, '"')
		if ident, _ := quoted(src[:end], i, '"'); ident != end {
			lx.flaw(i, "double-quoted text whose end depends on ANSI_QUOTES")
		}
		emit(tDQ, i, end, space, false)
		return end
	}
	end, esc := quoted(src, i, '"')
	if end < 0 {
		lx.flaw(i, "unterminated quoted identifier")
		end = len(src)
	}
	if end-i == 2 && lx.d == PostgreSQL {
		lx.flaw(i, "zero-length quoted identifier")
	}
	emit(tQIdent, i, end, space, esc)
	return end
}

func identEnd(src string, i int, d Dialect) int {
	for i < len(src) && isIdentChar(src[i], d) && !(src[i] == '$' && d == SQLite) {
		i++
	}
	return i
}

// word scans an identifier or keyword, or a prefixed string (E”, B”, X”,
// N”, U&”, U&"", _charset”).
func (lx *lexer) word(i int, space bool, emit emitFunc) int {
	src := lx.src
	n := len(src)
	start := i
	// Prefixed literals.
	if i+1 < n && src[i+1] == '\'' {
		switch src[i] | 0x20 {
		case 'e':
			if lx.d == PostgreSQL {
				end := backslashQuoted(src, i+1, '\'')
				if end < 0 {
					lx.flaw(i, "unterminated string")
					end = n
				}
				emit(tString, start, end, space, false)
				return end
			}
		case 'b', 'x', 'n':
			end := 0
			if lx.d == MySQL && src[i]|0x20 == 'n' {
				end = lx.mysqlString(i+1, '\'')
			} else {
				end = lx.plainString(i + 1)
			}
			emit(tString, start, end, space, false)
			return end
		}
	}
	if lx.d == PostgreSQL && i+2 < n && src[i]|0x20 == 'u' && src[i+1] == '&' && (src[i+2] == '\'' || src[i+2] == '"') {
		end, _ := quoted(src, i+2, src[i+2])
		if end < 0 {
			lx.flaw(i, "unterminated string")
			end = n
		}
		if src[i+2] == '"' {
			// Unicode escapes inside an identifier are not decoded.
			for k := i + 3; k < end; k++ {
				if src[k] == '\\' {
					lx.flaw(i, "unicode escape in identifier")
					break
				}
			}
			emit(tQIdent, i+2, end, space, false)
		} else {
			emit(tString, start, end, space, false)
		}
		if lx.nextWordIs(end, "UESCAPE") {
			lx.flaw(i, "UESCAPE clause")
		}
		return end
	}
	end := identEnd(src, i, lx.d)
	if lx.d == MySQL && src[i] == '_' && end < n && src[end] == '\'' {
		// Character set introducer: _utf8mb4'…'.
		e := lx.mysqlString(end, '\'')
		emit(tString, start, e, space, false)
		return e
	}
	emit(tWord, start, end, space, false)
	return end
}

func (lx *lexer) nextWordIs(i int, w string) bool {
	src := lx.src
	for i < len(src) && isSpace(src[i]) {
		i++
	}
	return i+len(w) <= len(src) && eqFold(src[i:i+len(w)], w)
}

// number scans a numeric literal. A number running straight into an
// identifier is read differently by different server versions.
func (lx *lexer) number(i int) int {
	src := lx.src
	n := len(src)
	start := i
	if src[i] == '0' && i+1 < n && (src[i+1]|0x20 == 'x' || src[i+1]|0x20 == 'b' || src[i+1]|0x20 == 'o') {
		j := i + 2
		for j < n && (isDigit(src[j]) || src[j]|0x20 >= 'a' && src[j]|0x20 <= 'f' || src[j] == '_') {
			j++
		}
		if j > i+2 {
			i = j
			if i < n && isIdentChar(src[i], lx.d) {
				lx.flaw(start, "number followed by identifier")
			}
			return i
		}
	}
	for i < n && (isDigit(src[i]) || src[i] == '_' && lx.d == PostgreSQL) {
		i++
	}
	if i < n && src[i] == '.' && !(i+1 < n && src[i+1] == '.') {
		i++
		for i < n && isDigit(src[i]) {
			i++
		}
	}
	if i < n && src[i]|0x20 == 'e' {
		j := i + 1
		if j < n && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < n && isDigit(src[j]) {
			for j < n && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	if i < n && isIdentChar(src[i], lx.d) {
		lx.flaw(start, "number followed by identifier")
	}
	return i
}

// dollar scans $1, $name (SQLite) or a PostgreSQL dollar-quoted string.
func (lx *lexer) dollar(i int, space bool, emit emitFunc) int {
	src := lx.src
	n := len(src)
	start := i
	if i+1 < n && isDigit(src[i+1]) && lx.d != MySQL {
		i++
		for i < n && isDigit(src[i]) {
			i++
		}
		if i < n && isIdentChar(src[i], lx.d) {
			lx.flaw(start, "parameter followed by identifier")
		}
		emit(tParam, start, i, space, false)
		return i
	}
	switch lx.d {
	case PostgreSQL:
		j := i + 1
		for j < n && (isIdentStart(src[j]) || isDigit(src[j]) && j > i+1) {
			j++
		}
		if j < n && src[j] == '$' {
			tag := src[i : j+1]
			k := j + 1
			for {
				idx := indexFrom(src, tag, k)
				if idx < 0 {
					lx.flaw(i, "unterminated dollar-quoted string")
					emit(tString, start, n, space, false)
					return n
				}
				emit(tString, start, idx+len(tag), space, false)
				return idx + len(tag)
			}
		}
	case SQLite:
		if i+1 < n && isIdentStart(src[i+1]) {
			i = identEnd(src, i+1, lx.d)
			emit(tParam, start, i, space, false)
			return i
		}
	case MySQL:
		// "$" may start an identifier in MySQL.
		end := identEnd(src, i, lx.d)
		if end > i+1 {
			emit(tWord, start, end, space, false)
			return end
		}
	}
	lx.flaw(i, "unexpected character")
	emit(tOp, start, i+1, space, false)
	return i + 1
}

func indexFrom(s, sub string, from int) int {
	for k := from; k+len(sub) <= len(s); k++ {
		if s[k] == sub[0] && s[k:k+len(sub)] == sub {
			return k
		}
	}
	return -1
}

// mysqlVar scans @name, @'name', @`name`, @@name, @@session.name.
func (lx *lexer) mysqlVar(i int, space bool, emit emitFunc) int {
	src := lx.src
	n := len(src)
	start := i
	i++
	if i < n && src[i] == '@' {
		i++
	}
	if i < n && (src[i] == '\'' || src[i] == '"' || src[i] == '`') {
		end, _ := quoted(src, i, src[i])
		if end < 0 {
			lx.flaw(i, "unterminated quoted identifier")
			end = n
		}
		i = end
	} else {
		for i < n && (isIdentChar(src[i], lx.d) || src[i] == '.') {
			i++
		}
	}
	emit(tVar, start, i, space, false)
	return i
}

// eqFold reports whether s equals the upper-case ASCII keyword kw,
// ignoring ASCII case.
func eqFold(s, kw string) bool {
	if len(s) != len(kw) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != kw[i] {
			return false
		}
	}
	return true
}

// opLen returns how many bytes of the operator run op form the first
// operator: PostgreSQL drops a trailing + or - from a run made of the
// comparison characters only; the other dialects have a fixed set.
func opLen(op string, d Dialect) int {
	if len(op) == 1 {
		return 1
	}
	if d == PostgreSQL {
		for k := 0; k < len(op); k++ {
			switch op[k] {
			case '~', '!', '@', '#', '%', '^', '&', '|', '`', '?':
				return len(op)
			}
		}
		n := len(op)
		for n > 1 && (op[n-1] == '+' || op[n-1] == '-') {
			n--
		}
		return n
	}
	for _, m := range [...]string{"<=>", "->>", "<=", ">=", "<>", "!=", "||", "&&", "<<", ">>", "->", "==", ":="} {
		if len(op) >= len(m) && op[:len(m)] == m {
			return len(m)
		}
	}
	return 1
}

// digitName returns the end of a MySQL name starting with digits at i
// ("3t2", "1_a"), or 0 when the text there is a number.
func (lx *lexer) digitName(i int) int {
	if lx.d != MySQL {
		return 0
	}
	src := lx.src
	j := i
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if j == i || j >= len(src) || !isIdentChar(src[j], lx.d) || src[j] >= 0x80 {
		return 0
	}
	if src[i] == '0' && j == i+1 && (src[j]|0x20 == 'x' || src[j]|0x20 == 'b') {
		return 0 // 0x1F, 0b101
	}
	if src[j]|0x20 == 'e' && j+1 < len(src) && (isDigit(src[j+1]) || src[j+1] == '+' || src[j+1] == '-') {
		return 0 // 1e5
	}
	return identEnd(src, j, lx.d)
}
