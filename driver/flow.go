package driver

import (
	"context"
	"strings"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/rulename"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Masking is data-flow control, decided before the statement runs. For a
// reader with a masking rule in force, every value read from a table is
// possibly masked (tainted). It may flow into result columns, which the
// per-result-set plan masks, and into predicates, joins and ordering
// (what a predicate lets a reader infer is a stated limit). Every other
// sink refuses the statement before it reaches the database, so a refused
// statement has no side effect:
//
//   - a stored row, unless the destination is masked by the same rule
//     (and, for a computed value, with a strategy that keeps nothing);
//   - a variable or a setting (MySQL SELECT … INTO @v, SET @v = (SELECT
//     …), SET of a setting from a query);
//   - a function that is not known to only compute a value (setval,
//     pg_advisory_lock, set_config, a user's function): it may keep,
//     publish or return anything;
//   - a message or diagnostics area (MySQL SIGNAL, RESIGNAL, GET
//     DIAGNOSTICS);
//   - a statement prepared in SQL (PostgreSQL PREPARE, DEALLOCATE), which
//     could stand in for one the driver prepared;
//   - a result whose columns cannot all be traced, and a statement the
//     analyser could not fully read (both follow the masker's
//     Unattributed mode);
//   - a system catalog that holds copies of data (planner statistics, raw
//     pages, other sessions' statement texts; see sqlparse.CopiesData).
//
// The masker decides each judgement in its own terms (mask.FlowError); the
// driver reports a refusal as a guard.BlockedError with rule
// rulename.MaskCopy for stores and rulename.MaskFlow otherwise.
//
// Views are traced to their base columns through the catalog (see
// catalog.go); so is a PostgreSQL table in an inheritance or partition
// tree, to the same column of every relation of the tree. A statement that reads nothing a rule in force could mask
// (by the catalog's columns) is clean: its results need no tracing (see
// flow.isClean).
//
// Code made earlier that runs on a value without a function call (a
// PostgreSQL operator, cast or domain CHECK; see pgcode.go), or on a
// write (a trigger, a rule, a CHECK or DEFAULT that calls a function; see
// writecode.go), is asked of the catalog, and a generated column is
// traced like a view's (catalog.generated). A masked reader may not make
// such code (definesCode), nor may anyone rename a column a rule names
// (renamesNamed). What it cannot see: code that runs inside the server on
// reads of its own (row-level security policies, index expressions), and
// what a predicate lets a reader infer.

// flowCheck returns the refusal of a statement of the run whose values
// could leave it by a sink the reader's rules do not cover, or nil. It
// learns the views the statement reads first (run.views).
func (i *interceptor) flowCheck(ctx context.Context, cs *connState, run *stmtRun) *guard.BlockedError {
	m := i.cfg.masker
	s, id, unmask := run.script, run.id, run.verdict.Unmask
	if m == nil || s == nil {
		return nil
	}
	if changesSchema(s) {
		i.cat.forget()
	}
	if cs != nil && changesResolution(s) {
		cs.private = true
	}
	if movesNames(s) {
		if be := i.renamesNamed(ctx, cs, s); be != nil {
			return be
		}
	}
	if m.RuleInForce(id, unmask) == "" {
		return nil
	}
	if !s.Complete {
		if fe := m.CheckUnknown(id, unmask, "carried by a statement the analyser could not fully read"); fe != nil {
			return flowBlocked(rulename.MaskFlow, fe)
		}
	}
	if movesNames(s) {
		// Rules name tables and columns: a rename would move a value out
		// from under the rule that names it, and ALTER … TYPE … USING
		// computes a column from others in place.
		if fe := m.CheckSink(id, unmask, "a rename or rewrite of a table or column that rules name"); fe != nil {
			return flowBlocked(rulename.MaskFlow, fe)
		}
	}
	if cs == nil || cs.parent == nil {
		// No connection to ask the catalog on: a relation read may be a
		// view over a masked column under another name.
		if readsRelations(s) {
			if fe := m.CheckUnknown(id, unmask, "read from relations the catalog could not be asked about"); fe != nil {
				return flowBlocked(rulename.MaskFlow, fe)
			}
		}
	} else {
		cat := &i.cat
		if cs.private {
			cat = new(catalog) // this connection's own answers, not kept
		}
		views, err := cat.views(ctx, &catalogConn{q: cs.parent}, i.cfg.dialect, s)
		if err != nil || anyOpaque(views) {
			if fe := m.CheckUnknown(id, unmask, "read through a view whose definition cannot be traced"); fe != nil {
				return flowBlocked(rulename.MaskFlow, fe)
			}
		}
		run.views = views
	}
	f := &flow{i: i, ctx: ctx, cs: cs, run: run}
	for k := range s.Statements {
		for st := &s.Statements[k]; st != nil; st = st.Inner {
			if be := f.statement(st); be != nil {
				return be
			}
		}
	}
	if f.codeMadeEarlier() {
		if fe := m.CheckUnknown(id, unmask, "passed to code made earlier that runs without a function call (an operator, a cast, a domain's check)"); fe != nil {
			return flowBlocked(rulename.MaskFlow, fe)
		}
	}
	if t := f.writesCode(); t != "" {
		if fe := m.CheckUnknown(id, unmask, "passed to code made earlier that runs on a write to "+t+" (a trigger, a rule, a check or a default)"); fe != nil {
			return flowBlocked(rulename.MaskFlow, fe)
		}
	}
	if needsClean(s) {
		run.clean = f.isClean()
	}
	return nil
}

// needsClean reports whether the result sets of s may have columns whose
// lineage the analysis does not give: only then does cleanness matter to
// the rows.
func needsClean(s *sqlparse.Script) bool {
	for k := range s.Statements {
		st := &s.Statements[k]
		if returnsRows(st) == rowsNone {
			continue
		}
		if st.Columns == nil || !(st.Kind == sqlparse.KindSelect || st.Returning) {
			return true
		}
	}
	return len(s.Statements) > 1
}

// flow is the data-flow check of one run.
type flow struct {
	i   *interceptor
	ctx context.Context
	cs  *connState
	run *stmtRun
	// clean is 0 until known, then 1 (clean) or 2 (not).
	clean int8
	// priv is this run's catalog on a connection whose names resolve
	// on their own (see catalog).
	priv *catalog
}

// isClean reports whether no value the script reads can be masked for
// the reader, by the catalog: it reads only tables none of whose columns
// a rule in force selects (and views over such columns only), calls no
// function not known to compute only a value, and reads no catalog that
// copies data. The lineage of a clean script's results needs no tracing:
// a recursive CTE, a series, SHOW, an unmasked table's whole rows.
func (f *flow) isClean() bool {
	if f.clean == 0 {
		f.clean = 2
		if f.cleanScript() {
			f.clean = 1
		}
	}
	return f.clean == 1
}

func (f *flow) cleanScript() bool {
	i, s, cs := f.i, f.run.script, f.cs
	if s == nil || !s.Complete || cs == nil || cs.parent == nil {
		return false
	}
	d := i.cfg.dialect
	if d == sqlstmt.MySQL && strings.IndexByte(s.Normalized, '@') >= 0 {
		// A user or system variable holds whatever was put there, maybe
		// by a statement that could see clear values.
		return false
	}
	cat := &i.cat
	if cs.private {
		cat = new(catalog)
	}
	conn := &catalogConn{q: cs.parent}
	for k := range s.Statements {
		for st := &s.Statements[k]; st != nil; st = st.Inner {
			if !st.Complete || copiesDataShow(d, st, s) || !cleanKind(st.Kind) {
				return false
			}
			for _, fn := range st.Functions {
				if st.Kind != sqlparse.KindPragma && !f.knownFunction(st, fn) {
					return false
				}
			}
			for _, t := range st.Reads {
				if sqlparse.CopiesData(d, t) {
					return false
				}
				v, err := cat.columnsOf(f.ctx, conn, d, t)
				if err != nil || v.opaque {
					return false
				}
				if v.isView {
					srcs, ok := v.wholeRow(t.String())
					if !ok || f.masksSources(srcs) {
						return false
					}
					continue
				}
				if v.columns == nil || i.cfg.masker.MasksAny(f.run.id, f.run.verdict.Unmask, t.String(), v.columns) {
					return false
				}
			}
		}
	}
	return true
}

// knownFunction is the package knownFunction, and no function of another
// schema stands in for the built-in of that name (catalog.shadowed).
func (f *flow) knownFunction(st *sqlparse.Statement, fn string) bool {
	return knownFunction(f.i.cfg.dialect, st, fn) && !f.shadowed(fn)
}

// shadowed reports whether fn may not be the built-in of that name; on a
// connection the catalog cannot be asked on, no.
func (f *flow) shadowed(fn string) bool {
	if f.cs == nil || f.cs.parent == nil {
		return false
	}
	return f.i.cat.shadowed(f.ctx, &catalogConn{q: f.cs.parent}, f.i.cfg.dialect, fn)
}

// knownFunction reports whether f, called by st, is known to read no
// table data: a function that only computes a value, one that draws from
// a sequence, or a built-in that reads the catalogs' names and types or a
// built-in setting.
func knownFunction(d sqlstmt.Dialect, st *sqlparse.Statement, f string) bool {
	switch {
	case sqlparse.ValueFunction(d, f), sqlparse.StoredValueFunction(d, f):
		return true
	case sqlparse.CatalogFunction(d, f):
		return !st.CustomSetting || !strings.HasSuffix(f, "current_setting")
	}
	return false
}

// cleanKind reports whether a statement of kind k returns only what it
// reads from the relations and functions it names: not a cursor's rows
// (FETCH), a prepared statement's (EXECUTE), a routine's (CALL).
func cleanKind(k sqlparse.Kind) bool {
	switch k {
	case sqlparse.KindSelect, sqlparse.KindValues, sqlparse.KindTable, sqlparse.KindShow, sqlparse.KindExplain,
		sqlparse.KindPragma, sqlparse.KindInsert, sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindReplace,
		sqlparse.KindSet, sqlparse.KindBegin, sqlparse.KindCommit, sqlparse.KindRollback, sqlparse.KindSavepoint,
		sqlparse.KindRelease:
		return true
	}
	return false
}

// masksSources reports whether a rule in force selects one of srcs
// ("table.column", "table.*").
func (f *flow) masksSources(srcs []string) bool {
	m := f.i.cfg.masker
	for _, src := range srcs {
		dot := strings.LastIndexByte(src, '.')
		if dot < 0 || src[dot+1:] == "*" {
			return true
		}
		if m.MasksAny(f.run.id, f.run.verdict.Unmask, src[:dot], []string{src[dot+1:]}) {
			return true
		}
	}
	return false
}

// copiesDataShow reports a MySQL SHOW of other sessions' statements or of
// server internals that quote them (PROCESSLIST, ENGINE … STATUS,
// PROFILE, BINLOG / RELAYLOG EVENTS, EXPLAIN / ANALYZE FOR another
// connection), or of the diagnostics area (WARNINGS, ERRORS), which quotes
// the values an earlier statement converted or collided on, whatever the
// driver's error showed of them.
func copiesDataShow(d sqlstmt.Dialect, st *sqlparse.Statement, s *sqlparse.Script) bool {
	if d != sqlstmt.MySQL || st.Kind != sqlparse.KindShow {
		return false
	}
	t := strings.ToUpper(s.Normalized)
	for _, w := range [...]string{"PROCESSLIST", "ENGINE", "PROFILE", "BINLOG", "RELAYLOG", "STATUS", "WARNINGS", "ERRORS", "EXPLAIN", "ANALYZE"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// formattedPlan reports a MySQL EXPLAIN (or DESCRIBE, MariaDB ANALYZE)
// whose text names a FORMAT: its output may quote values read from
// tables. It errs on the side of yes (a column named format counts).
func formattedPlan(d sqlstmt.Dialect, s *sqlparse.Script) bool {
	return d == sqlstmt.MySQL && strings.Contains(strings.ToUpper(s.Normalized), "FORMAT")
}

// movesNames reports whether s renames a table or a column (RENAME, ALTER
// … RENAME, MySQL CHANGE, PostgreSQL SET SCHEMA), moves rows out from
// under a table's name (movesRows) or rewrites a column from an expression
// (ALTER … TYPE … USING), in any of its statements.
func movesNames(s *sqlparse.Script) bool {
	return s.Any(func(st *sqlstmt.Statement) bool {
		return renames(s, st) || st.RewritesColumn
	})
}

// renames reports whether st, of s, renames a table or a column, or moves
// rows out from under a table's name.
func renames(s *sqlparse.Script, st *sqlparse.Statement) bool {
	return st.Kind == sqlparse.KindRename || st.Renames || movesRows(s, st)
}

// movesRows reports whether st, of s, may move rows from under a table's
// name to another's: PostgreSQL ALTER TABLE … DETACH PARTITION or NO
// INHERIT (the rows are no longer read as the parent's) and MySQL
// EXCHANGE PARTITION. It errs on the side of yes: the words anywhere in the text of
// an ALTER count.
func movesRows(s *sqlparse.Script, st *sqlparse.Statement) bool {
	if st.Kind != sqlparse.KindAlter {
		return false
	}
	t := strings.ToUpper(s.Normalized)
	return strings.Contains(t, "DETACH") || strings.Contains(t, "EXCHANGE") ||
		strings.Contains(strings.ReplaceAll(t, " ", ""), "NOINHERIT")
}

// renamesNamed returns the refusal, whoever the reader, of a rename of a
// table one of whose columns a rule names (mask.Masker.RuleNaming), or of
// a rename whose object the catalog cannot tell: rules follow names, so
// an identity that sees clear values (or that no rule masks for) would
// otherwise unmask the column for every other reader (ALTER TABLE people
// RENAME COLUMN ssn TO x, then SELECT x). A schema change that renames a
// masked column is run without the masker, with the rules changed in the
// same release.
func (i *interceptor) renamesNamed(ctx context.Context, cs *connState, s *sqlparse.Script) *guard.BlockedError {
	m := i.cfg.masker
	var conn *catalogConn
	if cs != nil && cs.parent != nil {
		conn = &catalogConn{q: cs.parent}
	}
	for k := range s.Statements {
		for st := &s.Statements[k]; st != nil; st = st.Inner {
			if !renames(s, st) {
				continue
			}
			tables := append(append([]sqlparse.Table(nil), st.Writes...), st.Reads...)
			if len(tables) == 0 || conn == nil {
				if r := m.RuleNaming("", nil); r != "" {
					return renameBlocked(r)
				}
				continue
			}
			for _, t := range tables {
				cols, err := conn.columns(ctx, i.cfg.dialect, t)
				if err != nil {
					if r := m.RuleNaming("", nil); r != "" {
						return renameBlocked(r)
					}
				}
				// A PostgreSQL table of an inheritance or partition tree
				// is masked under the name of every relation of it: NO
				// INHERIT or DETACH takes its rows from under them.
				names := []string{t.String()}
				if kind, def, err := conn.describe(ctx, i.cfg.dialect, t); err != nil {
					if r := m.RuleNaming("", nil); r != "" {
						return renameBlocked(r)
					}
				} else if kind == relFamily {
					names = append(names, strings.Fields(def)...)
				}
				for _, name := range names {
					if r := m.RuleNaming(name, cols); r != "" {
						return renameBlocked(r)
					}
				}
			}
		}
	}
	return nil
}

func renameBlocked(rule string) *guard.BlockedError {
	fe := &mask.FlowError{Rule: rule, Sink: "moved out from under the rule that names it by a rename, for every reader"}
	return &guard.BlockedError{Rule: rulename.MaskFlow, Reason: "a value masked by rule " + rule + " would be " + fe.Sink,
		Hint: hintMaskRename, Err: fe}
}

// definesCode reports whether st, of s, makes or changes code that the
// server runs later, on its own: a function, procedure, trigger, rule or
// event (st.DefinesCode), an operator, cast, aggregate, type or domain
// (whose functions run on a value without a call), a policy, a
// publication, a foreign server or any other object the analysis does not
// class, or a trigger or rule enabled again. A masked reader may not
// leave it: a trigger it made copies NEW.ssn when an exempt reader
// updates people.
func definesCode(st *sqlparse.Statement, s *sqlparse.Script) bool {
	if st.DefinesCode {
		return true
	}
	if st.Kind != sqlparse.KindCreate && st.Kind != sqlparse.KindAlter {
		return false
	}
	switch st.Object {
	case sqlparse.ObjectFunction, sqlparse.ObjectProcedure, sqlparse.ObjectTrigger, sqlparse.ObjectDataType,
		sqlparse.ObjectExtension, sqlparse.ObjectPolicy, sqlparse.ObjectOther, sqlparse.ObjectUnknown:
		return true
	case sqlparse.ObjectTable:
		return st.Kind == sqlparse.KindAlter && strings.Contains(strings.ToUpper(s.Normalized), "ENABLE")
	}
	return false
}

// changesSchema reports whether s may change what a relation is.
func changesSchema(s *sqlparse.Script) bool {
	for k := range s.Statements {
		switch s.Statements[k].Kind {
		case sqlparse.KindCreate, sqlparse.KindAlter, sqlparse.KindDrop, sqlparse.KindRename, sqlparse.KindUnknown,
			sqlparse.KindAttach, sqlparse.KindImport, sqlparse.KindUse:
			return true
		}
	}
	return false
}

// changesResolution reports whether s may change, on its connection
// only, what a name resolves to: a setting (search_path, also through
// set_config or a function that may call it), the role ("$user" in the
// search path), the current database, a temporary relation, an attached
// database, a reset. Sequence functions (nextval) do not count, so that a
// service that draws identifiers keeps the handle's cache.
func changesResolution(s *sqlparse.Script) bool {
	if !s.Complete {
		return true
	}
	for k := range s.Statements {
		for st := &s.Statements[k]; st != nil; st = st.Inner {
			if st.LexingSetting || st.PrivilegeSetting || st.DefinesCode {
				return true
			}
			for _, kind := range [2]sqlparse.Kind{st.Kind, st.Effect} {
				switch kind {
				case sqlparse.KindSet, sqlparse.KindReset, sqlparse.KindUse, sqlparse.KindDiscard, sqlparse.KindAttach,
					sqlparse.KindCreate, sqlparse.KindUnknown, sqlparse.KindDo, sqlparse.KindCall, sqlparse.KindExecute,
					sqlparse.KindOther:
					return true
				}
			}
			for _, f := range st.Functions {
				if !sqlparse.ValueFunction(s.Dialect, f) && !sqlparse.StoredValueFunction(s.Dialect, f) {
					return true
				}
			}
		}
	}
	return false
}

// readsRelations reports whether a statement of s reads a table or view.
func readsRelations(s *sqlparse.Script) bool {
	for k := range s.Statements {
		for st := &s.Statements[k]; st != nil; st = st.Inner {
			if len(st.Reads) > 0 {
				return true
			}
		}
	}
	return false
}

// statement judges one statement of a script (or one an EXPLAIN or
// PREPARE wraps).
func (f *flow) statement(st *sqlparse.Statement) *guard.BlockedError {
	fl := f // the loops below name each function f
	i := f.i
	m := i.cfg.masker
	d := i.cfg.dialect
	id, unmask, views := f.run.id, f.run.verdict.Unmask, f.run.views
	for _, t := range st.Reads {
		if sqlparse.CopiesData(d, t) {
			if fe := m.CheckSink(id, unmask, "read from "+t.String()+", a catalog that holds copies of data"); fe != nil {
				return flowBlocked(rulename.MaskFlow, fe)
			}
		}
	}
	if d == sqlstmt.PostgreSQL && (st.Kind == sqlparse.KindPrepare || st.Kind == sqlparse.KindDeallocate) {
		// A statement prepared in SQL may take the name under which the
		// driver keeps one of its own (pgx's stmtcache_ and a SHA-256 of
		// the text, lib/pq's numbered statements), once DEALLOCATE has
		// freed it: the driver then runs it for a text the analysis judged
		// harmless. EXECUTE is refused to a masked reader anyway.
		return sinkBlocked(m, id, unmask, "run later under the name of a statement the driver prepared (PREPARE, DEALLOCATE)")
	}
	if definesCode(st, f.run.script) {
		return sinkBlocked(m, id, unmask, "kept in code made now that runs later, on whatever reader's clear values (a function, trigger, rule, operator, type, event)")
	}
	if !st.Complete {
		if fe := m.CheckUnknown(id, unmask, "carried by a statement the analyser could not fully read"); fe != nil {
			return flowBlocked(rulename.MaskFlow, fe)
		}
		return nil
	}
	// Stores come first: their refusal names the rule mask-copy.
	if st.StoresUnknown {
		if fe := m.CheckUnknown(id, unmask, "stored by a write whose values' origin cannot be told"); fe != nil {
			return flowBlocked(rulename.MaskCopy, fe)
		}
	}
	for j := range st.Stores {
		s := maskStore(&st.Stores[j])
		srcs, expr, ok := resolveViews(views, s.Sources)
		if !ok {
			return sinkBlocked(m, id, unmask, "stored from a view whose definition cannot be traced")
		}
		s.Sources, s.Expr = srcs, s.Expr || expr
		if fe := m.CheckStore(id, unmask, s); fe != nil {
			return flowBlocked(rulename.MaskCopy, fe)
		}
	}
	// A function neither known to only compute a value nor known to read
	// no table (a user's function, an unlisted built-in) may read any
	// table, keep what it is given, or do anything else.
	for _, f := range st.Functions {
		if st.Kind == sqlparse.KindPragma {
			break // a PRAGMA's argument names what it reports on: metadata
		}
		if !fl.knownFunction(st, f) {
			if fe := m.CheckUnknown(id, unmask, "passed to or returned by "+f+"(), a function not known to only compute a value"); fe != nil {
				return flowBlocked(rulename.MaskFlow, fe)
			}
		}
	}
	if st.Kind == sqlparse.KindOther && d == sqlstmt.MySQL {
		// SIGNAL, RESIGNAL, GET DIAGNOSTICS: a message or the diagnostics
		// area, filled from variables or read back.
		return sinkBlocked(m, id, unmask, "carried into a message or the diagnostics area")
	}
	if copiesDataShow(d, st, f.run.script) {
		return sinkBlocked(m, id, unmask, "read from a SHOW of other sessions' statements or the server's internals")
	}
	if st.Kind == sqlparse.KindExplain && formattedPlan(d, f.run.script) && !f.isClean() {
		// The plan prints conditions with the values of const tables.
		if fe := m.CheckUnknown(id, unmask, "printed in a formatted plan, whose conditions quote values read"); fe != nil {
			return flowBlocked(rulename.MaskFlow, fe)
		}
	}
	if returnsRows(st) != rowsNone && st.Columns == nil && (st.Returning || st.Kind == sqlparse.KindSelect) && !f.isClean() {
		if fe := m.CheckUnknown(id, unmask, "returned in a result column whose origin cannot be told"); fe != nil {
			return flowBlocked(rulename.MaskFlow, fe)
		}
	}
	if len(st.Reads) == 0 {
		return nil // nothing read from a table: nothing to carry
	}
	// A value read may reach a function with effects through its
	// arguments: setval('s', length(ssn)) keeps it in a sequence.
	for _, f := range st.FunctionsOverNames {
		if !sqlparse.ValueFunction(d, f) && !(sqlparse.CatalogFunction(d, f) && knownFunction(d, st, f)) || fl.shadowed(f) {
			if be := sinkBlocked(m, id, unmask, "passed to "+f+"(), which keeps or publishes what it is given"); be != nil {
				return be
			}
		}
	}
	switch {
	case st.IntoVariables:
		return sinkBlocked(m, id, unmask, "stored in a variable (SELECT … INTO)")
	case st.Kind == sqlparse.KindSet:
		return sinkBlocked(m, id, unmask, "stored in a variable or setting (SET … = a query)")
	}
	return nil
}

func sinkBlocked(m *mask.Masker, id identity.Identity, unmask bool, what string) *guard.BlockedError {
	if fe := m.CheckSink(id, unmask, what); fe != nil {
		return flowBlocked(rulename.MaskFlow, fe)
	}
	return nil
}

func maskStore(s *sqlparse.Store) mask.Store {
	return mask.Store{
		Table:     s.Table.String(),
		Column:    s.Column,
		Sources:   s.Sources,
		Expr:      s.Expr,
		Star:      s.Star,
		StarTable: s.StarTable,
	}
}

// Hints of the driver's own refusals (see guard.BlockedError.Hint): what
// would be allowed instead, stable texts a caller can act on.
const (
	hintMaskCopy     = "store only values the writer may see, or copy into a column masked by the same rule with a strategy that keeps nothing"
	hintMaskFlow     = "select the masked column as a result column (it comes back masked), or use it only in WHERE, JOIN or ORDER BY"
	hintUnattributed = "select columns by name from their tables, so that each result column can be traced to its source"
	hintRowLimit     = "change fewer rows: narrow the WHERE clause, inside a transaction you roll back on error"
	hintRowLimitRun  = "issue the write with Exec, one statement at a time"
	hintRewriter     = "pass the argument as a plain value"
	hintMaskRename   = "rename a column that masking rules name through a handle without the masker, and change the rules with it"
)

func flowBlocked(rule string, fe *mask.FlowError) *guard.BlockedError {
	hint := hintMaskFlow
	if rule == rulename.MaskCopy {
		hint = hintMaskCopy
	}
	return &guard.BlockedError{Rule: rule, Reason: "a value masked by rule " + fe.Rule + " would be " + fe.Sink, Hint: hint, Err: fe}
}
