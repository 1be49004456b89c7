package driver

import (
	sqldriver "database/sql/driver"
	"strings"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/mask"
)

// Attribution: which table columns each result column is read from, for
// the masker. What cannot be told with certainty is either left
// unattributed (the masker's Unattributed mode decides) or over-attributed
// (given every source it could come from), never under-attributed.

// columns describes result set k of script s for the masker. ordered says
// that the driver returns the result sets of a stacked script in statement
// order, one per statement that returns rows (lib/pq, go-sql-driver/mysql).
func columns(rows sqldriver.Rows, s *sqlparse.Script, k int, ordered bool) []mask.Column {
	names := rows.Columns()
	cols := make([]mask.Column, len(names))
	tn, _ := rows.(sqldriver.RowsColumnTypeDatabaseTypeName)
	for j, name := range names {
		cols[j].Name = name
		if tn != nil {
			cols[j].DatabaseType = tn.ColumnTypeDatabaseTypeName(j)
		}
	}
	if s == nil || !s.Complete || len(s.Statements) == 0 {
		return cols
	}
	if len(s.Statements) == 1 {
		// Further result sets of one statement (a procedure's) are not
		// described by its analysis.
		if k == 0 {
			attribute(cols, &s.Statements[0])
		}
		return cols
	}
	if ordered {
		if st := nthRowStatement(s, k); st != nil && attribute(cols, st) {
			return cols
		}
		for j := range cols {
			c := &cols[j]
			c.Table, c.Sources, c.Expr, c.Attributed = "", nil, false, false
		}
	}
	attributeUnion(cols, s)
	return cols
}

// rowsKind says whether a statement returns a result set.
type rowsKind uint8

const (
	rowsUnknown rowsKind = iota
	rowsNone
	rowsSome
)

// returnsRows tells, where the analysis says so with certainty, whether st
// returns a result set.
func returnsRows(st *sqlparse.Statement) rowsKind {
	if !st.Complete {
		return rowsUnknown
	}
	switch st.Kind {
	case sqlparse.KindSelect, sqlparse.KindValues, sqlparse.KindTable:
		// SELECT … INTO a table or a file returns nothing.
		if st.Columns == nil || st.IntoFile || st.Effect == sqlparse.KindCreate {
			return rowsUnknown
		}
		return rowsSome
	case sqlparse.KindInsert, sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindMerge, sqlparse.KindReplace:
		if st.Columns != nil || st.Returning {
			// RETURNING, traced or not: an untraced list still returns a
			// result set, and the next statement's must not be taken for
			// it.
			return rowsSome
		}
		return rowsNone
	case sqlparse.KindCreate, sqlparse.KindAlter, sqlparse.KindDrop, sqlparse.KindTruncate,
		sqlparse.KindRename, sqlparse.KindComment, sqlparse.KindGrant, sqlparse.KindRevoke,
		sqlparse.KindSet, sqlparse.KindReset, sqlparse.KindBegin, sqlparse.KindCommit,
		sqlparse.KindRollback, sqlparse.KindSavepoint, sqlparse.KindRelease, sqlparse.KindUse,
		sqlparse.KindDeallocate:
		return rowsNone
	}
	return rowsUnknown
}

// nthRowStatement is the statement whose output is result set k of a
// stacked script on a driver that returns result sets in statement order,
// when that is certain: every statement is known to return a result set or
// not. A MySQL SELECT … INTO @variable returns none, and the analysis does
// not flag it, so any INTO outside an INSERT or REPLACE makes the mapping
// uncertain.
func nthRowStatement(s *sqlparse.Script, k int) *sqlparse.Statement {
	if intoWords(s.Normalized) > 0 {
		return nil
	}
	n := 0
	for j := range s.Statements {
		st := &s.Statements[j]
		switch returnsRows(st) {
		case rowsNone:
		case rowsSome:
			if n == k {
				return st
			}
			n++
		default:
			return nil
		}
	}
	return nil
}

// intoWords counts the word INTO in a normalised text (whose literals and
// comments are gone) outside INSERT INTO, REPLACE INTO and MERGE INTO.
func intoWords(text string) int {
	n := 0
	prev := ""
	for w := range strings.FieldsFuncSeq(text, func(r rune) bool {
		return !(r == '_' || r == '$' || r == '@' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80)
	}) {
		if strings.EqualFold(w, "into") && !strings.EqualFold(prev, "insert") && !strings.EqualFold(prev, "replace") && !strings.EqualFold(prev, "merge") {
			n++
		}
		prev = w
	}
	return n
}

