package sqlparse

// summary describes a script in a few words: the first statement's kind
// (its effect when that modifies data the kind does not say, as a DELETE in
// a CTE) and its main table ("SELECT users", "DELETE orders"), with " …" when
// more statements follow. Incomplete statements are "UNKNOWN" unless the
// kind was recognised.
func (a *analyzer) summary(sc *Script, b []byte) []byte {
	if len(sc.Statements) == 0 {
		return b
	}
	st := &sc.Statements[0]
	name := st.Kind.String()
	if severity(st.Effect) > severity(st.Kind) {
		// Name what it does: a DELETE in a CTE of a SELECT is a DELETE.
		name = st.Effect.String()
	}
	var t Table
	switch {
	case len(st.Writes) > 0:
		t = st.Writes[0]
	case len(st.Reads) > 0:
		t = st.Reads[0]
	}
	if t.Name == "" || !st.Complete {
		b = append(b, name...)
		if len(sc.Statements) > 1 {
			b = append(b, " …"...)
		}
		return b
	}
	b = append(b, name...)
	b = append(b, ' ')
	if t.Schema != "" {
		b = append(b, t.Schema...)
		b = append(b, '.')
	}
	b = append(b, t.Name...)
	if len(sc.Statements) > 1 {
		b = append(b, " …"...)
	}
	return b
}
