package mask

import (
	"errors"
	"strings"

	"github.com/sqlvigil/sqlvigil/identity"
)

// ErrFlow is returned (wrapped in a [*FlowError]) when a statement would
// carry a value masked for its reader somewhere other than a masked result
// column: a stored row read in clear, a variable, a setting, a function
// with effects, a catalog that copies data. Use errors.Is; use errors.As
// with *FlowError for the rule and the sink.
//
// A result set is one channel out of a statement; the others are judged
// before the statement runs, by the driver, in the Masker's terms:
// [Masker.CheckStore] says whether a stored value would land where it is
// read in clear (or, computed, under a strategy that keeps part of it),
// [Masker.CheckUnknown] whether a flow the analysis cannot follow is
// refused under the [Unattributed] mode, and [Masker.CheckSink] refuses a
// sink no rule covers. A refused statement has no side effect.
//
// Masking hides values, not the rows that hold them: a WHERE, ORDER BY or
// GROUP BY over a masked column still tells the reader something (`WHERE
// ssn LIKE '123%'` returns the rows whose ssn starts with 123). Forbid such
// predicates with a guard rule where that matters.
var ErrFlow = errors.New("mask: a masked value would leave the statement")

// FlowError is the refusal of a statement whose values would leave by a
// sink the reader's rules do not cover. It names the rule and the sink,
// never a value.
type FlowError struct {
	// Rule is the masking rule in force for the reader that the flow would
	// defeat.
	Rule string
	// Sink says where the value would go, in words a reader (or an agent)
	// can act on: "stored in notes.body, which the rule does not mask".
	Sink string
	// Unattributed is true when the refusal is the Masker's Unattributed
	// mode at work: the flow could not be followed. The error then
	// matches ErrUnattributed too.
	Unattributed bool
}

func (e *FlowError) Error() string {
	return "mask: a value masked by rule " + e.Rule + " would be " + e.Sink
}

// Unwrap returns ErrFlow, and ErrUnattributed when the flow could not be
// followed.
func (e *FlowError) Unwrap() []error {
	if e.Unattributed {
		return []error{ErrFlow, ErrUnattributed}
	}
	return []error{ErrFlow}
}

// Store is one value a write stores: where it lands and the columns it is
// computed from.
type Store struct {
	// Table is the relation written.
	Table string
	// Column is the column written; "" when the statement does not name
	// it: it may land in any column of Table.
	Column string
	// Sources are the columns the value is read from, as Column.Sources.
	Sources []string
	// Expr is true when the value is computed rather than copied as it is.
	Expr bool
	// Star is true when whole rows of StarTable (or, when it is empty, of
	// every relation read) are stored under their own column names.
	Star      bool
	StarTable string
}

// CheckStore judges one stored value for the writer id: it returns a
// [*FlowError] when a value masked for the writer would land where it is
// read in clear, or where a later read would see part of it. A value may
// land only in a column the same rule masks; a computed value (or one of
// several columns) only in one whose strategy keeps nothing of it (Redact,
// Null, Fixed, Tokenize): a
// strategy that keeps part of a value (Email keeps what follows the last
// '@') shows that part of whatever was stored
// (UPDATE people SET email = 'x@' || replace(email, '@', '.')).
//
// A store whose sources are unknown (Star without a table the masker can
// expand) follows the Masker's [Unattributed] mode.
func (m *Masker) CheckStore(id identity.Identity, unmask bool, s Store) *FlowError {
	if m == nil {
		return nil
	}
	if s.Star {
		from := s.StarTable
		if from == "" {
			from = "the tables read"
		}
		return m.CheckUnknown(id, unmask, "stored in "+s.Table+" as whole rows of "+from)
	}
	src := m.maskingRules(id, unmask, Column{Sources: s.Sources, Expr: true, Attributed: true})
	if len(src) == 0 {
		return nil
	}
	to := s.Table + "." + s.Column
	if s.Column == "" {
		to = s.Table + " (column not named)"
	}
	var dst []*rule
	if s.Column != "" {
		dst = m.maskingRules(id, unmask, Column{Name: s.Column, Table: s.Table, Sources: []string{s.Table + "." + s.Column}, Attributed: true})
	}
	for _, r := range src {
		d := ruleIn(dst, r)
		if d == nil {
			return &FlowError{Rule: r.Name, Sink: "stored in " + to + ", which the rule does not mask"}
		}
		if (s.Expr || len(s.Sources) > 1) && !wholeValue(d.Strategy) {
			return &FlowError{Rule: r.Name, Sink: "stored, computed, in " + to + ", whose strategy shows part of what is stored"}
		}
	}
	return nil
}

