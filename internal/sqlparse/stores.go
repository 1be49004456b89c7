package sqlparse

// Stores: where the values a write stores come from (see Statement.Stores).
// The principle is the one of column lineage: a value is traced to every
// column it may be read from, and what cannot be traced makes the
// statement's stores unknown, never empty.

// storedValueFunction reports functions that read no column of any table
// and so add no source to a stored value, although the guard does not count
// them as pure values: they advance sequences or draw identifiers.
func storedValueFunction(d Dialect, ref Table) bool {
	if ref.Schema != "" && (d != PostgreSQL || lowerASCII(ref.Schema) != "pg_catalog") {
		return false
	}
	switch lowerASCII(ref.Name) {
	case "nextval", "currval", "lastval", "gen_random_uuid", "uuid_generate_v4", "uuid", "uuid_short":
		return true
	}
	return false
}

// StoredValueFunction reports whether name, as the analyser reports a
// function, is one that reads no column of any table although it is not a
// pure value: it advances a sequence or draws an identifier (nextval,
// gen_random_uuid). Its result carries nothing read from a table.
func StoredValueFunction(d Dialect, name string) bool {
	var ref Table
	if i := lastDot(name); i >= 0 {
		ref.Schema, ref.Name = name[:i], name[i+1:]
	} else {
		ref.Name = name
	}
	return storedValueFunction(d, ref)
}

// store records the value [lo, hi) stored in column col ("" when not named)
// of t, read in scope sc.
func (a *analyzer) store(lo, hi int, sc *scope, t Table, col string) {
	if lo >= hi {
		a.st.StoresUnknown = true
		return
	}
	if !a.readsNames(lo, hi) {
		return // literals, placeholders and operators only
	}
	prevUnsure, prevStoring := a.colUnsure, a.storing
	a.colUnsure, a.storing = false, true
	var buf [1]Column
	cols, ok := a.value(Column{}, lo, hi, sc, buf[:0])
	unsure := a.colUnsure
	a.colUnsure, a.storing = prevUnsure, prevStoring
	if !ok || unsure || len(cols) != 1 {
		a.st.StoresUnknown = true
		return
	}
	a.addStore(Store{Table: t, Column: col, Sources: cols[0].Sources, Expr: cols[0].Expr})
}

// readsNames reports whether [lo, hi) holds anything but literals,
// placeholders and operators: a name, a keyword, a function, a variable.
func (a *analyzer) readsNames(lo, hi int) bool {
	for i := lo; i < hi; i++ {
		switch a.toks[i].kind {
		case tString, tNumber, tParam, tOp:
		default:
			return true
		}
	}
	return false
}

func (a *analyzer) addStore(s Store) {
	if len(s.Sources) == 0 && !s.Star {
		return
	}
	if len(a.st.Stores) >= maxNames {
		a.st.StoresUnknown = true
		return
	}
	a.st.Stores = append(a.st.Stores, s)
}

// storeColumns records the output columns of the query that fills t:
// cols nil means they are unknown. names, when not nil, are the columns of
// t they land in, by position.
func (a *analyzer) storeColumns(cols []Column, t Table, names []string) {
	if cols == nil {
		a.st.StoresUnknown = true
		return
	}
	if names != nil && len(names) != len(cols) {
		names = nil // a star, or a mismatch the server refuses
	}
	for k := range cols {
		c := &cols[k]
		col := ""
		if names != nil {
			col = names[k]
		}
		a.addStore(Store{Table: t, Column: col, Sources: c.Sources, Star: c.Star, StarTable: c.StarTable, Expr: c.Expr})
	}
}

// storeNamed records the output columns of the query that defines t (a
// table or view created AS a query): each lands under its output name.
func (a *analyzer) storeNamed(cols []Column, t Table) {
	if cols == nil {
		a.st.StoresUnknown = true
		return
	}
	for k := range cols {
		c := &cols[k]
		a.addStore(Store{Table: t, Column: c.Name, Sources: c.Sources, Star: c.Star, StarTable: c.StarTable, Expr: c.Expr})
	}
}

// columnNames reads a column list (a, b, c) whose parentheses are open and
// close; nil when it is not a plain list of names.
func (a *analyzer) columnNames(open, close int) []string {
	var names []string
	for i := open + 1; i < close; i += 2 {
		if !a.isName(i) {
			return nil
		}
		// t.col in MySQL; PostgreSQL's col[1] and col.field are not plain.
		for a.isOp(i+1, ".") && a.isName(i+2) && i+2 < close {
			i += 2
		}
		names = append(names, a.fold(i))
		if i+1 < close && !a.isOp(i+1, ",") {
			return nil
		}
	}
	return names
}

