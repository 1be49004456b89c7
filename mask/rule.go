package mask

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Rule selects result columns and says how their values are masked, and for
// whom.
//
// A rule selects a column by its name (Columns entries without a dot,
// NamePattern), by the table column it is read from (Columns entries
// "table.column"), or by its content (Detect). A name selector matches the
// column's output name and the column part of every column the value is
// computed from, so `SELECT email AS e` and `SELECT lower(email)` are both
// selected by "email". A "table.column" selector matches the columns the
// value is computed from where the statement analyser attributes them; a
// source whose table is unknown matches on its column part alone.
//
// The first column rule (a rule without Detect) that selects a column
// decides it: masked with its Strategy, or left clear when the reader is
// exempt. Detection rules apply, in order, to the columns no column rule
// selected. Put narrow rules first.
//
// An expression over a masked column (`lower(email)`, `concat(name, email)`,
// `substr(ssn, 1, 3)`, `count(DISTINCT email)`) is masked with that column's
// rule. On a column that is not a plain column returned under its own name
// (an expression, an alias, an unattributed column), a strategy that keeps
// part of the value (Partial, Email, Digits, the generalizations, JSON) is
// replaced by [Redact]: an expression can move the kept part onto the
// hidden one (Email keeps what follows the last '@', so a rotation of the
// address would show the local part), and arithmetic defeats a
// generalization (`salary * 10000` bucketed by 10000). Tokenize, Redact,
// Null and Fixed keep nothing of the value and apply as configured.
// RETURNING columns and each result set of a multi-result query are planned
// the same way.
//
// A rule is in force for every reader except those it exempts: holders of
// one of ExemptRoles (an untrusted identity, read from baggage, holds no
// role), optionally only under one of Purposes. A statement for which the
// guard granted clear values ([RequestUnmask], Input.Unmask) sees clear
// values, except for rules marked NeverUnmask.
type Rule struct {
	// Name identifies the rule in reports and audit records. Required and
	// unique within a Masker.
	Name string
	// Columns select columns by name. Each entry is a column name ("email"),
	// a glob over names ("*_ssn", "card_?"), or, with a dot, a table-scoped
	// selector "table.column" or "schema.table.column" whose parts may be
	// globs ("billing.*.card_number"). Matching is case-insensitive.
	Columns []string
	// NamePattern selects columns whose name matches it, like a name entry
	// of Columns. Anchor it (^…$) to match whole names.
	NamePattern *regexp.Regexp
	// Detect opts this rule into content detection: a text value of a
	// column the rule applies to is masked when the [Detector] finds one of
	// these entity types in it (github.com/hoophq/alcatraz names, such as
	// "EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN"; [AnyEntity] for all). With Detect, Columns and
	// NamePattern restrict the columns inspected; without them every column
	// no column rule selected is inspected. Detection costs time on every
	// value and errs both ways: see [Detector].
	Detect []string
	// MinScore is the detector's confidence below which a finding is
	// ignored (0 to 1; 0 keeps every finding).
	MinScore float64
	// MaskSpans masks, in a detected text value, only what the detector
	// found, each finding with Strategy, and keeps the text around it:
	// "call +1 202 555 0143 today" becomes "call **** today". By default
	// the whole value is masked, which also hides what the detector did not
	// recognise next to what it did.
	MaskSpans bool
	// Strategy masks the selected values. Required.
	Strategy Strategy
	// ExemptRoles lists roles whose holders see clear values
	// ([identity.Identity.HasRole]: an untrusted identity holds no role).
	ExemptRoles []string
	// Purposes, when set, lists the declared purposes under which clear
	// values are shown: a trusted identity whose Purpose is one of them is
	// exempt (and, with ExemptRoles, only a holder of one of those roles).
	Purposes []string
	// NeverUnmask keeps the rule in force even for a statement the guard
	// granted clear values (Input.Unmask): for values nobody may read
	// through this path, such as full card numbers.
	NeverUnmask bool
}

// rule is a compiled Rule.
type rule struct {
	Rule
	names  []glob
	scoped []scopedSel
}

// glob is one lowercase name pattern.
type glob struct {
	pat    string
	isGlob bool
}

func newGlob(p string) (glob, error) {
	p = strings.ToLower(p)
	if p == "" {
		return glob{}, errors.New("empty name")
	}
	if !strings.ContainsAny(p, "*?[\\") {
		return glob{pat: p}, nil
	}
	if _, err := path.Match(p, ""); err != nil {
		return glob{}, fmt.Errorf("bad glob %q", p)
	}
	return glob{pat: p, isGlob: true}, nil
}

// match reports whether lowercase name matches g.
func (g glob) match(name string) bool {
	if !g.isGlob {
		return g.pat == name
	}
	ok, _ := path.Match(g.pat, name)
	return ok
}

// scopedSel is a "table.column" selector.
type scopedSel struct {
	schema glob // zero when the selector names no schema
	table  glob
	col    glob
}

