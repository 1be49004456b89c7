package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Views: a view an administrator made earlier (CREATE VIEW contacts AS
// SELECT email AS contact FROM people) returns people.email under another
// name, and the text of the statement that reads it does not say so. For a
// reader with a masking rule in force, the driver asks the catalog, through
// the statement's own connection (so that the search path, the current
// database and temporary views are the ones the statement sees), whether
// each relation the statement reads is a view, and reads the view's
// definition with the analyser: its columns are then traced to their base
// columns. The answers are cached per relation name for the handle,
// dropped whenever a DDL statement passes through it and after
// catalogMaxAge. A view whose definition cannot be read (or a lookup that
// fails) makes the statement's lineage unknown, and the masker's
// Unattributed mode decides (by default: refused).

// catalogMaxAge bounds how long a relation's answer is trusted: DDL run
// outside this handle (another process, psql) is seen after at most this.
const catalogMaxAge = time.Minute

// maxViewDepth bounds the views over views followed.
const maxViewDepth = 8

// view is what the catalog says of one relation.
type view struct {
	at time.Time
	// isView is false for a table (or a relation the catalog does not
	// know): nothing to resolve.
	isView bool
	// opaque is true when the definition could not be traced.
	opaque bool
	// cols maps each traced column to its base sources; expr marks the
	// computed ones. star lists the tables whose every column the view
	// returns under its own name.
	cols map[string]viewCol
	star []string
	// columns are a table's columns, learned when a whole-row reference
	// needs them (nil until then, or when the catalog does not say).
	columns []string
	// text is the normalized text of a view's definition and of the views
	// it reads: the operators and casts it runs (see pgCode).
	text string
}

type viewCol struct {
	sources []string
	expr    bool
}

// catalog caches what relations are, per handle.
type catalog struct {
	mu  sync.RWMutex
	rel map[string]*view
	// code is what a PostgreSQL catalog says of code made earlier that
	// runs without a function call (see pgcode.go).
	code *pgCode
}

// forget drops every cached answer.
func (c *catalog) forget() {
	c.mu.Lock()
	c.rel, c.code = nil, nil
	c.mu.Unlock()
}

func (c *catalog) cached(key string, now time.Time) *view {
	c.mu.RLock()
	v := c.rel[key]
	c.mu.RUnlock()
	if v == nil || now.Sub(v.at) > catalogMaxAge {
		return nil
	}
	return v
}

func (c *catalog) keep(key string, v *view) {
	c.mu.Lock()
	if c.rel == nil {
		c.rel = make(map[string]*view)
	}
	if len(c.rel) >= 4096 {
		clear(c.rel) // bounded; the next statements learn again
	}
	c.rel[key] = v
	c.mu.Unlock()
}

// views returns the views among the relations s reads, keyed by the name
// as the statement writes it. An error means the catalog could not be
// read: the lineage is unknown.
func (c *catalog) views(ctx context.Context, conn *catalogConn, d sqlstmt.Dialect, s *sqlparse.Script) (map[string]*view, error) {
	var out map[string]*view
	now := time.Now()
	for k := range s.Statements {
		for st := &s.Statements[k]; st != nil; st = st.Inner {
			rels := st.Reads
			if st.Kind == sqlparse.KindRefresh {
				// REFRESH MATERIALIZED VIEW runs the view's definition.
				rels = append(rels[:len(rels):len(rels)], st.Writes...)
			}
			for _, t := range rels {
				if sqlparse.CopiesData(d, t) {
					continue // refused for other reasons
				}
				v, err := c.lookup(ctx, conn, d, t, now, 0)
				if err != nil {
					return nil, err
				}
				if !v.isView && v.columns == nil && wholeRowOf(st, t) {
					if v, err = c.learnColumns(ctx, conn, d, t, v); err != nil {
						return nil, err
					}
				}
				if v.isView || v.columns != nil {
					if out == nil {
						out = make(map[string]*view)
					}
					out[t.String()] = v
				}
			}
		}
	}
	return out, nil
}

// columnsOf returns what the catalog says of t, with a table's columns
// learned (nil columns when the catalog does not say).
func (c *catalog) columnsOf(ctx context.Context, conn *catalogConn, d sqlstmt.Dialect, t sqlparse.Table) (*view, error) {
	v, err := c.lookup(ctx, conn, d, t, time.Now(), 0)
	if err != nil || v.isView || v.columns != nil {
		return v, err
	}
	return c.learnColumns(ctx, conn, d, t, v)
}

// wholeRowOf reports whether st reads every column of t in one value
// ("t.*" as a source: SELECT row_to_json(p) FROM people p).
func wholeRowOf(st *sqlparse.Statement, t sqlparse.Table) bool {
	want := t.String() + ".*"
	for k := range st.Columns {
		for _, s := range st.Columns[k].Sources {
			if s == want {
				return true
			}
		}
	}
	for k := range st.Stores {
		for _, s := range st.Stores[k].Sources {
			if s == want {
				return true
			}
		}
	}
	return false
}

// learnColumns asks the catalog for the columns of table t, and keeps a
// copy of v that holds them.
func (c *catalog) learnColumns(ctx context.Context, conn *catalogConn, d sqlstmt.Dialect, t sqlparse.Table, v *view) (*view, error) {
	cols, err := conn.columns(ctx, d, t)
	if err != nil || len(cols) == 0 {
		// Not known: the masker reads t.* as any column of t, which
		// masks more than needed and never less.
		return v, nil
	}
	nv := *v
	nv.columns = cols
	c.keep(t.String(), &nv)
	return &nv, nil
}

// lookup returns what t is, from the cache or the catalog.
func (c *catalog) lookup(ctx context.Context, conn *catalogConn, d sqlstmt.Dialect, t sqlparse.Table, now time.Time, depth int) (*view, error) {
	key := t.String()
	if v := c.cached(key, now); v != nil {
		return v, nil
	}
	if depth > maxViewDepth {
		return &view{at: now, isView: true, opaque: true}, nil
	}
	kind, def, err := conn.describe(ctx, d, t)
	if err != nil {
		return nil, err
	}
	v := &view{at: now}
	switch kind {
	case relTable:
		if err := c.generated(ctx, conn, d, t, v); err != nil {
			return nil, err
		}
	case relView:
		v.isView = true
		c.define(ctx, conn, d, def, v, now, depth)
	case relFamily:
		// A PostgreSQL table in an inheritance or partition tree: reading
		// it reads its descendants' rows, and its rows are its ancestors'
		// too. Its columns are traced, like a view's, to the same column
		// of every relation of the family, so that a rule written for one
		// of them (people.ssn) masks it read under another name (a parent
		// made for the purpose, a partition).
		v.isView = true
		v.star = append(v.star, key)
		for _, r := range strings.Fields(def) {
			schema, name, ok := strings.Cut(r, ".")
			if !ok || !plainName(schema) || !plainName(name) {
				v.opaque = true
				break
			}
			v.star = append(v.star, r)
		}
	}
	c.keep(key, v)
	return v, nil
}

// generated traces the generated columns of table t, if it has any: a
// column made earlier as GENERATED ALWAYS AS (upper(ssn)) (MariaDB AS
// (…), SQLite … AS (…) VIRTUAL) returns a computation of other columns
// under its own name. Such a table is then read as a view over itself: its
// plain columns are its own, and each generated one is computed from every
// column of the table (its expression is not read), so that a rule that
// selects one of them masks it.
func (c *catalog) generated(ctx context.Context, conn *catalogConn, d sqlstmt.Dialect, t sqlparse.Table, v *view) error {
	cols, gen, err := conn.columnInfo(ctx, d, t)
	if err != nil {
		if err == errCatalogName {
			return nil // not looked up: read as a table, as before
		}
		return err
	}
	v.columns = cols
	key := t.String()
	for k, g := range gen {
		if !g {
			continue
		}
		if v.cols == nil {
			v.isView, v.star = true, []string{key}
			v.cols = make(map[string]viewCol)
		}
		srcs := make([]string, 0, len(cols))
		for _, col := range cols {
			srcs = append(srcs, key+"."+col)
		}
		v.cols[cols[k]] = viewCol{sources: srcs, expr: true}
	}
	return nil
}

// define traces the columns of a view from its definition def.
func (c *catalog) define(ctx context.Context, conn *catalogConn, d sqlstmt.Dialect, def string, v *view, now time.Time, depth int) {
	text := def
	if d != sqlstmt.SQLite {
		// The definition is a query; read it as the definition of a view
		// (its columns land under their output names).
		text = "CREATE VIEW sqlvigil_view AS " + strings.TrimSuffix(strings.TrimSpace(def), ";")
	}
	s := sqlparse.Analyze(d, text)
	if !s.Complete || len(s.Statements) != 1 || s.Statements[0].StoresUnknown || s.Statements[0].Kind != sqlparse.KindCreate {
		v.opaque = true
		return
	}
	st := &s.Statements[0]
	// A function the definition calls runs on every read of the view,
	// wherever it stands (WHERE leakfn(ssn) > 0 returns no column of it):
	// one not known to only compute a value makes the view untraceable.
	for _, fn := range st.Functions {
		if !knownFunction(d, st, fn) || c.shadowed(ctx, conn, d, fn) {
			v.opaque = true
			return
		}
	}
	v.text = s.Normalized
	// The base relations may be views themselves.
	inner := map[string]*view{}
	for _, r := range st.Reads {
		b, err := c.lookup(ctx, conn, d, r, now, depth+1)
		if err != nil || b.opaque {
			v.opaque = true
			return
		}
		if b.isView {
			inner[r.String()] = b
			v.text += " " + b.text
		}
	}
	v.cols = make(map[string]viewCol)
	for _, store := range st.Stores {
		if store.Star {
			if store.StarTable == "" {
				v.opaque = true
				return
			}
			v.star = append(v.star, store.StarTable)
			continue
		}
		srcs, expr, ok := resolveViews(inner, store.Sources)
		if !ok {
			v.opaque = true
			return
		}
		col := strings.ToLower(store.Column)
		vc := v.cols[col]
		vc.sources = append(vc.sources, srcs...)
		vc.expr = vc.expr || expr || store.Expr
		v.cols[col] = vc
	}
	if len(v.star) > 0 && len(inner) > 0 {
		v.opaque = true // a star over a view: not traced further
	}
}

// resolveViews replaces every source read through a view of views by the
// view's base sources. ok is false when a source goes through an opaque
// view. A bare source ("contact", table unknown) keeps its name and gains
// the sources of every view column of that name.
func resolveViews(views map[string]*view, sources []string) (out []string, expr, ok bool) {
	if len(views) == 0 {
		return sources, false, true
	}
	for _, src := range sources {
		dot := strings.LastIndexByte(src, '.')
		col := strings.ToLower(src[dot+1:])
		if dot < 0 {
			out = append(out, src)
			for _, v := range views {
				if !v.isView {
					continue
				}
				s, e, k := v.column(col)
				if !k {
					return nil, false, false
				}
				out = append(out, s...)
				expr = expr || e
			}
			continue
		}
		v := viewOf(views, src[:dot])
		if v == nil {
			out = append(out, src)
			continue
		}
		if col == "*" {
			s, k := v.wholeRow(src[:dot])
			if !k {
				return nil, false, false
			}
			out = append(out, s...)
			expr = true
			continue
		}
		if !v.isView {
			out = append(out, src) // a table's own column
			continue
		}
		s, e, k := v.column(col)
		if !k {
			return nil, false, false
		}
		out = append(out, s...)
		expr = expr || e
	}
	return out, expr, true
}

// column returns the base sources of column col of v.
func (v *view) column(col string) ([]string, bool, bool) {
	if v.opaque {
		return nil, false, false
	}
	if c, ok := v.cols[col]; ok {
		return c.sources, c.expr, true
	}
	var out []string
	for _, t := range v.star {
		out = append(out, t+"."+col)
	}
	return out, false, true
}

// wholeRow returns the sources of every column of relation name: a
// table's own columns, or every base source of a view.
func (v *view) wholeRow(name string) ([]string, bool) {
	if !v.isView {
		out := make([]string, 0, len(v.columns))
		for _, c := range v.columns {
			out = append(out, name+"."+c)
		}
		return out, true
	}
	if v.opaque {
		return nil, false
	}
	var out []string
	for _, c := range v.cols {
		out = append(out, c.sources...)
	}
	for _, t := range v.star {
		out = append(out, t+".*")
	}
	return out, true
}

// viewOf finds the view a source's table part names: "contacts",
// "public.contacts", or an unqualified name for a qualified view.
func viewOf(views map[string]*view, table string) *view {
	if v, ok := views[table]; ok {
		return v
	}
	for name, v := range views {
		if i := strings.LastIndexByte(name, '.'); i >= 0 && strings.EqualFold(name[i+1:], table) {
			return v
		}
		if i := strings.LastIndexByte(table, '.'); i >= 0 && strings.EqualFold(table[i+1:], name) {
			return v
		}
		if strings.EqualFold(name, table) {
			return v
		}
	}
	return nil
}

// anyOpaque reports whether a view among views cannot be traced.
func anyOpaque(views map[string]*view) bool {
	for _, v := range views {
		if v.opaque {
			return true
		}
	}
	return false
}

// Relation kinds, as the catalog answers.
const (
	relTable = iota
	relView
	// relFamily is a PostgreSQL table with ancestors or descendants
	// (INHERITS, partitions); describe's definition lists them.
	relFamily
)

// errCatalogName is returned for a relation name the catalog lookup does
// not write into its query (only letters, digits, '_' and '$' are).
var errCatalogName = errors.New("sqlvigil: relation name not looked up in the catalog")

// catalogConn runs the catalog lookups on a driver connection.
type catalogConn struct {
	q sqldriver.QueryerContext
}

// query runs a catalog query without arguments. A driver that answers
// driver.ErrSkip (it only runs prepared statements) gets it prepared.
func (c *catalogConn) query(ctx context.Context, q string) (sqldriver.Rows, error) {
	rows, err := c.q.QueryContext(ctx, q, nil)
	if err != sqldriver.ErrSkip {
		return rows, err
	}
	p, ok := c.q.(sqldriver.ConnPrepareContext)
	if !ok {
		return nil, err
	}
	st, err := p.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if sq, ok := st.(sqldriver.StmtQueryContext); ok {
		rows, err = sq.QueryContext(ctx, nil)
	} else {
		rows, err = st.Query(nil) //nolint:staticcheck // the legacy interface is the fallback
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return stmtRows{Rows: rows, st: st}, nil
}

// stmtRows closes the statement prepared for a catalog query with its rows.
type stmtRows struct {
	sqldriver.Rows
	st sqldriver.Stmt
}

func (r stmtRows) Close() error {
	err := r.Rows.Close()
	if cerr := r.st.Close(); err == nil {
		err = cerr
	}
	return err
}

// describe asks the catalog what t is, and a view's definition.
func (c *catalogConn) describe(ctx context.Context, d sqlstmt.Dialect, t sqlparse.Table) (int, string, error) {
	if !plainName(t.Schema) || !plainName(t.Name) || t.Name == "" {
		return 0, "", errCatalogName
	}
	var q string
	switch d {
	case sqlstmt.PostgreSQL:
		name := "quote_ident('" + t.Name + "')"
		if t.Schema != "" {
			name = "quote_ident('" + t.Schema + "') || '.' || " + name
		}
		// The system catalogs' views (pg_settings, information_schema)
		// list names, types and settings, not table data; those that copy
		// data are refused by name (sqlparse.CopiesData).
		// A table with ancestors or descendants (inheritance, partitions)
		// is answered as kind "family", with their names as definition.
		q = "SELECT CASE WHEN n.nspname IN ('pg_catalog', 'information_schema') THEN 'system' " +
			"WHEN c.relkind IN ('r', 'p', 'f') AND EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i " +
			"WHERE i.inhrelid = c.oid OR i.inhparent = c.oid) THEN 'family' ELSE c.relkind::text END, " +
			"CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) " +
			"WHEN c.relkind IN ('r', 'p', 'f') THEN COALESCE((WITH RECURSIVE " +
			"up(o) AS (SELECT c.oid UNION SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN up ON i.inhrelid = up.o), " +
			"down(o) AS (SELECT c.oid UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN down ON i.inhparent = down.o) " +
			"SELECT pg_catalog.string_agg(fn.nspname || '.' || fc.relname, ' ') FROM pg_catalog.pg_class fc " +
			"JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace " +
			"WHERE fc.oid <> c.oid AND (fc.oid IN (SELECT o FROM up) OR fc.oid IN (SELECT o FROM down))), '') " +
			"ELSE '' END " +
			"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
			"WHERE c.oid = pg_catalog.to_regclass(" + name + ")"
	case sqlstmt.MySQL:
		schema := "DATABASE()"
		if t.Schema != "" {
			schema = "'" + t.Schema + "'"
		}
		q = "SELECT t.TABLE_TYPE, COALESCE(v.VIEW_DEFINITION, '') FROM information_schema.TABLES t " +
			"LEFT JOIN information_schema.VIEWS v ON v.TABLE_SCHEMA = t.TABLE_SCHEMA AND v.TABLE_NAME = t.TABLE_NAME " +
			"WHERE t.TABLE_SCHEMA = " + schema + " AND t.TABLE_NAME = '" + t.Name + "'"
	case sqlstmt.SQLite:
		switch strings.ToLower(t.Schema) {
		case "":
			q = "SELECT type, sql FROM sqlite_temp_master WHERE name = '" + t.Name + "' COLLATE NOCASE " +
				"UNION ALL SELECT type, sql FROM sqlite_master WHERE name = '" + t.Name + "' COLLATE NOCASE"
		case "temp":
			q = "SELECT type, sql FROM sqlite_temp_master WHERE name = '" + t.Name + "' COLLATE NOCASE"
		default:
			q = "SELECT type, sql FROM \"" + t.Schema + "\".sqlite_master WHERE name = '" + t.Name + "' COLLATE NOCASE"
		}
	default:
		return 0, "", errCatalogName
	}
	rows, err := c.query(ctx, q)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	dest := make([]sqldriver.Value, len(rows.Columns()))
	if len(dest) != 2 {
		return 0, "", errCatalogName
	}
	if err := rows.Next(dest); err != nil {
		if err == io.EOF {
			return relTable, "", nil // not a relation the catalog knows
		}
		return 0, "", err
	}
	kind, def := text(dest[0]), text(dest[1])
	switch strings.ToLower(kind) {
	case "v", "m", "view":
		// MySQL's information_schema tables are SYSTEM VIEWs: in-memory
		// tables of names and types, not views over table data.
		return relView, def, nil
	case "family":
		if d == sqlstmt.PostgreSQL {
			return relFamily, def, nil
		}
	}
	return relTable, "", nil
}

// columns asks the catalog for the columns of table t, in order; none
// when it does not know t.
func (c *catalogConn) columns(ctx context.Context, d sqlstmt.Dialect, t sqlparse.Table) ([]string, error) {
	cols, _, err := c.columnInfo(ctx, d, t)
	return cols, err
}

// columnInfo asks the catalog for the columns of table t, in order, and
// whether each is generated from others; none when it does not know t.
func (c *catalogConn) columnInfo(ctx context.Context, d sqlstmt.Dialect, t sqlparse.Table) ([]string, []bool, error) {
	if !plainName(t.Schema) || !plainName(t.Name) || t.Name == "" {
		return nil, nil, errCatalogName
	}
	var q string
	switch d {
	case sqlstmt.PostgreSQL:
		name := "quote_ident('" + t.Name + "')"
		if t.Schema != "" {
			name = "quote_ident('" + t.Schema + "') || '.' || " + name
		}
		q = "SELECT attname::text, CASE WHEN attgenerated <> '' THEN 'g' ELSE '' END FROM pg_catalog.pg_attribute " +
			"WHERE attrelid = pg_catalog.to_regclass(" + name + ") AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
	case sqlstmt.MySQL:
		schema := "DATABASE()"
		if t.Schema != "" {
			schema = "'" + t.Schema + "'"
		}
		q = "SELECT COLUMN_NAME, CASE WHEN COALESCE(GENERATION_EXPRESSION, '') <> '' THEN 'g' ELSE '' END " +
			"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + schema +
			" AND TABLE_NAME = '" + t.Name + "' ORDER BY ORDINAL_POSITION"
	case sqlstmt.SQLite:
		// hidden is 2 for a virtual generated column, 3 for a stored one.
		if t.Schema != "" {
			q = "SELECT name, CASE WHEN hidden IN (2, 3) THEN 'g' ELSE '' END FROM pragma_table_xinfo('" + t.Name + "', '" + t.Schema + "')"
		} else {
			q = "SELECT name, CASE WHEN hidden IN (2, 3) THEN 'g' ELSE '' END FROM pragma_table_xinfo('" + t.Name + "')"
		}
	default:
		return nil, nil, errCatalogName
	}
	rows, err := c.query(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	if len(rows.Columns()) != 2 {
		return nil, nil, errCatalogName
	}
	var out []string
	var gen []bool
	dest := make([]sqldriver.Value, 2)
	for {
		if err := rows.Next(dest); err != nil {
			if err == io.EOF {
				return out, gen, nil
			}
			return nil, nil, err
		}
		out = append(out, strings.ToLower(text(dest[0])))
		gen = append(gen, text(dest[1]) == "g")
	}
}

func text(v sqldriver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// shadowed reports whether a built-in PostgreSQL function that the
// analysis takes for one that only computes a value (upper, lower,
// replace…) may be another: a function of the same name in a schema of the
// search path wins overload resolution for an exact argument type
// (public.upper(varchar) over pg_catalog.upper(text)) even when pg_catalog
// comes first, and may store or publish what it is given. Every schema but
// pg_catalog counts, so that no search path (set later, or by a function)
// escapes the check. A name qualified with pg_catalog is the built-in.
// When the catalog cannot be read, the answer is yes.
func (c *catalog) shadowed(ctx context.Context, conn *catalogConn, d sqlstmt.Dialect, name string) bool {
	if d != sqlstmt.PostgreSQL {
		return false
	}
	schema, fn, qualified := strings.Cut(name, ".")
	if !qualified {
		fn = schema
	} else if strings.EqualFold(schema, "pg_catalog") {
		return false
	}
	if !plainName(fn) {
		return true
	}
	key := "\x00fn:" + strings.ToLower(fn)
	now := time.Now()
	if v := c.cached(key, now); v != nil {
		return v.opaque
	}
	v := &view{at: now, opaque: true}
	rows, err := conn.query(ctx, "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_proc p "+
		"JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "+
		"WHERE p.proname = '"+strings.ToLower(fn)+"' AND n.nspname <> 'pg_catalog') THEN 'yes' ELSE 'no' END")
	if err != nil {
		return true
	}
	dest := make([]sqldriver.Value, 1)
	if len(rows.Columns()) == 1 && rows.Next(dest) == nil && text(dest[0]) == "no" {
		v.opaque = false
	}
	rows.Close()
	c.keep(key, v)
	return v.opaque
}
