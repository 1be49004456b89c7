package policyfile

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// attribute is one name of the condition vocabulary (see doc.go).
type attribute struct {
	name string
	typ  *cel.Type
	get  func(r *guard.Request) any
}

// attributes is the whole vocabulary a condition may use. A name not
// listed here is refused when the policy is loaded.
func attributes() []attribute {
	stringList := cel.ListType(cel.StringType)
	str := func(name string, f func(r *guard.Request) string) attribute {
		return attribute{name, cel.StringType, func(r *guard.Request) any { return f(r) }}
	}
	agent := func(r *guard.Request) identity.Agent {
		if r.Identity.Agent == nil {
			return identity.Agent{}
		}
		return *r.Identity.Agent
	}
	return []attribute{
		str("identity.kind", func(r *guard.Request) string { return r.Identity.Kind.String() }),
		str("identity.subject", func(r *guard.Request) string { return r.Identity.Subject }),
		str("identity.name", func(r *guard.Request) string { return r.Identity.Name }),
		str("identity.tenant", func(r *guard.Request) string { return r.Identity.Tenant }),
		str("identity.service", func(r *guard.Request) string { return r.Identity.Service }),
		str("identity.purpose", func(r *guard.Request) string { return r.Identity.Purpose }),
		str("identity.ticket", func(r *guard.Request) string { return r.Identity.Ticket }),
		{"identity.roles", stringList, func(r *guard.Request) any {
			if r.Identity.Untrusted {
				return []string{}
			}
			return nonNil(r.Identity.Roles)
		}},
		{"identity.claimed_roles", stringList, func(r *guard.Request) any { return nonNil(r.Identity.Roles) }},
		{"identity.untrusted", cel.BoolType, func(r *guard.Request) any { return r.Identity.Untrusted }},
		{"identity.anonymous", cel.BoolType, func(r *guard.Request) any {
			id := &r.Identity
			return id.Subject == "" && id.Service == "" && (id.Agent == nil || id.Agent.Name == "")
		}},
		{"identity.attributes", cel.MapType(cel.StringType, cel.StringType), func(r *guard.Request) any {
			if r.Identity.Attributes == nil {
				return map[string]string{}
			}
			return r.Identity.Attributes
		}},
		str("identity.agent.name", func(r *guard.Request) string { return agent(r).Name }),
		str("identity.agent.model", func(r *guard.Request) string { return agent(r).Model }),
		str("identity.agent.tool", func(r *guard.Request) string { return agent(r).Tool }),
		str("identity.agent.tool_call_id", func(r *guard.Request) string { return agent(r).ToolCallID }),
		str("identity.agent.on_behalf_of", func(r *guard.Request) string { return agent(r).OnBehalfOf }),

		str("statement.kind", func(r *guard.Request) string { return firstKind(r, false) }),
		str("statement.effect", func(r *guard.Request) string { return firstKind(r, true) }),
		{"statement.kinds", stringList, func(r *guard.Request) any {
			return collect(r, func(st *sqlstmt.Statement) []string { return []string{st.Kind.String()} })
		}},
		{"statement.effects", stringList, func(r *guard.Request) any {
			return collect(r, func(st *sqlstmt.Statement) []string { return []string{st.Effect.String()} })
		}},
		{"statement.objects", stringList, func(r *guard.Request) any {
			return collect(r, func(st *sqlstmt.Statement) []string { return []string{st.Object.String()} })
		}},
		{"statement.reads", stringList, func(r *guard.Request) any {
			return collect(r, func(st *sqlstmt.Statement) []string { return tableNames(st.Reads) })
		}},
		{"statement.writes", stringList, func(r *guard.Request) any {
			return collect(r, func(st *sqlstmt.Statement) []string { return tableNames(st.Writes) })
		}},
		{"statement.tables", stringList, func(r *guard.Request) any {
			return collect(r, func(st *sqlstmt.Statement) []string { return append(tableNames(st.Reads), tableNames(st.Writes)...) })
		}},
		{"statement.functions", stringList, func(r *guard.Request) any {
			return collect(r, func(st *sqlstmt.Statement) []string { return st.Functions })
		}},
		{"statement.complete", cel.BoolType, func(r *guard.Request) any { return r.Script != nil && r.Script.Complete }},
		{"statement.stacked", cel.BoolType, func(r *guard.Request) any { return r.Script != nil && r.Script.Stacked() }},
		{"statement.count", cel.IntType, func(r *guard.Request) any {
			if r.Script == nil {
				return int64(0)
			}
			return int64(len(r.Script.Statements))
		}},
		{"statement.unbounded", cel.BoolType, func(r *guard.Request) any {
			return guard.MissingWhere().Rule.Check(context.Background(), r).Decision == guard.Deny
		}},
		{"statement.drops_column", cel.BoolType, func(r *guard.Request) any {
			return r.Script.Any(func(st *sqlstmt.Statement) bool { return st.DropsColumn })
		}},
		{"statement.into_file", cel.BoolType, func(r *guard.Request) any {
			return r.Script.Any(func(st *sqlstmt.Statement) bool { return st.IntoFile || st.Program || st.Local })
		}},
		str("statement.text", func(r *guard.Request) string {
			if r.Script == nil {
				return ""
			}
			return r.Script.Normalized
		}),
		str("statement.summary", func(r *guard.Request) string {
			if r.Script == nil {
				return ""
			}
			return r.Script.Summary
		}),
		str("statement.dialect", func(r *guard.Request) string {
			if r.Script == nil {
				return sqlstmt.DialectUnknown.String()
			}
			return r.Script.Dialect.String()
		}),
		{"request.args", cel.IntType, func(r *guard.Request) any { return int64(len(r.Args)) }},
		{"request.in_tx", cel.BoolType, func(r *guard.Request) any { return r.InTx }},
		{"request.unmask", cel.BoolType, func(r *guard.Request) any { return r.Unmask }},
		str("environment", func(r *guard.Request) string { return r.Environment }),
		{"now", cel.TimestampType, func(r *guard.Request) any { return types.Timestamp{Time: r.Time} }},
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func firstKind(r *guard.Request, effect bool) string {
	if r.Script == nil || len(r.Script.Statements) == 0 {
		return sqlparse.KindUnknown.String()
	}
	st := &r.Script.Statements[0]
	if effect {
		return st.Effect.String()
	}
	return st.Kind.String()
}

func collect(r *guard.Request, f func(*sqlstmt.Statement) []string) []string {
	out := []string{}
	if r.Script == nil {
		return out
	}
	for i := range r.Script.Statements {
		for st := &r.Script.Statements[i]; st != nil; st = st.Inner {
			out = append(out, f(st)...)
		}
	}
	return out
}

func tableNames(ts []sqlstmt.Table) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

// conditions compiles and runs CEL conditions over the attribute
// vocabulary.
type conditions struct {
	env       *cel.Env
	index     map[string]int // attribute name → position in getters
	getters   []func(*guard.Request) any
	names     []string
	types     []*cel.Type
	sizes     map[string]cost.SizeEstimate
	costLimit uint64
	pool      sync.Pool // of *activation
}

// maxAttributes bounds the vocabulary, so that an activation's record of
// resolved attributes is one word.
const maxAttributes = 64

// newConditions returns a compiler of conditions whose estimated and actual
// cost may not exceed costLimit (DefaultConditionCostLimit when 0).
func newConditions(costLimit uint64) (*conditions, error) {
	if costLimit == 0 {
		costLimit = DefaultConditionCostLimit
	}
	attrs := attributes()
	if len(attrs) > maxAttributes {
		return nil, fmt.Errorf("guard: %d condition attributes, at most %d", len(attrs), maxAttributes)
	}
	opts := make([]cel.EnvOption, 0, len(attrs)+2)
	c := &conditions{
		index:     make(map[string]int, len(attrs)),
		getters:   make([]func(*guard.Request) any, len(attrs)),
		names:     make([]string, len(attrs)),
		types:     make([]*cel.Type, len(attrs)),
		sizes:     make(map[string]cost.SizeEstimate, len(attrs)),
		costLimit: costLimit,
	}
	c.pool.New = func() any { return new(activation) }
	short := cost.RangedSizeEstimate(0, maxShortText)
	for i, a := range attrs {
		opts = append(opts, cel.Variable(a.name, a.typ))
		c.index[a.name], c.getters[i], c.names[i], c.types[i] = i, a.get, a.name, a.typ
		switch {
		case a.typ.IsExactType(cel.StringType):
			c.sizes[a.name] = short
		case a.typ.Kind() == types.ListKind:
			c.sizes[a.name] = cost.SizeEstimate{Max: maxListItems, Elem: &short}
		case a.typ.Kind() == types.MapKind:
			c.sizes[a.name] = cost.SizeEstimate{Max: maxMapEntries, Key: &short, Elem: &short}
		}
	}
	c.sizes["statement.text"] = cost.RangedSizeEstimate(0, maxLongText)
	c.sizes["statement.summary"] = cost.RangedSizeEstimate(0, maxLongText)
	opts = append(opts, ext.Strings())
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, err
	}
	c.env = env
	return c, nil
}

// celIssue is a compile error at a 0-based position within the expression.
type celIssue struct {
	line, col int // line 1-based, column 0-based, within the expression
	msg       string
}

// compiled is a condition ready to run.
type compiled struct {
	prg cel.Program
	pre *precondition // nil when the condition has none
	// tracked, set for a condition that iterates, is prg with its cost
	// tracked and limited. It runs instead of prg on a request larger
	// than the load-time estimate assumed for one of the attributes the
	// condition reads (attrs); on the others the estimate bounds the cost
	// and tracking it would only double the time (see BenchmarkCELRules).
	tracked cel.Program
	attrs   []int
}

// compile returns a program for a boolean condition.
func (c *conditions) compile(src string) (*compiled, *celIssue) {
	ast, iss := c.env.Compile(src)
	if iss != nil && iss.Err() != nil {
		errs := iss.Errors()
		if len(errs) > 0 {
			e := errs[0]
			iss := &celIssue{line: e.Location.Line(), col: e.Location.Column(), msg: e.Message}
			iss.col = referenceStart(src, iss.line, iss.col, e.Message)
			return nil, iss
		}
		return nil, &celIssue{line: 1, msg: iss.Err().Error()}
	}
	if ast.OutputType() != cel.BoolType {
		return nil, &celIssue{line: 1, msg: fmt.Sprintf("condition is %s, not bool", ast.OutputType())}
	}
	est, err := c.env.EstimateCost(ast, c)
	if err != nil {
		return nil, &celIssue{line: 1, msg: "cost cannot be estimated: " + err.Error()}
	}
	if est.Max > c.costLimit {
		return nil, &celIssue{line: 1, msg: fmt.Sprintf(
			"estimated cost up to %s exceeds the limit of %d (limits.condition_cost): iterate over fewer or shorter lists",
			costString(est.Max), c.costLimit)}
	}
	// Folding evaluates what is constant, macros over literal lists
	// included: only a cheap condition is folded, or loading would run
	// the work the limit is there to refuse.
	if est.Max <= maxFoldCost && constantFalse(c.env, ast) {
		return nil, &celIssue{line: 1, msg: "condition is always false: the rule would never apply"}
	}
	cc := &compiled{pre: c.preconditionOf(ast)}
	popts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if hasMacro(ast) {
		// Only a macro (all, exists, map, filter…) iterates: without one,
		// a condition runs in time linear in the request's size.
		popts = append(popts, cel.InterruptCheckFrequency(interruptEvery))
		if cc.tracked, err = c.env.Program(ast, append(popts, cel.CostLimit(c.costLimit))...); err != nil {
			return nil, &celIssue{line: 1, msg: err.Error()}
		}
		cc.attrs = c.referenced(ast)
	}
	if cc.prg, err = c.env.Program(ast, popts...); err != nil {
		return nil, &celIssue{line: 1, msg: err.Error()}
	}
	return cc, nil
}

// constantFalse reports whether a checked condition folds to the constant
// false, whatever the request.
func constantFalse(env *cel.Env, a *cel.Ast) bool {
	folder, err := cel.NewConstantFoldingOptimizer()
	if err != nil {
		return false
	}
	opt, err := cel.NewStaticOptimizer(folder)
	if err != nil {
		return false
	}
	folded, iss := opt.Optimize(env, a)
	if iss != nil && iss.Err() != nil {
		return false
	}
	e := folded.NativeRep().Expr()
	if e.Kind() != celast.LiteralKind {
		return false
	}
	b, ok := e.AsLiteral().Value().(bool)
	return ok && !b
}

// referenceStart moves the column of an "undeclared reference" error
// from the selecting dot to the start of the qualified name, where a
// reader looks for it.
func referenceStart(src string, line, col int, msg string) int {
	name, ok := strings.CutPrefix(msg, "undeclared reference to '")
	if !ok {
		return col
	}
	name, _, _ = strings.Cut(name, "'")
	lines := strings.Split(src, "\n")
	if line < 1 || line > len(lines) || name == "" {
		return col
	}
	text := lines[line-1]
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return col
		}
		start := i + j
		if start <= col && col < start+len(name) {
			return start
		}
		i = start + 1
	}
}

