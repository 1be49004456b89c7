package sqlmw

import (
	"context"
	"database/sql/driver"
)

var (
	_ driver.Stmt              = (*stmt)(nil)
	_ driver.StmtExecContext   = (*stmt)(nil)
	_ driver.StmtQueryContext  = (*stmt)(nil)
	_ driver.ColumnConverter   = (*stmtConverter)(nil)
	_ driver.NamedValueChecker = (*stmtChecker)(nil)
)

// stmt is the wrapped statement. It always offers the context interfaces
// (ParentStmt holds database/sql's fallbacks); ColumnConverter and
// NamedValueChecker are offered if and only if the driver's statement has
// them, so database/sql picks the same argument converter as for the raw
// driver.
type stmt struct {
	ctx    context.Context
	intr   Interceptor
	parent *ParentStmt
}

func wrapStmt(ctx context.Context, intr Interceptor, p *ParentStmt) driver.Stmt {
	_, cc := p.Stmt.(driver.ColumnConverter) //nolint:staticcheck
	_, nvc := p.Stmt.(driver.NamedValueChecker)
	s := stmt{ctx: ctx, intr: intr, parent: p}
	switch {
	case cc && nvc:
		return &stmtConverterChecker{s}
	case cc:
		return &stmtConverter{s}
	case nvc:
		return &stmtChecker{s}
	default:
		return &s
	}
}

// Unwrap returns the driver's statement.
func (s *stmt) Unwrap() driver.Stmt { return s.parent.Stmt }

func (s *stmt) Close() error { return s.intr.StmtClose(s.ctx, s.parent) }

func (s *stmt) NumInput() int { return s.parent.NumInput() }

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), valueToNamedValue(args))
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), valueToNamedValue(args))
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.intr.StmtExecContext(ctx, s.parent, s.parent.SQL, args)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	ctx, rows, err := s.intr.StmtQueryContext(ctx, s.parent, s.parent.SQL, args)
	if err != nil {
		return nil, err
	}
	return wrapRows(ctx, s.intr, rows), nil
}

func (s *stmt) columnConverter(idx int) driver.ValueConverter {
	return s.parent.Stmt.(driver.ColumnConverter).ColumnConverter(idx) //nolint:staticcheck
}

func (s *stmt) checkNamedValue(nv *driver.NamedValue) error {
	return s.parent.Stmt.(driver.NamedValueChecker).CheckNamedValue(nv)
}

type stmtConverter struct{ stmt }

func (s *stmtConverter) ColumnConverter(idx int) driver.ValueConverter {
	return s.columnConverter(idx)
}

type stmtChecker struct{ stmt }

func (s *stmtChecker) CheckNamedValue(nv *driver.NamedValue) error { return s.checkNamedValue(nv) }

type stmtConverterChecker struct{ stmt }

func (s *stmtConverterChecker) ColumnConverter(idx int) driver.ValueConverter {
	return s.columnConverter(idx)
}

func (s *stmtConverterChecker) CheckNamedValue(nv *driver.NamedValue) error {
	return s.checkNamedValue(nv)
}
