package sqlmw

import (
	"context"
	"database/sql/driver"
	"reflect"
)

var _ driver.Rows = (*rows)(nil)

// rows is the wrapped result. Its optional interfaces follow the driver's
// own rows (found through RowsUnwrapper when the interceptor wraps them);
// driver.RowsColumnScanner is deliberately never offered, so every value
// passes through Next.
type rows struct {
	ctx    context.Context
	intr   Interceptor
	parent driver.Rows // what the interceptor returned
	orig   driver.Rows // the driver's own rows
}

func wrapRows(ctx context.Context, intr Interceptor, r driver.Rows) driver.Rows {
	orig := r
	for {
		u, ok := orig.(RowsUnwrapper)
		if !ok {
			break
		}
		orig = u.Unwrap()
	}
	var k int
	if _, ok := orig.(driver.RowsNextResultSet); ok {
		k |= rowsNextResultSet
	}
	if _, ok := orig.(driver.RowsColumnTypeDatabaseTypeName); ok {
		k |= rowsColumnTypeDatabaseTypeName
	}
	if _, ok := orig.(driver.RowsColumnTypeLength); ok {
		k |= rowsColumnTypeLength
	}
	if _, ok := orig.(driver.RowsColumnTypeNullable); ok {
		k |= rowsColumnTypeNullable
	}
	if _, ok := orig.(driver.RowsColumnTypePrecisionScale); ok {
		k |= rowsColumnTypePrecisionScale
	}
	if _, ok := orig.(driver.RowsColumnTypeScanType); ok {
		k |= rowsColumnTypeScanType
	}
	return pickRows(k, rows{ctx: ctx, intr: intr, parent: r, orig: orig})
}

func (r *rows) Columns() []string { return r.parent.Columns() }

func (r *rows) Close() error { return r.intr.RowsClose(r.ctx, r.parent) }

func (r *rows) Next(dest []driver.Value) error { return r.intr.RowsNext(r.ctx, r.parent, dest) }

type rowsNextResultSetMixin struct{ r *rows }

func (m rowsNextResultSetMixin) nrs() driver.RowsNextResultSet {
	if n, ok := m.r.parent.(driver.RowsNextResultSet); ok {
		return n
	}
	return m.r.orig.(driver.RowsNextResultSet)
}

func (m rowsNextResultSetMixin) HasNextResultSet() bool { return m.nrs().HasNextResultSet() }

func (m rowsNextResultSetMixin) NextResultSet() error {
	if h, ok := m.r.intr.(NextResultSetInterceptor); ok {
		return h.RowsNextResultSet(m.r.ctx, m.nrs())
	}
	return m.nrs().NextResultSet()
}

type rowsColumnTypeDatabaseTypeNameMixin struct{ r *rows }

func (m rowsColumnTypeDatabaseTypeNameMixin) ColumnTypeDatabaseTypeName(index int) string {
	return m.r.orig.(driver.RowsColumnTypeDatabaseTypeName).ColumnTypeDatabaseTypeName(index)
}

type rowsColumnTypeLengthMixin struct{ r *rows }

func (m rowsColumnTypeLengthMixin) ColumnTypeLength(index int) (int64, bool) {
	return m.r.orig.(driver.RowsColumnTypeLength).ColumnTypeLength(index)
}

type rowsColumnTypeNullableMixin struct{ r *rows }

func (m rowsColumnTypeNullableMixin) ColumnTypeNullable(index int) (nullable, ok bool) {
	return m.r.orig.(driver.RowsColumnTypeNullable).ColumnTypeNullable(index)
}

type rowsColumnTypePrecisionScaleMixin struct{ r *rows }

func (m rowsColumnTypePrecisionScaleMixin) ColumnTypePrecisionScale(index int) (precision, scale int64, ok bool) {
	return m.r.orig.(driver.RowsColumnTypePrecisionScale).ColumnTypePrecisionScale(index)
}

type rowsColumnTypeScanTypeMixin struct{ r *rows }

func (m rowsColumnTypeScanTypeMixin) ColumnTypeScanType(index int) reflect.Type {
	return m.r.orig.(driver.RowsColumnTypeScanType).ColumnTypeScanType(index)
}
