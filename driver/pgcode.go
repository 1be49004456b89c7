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

// PostgreSQL runs code made earlier on a value without a function call
// the analysis sees: the function of an operator (a custom one, or an
// overload of || that wins resolution), of a cast (CREATE CAST … WITH
// FUNCTION), of a domain's CHECK (on a cast, an assignment, a record
// filled from JSON), of an operator class (ORDER BY, DISTINCT, joins).
// The analysis takes operators and casts for computations, so for a reader
// with a rule in force the driver asks the catalog, once per handle and
// catalogMaxAge, what such code the database holds beyond the built-ins,
// and refuses a statement that carries masked values when that code may
// run on them:
//
//   - an operator whose function is not a built-in known to only compute
//     a value: when its name is written in the statement, or always when
//     PostgreSQL may choose it for a construct that names no operator (=
//     for IN, CASE and NULLIF, <= for BETWEEN, ~~ for LIKE…);
//   - such a cast: when the statement writes a cast, or always when the
//     cast is implicit or for assignment;
//   - a domain whose CHECK or DEFAULT calls such a function or operator,
//     a row-level security policy that does (it runs on every row read,
//     for a role that does not bypass it), and an operator class or
//     family made earlier: always.
//
// Objects are told from the built-ins by their object identifier
// (FirstNormalObjectId). The members of an extension that a superuser
// owns (citext, pg_trgm, hstore, PostGIS…) count as built-ins: a role
// that is not a superuser can neither change them nor add its own code
// to such an extension, and counting them would refuse every masked
// reader of a database that has one. An extension that another role owns
// (a trusted extension its role installed) counts like any other code. A
// catalog that cannot be read counts as holding such code.

// firstNormalOID is PostgreSQL's FirstNormalObjectId: objects below it
// were made by initdb.
const firstNormalOID = "16384"

// pgCode is what the catalog says of the code that may run on a value
// without a function call.
type pgCode struct {
	at time.Time
	// ops are the names of operators whose function is not known to only
	// compute a value.
	ops []string
	// casts is true when an explicit cast may run such code.
	casts bool
	// always is true when such code may run without an operator name or a
	// cast written in the statement.
	always bool
	// everywhere is true when such code runs on any read of a relation
	// (a row-level security policy), whatever is read.
	everywhere bool
}

// implicitOperators are the operator names PostgreSQL looks up for
// constructs that do not write them (IN, CASE, NULLIF, IS DISTINCT FROM,
// BETWEEN, LIKE, ILIKE, SIMILAR TO, row comparisons).
var implicitOperators = [...]string{"=", "<>", "<", ">", "<=", ">=", "~~", "~~*", "!~~", "!~~*", "~", "~*", "!~", "!~*"}

// pgCodeQuery lists, one row each: an operator made earlier (its name and
// its function's schema and name), a cast made earlier that runs code
// ("cast" and its context; its function), a function or operator made
// earlier that a domain's CHECK or DEFAULT uses ("domain"), a function
// or operator made earlier that a row-level security policy uses
// ("policy"), an operator class, or a member of an operator family, made
// earlier ("class").
//
// An operator's commutator or negator stands in for it when the planner
// flips or negates a condition (NOT (a =~= b) runs !=~=): each is listed
// again under the name of the operators that name it so.
var pgCodeQuery = "SELECT 'op', x.oprname::text, n.nspname::text, p.proname::text " +
	"FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode " +
	"JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace " +
	"JOIN pg_catalog.pg_operator x ON x.oid = o.oid OR x.oprcom = o.oid OR x.oprnegate = o.oid " +
	"WHERE o.oid >= " + firstNormalOID + " AND NOT " + superExtension("pg_operator", "o.oid") + " " +
	"UNION ALL SELECT 'cast', c.castcontext::text, COALESCE(n.nspname::text, ''), COALESCE(p.proname::text, '') " +
	"FROM pg_catalog.pg_cast c LEFT JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc " +
	"LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace " +
	"WHERE c.oid >= " + firstNormalOID + " AND c.castmethod <> 'b' AND NOT " + superExtension("pg_cast", "c.oid") + " " +
	"UNION ALL SELECT 'domain', '', COALESCE(n.nspname::text, ''), COALESCE(p.proname::text, '') " +
	"FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_depend d " +
	"ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = k.oid " +
	"LEFT JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.refobjid " +
	"LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace " +
	"WHERE k.contypid <> 0 AND (d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass " +
	"OR d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND d.refobjid >= " + firstNormalOID + ") " +
	"AND NOT " + superExtension("pg_type", "k.contypid") + " " +
	"UNION ALL SELECT 'domain', '', n.nspname::text, p.proname::text FROM pg_catalog.pg_type t JOIN pg_catalog.pg_depend d " +
	"ON d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objid = t.oid " +
	"JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.refobjid " +
	"JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE t.typtype = 'd' AND NOT " + superExtension("pg_type", "t.oid") + " " +
	"AND NOT " + superExtension("pg_proc", "p.oid") + " " +
	"UNION ALL SELECT 'policy', '', COALESCE(n.nspname::text, ''), COALESCE(p.proname::text, '') " +
	"FROM pg_catalog.pg_policy y JOIN pg_catalog.pg_depend d " +
	"ON d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = y.oid " +
	"LEFT JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.refobjid " +
	"LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace " +
	"WHERE (d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass " +
	"OR d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND d.refobjid >= " + firstNormalOID + " " +
	"AND NOT " + superExtension("pg_operator", "d.refobjid") + ") AND NOT " + superExtension("pg_proc", "p.oid") + " " +
	"UNION ALL SELECT 'class', '', '', '' FROM pg_catalog.pg_opclass x WHERE x.oid >= " + firstNormalOID + " " +
	"AND NOT " + superExtension("pg_opclass", "x.oid") + " " +
	"UNION ALL SELECT 'class', '', '', '' FROM pg_catalog.pg_amop x WHERE x.oid >= " + firstNormalOID + " " +
	"AND NOT " + superExtension("pg_opfamily", "x.amopfamily") + " " +
	"UNION ALL SELECT 'class', '', '', '' FROM pg_catalog.pg_amproc x WHERE x.oid >= " + firstNormalOID + " " +
	"AND NOT " + superExtension("pg_opfamily", "x.amprocfamily")

