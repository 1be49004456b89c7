// Package mask replaces sensitive values in query results before they reach
// a reader that may not see them: a person, a log, an AI model. Masking is
// data-flow control decided before the statement runs: a value masked for
// the reader may leave only through a masked result column.
//
// # Main types
//
// A [Masker] ([New]) holds [Rule]s: which columns (by name, glob, regular
// expression, "table.column", or opt-in by content through a [Detector]),
// which [Strategy], and who is exempt. For each result set the driver asks
// it for a [Plan], giving who reads ([Input]) and what each [Column] is
// computed from, as the statement analyser tells; the plan masks every row
// and reports what it masked (columns, rules, counts, never a value).
//
//	m, err := mask.New(
//		mask.WithKey(key),
//		mask.WithRules(
//			mask.Rule{Name: "email", Columns: []string{"email", "*_email"}, Strategy: mask.Email(), ExemptRoles: []string{"pii:read"}},
//			mask.Rule{Name: "card", Columns: []string{"billing.cards.number"}, Strategy: mask.Partial(0, 4), NeverUnmask: true},
//			mask.Rule{Name: "customer", Columns: []string{"customer_id"}, Strategy: mask.Tokenize()},
//		),
//	)
//	db, err := sqlvigil.Open("postgres", dsn, sqlvigil.WithMasker(m))
//
// A rule follows the value: an alias or an expression over a masked column
// is masked with its rule, under [Redact] when the strategy would keep part
// of the value (see [Rule]). A masked value still scans into the caller's
// Go type, and NULL stays NULL (see [Strategy]).
//
// # Fail closed
//
// A column whose source the analyser cannot attribute is refused with
// [ErrUnattributed] whenever a rule is in force for the reader (the
// [Unattributed] mode, by default [UnattributedRefuse]). A statement that
// would carry a masked value into a stored row, a variable, a setting, a
// function with effects or a catalog that copies data is refused before it
// runs with a *[FlowError] ([ErrFlow]). Database errors that quote a value
// are redacted for readers who may not see it, keeping names and the
// driver's error type and code ([Masker.RedactErrorFor], [RedactedError]).
//
// # Limits
//
// Masking hides values, not the rows that hold them: a predicate over a
// masked column tells the reader something (see [ErrFlow]). Detection errs
// both ways and costs microseconds per value (see [Detector]): prefer
// column rules. An error a routine raises with a bare value, or an unknown
// error type, may pass unredacted (see [Masker.RedactErrorFor]).
//
// # Concurrency
//
// A Masker is immutable after [New] and safe for concurrent use. A Plan
// belongs to one result set and is used by one goroutine at a time.
package mask
