package mask

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/sqlvigil/sqlvigil/identity"
)

// ErrUnattributed is returned by [Masker.Plan] for a result set that holds a
// column whose source cannot be attributed while a rule that depends on the
// source is in force (see [Unattributed]). The result set must not be
// returned. Use errors.Is; use errors.As with *UnattributedError for the
// column.
var ErrUnattributed = errors.New("mask: result column cannot be attributed to its source")

// UnattributedError is the detail of [ErrUnattributed]. It names the column
// and the rule, never a value.
type UnattributedError struct {
	// Column is the output name of the column, and Index its position.
	Column string
	Index  int
	// Rule is a rule in force that could not be applied with certainty.
	Rule string
}

// Error implements error.
func (e *UnattributedError) Error() string {
	return fmt.Sprintf("%v: column %d %q (rule %s)", ErrUnattributed, e.Index, e.Column, e.Rule)
}

// Unwrap returns ErrUnattributed.
func (e *UnattributedError) Unwrap() error { return ErrUnattributed }

// ErrRowShape is returned by [Plan.Apply] for a row whose width differs from
// the columns the plan was made for. Use errors.Is.
var ErrRowShape = errors.New("mask: row does not match the planned columns")

// planned is one column a plan masks, or inspects by detection.
type planned struct {
	idx      int
	name     string
	rule     *rule
	strategy Strategy // the rule's, or Redact for a computed column
	count    int64
	// bytes is the boxed []byte that replaces every []byte value when the
	// strategy's result does not depend on the value: one slice per result
	// set (never the driver's), so masking allocates nothing per row.
	bytes driver.Value
	str   driver.Value
}

func newPlanned(i int, c *Column, r *rule) planned {
	p := planned{idx: i, name: c.Name, rule: r, strategy: r.Strategy}
	if !direct(c) && !wholeValue(r.Strategy) {
		// An expression can move the part a strategy keeps onto the part
		// it hides: reverse(email) under Email would show the local part.
		p.strategy = Redact()
	}
	if c, ok := p.strategy.(constant); ok {
		if s, ok := c.constantString(); ok {
			p.bytes, p.str = []byte(s), s
		}
	}
	return p
}

func (m *Masker) plan(_ context.Context, in Input) (*Plan, error) {
	if m == nil || len(m.columns)+len(m.detection) == 0 {
		return nil, nil
	}
	id, unmask := in.Identity, in.Unmask
	var p *Plan
	ensure := func() {
		if p == nil {
			p = &Plan{width: len(in.Columns), cur: cursor{key: m.key}, detector: m.detector}
			p.cols = p.colsBuf[:0]
		}
	}
	for i := range in.Columns {
		c := &in.Columns[i]
		name := strings.ToLower(c.Name)
		decided, masked := false, false
		for j := range m.columns {
			r := &m.columns[j]
			if !r.selects(name, c) {
				continue
			}
			decided = true
			if r.active(id, unmask) {
				masked = true
				ensure()
				p.cols = append(p.cols, newPlanned(i, c, r))
			}
			break
		}
		if !c.Attributed && !masked {
			if r := m.refuses(id, unmask); r != nil {
				return nil, &UnattributedError{Column: c.Name, Index: i, Rule: r.Name}
			}
		}
		if decided {
			continue
		}
		for j := range m.detection {
			r := &m.detection[j]
			if r.hasSelectors() && !r.selects(name, c) {
				continue
			}
			if r.active(id, unmask) {
				ensure()
				p.det = append(p.det, newPlanned(i, c, r))
			}
			break
		}
	}
	return p, nil
}

// refuses returns the rule that makes an unattributed column refuse the
// result set for this reader, or nil.
func (m *Masker) refuses(id identity.Identity, unmask bool) *rule {
	if m.unattributed == UnattributedByName {
		return nil
	}
	for i := range m.columns {
		r := &m.columns[i]
		if !r.active(id, unmask) {
			continue
		}
		if m.unattributed == UnattributedRefuse || len(r.scoped) > 0 {
			return r
		}
	}
	if m.unattributed == UnattributedRefuse {
		for i := range m.detection {
			if r := &m.detection[i]; r.active(id, unmask) {
				return r
			}
		}
	}
	return nil
}

// direct reports whether c is known to be a plain column returned under its
// own name: attributed, not computed, with one source whose column part is
// the output name. An alias is not direct: the analyser may not know that
// `SELECT e FROM (SELECT reverse(email) AS e …) s` computes e.
func direct(c *Column) bool {
	if !c.Attributed || c.Expr || len(c.Sources) > 1 {
		return false
	}
	if len(c.Sources) == 0 {
		return true
	}
	src := c.Sources[0]
	return strings.EqualFold(src[strings.LastIndexByte(src, '.')+1:], c.Name)
}

// wholeValue reports whether s replaces a value without keeping any part
// of it, so that it is as safe on an expression as on a column.
func wholeValue(s Strategy) bool {
	switch s.(type) {
	case redactStrategy, nullStrategy, fixedStrategy, tokenStrategy:
		return true
	}
	return false
}

func (p *Plan) apply(row []driver.Value) error {
	if p == nil {
		return nil
	}
	if len(row) != p.width {
		return fmt.Errorf("%w: %d values for %d columns", ErrRowShape, len(row), p.width)
	}
	for i := range p.cols {
		c := &p.cols[i]
		v := row[c.idx]
		if v == nil {
			continue
		}
		switch v.(type) {
		case []byte:
			if c.bytes != nil {
				row[c.idx] = c.bytes
				break
			}
			row[c.idx] = maskValue(c.strategy, v, &p.cur)
		case string:
			if c.str != nil {
				row[c.idx] = c.str
				break
			}
			row[c.idx] = maskValue(c.strategy, v, &p.cur)
		default:
			row[c.idx] = maskValue(c.strategy, v, &p.cur)
		}
		c.count++
	}
	for i := range p.det {
		c := &p.det[i]
		var text string
		switch v := row[c.idx].(type) {
		case string:
			text = v
		case []byte:
			text = string(v)
		default:
			continue
		}
		spans := p.detector.Detect(Candidate{Text: text, Entities: c.rule.Detect, MinScore: c.rule.MinScore})
		if len(spans) == 0 {
			continue
		}
		c.count++
		if c.rule.MaskSpans {
			if out, ok := maskSpans(text, spans, c.strategy, &p.cur); ok {
				if _, isBytes := row[c.idx].([]byte); isBytes {
					row[c.idx] = []byte(out)
				} else {
					row[c.idx] = out
				}
				continue
			}
		}
		row[c.idx] = maskValue(c.strategy, row[c.idx], &p.cur)
	}
	return nil
}

func (p *Plan) report() []Masked {
	if p == nil {
		return nil
	}
	return p.appendReport(make([]Masked, 0, len(p.cols)+len(p.det)))
}

func (p *Plan) appendReport(out []Masked) []Masked {
	if p == nil {
		return out
	}
	for _, c := range p.cols {
		out = append(out, Masked{Column: c.name, Rule: c.rule.Name, Strategy: c.strategy.String(), Count: c.count})
	}
	for _, c := range p.det {
		if c.count > 0 {
			out = append(out, Masked{Column: c.name, Rule: c.rule.Name, Strategy: c.strategy.String(), Count: c.count})
		}
	}
	return out
}
