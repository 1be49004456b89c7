package mask

// This file fixes the API the driver package calls. Fields and functions may
// be added; none of these may be renamed or change signature without changing
// the driver in the same commit.

import (
	"context"
	"database/sql/driver"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Column describes one column of a result set, as the driver knows it.
type Column struct {
	// Name is the column name the driver reports.
	Name string
	// Table is the source table when known ("schema.table" or "table").
	Table string
	// Sources are the columns the value is computed from, as "table.column"
	// or "column", when the statement analyser knows them.
	Sources []string
	// Expr is true when the value is computed (a function, an operator).
	Expr bool
	// Attributed is true when Table and Sources come from a complete
	// analysis; false when they are unknown.
	Attributed bool
	// DatabaseType is the driver's database type name, if it reports one.
	DatabaseType string
}

// Input is what a plan is made for: who reads which result set.
type Input struct {
	Identity identity.Identity
	Columns  []Column
	// Unmask is true when the guard granted clear values for this statement.
	Unmask bool
}

// Masked reports what a plan masked in one column.
type Masked struct {
	Column   string
	Rule     string
	Strategy string
	Count    int64
}

// Masker holds compiled masking rules. A nil *Masker masks nothing.
// A Masker is safe for concurrent use.
type Masker struct {
	columns      []rule // rules without Detect, in order
	detection    []rule // rules with Detect, in order
	key          []byte
	detector     Detector
	unattributed Unattributed
}

// Plan returns the plan for one result set, or nil when nothing is masked.
// An error means the result set must not be returned (a rule refuses
// columns whose source cannot be attributed).
func (m *Masker) Plan(ctx context.Context, in Input) (*Plan, error) {
	return m.plan(ctx, in)
}

// RedactError returns err, or an error with the same matching behaviour
// whose text no longer quotes values of masked columns. It does not know the
// reader, so it redacts a value any rule could mask; [Masker.RedactErrorFor]
// spares readers the rules exempt.
func (m *Masker) RedactError(err error) error {
	return m.RedactErrorFor(identity.Identity{}, false, err)
}

// Plan masks the rows of one result set. A nil *Plan masks nothing. A Plan
// is used by one goroutine at a time.
//
// The bytes of masked strings and []byte values are carved from chunks
// (128 bytes, doubling up to 8 KiB) shared by the values of one result
// set, so a masked value costs no allocation of its own beyond its boxing
// into a driver.Value; a masked value the caller keeps keeps its chunk
// alive. A masked []byte is never memory the driver owns, so sql.RawBytes
// is safe.
type Plan struct {
	width    int
	cols     []planned  // masked by a column rule
	colsBuf  [2]planned // cols' first home: most result sets mask one or two
	det      []planned  // inspected by a detection rule
	cur      cursor
	detector Detector
}

// Apply masks row in place, replacing values (never writing into a []byte
// the driver owns).
func (p *Plan) Apply(row []driver.Value) error { return p.apply(row) }

// Report lists the masked columns and counts so far.
func (p *Plan) Report() []Masked { return p.report() }

// AppendReport appends what Report lists to dst and returns the extended
// slice: with a dst of enough capacity, it allocates nothing.
func (p *Plan) AppendReport(dst []Masked) []Masked { return p.appendReport(dst) }

type unmaskKey struct{}

// RequestUnmask returns a copy of ctx that asks to see clear values. The
// request is a fact the guard sees (guard.Request.Unmask): a policy can allow
// it, deny it, or hold it for an approval; only a granted request unmasks.
func RequestUnmask(ctx context.Context) context.Context {
	return context.WithValue(ctx, unmaskKey{}, true)
}

// UnmaskRequested reports whether ctx asks to see clear values.
func UnmaskRequested(ctx context.Context) bool {
	v, _ := ctx.Value(unmaskKey{}).(bool)
	return v
}

// RuleInForce returns the name of the first rule that masks for id (with
// unmask saying whether the guard granted clear values), or "" when no rule
// does. The driver uses it to refuse a result set it cannot describe at all
// (a stacked script with a statement whose output the analysis does not
// know) whenever anything would be masked for the reader.
func (m *Masker) RuleInForce(id identity.Identity, unmask bool) string {
	if m == nil {
		return ""
	}
	for _, rules := range [2][]rule{m.columns, m.detection} {
		for i := range rules {
			if rules[i].active(id, unmask) {
				return rules[i].Name
			}
		}
	}
	return ""
}