func compileRule(r Rule) (rule, error) {
	c := rule{Rule: r}
	if r.Name == "" {
		return c, errors.New("a rule needs a Name")
	}
	if r.Strategy == nil {
		return c, fmt.Errorf("rule %q has no Strategy", r.Name)
	}
	if err := validateStrategy(r.Strategy); err != nil {
		return c, fmt.Errorf("rule %q: %w", r.Name, err)
	}
	if len(r.Columns) == 0 && r.NamePattern == nil && len(r.Detect) == 0 {
		return c, fmt.Errorf("rule %q selects nothing: set Columns, NamePattern or Detect", r.Name)
	}
	if r.MinScore < 0 || r.MinScore > 1 {
		return c, fmt.Errorf("rule %q: MinScore must be within [0, 1]", r.Name)
	}
	for _, e := range r.Detect {
		if e == "" {
			return c, fmt.Errorf("rule %q: empty entity type in Detect", r.Name)
		}
	}
	for _, p := range r.Purposes {
		if p == "" {
			return c, fmt.Errorf("rule %q: empty purpose", r.Name)
		}
	}
	for _, col := range r.Columns {
		i := strings.LastIndexByte(col, '.')
		if i < 0 {
			g, err := newGlob(col)
			if err != nil {
				return c, fmt.Errorf("rule %q: column %q: %w", r.Name, col, err)
			}
			c.names = append(c.names, g)
			continue
		}
		var sel scopedSel
		var err error
		table := col[:i]
		if j := strings.LastIndexByte(table, '.'); j >= 0 {
			if sel.schema, err = newGlob(table[:j]); err != nil {
				return c, fmt.Errorf("rule %q: column %q: schema: %w", r.Name, col, err)
			}
			table = table[j+1:]
		}
		if sel.table, err = newGlob(table); err != nil {
			return c, fmt.Errorf("rule %q: column %q: table: %w", r.Name, col, err)
		}
		if sel.col, err = newGlob(col[i+1:]); err != nil {
			return c, fmt.Errorf("rule %q: column %q: %w", r.Name, col, err)
		}
		c.scoped = append(c.scoped, sel)
	}
	c.Detect = slices.Clone(r.Detect)
	c.Columns = slices.Clone(r.Columns)
	c.ExemptRoles = slices.Clone(r.ExemptRoles)
	c.Purposes = slices.Clone(r.Purposes)
	return c, nil
}

func validateStrategy(s Strategy) error {
	switch x := s.(type) {
	case fixedStrategy:
		if x.bad {
			return errors.New("Fixed needs a string, []byte, int, int64, float64, bool or time.Time")
		}
	case numberStrategy:
		if !(x.step > 0) {
			return errors.New("GeneralizeNumber needs a positive step")
		}
	case partialStrategy, dateStrategy:
	case jsonStrategy:
		return x.validate()
	}
	return nil
}

func (r *rule) detects() bool { return len(r.Detect) > 0 }

// hasSelectors reports whether the rule names columns (as opposed to a
// detection rule inspecting every column).
func (r *rule) hasSelectors() bool {
	return len(r.names) > 0 || len(r.scoped) > 0 || r.NamePattern != nil
}

// active reports whether the rule masks for this reader.
func (r *rule) active(id identity.Identity, unmask bool) bool {
	if unmask && !r.NeverUnmask {
		return false
	}
	return !r.exempt(id)
}

func (r *rule) exempt(id identity.Identity) bool {
	if id.Untrusted || (len(r.ExemptRoles) == 0 && len(r.Purposes) == 0) {
		return false
	}
	if len(r.Purposes) > 0 && !slices.Contains(r.Purposes, id.Purpose) {
		return false
	}
	if len(r.ExemptRoles) == 0 {
		return true
	}
	for _, role := range r.ExemptRoles {
		if id.HasRole(role) {
			return true
		}
	}
	return false
}

// matchName reports whether a lowercase bare column name is selected by a
// name selector, or by the column part of a table-scoped one when the table
// is unknown (scoped true).
func (r *rule) matchName(name string, scoped bool) bool {
	for _, g := range r.names {
		if g.match(name) {
			return true
		}
	}
	if r.NamePattern != nil && r.NamePattern.MatchString(name) {
		return true
	}
	if scoped {
		for _, s := range r.scoped {
			if s.col.match(name) {
				return true
			}
		}
	}
	return false
}

// matchSource reports whether a lowercase source "table.column",
// "schema.table.column" or "column" is selected.
//
// A whole row, "table.*" (SELECT row_to_json(p) FROM people p), may hold
// any column of the table: every name selector, and every table-scoped
// selector of that table, selects it. The driver replaces it by the
// table's real columns where it can read the catalog.
func (r *rule) matchSource(src string) bool {
	i := strings.LastIndexByte(src, '.')
	col := src[i+1:]
	if col == "*" {
		return r.matchWholeRow(src[:max(i, 0)])
	}
	if r.matchName(col, i < 0) {
		return true
	}
	if i < 0 {
		return false
	}
	table, schema := src[:i], ""
	if j := strings.LastIndexByte(table, '.'); j >= 0 {
		schema, table = table[:j], table[j+1:]
	}
	for _, s := range r.scoped {
		if !s.col.match(col) || !s.table.match(table) {
			continue
		}
		// A source without a schema may be in any schema: match.
		if s.schema.pat == "" || schema == "" || s.schema.match(schema) {
			return true
		}
	}
	return false
}

// matchWholeRow reports whether a column of table (possibly
// schema-qualified) may be selected by the rule.
func (r *rule) matchWholeRow(table string) bool {
	if len(r.names) > 0 || r.NamePattern != nil {
		return true
	}
	schema := ""
	if j := strings.LastIndexByte(table, '.'); j >= 0 {
		schema, table = table[:j], table[j+1:]
	}
	for _, s := range r.scoped {
		if s.table.match(table) && (s.schema.pat == "" || schema == "" || s.schema.match(schema)) {
			return true
		}
	}
	return false
}

// selects reports whether the rule's selectors pick column c. Names must
// already be lowercase.
func (r *rule) selects(name string, c *Column) bool {
	if !c.Attributed {
		return r.matchName(name, true)
	}
	if r.matchName(name, false) {
		return true
	}
	for _, s := range c.Sources {
		if r.matchSource(strings.ToLower(s)) {
			return true
		}
	}
	if len(c.Sources) == 0 && !c.Expr && c.Table != "" {
		return r.matchSource(strings.ToLower(c.Table) + "." + name)
	}
	return false
}
