// Package mask replaces sensitive values in query results before they reach
// a reader that may not see them: a person, a log, an AI model.
//
// A [Masker] holds [Rule]s. For each result set the driver asks it for a
// [Plan] (Masker.Plan), giving who reads ([Input].Identity) and what each
// column is ([Column]: its name and, where the statement analyser could
// tell, the table columns it is computed from). The plan then masks every
// row in place (Plan.Apply), and reports what it masked, for the audit
// record (Plan.Report): columns, rule names, strategies and counts, never a
// value. Database errors pass through Masker.RedactErrorFor, so that an
// error quoting a value (`Key (email)=(alice@example.com) already exists`)
// does not carry it to the reader (see Errors below).
//
//	m, err := mask.New(
//		mask.WithKey(key),
//		mask.WithRules(
//			mask.Rule{Name: "email", Columns: []string{"email", "*_email"}, Strategy: mask.Email(), ExemptRoles: []string{"pii:read"}},
//			mask.Rule{Name: "card", Columns: []string{"billing.cards.number"}, Strategy: mask.Partial(0, 4), NeverUnmask: true},
//			mask.Rule{Name: "customer", Columns: []string{"customer_id"}, Strategy: mask.Tokenize()},
//		),
//	)
//
// # Selecting columns
//
// A rule selects columns by name (exact or glob, or a regular expression),
// by table column ("table.column", where the analyser attributes the
// result column to its source), or, opt-in, by content (Rule.Detect). Name
// selectors match the output name and the column part of every source, so
// an alias (`SELECT email AS e`) and an expression (`lower(email)`,
// `concat(name, email)`, `substr(ssn, 1, 3)`) over a masked column are
// masked with that column's rule: the first rule that selects one of its
// sources. `SELECT count(DISTINCT email)` is masked too (to 0 under
// [Redact]), which errs on the safe side. On a column that is not a plain
// column returned under its own name (an expression, an alias, an
// unattributed column), a strategy that keeps part of the value (Partial,
// Email, Digits, the generalizations, JSON) is replaced by [Redact]: an
// expression can move the kept part onto the hidden one (Email keeps what
// follows the last '@', so `substr(email, strpos(email, '@') + 1) || '@' ||
// substr(email, 1, strpos(email, '@') - 1)` would show the local part), and
// arithmetic defeats a generalization (`salary * 10000` bucketed by 10000).
// Tokenize, Redact, Null and Fixed keep nothing of the value and apply as
// configured. RETURNING columns of INSERT, UPDATE and DELETE are planned the
// same way, as is each result set of a multi-result query (the driver plans
// again after NextResultSet).
//
// The first column rule that selects a column decides it; detection rules
// only look at columns no column rule selected. Put narrow rules first.
//
// # Unattributed columns
//
// When the analyser could not read a statement fully (Column.Attributed is
// false), a value may come from any column under any name:
// `SELECT x FROM (SELECT ssn AS x FROM people) s` hides ssn behind x. Name
// rules still match the output name. What happens to the other columns is
// the Masker's [Unattributed] mode: by default ([UnattributedRefuse]) any
// rule in force for the reader makes such a result set fail with
// [ErrUnattributed] — the rules cannot be applied with certainty, so the
// statement fails closed; [UnattributedRefuseScoped] refuses only when a
// table-scoped rule is in force and otherwise masks unattributed columns by
// name (an alias in a statement the analyser cannot read then escapes name
// rules); [UnattributedByName] masks by output name only and never
// refuses. The driver leaves unattributed the columns of a statement the
// analyser did not fully
// read (the driver package documentation says how it attributes `SELECT *`
// and the result sets of a stacked script). A
// column that is attributed but whose sources carry no table
// (`SELECT email FROM a JOIN b …` without a qualifier) is matched by the
// column part of table-scoped selectors: masked rather than refused.
//
// # Data flow
//
// A result set is one channel out of a statement; the others are judged
// before the statement runs, by the driver, in the Masker's terms:
// [Masker.CheckStore] says whether a stored value would land where it is
// read in clear (or, computed, under a strategy that keeps part of it),
// [Masker.CheckUnknown] whether a flow the analysis cannot follow is
// refused under the [Unattributed] mode, and [Masker.CheckSink] refuses a
// sink no rule covers (a variable, a setting, a function with effects).
// A refusal is a [*FlowError] (errors.Is(err, [ErrFlow])).
//
// Masking hides values, not the rows that hold them: a WHERE, ORDER BY or
// GROUP BY over a masked column still tells the reader something
// (`WHERE ssn LIKE '123%'` returns the rows whose ssn starts with 123).
// Forbid such predicates with a guard rule where that matters.
//
// # Who sees clear values
//
// A rule is in force for every reader except those it exempts: holders of
// one of Rule.ExemptRoles (an untrusted identity, read from baggage, holds
// no role), optionally only under one of Rule.Purposes. A statement for
// which the guard granted clear values ([RequestUnmask], Input.Unmask) sees
// clear values, except for rules marked NeverUnmask.
//
// # Strategies
//
// Every strategy keeps the value's type, so a masked value still scans into
// the caller's variable, and never writes into a []byte the driver owns (a
// masked []byte is a new slice, so sql.RawBytes is safe). NULL stays NULL.
// What each one preserves and leaks:
//
//	Redact            type only                 fixed token, 0, false, epoch
//	Partial(f, l)     length, f first + l last characters / digits
//	Email             the domain                "****@example.com"
//	Tokenize          equality (joins, GROUP BY work); frequencies; keyed HMAC
//	Null              nothing; needs a nullable destination
//	Fixed(v)          type only
//	Digits(n)         format, length, last n digits, equality; keyed
//	GeneralizeDate    year (and month)
//	GeneralizeNumber  magnitude to within the bucket width
//	JSON(fields…)     every field not listed, and the document's shape
//
// Tokenize and Digits need a key ([WithKey]); [New] refuses them without
// one. Unkeyed, a token of a nine-digit number could be reversed by hashing
// all of them.
//
// # Detection versus column rules
//
// Column rules cost almost nothing per value (a masked value costs
// nanoseconds, an unmasked one nothing) and never miss a column they name.
// The bytes of masked strings and []byte values are carved from chunks
// (128 bytes, doubling up to 8 KiB) shared by the values of one result
// set, so a masked value costs no allocation of its own beyond its boxing
// into a driver.Value; a masked value the caller keeps keeps its chunk
// alive. Prefer column rules
// whenever the schema is known. Detection
// (github.com/hoophq/alcatraz, pure Go) runs on every text value of the
// columns it applies to, costs microseconds per value (BenchmarkDetect),
// and errs both ways. Measured by TestDetectionFalsePositives on 2,000
// ordinary, PII-free values of each kind:
//
//	random nine-digit ids    US_SSN 88%  (also ABA routing, AU TFN/ACN, US ITIN)
//	"SKU-123-45-6789" codes  US_SSN 89%
//	ten-digit invoice numbers  PHONE_NUMBER 100%
//	dates (2024-03-15)       DATE_TIME 100%
//	16-digit order numbers   CREDIT_CARD 4% (those that pass Luhn)
//	UUIDs, prices            nothing at a score of 0.5
//
// MinScore does not help with the SSN case: alcatraz raises a bare number
// that passes its SSN validation to score 1. Use detection for free-text
// columns (notes, messages, JSON documents) and for schemas you do not
// control; name the entity types you expect (EMAIL_ADDRESS, CREDIT_CARD,
// IBAN_CODE …) rather than [AnyEntity]; keep it off columns of numbers and
// codes; and write column rules for everything you can name. A detected
// value is masked as a whole, or, with Rule.MaskSpans, only where the
// detector found something (free text keeps its other words).
//
// # Errors
//
// A database error can carry a value the reader may not see: the engine
// quotes what it failed on (`invalid value "ice@" for "YYYY"`, `bad JSON
// path: '<email>'`, `Key (email)=(…) already exists`), and a statement can
// be written to make it fail on a masked value on purpose. So while any rule
// is in force for the reader ([Masker.RuleInForce]), [Masker.RedactErrorFor]
// does not look for known messages: it redacts every quoted span. What it
// guarantees, for the error's text and for the structured fields of a
// driver error it can copy (lib/pq's pq.Error, pgx's pgconn.PgError, the
// MySQL driver's MySQLError):
//
//   - everything between the first and the last single quote, and between
//     the first and the last double quote, is replaced by [Redacted]; an
//     unmatched quote redacts to the end. A value holding quotes of its own,
//     or a piece of one (substr moved along a value four characters at a
//     time), is covered all the same: the reader's error holds no quoted
//     text but the token;
//   - the values of PostgreSQL's `Key (…)=(…)` and `Failing row contains
//     (…)`, which are not quoted, and everything after a "Detail:" label;
//   - in a Message field, everything after the first ": ", where
//     PostgreSQL and MySQL put the variable part of a message, quoted or not
//     (`improper relation name (too many dotted names): a.b@c.org`);
//   - the free-form fields PostgreSQL fills with unquoted input (Detail,
//     save a key or failing-row detail, Where, InternalQuery) are replaced
//     whole;
//   - errors.Is, errors.As to the driver's type and its code (SQLSTATE, the
//     MySQL number) keep working on a cleaned copy; an error that cannot be
//     copied clean (its text in unexported fields, as SQLite's errors are)
//     unwraps to nothing and errors.Is still answers for the original. See
//     [RedactedError].
//
// Names are not values. A quoted span that holds only names — those the
// statement wrote (the driver passes its identifiers and its text as
// RedactErrorFor's keep), those the error's name fields carry (pq's
// Constraint, Table, Column; pgconn's ConstraintName…), which are kept
// as they are — stays, so `column "emial" does not exist` and
// `duplicate key value violates unique constraint "items_sku_key"` read
// as from the raw driver, and a MySQL duplicate entry keeps its key's
// name (`Duplicate entry '[redacted]' for key 'sku'`). A span is kept
// whole or redacted whole: one value in it redacts it all. Readers no rule
// masks get the original error, the same value.
//
// What it cannot catch is a value the engine prints without quotes, outside
// a Message field, a known field and the forms above: a wrapped error's
// text (fmt.Errorf("…: %w", err)) is redacted with what the wrapped
// driver error's fields gave up, but an error of an unknown type that
// writes a value bare (SQLite's "no such column: x" writes an identifier of
// the statement that way) passes as it is, and so does a message a routine
// raises with the value bare (PostgreSQL's RAISE EXCEPTION 'no %', email;
// MariaDB's SIGNAL … SET MESSAGE_TEXT = email) when it holds no colon and no
// quote. Errors are text the engine builds; a reader who can make the
// engine fail on chosen input has a side channel that no redaction closes
// entirely (whether a statement failed at all says something about a
// value). Where that matters, have the guard
// refuse such readers statements that compute over masked columns.
//
// # Concurrency
//
// A Masker is immutable after [New] and safe for concurrent use. A Plan
// belongs to one result set and is used by one goroutine at a time.
package mask
