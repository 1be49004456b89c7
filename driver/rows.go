package driver

import (
	sqldriver "database/sql/driver"
	"io"
	"strings"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/mask"
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
	n      int64
	err    error
	closed bool
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
		Columns:  attribute(r.Rows, resultStatement(r.run.script, r.set)),
		Unmask:   r.run.verdict.Unmask,
	}
	p, err := m.Plan(r.run.ctx, in)
	if err != nil {
		return err
	}
	r.mplan = p
	return nil
}

// Next reads a row and masks it: the plan replaces values, never writing
// into a buffer the driver owns.
func (r *resultRows) Next(dest []sqldriver.Value) error {
	err := r.Rows.Next(dest)
	if err != nil {
		if err != io.EOF {
			err = r.i.redact(err)
			r.err = err
		}
		return err
	}
	r.n++
	if r.mplan != nil {
		if err := r.mplan.Apply(dest); err != nil {
			r.err = err
			return err
		}
	}
	return nil
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
	if err := n.NextResultSet(); err != nil {
		return err
	}
	r.report()
	r.set++
	r.mplan = nil
	if err := r.plan(); err != nil {
		r.err = err
		return err
	}
	return nil
}

func (r *resultRows) report() {
	if r.mplan == nil {
		return
	}
	for _, m := range r.mplan.Report() {
		r.masked = append(r.masked, audit.MaskedColumn(m))
	}
}

// Close closes the driver's rows and the statement's run.
func (r *resultRows) Close() error {
	err := r.Rows.Close()
	if r.closed {
		return err
	}
	r.closed = true
	r.report()
	out := audit.Outcome{RowsReturned: r.n, RowsAffected: -1, Masked: r.masked, Err: r.err}
	if out.Err == nil {
		out.Err = err
	}
	r.run.end(out)
	return err
}

// resultStatement is the statement whose output is result set k: the only
// statement of a single-statement script. For a stacked script the
// mapping of result sets to statements depends on the driver, so nothing
// is attributed.
func resultStatement(s *sqlparse.Script, k int) *sqlparse.Statement {
	if s == nil || !s.Complete || len(s.Statements) != 1 || k != 0 {
		return nil
	}
	return &s.Statements[0]
}

// attribute describes the result columns for the masker: by position when
// the statement lists its columns without a star, by name otherwise, and
// unattributed when the analysis does not say.
func attribute(rows sqldriver.Rows, st *sqlparse.Statement) []mask.Column {
	names := rows.Columns()
	cols := make([]mask.Column, len(names))
	tn, _ := rows.(sqldriver.RowsColumnTypeDatabaseTypeName)
	for k, name := range names {
		cols[k].Name = name
		if tn != nil {
			cols[k].DatabaseType = tn.ColumnTypeDatabaseTypeName(k)
		}
	}
	if st == nil || !st.Complete || st.Columns == nil {
		return cols
	}
	star := -1
	stars := 0
	for k := range st.Columns {
		if st.Columns[k].Star {
			star = k
			stars++
		}
	}
	if stars == 0 && len(st.Columns) == len(names) {
		for k := range cols {
			setSource(&cols[k], &st.Columns[k])
		}
		return cols
	}
	for k := range cols {
		if c := byName(st.Columns, cols[k].Name); c != nil {
			setSource(&cols[k], c)
			continue
		}
		if stars != 1 {
			continue
		}
		if table := starTable(st, &st.Columns[star]); table != "" {
			cols[k].Table = table
			cols[k].Sources = []string{table + "." + cols[k].Name}
			cols[k].Attributed = true
		}
	}
	return cols
}

func setSource(col *mask.Column, c *sqlparse.Column) {
	if c.Star {
		return
	}
	col.Sources = c.Sources
	col.Expr = c.Expr
	col.Attributed = true
	if len(c.Sources) == 1 {
		if dot := strings.LastIndexByte(c.Sources[0], '.'); dot > 0 {
			col.Table = c.Sources[0][:dot]
		}
	}
}

// byName finds the one non-star item returned under name; nil when none
// or several are.
func byName(cols []sqlparse.Column, name string) *sqlparse.Column {
	var found *sqlparse.Column
	for k := range cols {
		if cols[k].Star || !strings.EqualFold(cols[k].Name, name) {
			continue
		}
		if found != nil {
			return nil
		}
		found = &cols[k]
	}
	return found
}

// starTable is the table a star expands, when the statement says: the
// only table it reads.
func starTable(st *sqlparse.Statement, c *sqlparse.Column) string {
	if len(st.Reads) != 1 {
		return ""
	}
	t := st.Reads[0]
	if c.StarTable != "" && !strings.EqualFold(c.StarTable, t.Name) && !strings.EqualFold(c.StarTable, t.String()) {
		return ""
	}
	return t.String()
}