// activation resolves attribute names for one request, each at most once:
// the condition rules of a policy share one (see Policy.check).
type activation struct {
	r     *guard.Request
	c     *conditions
	have  uint64 // bit i: vals[i] is resolved
	sized uint64 // bit i: whether vals[i] fits is known
	fits  uint64 // bit i: vals[i] is within the load-time size assumptions
	vals  [maxAttributes]any
}

// activation returns a cleared activation for r, from the pool; release
// it when done.
func (c *conditions) activation(r *guard.Request) *activation {
	a := c.pool.Get().(*activation)
	a.r, a.c = r, c
	return a
}

// release clears a (it must not keep the request's values) and returns it
// to the pool.
func (a *activation) release() {
	c := a.c
	*a = activation{}
	c.pool.Put(a)
}

func (a *activation) ResolveName(name string) (any, bool) {
	i, ok := a.c.index[name]
	if !ok {
		return nil, false
	}
	return a.resolve(i), true
}

// resolve returns the value of attribute i.
func (a *activation) resolve(i int) any {
	if a.have&(1<<i) == 0 {
		a.vals[i] = a.c.getters[i](a.r)
		a.have |= 1 << i
	}
	return a.vals[i]
}

func (a *activation) Parent() interpreter.Activation { return nil }

// eval runs prg on r. A condition stopped by its cost limit or by ctx is
// reported as an error matching ErrConditionLimit; any other evaluation
// error as ok=false. Callers fail closed on both.
func (c *conditions) eval(ctx context.Context, cc *compiled, act *activation) (result, ok bool, stopped *stop) {
	if cc.pre != nil && !cc.pre.holds(act) {
		return false, true, nil
	}
	prg := cc.prg
	if cc.tracked != nil && !act.fit(cc.attrs) {
		prg = cc.tracked
	}
	out, _, err := prg.ContextEval(ctx, act)
	if err != nil {
		return false, false, c.stopped(ctx, err)
	}
	b, isBool := out.Value().(bool)
	return b, isBool, nil
}

