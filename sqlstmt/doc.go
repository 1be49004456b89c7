// Package sqlstmt is the statement model: what sqlvigil's analyser reads
// from a SQL text, and what policies, masking rules and audit tools decide
// on.
//
// A [Script] is one text as the driver received it: its [Dialect], its
// statements in order, whether the analyser read all of it (Complete), a
// literal-free text (Normalized), a fingerprint and a short summary. Each
// [Statement] says what it is ([Kind], the SQL keyword a policy file also
// uses, such as "DELETE", and its most consequential effect),
// which relations it reads and writes ([Table]), where its result columns
// come from ([Column]), what it stores where ([Store]), its WHERE
// ([Where], [Restriction]), the settings it touches ([Setting]) and facts
// a guard must not guess from words (files, code, privileges).
//
// The analyser is never confidently wrong: whatever it could not fully
// read is Complete == false with a Reason that never quotes the text.
// Treat an incomplete statement as unknown; sqlvigil's policies deny it.
//
// Values are produced by the analyser and shared through its cache: treat
// them as read-only. A rule receives them in guard.Request; guard.Analyze
// reads a text the way the driver does, for tools and tests:
//
//	s := guard.Analyze(sqlstmt.PostgreSQL, "DELETE FROM orders")
//	st := s.Statements[0]
//	if s.Complete && st.Kind == "DELETE" && st.Restriction == sqlstmt.RestrictionMissing {
//		// a DELETE of every row
//	}
package sqlstmt
