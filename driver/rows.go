package driver

import (
	sqldriver "database/sql/driver"
	"errors"
	"io"
	"strconv"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/internal/rulename"
	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

var (
	_ sqldriver.Rows              = (*resultRows)(nil)
	_ sqldriver.RowsNextResultSet = (*resultRows)(nil)
	_ sqlmw.RowsUnwrapper         = (*resultRows)(nil)
)

// resultRows masks the rows of one statement with a plan per result set,
// and closes the statement's run when the rows close. The sqlmw mechanics
// offer NextResultSet and the column type interfaces only when the
// driver's own rows (Unwrap) have them.
type resultRows struct {
	sqldriver.Rows
	i      *interceptor
	run    *stmtRun
	set    int // result set index
	mplan  *mask.Plan
	masked []audit.MaskedColumn
	// scratch and maskedBuf hold the report of the usual result set
	// without an allocation.
	scratch   [2]mask.Masked
	maskedBuf [2]audit.MaskedColumn
	n         int64
	bytes     int64 // of values returned, for the read budget
	err       error
	closed    bool
	// truncated names the rule whose read budget ended the rows.
	truncated string
	// refused is set when a result set could not be planned or a row
	// masked: nothing more is returned.
	refused bool
}

// Unwrap returns the driver's rows.
func (r *resultRows) Unwrap() sqldriver.Rows { return r.Rows }

// plan makes the masking plan of the current result set.
func (r *resultRows) plan() error {
	m := r.i.cfg.masker
	if m == nil {
		return nil
	}
	in := mask.Input{
		Identity: r.run.id,
		Columns:  columns(r.Rows, r.run.script, r.set, r.i.cfg.ordered),
		Unmask:   r.run.verdict.Unmask,
	}
	if r.run.clean || plansOnly(r.i.cfg.dialect, r.run.script) {
		// Nothing read can be masked for the reader (or the result is a
		// plan, not data): output names alone decide.
		for k := range in.Columns {
			in.Columns[k].Attributed = true
		}
	} else if views := r.run.views; views != nil {
		// Columns read through a view are traced to its base columns.
		for k := range in.Columns {
			c := &in.Columns[k]
			if !c.Attributed {
				continue
			}
			srcs, expr, ok := resolveViews(views, c.Sources)
			if !ok {
				c.Attributed, c.Sources = false, nil
				continue
			}
			c.Sources, c.Expr = srcs, c.Expr || expr
		}
	}
	if s := r.run.script; s != nil && s.Stacked() {
		// A result set of a stacked script that cannot be described even
		// by the union of all sources may hold anything under any name
		// (SHOW x; SELECT ssn AS y …): refused whenever a rule is in force
		// for the reader, whatever the masker's Unattributed mode.
		for k := range in.Columns {
			if in.Columns[k].Attributed {
				continue
			}
			if rule := m.RuleInForce(in.Identity, in.Unmask); rule != "" {
				return unattributedBlocked(&mask.UnattributedError{Column: in.Columns[k].Name, Index: k, Rule: rule})
			}
			break
		}
	}
	p, err := m.Plan(r.run.ctx, in)
	if err != nil {
		var ue *mask.UnattributedError
		if errors.As(err, &ue) {
			return unattributedBlocked(ue)
		}
		return noBadConn(err)
	}
	r.mplan = p
	return nil
}

// Next reads a row and masks it: the plan replaces values, never writing
// into a buffer the driver owns. After a failure to plan a result set, or
// to mask a row, no row is returned: dest is cleared, as it may hold clear
// values.
func (r *resultRows) Next(dest []sqldriver.Value) error {
	if r.refused {
		return r.err
	}
	err := r.Rows.Next(dest)
	if err != nil {
		if err != io.EOF {
			clear(dest) // a driver may have filled part of the row
			err = r.i.redact(r.run, err)
			r.err = err
		}
		return err
	}
	v := &r.run.verdict
	if v.MaxReturnRows > 0 && r.n >= v.MaxReturnRows {
		// The row past the budget was read (that is how the driver knows
		// there is one) and is not returned.
		clear(dest)
		return r.truncate(&guard.BudgetError{Rule: v.MaxReturnRowsRule, Limit: v.MaxReturnRows, Returned: r.n})
	}
	r.n++
	if r.mplan != nil {
		if err := r.mplan.Apply(dest); err != nil {
			clear(dest)
			err = noBadConn(err)
			r.refuse(err)
			return err
		}
	}
	if v.MaxReturnBytes > 0 {
		size := valuesSize(dest)
		if r.bytes+size > v.MaxReturnBytes {
			clear(dest)
			r.n--
			return r.truncate(&guard.BudgetError{Rule: v.MaxReturnBytesRule, Bytes: true, Limit: v.MaxReturnBytes, Returned: r.bytes})
		}
		r.bytes += size
	}
	return nil
}

// truncate ends the rows at the read budget: no further row or result set
// is returned, and the record says the rows were truncated.
func (r *resultRows) truncate(err *guard.BudgetError) error {
	r.truncated = err.Rule
	r.refuse(err)
	return err
}

// valuesSize is the size of a row for the read budget, as
// [guard.Budget.MaxBytes] counts it.
func valuesSize(row []sqldriver.Value) int64 {
	var n int64
	for _, v := range row {
		switch x := v.(type) {
		case nil:
		case string:
			n += int64(len(x))
		case []byte:
			n += int64(len(x))
		case bool:
			n++
		default:
			n += 8
		}
	}
	return n
}

// refuse stops the rows: no further row or result set is returned.
func (r *resultRows) refuse(err error) {
	r.refused = true
	r.err = err
}

// HasNextResultSet forwards to the driver's rows.
func (r *resultRows) HasNextResultSet() bool {
	n, ok := r.Rows.(sqldriver.RowsNextResultSet)
	return ok && n.HasNextResultSet()
}

// NextResultSet advances the driver's rows and makes the plan of the new
// result set: its columns are not those of the previous one.
func (r *resultRows) NextResultSet() error {
	n, ok := r.Rows.(sqldriver.RowsNextResultSet)
	if !ok {
		return io.EOF
	}
	if r.refused {
		return r.err
	}
	if err := n.NextResultSet(); err != nil {
		if err != io.EOF {
			err = r.i.redact(r.run, err)
			r.err = err
		}
		return err
	}
	r.report()
	r.set++
	r.mplan = nil
	if err := r.plan(); err != nil {
		r.refuse(err)
		return err
	}
	return nil
}

func (r *resultRows) report() {
	if r.mplan == nil {
		return
	}
	if r.masked == nil {
		r.masked = r.maskedBuf[:0]
	}
	for _, m := range r.mplan.AppendReport(r.scratch[:0]) {
		r.masked = append(r.masked, audit.MaskedColumn(m))
	}
}

// Close closes the driver's rows and the statement's run. Its error, which
// may come from a later statement of a stacked script, is redacted too.
func (r *resultRows) Close() error {
	err := r.i.redact(r.run, r.Rows.Close())
	if r.closed {
		return err
	}
	r.closed = true
	r.report()
	r.run.returnedBytes = r.bytes
	out := audit.Outcome{RowsReturned: r.n, RowsAffected: -1, Masked: r.masked, Err: r.err, Truncated: r.truncated}
	if r.truncated != "" {
		// The budget is the policy working, not a failure of the statement.
		out.Err = nil
	}
	if out.Err == nil {
		out.Err = err
	}
	r.run.end(out)
	return err
}

// plansOnly reports whether s is one EXPLAIN without ANALYZE whose result
// is a plan that quotes the statement's own text, never data. A MySQL or
// MariaDB plan printed in a FORMAT (JSON, TREE) is not: the optimizer reads
// const tables (a primary-key lookup) before it prints, and the conditions
// it prints hold their values.
func plansOnly(d sqlstmt.Dialect, s *sqlparse.Script) bool {
	return s != nil && s.Complete && len(s.Statements) == 1 && s.Statements[0].Kind == sqlparse.KindExplain &&
		s.Statements[0].Effect == sqlparse.KindExplain && !formattedPlan(d, s)
}

// unattributedBlocked reports a result set refused for a column whose
// origin cannot be told as a denial by rule mask-flow, as the refusals
// decided before execution are; it still matches mask.ErrUnattributed.
func unattributedBlocked(ue *mask.UnattributedError) error {
	return &guard.BlockedError{
		Rule:   rulename.MaskFlow,
		Reason: "result column " + strconv.Itoa(ue.Index+1) + " cannot be traced to its source, and mask rule " + ue.Rule + " is in force",
		Hint:   hintUnattributed,
		Err:    ue,
	}
}
