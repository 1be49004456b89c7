package guard

import (
	"context"
	"strings"

	"github.com/sqlvigil/sqlvigil/internal/rulename"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Built-in rules that apply to some identities: what they may do, which
// tables they may touch, whether they must be known, who sees clear values.

// isReadOnlyEffect reports the effects a read-only identity may have.
func isReadOnlyEffect(k sqlstmt.Kind) bool {
	switch k {
	case sqlparse.KindSelect, sqlparse.KindShow, sqlparse.KindExplain,
		sqlparse.KindValues, sqlparse.KindTable, sqlparse.KindBegin,
		sqlparse.KindCommit, sqlparse.KindRollback, sqlparse.KindSavepoint,
		sqlparse.KindRelease:
		return true
	}
	return false
}

// isWritingName reports functions that change state although a SELECT
// calls them.
func isWritingName(name string) bool {
	switch name {
	case
		"nextval", "setval", "set_config", "lo_create", "lo_unlink", "lo_import",
		"lo_from_bytea", "lo_put", "pg_advisory_lock", "pg_advisory_xact_lock",
		"get_lock", "release_lock":
		return true
	}
	return false
}

// ReadOnly restricts the identities who selects to reading. It is
// ReadOnlyAccess(ReadAccess{Who: who}): see [ReadOnlyAccess].
func ReadOnly(who Who) NamedRule { return ReadOnlyAccess(ReadAccess{Who: who}) }

// ReadAccess configures [ReadOnlyAccess].
type ReadAccess struct {
	// Who selects the identities that may only read.
	Who Who
	// KnownFunctionsOnly, when true, also denies a statement that calls a
	// function that is neither a built-in function of the statement's
	// dialect known to only compute a value (a static list of the common
	// ones: count, lower, coalesce, date_trunc, json_extract, …) nor listed
	// in Functions. It is off by default because no static list holds
	// every built-in; turn it on for AI agents on PostgreSQL, where a
	// SELECT of a user-defined function may change data.
	KnownFunctionsOnly bool
	// Functions lists further functions these identities may call under
	// KnownFunctionsOnly, as "name" or "schema.name", compared without
	// regard to case. List only functions that change nothing.
	Functions []string
}

// ReadOnlyAccess restricts the identities a.Who selects to reading. It
// keeps an allow-list of read effects: a statement is allowed only when
// its kind and its most consequential effect, and those of every
// statement it wraps, are SELECT, SHOW, EXPLAIN (without ANALYZE of a
// write), VALUES, TABLE or transaction control. Everything else is denied,
// among which: INSERT, UPDATE, DELETE, MERGE, DDL of any kind (CREATE
// FUNCTION, PROCEDURE, TRIGGER, RULE, EVENT, TEMP TABLE), CALL of a
// procedure, DO, PREPARE and EXECUTE (whatever they prepare), SET and
// RESET, LISTEN / NOTIFY, COPY, LOAD DATA, MySQL HANDLER, PRAGMA, VACUUM,
// LOCK and any data-modifying CTE. So are SELECT … INTO a file or table
// and SELECTs that call a known state-changing function (nextval, setval,
// set_config, large-object writers, advisory locks), and, with
// KnownFunctionsOnly, any function not known to only compute a value.
//
// It is the rule for an AI agent that may only read. Without
// KnownFunctionsOnly it cannot see writes made by a user-defined function
// a SELECT calls (PostgreSQL functions may modify data: SELECT f()); it
// never sees row locks taken by SELECT … FOR UPDATE. Give such identities
// a database role without write privileges as well.
func ReadOnlyAccess(a ReadAccess) NamedRule {
	ro := &readOnly{who: a.Who, known: a.KnownFunctionsOnly}
	for _, f := range a.Functions {
		ro.extra = append(ro.extra, strings.ToLower(strings.TrimSpace(f)))
	}
	return Named(rulename.ReadOnly, ro)
}

type readOnly struct {
	who   Who
	known bool
	extra []string
}

func (ro *readOnly) Check(_ context.Context, r *Request) Verdict {
	if ro.objects(r) {
		return deny("identity may only read", "only reads are allowed to this identity: use SELECT")
	}
	return Verdict{}
}

func (ro *readOnly) objects(r *Request) bool {
	if r.Script == nil || !ro.who.Match(&r.Identity) {
		return false
	}
	for i := range r.Script.Statements {
		for st := &r.Script.Statements[i]; st != nil; st = st.Inner {
			if writes(st) || ro.known && ro.unknownFunction(r.Script.Dialect, st) {
				return true
			}
		}
	}
	return false
}

// unknownFunction reports a function of st that is neither a known
// read-only built-in nor on the rule's list.
func (ro *readOnly) unknownFunction(d sqlstmt.Dialect, st *sqlstmt.Statement) bool {
	for _, f := range st.Functions {
		if isReadFunction(d, f) || ro.listed(f) {
			continue
		}
		return true
	}
	return false
}

func (ro *readOnly) listed(f string) bool {
	for _, x := range ro.extra {
		if strings.EqualFold(x, f) {
			return true
		}
	}
	return false
}

func writes(st *sqlstmt.Statement) bool {
	if !isReadOnlyEffect(st.Effect) || !isReadOnlyEffect(st.Kind) || st.IntoFile {
		return true
	}
	for _, f := range st.Functions {
		if funcIs(isWritingName, f) {
			return true
		}
	}
	return false
}

// TableAccess lists the tables the identities Who selects may and may not
// touch, as patterns "name", "schema.name", "schema.*" or "*", compared
// without regard to case.
type TableAccess struct {
	Who Who
	// Allow, when not empty, is the only tables these identities may read
	// or write.
	Allow []string
	// Deny lists tables these identities may neither read nor write.
	Deny []string
}

// Tables enforces a table allow list and deny list for the identities a
// selects. Every relation a statement reads or writes, in every statement
// of a script, is checked.
//
// The search path is not known to the guard, so an unqualified name in the
// SQL is compared by name alone: "users" matches the pattern "app.users"
// (for a deny list this fails closed; for an allow list, qualify names in
// the SQL or keep allow lists to one schema). It cannot see tables that a
// view, function or procedure reads on the caller's behalf.
func Tables(a TableAccess) NamedRule {
	return Named(rulename.Tables, &tables{who: a.Who, allow: compilePatterns(a.Allow), deny: compilePatterns(a.Deny)})
}

type tablePattern struct{ schema, name string }

func compilePatterns(ps []string) []tablePattern {
	out := make([]tablePattern, 0, len(ps))
	for _, p := range ps {
		p = strings.TrimSpace(p)
		if i := strings.IndexByte(p, '.'); i >= 0 {
			out = append(out, tablePattern{schema: p[:i], name: p[i+1:]})
		} else {
			out = append(out, tablePattern{name: p})
		}
	}
	return out
}

func (p tablePattern) match(t sqlstmt.Table) bool {
	if p.name != "*" && !strings.EqualFold(p.name, t.Name) {
		return false
	}
	if p.schema == "" || p.schema == "*" || t.Schema == "" {
		return true
	}
	return strings.EqualFold(p.schema, t.Schema)
}

type tables struct {
	who         Who
	allow, deny []tablePattern
}

func (tb *tables) Check(_ context.Context, r *Request) Verdict {
	if reason := tb.find(r); reason != "" {
		return deny(reason, "use only the tables this identity may access")
	}
	return Verdict{}
}

func (tb *tables) objects(r *Request) bool { return tb.find(r) != "" }

// find returns why a table of r is refused, or "".
func (tb *tables) find(r *Request) string {
	if r.Script == nil || !tb.who.Match(&r.Identity) {
		return ""
	}
	for i := range r.Script.Statements {
		for st := &r.Script.Statements[i]; st != nil; st = st.Inner {
			if reason := tb.checkList(st.Reads); reason != "" {
				return reason
			}
			if reason := tb.checkList(st.Writes); reason != "" {
				return reason
			}
		}
	}
	return ""
}

func (tb *tables) checkList(ts []sqlstmt.Table) string {
	for _, t := range ts {
		for _, p := range tb.deny {
			if p.match(t) {
				return "table denied to this identity"
			}
		}
		if len(tb.allow) == 0 {
			continue
		}
		ok := false
		for _, p := range tb.allow {
			if p.match(t) {
				ok = true
				break
			}
		}
		if !ok {
			return "table not allowed to this identity"
		}
	}
	return ""
}

// RequireIdentity denies statements issued without an identity that names
// someone: a subject, a service or an agent. It cannot tell whether the
// identity is true; establish it where requests are authenticated.
func RequireIdentity() NamedRule { return Named(rulename.RequireIdentity, requireIdentity{}) }

type requireIdentity struct{}

func (x requireIdentity) Check(_ context.Context, r *Request) Verdict {
	if x.objects(r) {
		return deny("statement issued without an identity", "issue the statement under an identity (identity.NewContext)")
	}
	return Verdict{}
}

func (requireIdentity) objects(r *Request) bool {
	id := &r.Identity
	if id.Subject == "" && id.Service == "" && (id.Agent == nil || id.Agent.Name == "") {
		return true
	}
	return false
}

// UnmaskReview sends every request for clear values ([Request.Unmask]) to
// review; once approved the verdict grants them ([Verdict.Unmask]).
// Identities that hold one of the exempt roles, and are not untrusted, get
// clear values without review. Without this rule (or another that grants
// unmasking) a policy never grants clear values.
func UnmaskReview(exemptRoles ...string) NamedRule {
	return Named(rulename.UnmaskReview, &unmaskReview{exempt: exemptRoles})
}

type unmaskReview struct{ exempt []string }

func (u *unmaskReview) Check(_ context.Context, r *Request) Verdict {
	if !r.Unmask {
		return Verdict{}
	}
	if trustedRole(&r.Identity, u.exempt) {
		return Verdict{Decision: Allow, Unmask: true}
	}
	return Verdict{Decision: Review, Reason: "clear values requested", Unmask: true}
}