// attributeUnion gives every column the union of the sources of every
// statement of s that may return rows: the result set may come from any of
// them. The columns are marked computed, so a strategy that keeps part of a
// value is replaced by a whole-value one. When a statement that may return
// rows has no column list, or a star the analysis cannot resolve to a
// table, nothing is attributed.
func attributeUnion(cols []mask.Column, s *sqlparse.Script) {
	var srcs []string
	star := false
	for j := range s.Statements {
		st := &s.Statements[j]
		if returnsRows(st) == rowsNone {
			continue
		}
		if !st.Complete || st.Columns == nil {
			return
		}
		for c := range st.Columns {
			item := &st.Columns[c]
			if item.Star {
				if starTable(st, item) == nil {
					return
				}
				star = true
				continue
			}
			for _, src := range item.Sources {
				if !containsFold(srcs, src) {
					srcs = append(srcs, src)
				}
			}
		}
	}
	for j := range cols {
		c := &cols[j]
		c.Sources = srcs
		if star && !containsFold(srcs, c.Name) {
			// A star returns table columns under their own names.
			c.Sources = append(srcs[:len(srcs):len(srcs)], c.Name)
		}
		c.Expr = true
		c.Attributed = true
	}
}

// attribute describes cols from the output list of st, and reports whether
// every column could be attributed.
//
// Without a star, the items match the columns by position (and must be as
// many). With a star, positions are not certain: a join with USING or
// NATURAL returns its merged columns first, and the analysis lists the
// columns of a derived table it expanded as plain items. A star cannot
// rename a column, so each column a star returns is a table column under
// its own name: read from the star's table when all stars expand one, and
// a bare source (table unknown) otherwise. Each column therefore gets that
// star source, plus the sources of the item at its position counted from
// the nearer end (or of every item between two stars) and of every item
// returned under its name: over-attributed when unsure, never missing its
// real source. A star whose table is not one the statement reads or writes
// (a CTE, a derived table, a function) may rename or compute anything:
// nothing is attributed.
func attribute(cols []mask.Column, st *sqlparse.Statement) bool {
	if !st.Complete || st.Columns == nil {
		return false
	}
	items := st.Columns
	n := len(cols)
	first, last := -1, -1
	for j := range items {
		if items[j].Star {
			if first < 0 {
				first = j
			}
			last = j
		}
	}
	if first < 0 {
		if len(items) != n {
			return false
		}
		for j := range cols {
			setSource(&cols[j], &items[j])
		}
		return true
	}
	head, tail := first, len(items)-1-last
	if head+tail > n {
		return false
	}
	var table *sqlparse.Table
	one := true
	for j := first; j <= last; j++ {
		if !items[j].Star {
			continue
		}
		t := starTable(st, &items[j])
		if t == nil {
			return false
		}
		if table != nil && !sameTable(*table, *t) {
			one = false
		}
		table = t
	}
	for j := range cols {
		c := &cols[j]
		var srcs []string
		expr := false
		add := func(item *sqlparse.Column) {
			expr = expr || item.Expr
			for _, s := range item.Sources {
				if !containsFold(srcs, s) {
					srcs = append(srcs, s)
				}
			}
		}
		if one {
			srcs = append(srcs, table.String()+"."+c.Name)
		} else {
			srcs = append(srcs, c.Name)
		}
		switch {
		case j < head:
			add(&items[j])
		case j >= n-tail:
			add(&items[last+1+j-(n-tail)])
		default:
			for k := first; k <= last; k++ {
				if !items[k].Star {
					add(&items[k])
				}
			}
		}
		for k := range items {
			if !items[k].Star && strings.EqualFold(items[k].Name, c.Name) {
				add(&items[k])
			}
		}
		c.Sources = srcs
		c.Expr = expr || len(srcs) > 1
		c.Attributed = true
		if len(srcs) == 1 && one {
			c.Table = table.String()
		}
	}
	return true
}

func setSource(col *mask.Column, c *sqlparse.Column) {
	col.Sources = c.Sources
	col.Expr = c.Expr
	col.Attributed = true
	if len(c.Sources) == 1 {
		if dot := strings.LastIndexByte(c.Sources[0], '.'); dot > 0 {
			col.Table = c.Sources[0][:dot]
		}
	}
}

// starTable is the table a star expands: one the statement reads or writes
// (RETURNING * returns the written table's columns). nil when the star
// names something else (a CTE, a derived table, a function) or the
// statement does not say.
func starTable(st *sqlparse.Statement, c *sqlparse.Column) *sqlparse.Table {
	var found *sqlparse.Table
	for _, list := range [2][]sqlparse.Table{st.Reads, st.Writes} {
		for j := range list {
			t := &list[j]
			if c.StarTable == "" || strings.EqualFold(c.StarTable, t.Name) || strings.EqualFold(c.StarTable, t.String()) {
				if found != nil && !sameTable(*found, *t) {
					return nil // ambiguous
				}
				found = t
			}
		}
	}
	return found
}

func sameTable(a, b sqlparse.Table) bool {
	return strings.EqualFold(a.Schema, b.Schema) && strings.EqualFold(a.Name, b.Name)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