// CheckUnknown returns the refusal of a flow the analysis cannot follow
// (what), or nil when the Masker's [Unattributed] mode lets such a value
// through for id: under UnattributedRefuse, any rule in force refuses.
func (m *Masker) CheckUnknown(id identity.Identity, unmask bool, what string) *FlowError {
	if m == nil {
		return nil
	}
	r := m.refuses(id, unmask)
	if r == nil {
		return nil
	}
	return &FlowError{Rule: r.Name, Sink: what, Unattributed: true}
}

// CheckSink returns the refusal of a statement that may carry a value
// read from a table into a sink no rule covers (a variable, a setting, a
// function with effects, an error text), for a reader with any rule in
// force; nil otherwise.
func (m *Masker) CheckSink(id identity.Identity, unmask bool, what string) *FlowError {
	if r := m.RuleInForce(id, unmask); r != "" {
		return &FlowError{Rule: r, Sink: what}
	}
	return nil
}

// maskingRules lists the rules that mask c for id, in rule order.
func (m *Masker) maskingRules(id identity.Identity, unmask bool, c Column) []*rule {
	var out []*rule
	name := strings.ToLower(c.Name)
	for j := range m.columns {
		r := &m.columns[j]
		if !r.active(id, unmask) {
			continue
		}
		// Every rule that selects the column or one of its sources, not
		// only the first (as a Plan takes): a store must satisfy each.
		if r.selects(name, &c) {
			out = append(out, r)
		}
	}
	return out
}

func ruleIn(list []*rule, r *rule) *rule {
	for _, x := range list {
		if x == r {
			return x
		}
	}
	return nil
}

// MasksAny reports whether a rule in force for id could mask a value read
// from one of the columns of table: a column rule that selects one of
// them, or any detection rule (it looks at content, whatever the column).
// A statement that reads only tables for which it is false carries no
// value the reader may not see.
func (m *Masker) MasksAny(id identity.Identity, unmask bool, table string, columns []string) bool {
	if m == nil {
		return false
	}
	for j := range m.detection {
		if m.detection[j].active(id, unmask) {
			return true
		}
	}
	for _, col := range columns {
		c := Column{Name: col, Sources: []string{table + "." + col}, Attributed: true}
		name := strings.ToLower(col)
		for j := range m.columns {
			r := &m.columns[j]
			if r.active(id, unmask) && r.selects(name, &c) {
				return true
			}
		}
	}
	return false
}

// RuleNaming returns the name of the first rule that selects a column of
// table by its name, whoever reads (exemptions and unmask requests do not
// count), or "" when none does; with no columns, the first rule that
// selects columns by name at all. Rules follow names: a rename of such a
// column, or of its table, would move its values out from under the rule
// for every reader, so the driver refuses it to everyone. Detection rules,
// which look at content, do not count.
func (m *Masker) RuleNaming(table string, columns []string) string {
	if m == nil {
		return ""
	}
	for j := range m.columns {
		r := &m.columns[j]
		if !r.hasSelectors() {
			continue
		}
		if len(columns) == 0 && table == "" {
			return r.Name
		}
		for _, col := range columns {
			c := Column{Name: col, Sources: []string{table + "." + col}, Attributed: true}
			if r.selects(strings.ToLower(col), &c) {
				return r.Name
			}
		}
	}
	return ""
}
