package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"io"
	"strings"
	"time"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Code made earlier runs on a write: a trigger (PostgreSQL, MariaDB,
// SQLite, INSTEAD OF on a view), a PostgreSQL rule (ON UPDATE … DO ALSO
// INSERT INTO log VALUES (NEW.ssn)), a CHECK constraint or a column
// DEFAULT that calls a function. It sees the whole row, NEW.ssn included,
// and may read any table, store anything anywhere: an audit trigger that
// copies the row into a history table hands a masked reader's UPDATE
// people SET name = … the clear SSN in a table no rule names. The
// statement's text says nothing of it. So for a reader with a rule in
// force, the driver asks the catalog, for each relation a statement
// writes, whether such code runs on writing it (or on a relation the
// write reaches: a PostgreSQL partition or child, a table whose foreign
// key cascades from it, the base table of a view), and refuses the
// statement when it does, under the masker's Unattributed mode. A CHECK or
// DEFAULT that calls only built-ins known to compute a value (or to draw
// from a sequence) does not count. A catalog that cannot be read counts
// as holding such code.

// writeCode reports whether code made earlier may run on a write to t.
func (c *catalog) writeCode(ctx context.Context, conn *catalogConn, d sqlstmt.Dialect, t sqlparse.Table) bool {
	key := "\x00write:" + t.String()
	now := time.Now()
	if v := c.cached(key, now); v != nil {
		return v.opaque
	}
	has, err := conn.writeCode(ctx, d, t)
	if err != nil {
		return true
	}
	c.keep(key, &view{at: now, opaque: has})
	return has
}

func (c *catalogConn) writeCode(ctx context.Context, d sqlstmt.Dialect, t sqlparse.Table) (bool, error) {
	if !plainName(t.Schema) || !plainName(t.Name) || t.Name == "" {
		return true, nil
	}
	var q string
	switch d {
	case sqlstmt.PostgreSQL:
		q = pgWriteCodeQuery(t)
	case sqlstmt.MySQL:
		schema := "DATABASE()"
		if t.Schema != "" {
			schema = "'" + t.Schema + "'"
		}
		// Cascaded foreign-key actions fire no trigger in MySQL or
		// MariaDB; a view's base tables are not listed in MariaDB's
		// catalog, so any trigger of the schema counts for a view.
		q = "SELECT 'code', '', '' FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = " + schema +
			" AND EVENT_OBJECT_TABLE = '" + t.Name + "' UNION ALL SELECT 'code', '', '' FROM information_schema.TRIGGERS " +
			"WHERE TRIGGER_SCHEMA = " + schema + " AND EXISTS (SELECT 1 FROM information_schema.VIEWS WHERE TABLE_SCHEMA = " +
			schema + " AND TABLE_NAME = '" + t.Name + "')"
	case sqlstmt.SQLite:
		master := "sqlite_master"
		if t.Schema != "" && !strings.EqualFold(t.Schema, "temp") {
			master = "\"" + t.Schema + "\".sqlite_master"
		}
		// The table and, recursively, the tables whose foreign keys
		// cascade from it; a temporary trigger may watch a main table.
		q = "WITH RECURSIVE r(n) AS (SELECT lower('" + t.Name + "') UNION SELECT lower(m.name) FROM " + master + " m, " +
			"pragma_foreign_key_list(m.name) f, r WHERE m.type = 'table' AND lower(f.\"table\") = r.n) " +
			"SELECT 'code', '', '' FROM " + master + " WHERE type = 'trigger' AND lower(tbl_name) IN (SELECT n FROM r) " +
			"UNION ALL SELECT 'code', '', '' FROM sqlite_temp_master WHERE type = 'trigger' AND lower(tbl_name) IN (SELECT n FROM r)"
	default:
		return true, nil
	}
	rows, err := c.query(ctx, q)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	if len(rows.Columns()) != 3 {
		return false, errCatalogName
	}
	dest := make([]sqldriver.Value, 3)
	for {
		if err := rows.Next(dest); err != nil {
			if err == io.EOF {
				return false, nil
			}
			return false, err
		}
		kind, schema, fn := text(dest[0]), text(dest[1]), text(dest[2])
		if kind != "fn" || schema != "pg_catalog" ||
			!sqlparse.ValueFunction(d, fn) && !sqlparse.StoredValueFunction(d, fn) {
			return true, nil
		}
	}
}

// pgWriteCodeQuery lists the code that runs on a write to t: rows "code"
// for a trigger (not a foreign key's own), a rule other than a view's
// definition, an operator made earlier in a CHECK or DEFAULT; rows "fn"
// (schema, name) for each function a CHECK or DEFAULT calls, the table's
// or that of a domain one of its columns is of. The relations
// are t, its descendants (partitions, children), the tables whose foreign
// keys act on it, and the relations a view's definition reads,
// recursively.
func pgWriteCodeQuery(t sqlparse.Table) string {
	name := "quote_ident('" + t.Name + "')"
	if t.Schema != "" {
		name = "quote_ident('" + t.Schema + "') || '.' || " + name
	}
	return "WITH RECURSIVE r(o) AS (SELECT c.oid FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass(" + name + ") " +
		"UNION SELECT c.oid FROM pg_catalog.pg_class c, r WHERE " +
		"EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid AND i.inhparent = r.o) " +
		"OR EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.contype = 'f' AND k.conrelid = c.oid AND k.confrelid = r.o " +
		"AND (k.confdeltype NOT IN ('a', 'r') OR k.confupdtype NOT IN ('a', 'r'))) " +
		"OR EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_depend d " +
		"ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = w.oid " +
		"WHERE w.ev_class = r.o AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = c.oid AND c.oid <> r.o)), " +
		"x(o, cls) AS (SELECT k.oid, 'pg_catalog.pg_constraint'::pg_catalog.regclass FROM pg_catalog.pg_constraint k " +
		"WHERE k.contype = 'c' AND k.conrelid IN (SELECT o FROM r) " +
		"UNION ALL SELECT a.oid, 'pg_catalog.pg_attrdef'::pg_catalog.regclass FROM pg_catalog.pg_attrdef a WHERE a.adrelid IN (SELECT o FROM r) " +
		"UNION ALL SELECT a.atttypid, 'pg_catalog.pg_type'::pg_catalog.regclass FROM pg_catalog.pg_attribute a " +
		"WHERE a.attrelid IN (SELECT o FROM r) AND a.attnum > 0 " +
		"UNION ALL SELECT k.oid, 'pg_catalog.pg_constraint'::pg_catalog.regclass FROM pg_catalog.pg_constraint k " +
		"JOIN pg_catalog.pg_attribute a ON k.contypid = a.atttypid AND a.attnum > 0 WHERE a.attrelid IN (SELECT o FROM r)) " +
		"SELECT 'code', '', '' FROM pg_catalog.pg_trigger g WHERE g.tgrelid IN (SELECT o FROM r) AND NOT g.tgisinternal " +
		"UNION ALL SELECT 'code', '', '' FROM pg_catalog.pg_rewrite w WHERE w.ev_class IN (SELECT o FROM r) AND w.rulename <> '_RETURN' " +
		"UNION ALL SELECT 'code', '', '' FROM pg_catalog.pg_depend d JOIN x ON d.classid = x.cls AND d.objid = x.o " +
		"WHERE d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND d.refobjid >= " + firstNormalOID + " " +
		"UNION ALL SELECT 'fn', n.nspname::text, p.proname::text FROM pg_catalog.pg_depend d JOIN x ON d.classid = x.cls AND d.objid = x.o " +
		"JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.refobjid " +
		"JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
}

// writesCode returns, for a script whose reader has a rule in force, the
// first relation it writes on which code made earlier runs (see
// catalog.writeCode), or "" when there is none.
func (f *flow) writesCode() string {
	s := f.run.script
	for k := range s.Statements {
		for st := &s.Statements[k]; st != nil; st = st.Inner {
			for _, t := range st.Writes {
				if !writesRows(st) {
					continue
				}
				if f.cs == nil || f.cs.parent == nil {
					return t.String() // not known
				}
				if f.catalog().writeCode(f.ctx, &catalogConn{q: f.cs.parent}, f.i.cfg.dialect, t) {
					return t.String()
				}
			}
		}
	}
	return ""
}

// writesRows reports whether st may write rows, or check or compute
// them, and so run what watches them: any statement but one that makes,
// drops, renames or grants a relation. ALTER counts: it validates CHECKs
// (VALIDATE CONSTRAINT, a type change) and fills DEFAULTs on every row.
func writesRows(st *sqlparse.Statement) bool {
	switch st.Kind {
	case sqlparse.KindCreate, sqlparse.KindDrop, sqlparse.KindRename, sqlparse.KindComment,
		sqlparse.KindGrant, sqlparse.KindRevoke:
		return st.Effect != sqlparse.KindUnknown && st.Effect != st.Kind && st.Effect != sqlparse.KindCreate
	}
	return true
}

// catalog is the cache of the handle, or, on a connection whose names
// resolve on their own (a search path set, a temporary relation), one of
// this run's.
func (f *flow) catalog() *catalog {
	if f.cs != nil && f.cs.private {
		if f.priv == nil {
			f.priv = new(catalog)
		}
		return f.priv
	}
	return &f.i.cat
}
