package sqlparse

import (
	"cmp"
	"slices"
)

// analyzer reads the tokens of one text.
type analyzer struct {
	d      Dialect
	src    string
	toks   []token
	script *Script
	starts []int32 // offset of each statement's first token
	far    []parenPair
	lx     lexer
	count  int           // statements so far
	chunk  []Statement   // statements after the first, being filled
	chunks [][]Statement // statements after the first, filled
	capPos int           // offset past which nothing is read (see maxStatements)
	// The tokens read so far: their placeholders, whether they change the
	// session, and the normalized text.
	placeholders Placeholders
	sessionText  bool
	norm         normalizer
	parenFlaw    int // offset of the first unbalanced parenthesis, or -1
	depth        int
	stmtDepth    int        // depth of the statement being read: its own WITH may modify data
	st           *Statement // statement being analysed
	ctes         []cte      // common table expressions in scope
	cteEffect    Kind       // most consequential data-modifying CTE
	colMode      bool       // reading column references: db.table.column is fine
	colUnsure    bool       // a select item's lineage cannot be told: the list is unknown
	storing      bool       // reading values a write stores (see storedValueFunction)
	recursing    bool       // reading a recursive CTE's body again (see recursiveCols)
	outer        *scope     // the FROM scope of the innermost enclosing query, linked by parent
	spare        *scope     // the scope of a query read, for the next query (see newScope)
	srcArena     []string   // backing array of the columns' sources
	prepared     []prepared // statements prepared earlier in the text
}

// cte is a common table expression name in scope and its output columns.
type cte struct {
	name string
	cols []Column
	// any is true while a recursive CTE's lineage is being found: every
	// column of it is taken as computed from nothing (see with).
	any bool
}

// maxDepth bounds the nesting the analyser follows.
const maxDepth = 64

// matchParens records in each opening parenthesis of the tokens read how
// far its partner is, and the offset of the first unbalanced parenthesis
// in parenFlaw. It starts afresh at each call: the tokens it is called on
// follow a text whose parentheses were all balanced (see more).
func (a *analyzer) matchParens() {
	a.parenFlaw = -1
	a.far = a.far[:0]
	var buf [32]int32
	stack := buf[:0]
	sorted := true
	for i := range a.toks {
		t := &a.toks[i]
		if t.kind != tOp || t.end-t.pos != 1 {
			continue
		}
		switch c := a.src[t.pos]; c {
		case '(', '[':
			t.bits &^= matchMask
			stack = append(stack, int32(i))
		case ')', ']':
			open := byte('(')
			if c == ']' {
				open = '['
			}
			if len(stack) > 0 && a.src[a.toks[stack[len(stack)-1]].pos] == open {
				o := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if d := int32(i) - o; d < farMatch {
					a.toks[o].bits |= uint16(d) << matchShift
				} else {
					a.toks[o].bits |= matchMask
					sorted = sorted && (len(a.far) == 0 || a.far[len(a.far)-1].open < o)
					a.far = append(a.far, parenPair{o, int32(i)})
				}
			} else if a.parenFlaw < 0 {
				a.parenFlaw = int(t.pos)
			}
		}
	}
	if len(stack) > 0 && a.parenFlaw < 0 {
		a.parenFlaw = int(a.toks[stack[0]].pos)
	}
	if !sorted {
		slices.SortFunc(a.far, func(x, y parenPair) int { return cmp.Compare(x.open, y.open) })
	}
}

// parenPair is a pair of parentheses too far apart for their tokens' bits.
type parenPair struct{ open, close int32 }

// match returns the index of the parenthesis closing the one at i, or -1
// when the token at i opens none.
func (a *analyzer) match(i int) int {
	if a.toks[i].bits < 1<<matchShift {
		return -1 // kept inlined: most tokens are no parenthesis
	}
	return a.partner(i)
}

// partner is match for an opening parenthesis that has a partner.
func (a *analyzer) partner(i int) int {
	if d := int(a.toks[i].bits >> matchShift); d != farMatch {
		return i + d
	}
	k, ok := slices.BinarySearchFunc(a.far, int32(i), func(p parenPair, t int32) int { return cmp.Compare(p.open, t) })
	if !ok {
		return -1
	}
	return int(a.far[k].close)
}

func (a *analyzer) text(i int) string { return a.src[a.toks[i].pos:a.toks[i].end] }

// is reports whether token i is the keyword kw (upper case).
func (a *analyzer) is(i int, kw string) bool {
	if i < 0 || i >= len(a.toks) || a.toks[i].kind != tWord {
		return false
	}
	return eqFold(a.src[a.toks[i].pos:a.toks[i].end], kw)
}

// isAny reports whether token i is one of the keywords.
func (a *analyzer) isAny(i int, kws ...string) bool {
	if i < 0 || i >= len(a.toks) || a.toks[i].kind != tWord {
		return false
	}
	s := a.src[a.toks[i].pos:a.toks[i].end]
	for _, kw := range kws {
		if eqFold(s, kw) {
			return true
		}
	}
	return false
}

func (a *analyzer) isOp(i int, op string) bool {
	if i < 0 || i >= len(a.toks) || a.toks[i].kind != tOp {
		return false
	}
	return a.src[a.toks[i].pos:a.toks[i].end] == op
}