// storeRows records the values of the VALUES rows [i, hi) stored in t.
func (a *analyzer) storeRows(i, hi int, t Table, names []string) {
	if !a.readsNames(i, hi) {
		return
	}
	sc := &scope{}
	for i < hi {
		if a.is(i, "ROW") {
			i++
		}
		if !a.isOp(i, "(") {
			a.st.StoresUnknown = true
			return
		}
		end := a.closeOf(i, hi)
		k := 0
		a.commaItems(i+1, end, func(start, j int) {
			col := ""
			if k < len(names) {
				col = names[k]
			}
			if !(j-start == 1 && a.is(start, "DEFAULT")) {
				a.store(start, j, sc, t, col)
			}
			k++
		})
		i = end + 1
		if !a.isOp(i, ",") {
			return
		}
		i++
	}
}

// assignments records the values of a SET list [lo, hi) of col = expr
// items, stored in t (the first relation of sc) and read in scope sc.
func (a *analyzer) assignments(lo, hi int, sc *scope, t Table) {
	a.commaItems(lo, hi, func(start, end int) { a.assignment(start, end, sc, t) })
}

// assignment records one col = expr, (a, b) = (…) or t.col = expr.
func (a *analyzer) assignment(lo, hi int, sc *scope, t Table) {
	eq := -1
	for i := lo; i < hi; i++ {
		if m := a.match(i); m > i {
			i = int(m)
			continue
		}
		if a.isOp(i, "=") {
			eq = i
			break
		}
	}
	if eq < 0 {
		a.st.StoresUnknown = true
		return
	}
	col := ""
	if eq-1 >= lo && a.isName(eq-1) {
		col = a.fold(eq - 1)
		// MySQL multi-table UPDATE: u.col names the table it lands in.
		if eq-3 >= lo && a.isOp(eq-2, ".") && a.isName(eq-3) && len(sc.rels) > 1 {
			if r := sc.find(a.fold(eq - 3)); r != nil && !r.derived {
				t = r.table
			} else {
				t = Table{}
			}
		}
	}
	if eq+2 == hi && a.is(eq+1, "DEFAULT") {
		return
	}
	a.store(eq+1, hi, sc, t, col)
}

// storesFrom adds the stores of a statement this one runs.
func (a *analyzer) storesFrom(in *Statement) {
	a.st.StoresUnknown = a.st.StoresUnknown || in.StoresUnknown
	for _, s := range in.Stores {
		a.addStore(s)
	}
}

// selfStore reports a value stored in a column of t computed from that
// column alone.
func selfStore(s *Store, t Table) bool {
	if s.Star || s.Column == "" {
		return false
	}
	for _, src := range s.Sources {
		dot := lastDot(src)
		if !equalFoldASCII(src[dot+1:], s.Column) ||
			dot >= 0 && !equalFoldASCII(src[:dot], t.String()) && !equalFoldASCII(src[:dot], t.Name) {
			return false
		}
	}
	return true
}

// returningStores gives each column of a RETURNING list that returns a
// column of the written table t the sources of the values stored in it:
// RETURNING body after INSERT INTO notes SELECT …, email … returns the
// e-mail. A column whose stored value is not named takes every stored
// source. It returns nil (unknown) when the stores are unknown, or when a
// star returns stored values.
func (a *analyzer) returningStores(cols []Column, t Table) []Column {
	if cols == nil || len(a.st.Stores) == 0 && !a.st.StoresUnknown {
		return cols
	}
	if a.st.StoresUnknown {
		return nil
	}
	for k := range cols {
		c := &cols[k]
		if c.Star {
			// A star returns the written columns under their own names:
			// certain only when each holds what it held (SET n = n + 1).
			for j := range a.st.Stores {
				if !selfStore(&a.st.Stores[j], t) {
					return nil
				}
			}
			continue
		}
		var srcs []string
		for _, src := range c.Sources {
			dot := lastDot(src)
			if dot >= 0 && !equalFoldASCII(src[:dot], t.String()) && !equalFoldASCII(src[:dot], t.Name) {
				continue
			}
			col := src[dot+1:]
			for _, s := range a.st.Stores {
				if s.Star {
					return nil
				}
				if s.Column != "" && !equalFoldASCII(s.Column, col) {
					continue
				}
				if srcs == nil {
					srcs = append(srcs, c.Sources...)
				}
				for _, x := range s.Sources {
					srcs = addSource(srcs, x)
				}
			}
		}
		if srcs != nil {
			c.Sources = a.keepSources(srcs)
			c.Expr = true
		}
	}
	return cols
}