var (
	_ guard.SharingRule = (*celRule)(nil)
	_ guard.SharingRule = (*whenRule)(nil)
)

// fileCond is what the rules of a policy file have in common: the file's
// conditions and one compiled condition. Group, Open and Close let the
// rules of one file share the attributes of a request (guard.SharingRule).
type fileCond struct {
	cond *conditions
	prg  *compiled
}

func (f fileCond) Group() any                { return f.cond }
func (f fileCond) Open(r *guard.Request) any { return f.cond.activation(r) }
func (f fileCond) Close(state any)           { state.(*activation).release() }

// run evaluates the condition on act. skip is true when its precondition
// rules it out; stop, when set, is the verdict of an evaluation stopped at
// a limit.
func (f fileCond) run(ctx context.Context, act *activation) (match, ok, skip bool, stop *guard.Verdict) {
	if f.prg.pre != nil && !f.prg.pre.holds(act) {
		return false, true, true, nil
	}
	match, ok, stopped := f.cond.eval(ctx, f.prg, act)
	if stopped != nil {
		v := stopped.outcome()
		return false, false, false, &v
	}
	return match, ok, false, nil
}

// celRule is a rule whose condition is a CEL expression.
type celRule struct {
	fileCond
	// pre is fileCond.prg.pre, held here so that skipping the rule reads
	// nothing but the rule: a large policy skips most of its rules.
	pre    precondition
	hasPre bool
	action guard.Decision
	reason string
	unmask bool
}