// closeOf returns the index of the parenthesis closing the one at i, or
// the last index before hi when it is not closed before hi.
func (a *analyzer) closeOf(i, hi int) int {
	m := a.match(i)
	if m <= i || m >= hi {
		a.fail("unbalanced parentheses")
		return max(i, hi-1)
	}
	return m
}

func (a *analyzer) fail(reason string) {
	if a.st.Complete {
		a.st.Complete = false
		a.st.Reason = reason
	}
}

func (a *analyzer) enter() bool {
	a.depth++
	if a.depth > maxDepth {
		a.fail("nesting too deep")
		return false
	}
	return true
}

func (a *analyzer) leave() { a.depth-- }

// severity orders the data effects of statements.
func severity(k Kind) int {
	switch k {
	case KindSelect, KindValues, KindTable, KindShow, KindExplain:
		return 1
	case KindInsert:
		return 2
	case KindUpdate, KindMerge, KindReplace:
		return 3
	case KindDelete:
		return 4
	}
	return 0
}

// effect raises the statement's effect to k when k is more consequential.
func (a *analyzer) effect(k Kind) {
	if severity(k) > severity(a.st.Effect) {
		a.st.Effect = k
	}
}

// fold returns an identifier as the dialect resolves it: PostgreSQL folds
// unquoted names to lower case and truncates names to 63 bytes; MySQL keeps
// names as written (table names are case-sensitive on the usual Linux
// servers, lower_case_table_names=0); SQLite compares names without regard
// to ASCII case, so they are lowered, quoted or not.
func (a *analyzer) fold(i int) string {
	t := a.toks[i]
	s := a.src[t.pos:t.end]
	quotedName := t.kind == tQIdent
	if quotedName {
		q := s[0]
		s = s[1 : len(s)-1]
		if q == '[' {
			q = ']'
		}
		if t.esc {
			b := make([]byte, 0, len(s))
			for k := 0; k < len(s); k++ {
				b = append(b, s[k])
				if s[k] == q && k+1 < len(s) && s[k+1] == q {
					k++
				}
			}
			s = string(b)
		}
	}
	if a.d == SQLite || a.d == PostgreSQL && !quotedName {
		s = lowerASCII(s)
	}
	if a.d == PostgreSQL && len(s) > 63 {
		n := 63
		for n > 0 && s[n]&0xC0 == 0x80 {
			n--
		}
		s = s[:n]
	}
	return s
}

func lowerASCII(s string) string {
	for k := 0; k < len(s); k++ {
		if c := s[k]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := k; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// isName reports whether token i can be an identifier.
func (a *analyzer) isName(i int) bool {
	if i >= len(a.toks) {
		return false
	}
	switch a.toks[i].kind {
	case tWord, tQIdent:
		return true
	}
	return false
}

// name reads a possibly qualified name at i: a, a.b or a.b.c. It returns
// the parts folded (schema may be "") and the index after the name, or
// ok false when no name is there.
func (a *analyzer) name(i, hi int) (t Table, next int, ok bool) {
	if i >= hi || !a.isName(i) {
		return Table{}, i, false
	}
	var parts [3]int
	n := 0
	for {
		if n == 3 {
			a.fail("name with too many parts")
			break
		}
		parts[n] = i
		n++
		if i+2 < hi && a.isOp(i+1, ".") && a.isName(i+2) {
			i += 2
			continue
		}
		break
	}
	next = i + 1
	if n == 3 && a.d != PostgreSQL && !a.colMode {
		a.fail("name with too many parts")
	}
	t.Name = a.fold(parts[n-1])
	if n >= 2 {
		t.Schema = a.fold(parts[n-2])
	}
	return t, next, true
}

func addTable(list []Table, t Table) []Table {
	for _, x := range list {
		if x == t {
			return list
		}
	}
	return append(list, t)
}

// maxNames bounds the tables, functions and sources one statement lists.
const maxNames = 512

func (a *analyzer) read(t Table) {
	if a.d == MySQL && t.Schema == "" && eqFold(t.Name, "DUAL") {
		return // MySQL's DUAL is no table
	}
	if len(a.st.Reads) >= maxNames {
		a.fail("too many names")
		return
	}
	if t.Schema == "" {
		for _, c := range a.ctes {
			if c.name == t.Name {
				return
			}
		}
	}
	a.st.Reads = addTable(a.st.Reads, t)
}

func (a *analyzer) write(t Table) {
	if a.d == PostgreSQL && t.Name == "pg_settings" && (t.Schema == "" || t.Schema == "pg_catalog") {
		// UPDATE pg_settings is set_config: any setting, the role too.
		a.st.LexingSetting, a.st.PrivilegeSetting = true, true
	}
	if len(a.st.Writes) >= maxNames {
		a.fail("too many names")
		return
	}
	a.st.Writes = addTable(a.st.Writes, t)
}

func (a *analyzer) function(name string) {
	if len(a.st.Functions) >= maxNames {
		a.fail("too many names")
		return
	}
	for _, f := range a.st.Functions {
		if f == name {
			return
		}
	}
	a.st.Functions = append(a.st.Functions, name)
}