// superExtension is a condition of pgCodeQuery: the object oid of the
// catalog is a member of an extension that a superuser owns.
func superExtension(catalog, oid string) string {
	return "EXISTS (SELECT 1 FROM pg_catalog.pg_depend ed JOIN pg_catalog.pg_extension ex ON ex.oid = ed.refobjid " +
		"JOIN pg_catalog.pg_roles er ON er.oid = ex.extowner WHERE ed.classid = 'pg_catalog." + catalog + "'::pg_catalog.regclass " +
		"AND ed.objid = " + oid + " AND ed.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND ed.deptype = 'e' AND er.rolsuper)"
}

// pgCode returns what the catalog says of the code made earlier, from the
// cache or the catalog; nil when the catalog could not be read.
func (c *catalog) pgCode(ctx context.Context, conn *catalogConn) *pgCode {
	now := time.Now()
	c.mu.RLock()
	pc := c.code
	c.mu.RUnlock()
	if pc != nil && now.Sub(pc.at) <= catalogMaxAge {
		return pc
	}
	pc, err := conn.pgCode(ctx)
	if err != nil {
		return nil
	}
	pc.at = now
	c.mu.Lock()
	c.code = pc
	c.mu.Unlock()
	return pc
}

func (c *catalogConn) pgCode(ctx context.Context) (*pgCode, error) {
	rows, err := c.query(ctx, pgCodeQuery)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if len(rows.Columns()) != 4 {
		return nil, errCatalogName
	}
	pc := &pgCode{}
	dest := make([]sqldriver.Value, 4)
	for {
		if err := rows.Next(dest); err != nil {
			if err == io.EOF {
				return pc, nil
			}
			return nil, err
		}
		pc.add(text(dest[0]), text(dest[1]), text(dest[2]), text(dest[3]))
	}
}

// add notes one row of pgCodeQuery.
func (pc *pgCode) add(kind, what, schema, fn string) {
	pure := schema == "pg_catalog" && fn != "" && sqlparse.ValueFunction(sqlstmt.PostgreSQL, fn)
	switch kind {
	case "op":
		if pure {
			return
		}
		for _, name := range implicitOperators {
			if what == name {
				pc.always = true
				return
			}
		}
		pc.ops = append(pc.ops, what)
	case "cast":
		if pure {
			return
		}
		if what == "e" {
			pc.casts = true
		} else {
			pc.always = true // implicit or assignment: no cast written
		}
	case "domain":
		if !pure {
			pc.always = true
		}
	case "policy":
		// current_setting('app.tenant') and current_user are the rule in
		// row-level security.
		if !pure && !(schema == "pg_catalog" && sqlparse.CatalogFunction(sqlstmt.PostgreSQL, fn)) {
			pc.everywhere = true
		}
	default:
		pc.always = true
	}
}

// named reports whether code of pc may run by a name written in norm: an
// operator's, or a cast.
func (pc *pgCode) named(norm string) bool {
	if pc.casts && (strings.Contains(norm, "::") || strings.Contains(strings.ToUpper(norm), "CAST")) {
		return true
	}
	for _, op := range pc.ops {
		if strings.Contains(norm, op) {
			return true
		}
	}
	return false
}

// runsOn reports whether code of pc may run on a value of the script whose
// normalized text is norm.
func (pc *pgCode) runsOn(norm string) bool {
	return pc.always || pc.everywhere || pc.named(norm)
}

// codeMadeEarlier reports, for a PostgreSQL script of a reader with a rule
// in force, whether code made earlier may run on a masked value without a
// function call the analysis sees (see pgCode). An operator or a cast
// written counts as a function called, whatever the statement reads: its
// function may read a table of its own. Code that runs unnamed counts for
// a statement that carries values a rule may mask, or reads a view (whose
// definition runs whatever columns are read); a row-level security policy
// for any statement that reads a relation.
func (f *flow) codeMadeEarlier() bool {
	if f.i.cfg.dialect != sqlstmt.PostgreSQL {
		return false
	}
	s := f.run.script
	if f.cs == nil || f.cs.parent == nil {
		return readsRelations(s) // not known
	}
	norm := s.Normalized
	for _, v := range f.run.views {
		if v.isView && v.text != "" {
			norm += " " + v.text
		}
	}
	pc := f.i.cat.pgCode(f.ctx, &catalogConn{q: f.cs.parent})
	if pc == nil {
		return len(norm) > len(s.Normalized) || !f.isClean()
	}
	switch {
	case pc.named(norm):
		return true
	case pc.everywhere && readsRelations(s):
		return true
	case pc.always:
		return len(norm) > len(s.Normalized) || !f.isClean()
	}
	return false
}