func (c *celRule) Check(ctx context.Context, r *guard.Request) guard.Verdict {
	act := c.cond.activation(r)
	defer act.release()
	return c.checkIn(ctx, act)
}

// CheckWith implements guard.SharingRule.
func (c *celRule) CheckWith(ctx context.Context, state any) guard.Verdict {
	act := state.(*activation)
	if c.hasPre && !c.pre.holds(act) {
		return guard.Verdict{} // the common case of a large policy: keep it short
	}
	return c.checkIn(ctx, act)
}

func (c *celRule) checkIn(ctx context.Context, act *activation) guard.Verdict {
	match, ok, skip, stop := c.run(ctx, act)
	switch {
	case stop != nil:
		return *stop
	case skip, !match && ok:
		return guard.Verdict{}
	case !ok && c.action == guard.Allow:
		return guard.Verdict{}
	case !ok:
		return guard.Verdict{Decision: guard.Deny, Reason: "condition could not be evaluated"}
	}
	return guard.Verdict{Decision: c.action, Reason: c.reason, Unmask: c.unmask}
}

// whenRule limits a built-in to the requests its file condition (when:)
// selects, evaluated under the statement's context. A condition that
// fails applies the built-in (a failed condition never lifts a
// guardrail); one stopped at a limit denies.
type whenRule struct {
	fileCond
	rule guard.Rule
}

func (w *whenRule) Check(ctx context.Context, r *guard.Request) guard.Verdict {
	act := w.cond.activation(r)
	defer act.release()
	return w.checkIn(ctx, act)
}

// CheckWith implements guard.SharingRule.
func (w *whenRule) CheckWith(ctx context.Context, state any) guard.Verdict {
	return w.checkIn(ctx, state.(*activation))
}

func (w *whenRule) checkIn(ctx context.Context, act *activation) guard.Verdict {
	match, ok, skip, stop := w.run(ctx, act)
	switch {
	case stop != nil:
		return *stop
	case skip, ok && !match:
		return guard.Verdict{}
	}
	return w.rule.Check(ctx, act.r)
}

// Unwrap returns the built-in the condition limits, which the policy
// validates and inspects as its own.
func (w *whenRule) Unwrap() guard.Rule { return w.rule }

// Condition compiles a CEL condition over the attribute vocabulary below
// for use as guard.NamedRule.When. An evaluation error makes the condition
// true, so that the rule it limits still applies: a condition that fails
// never lifts a guardrail (in a policy file's condition rule, it denies).
// Its cost is bounded by [DefaultConditionCostLimit], at compilation (a
// condition that could exceed it is refused with a *guard.PolicyError) and
// when it runs. When has no context: for conditions bounded by the
// statement's deadline too, use a policy file's when.
//
// Conditions are CEL expressions (cel.dev/cel-go, with its string
// extension), compiled once; an attribute not listed here is an error.
// Argument values and literals are deliberately not in the vocabulary.
//
//	identity.kind            string  "user", "service", "agent", "unspecified"
//	identity.subject         string
//	identity.name            string
//	identity.tenant          string
//	identity.service         string
//	identity.purpose         string
//	identity.ticket          string
//	identity.roles           list(string)  roles, empty for an untrusted identity
//	identity.claimed_roles   list(string)  roles as claimed, even if untrusted
//	identity.untrusted       bool    asserted by the caller (baggage)
//	identity.anonymous       bool    no subject, service or agent name
//	identity.attributes      map(string, string)
//	identity.agent.name      string
//	identity.agent.model     string
//	identity.agent.tool      string
//	identity.agent.tool_call_id  string
//	identity.agent.on_behalf_of  string
//	statement.kind           string  first statement's kind: "SELECT", "DELETE", … (sqlstmt.Kind)
//	statement.effect         string  its most consequential effect (a DELETE in a CTE: "DELETE")
//	statement.kinds          list(string)  every statement's kind, including wrapped ones
//	statement.effects        list(string)
//	statement.objects        list(string)  DDL object types: "TABLE", "ROLE", "NONE", … (sqlstmt.Object)
//	statement.reads          list(string)  relations read, "schema.name" or "name"
//	statement.writes         list(string)  relations written
//	statement.tables         list(string)  both
//	statement.functions      list(string)  functions called, lowercase
//	statement.complete       bool    fully understood
//	statement.stacked        bool    more than one statement
//	statement.count          int     number of statements
//	statement.unbounded      bool    an UPDATE/DELETE without a restricting WHERE (in a CTE, under EXPLAIN ANALYZE too)
//	statement.drops_column   bool    ALTER … DROP COLUMN/CONSTRAINT
//	statement.into_file      bool    writes or reads outside the database (INTO OUTFILE, COPY … PROGRAM, LOAD DATA LOCAL)
//	statement.text           string  literal-free text (literals replaced by "?")
//	statement.summary        string  short description ("DELETE orders")
//	statement.dialect        string  "postgresql", "mysql", "sqlite", "unknown"
//	request.args             int     number of bound arguments (never their values)
//	request.in_tx            bool    inside the caller's transaction
//	request.unmask           bool    clear values asked for
//	environment              string
//	now                      timestamp  when the statement was issued
func Condition(expr string) (func(*guard.Request) bool, error) {
	c, err := newConditions(0)
	if err != nil {
		return nil, err
	}
	prg, iss := c.compile(expr)
	if iss != nil {
		return nil, &guard.PolicyError{Field: "condition", Line: iss.line, Column: iss.col + 1, Msg: iss.msg}
	}
	return c.when(prg), nil
}

func (c *conditions) when(prg *compiled) func(*guard.Request) bool {
	return func(r *guard.Request) bool {
		act := c.activation(r)
		defer act.release()
		match, ok, stopped := c.eval(context.Background(), prg, act)
		return match || !ok || stopped != nil
	}
}
