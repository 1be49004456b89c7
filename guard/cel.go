package guard

import (
	"context"
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"

	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// attribute is one name of the condition vocabulary (see doc.go).
type attribute struct {
	name string
	typ  *cel.Type
	get  func(r *Request) any
}

// attributes is the whole vocabulary a condition may use. A name not
// listed here is refused when the policy is loaded.
func attributes() []attribute {
	stringList := cel.ListType(cel.StringType)
	str := func(name string, f func(r *Request) string) attribute {
		return attribute{name, cel.StringType, func(r *Request) any { return f(r) }}
	}
	agent := func(r *Request) identity.Agent {
		if r.Identity.Agent == nil {
			return identity.Agent{}
		}
		return *r.Identity.Agent
	}
	return []attribute{
		str("identity.kind", func(r *Request) string { return r.Identity.Kind.String() }),
		str("identity.subject", func(r *Request) string { return r.Identity.Subject }),
		str("identity.name", func(r *Request) string { return r.Identity.Name }),
		str("identity.tenant", func(r *Request) string { return r.Identity.Tenant }),
		str("identity.service", func(r *Request) string { return r.Identity.Service }),
		str("identity.purpose", func(r *Request) string { return r.Identity.Purpose }),
		str("identity.ticket", func(r *Request) string { return r.Identity.Ticket }),
		{"identity.roles", stringList, func(r *Request) any {
			if r.Identity.Untrusted {
				return []string{}
			}
			return nonNil(r.Identity.Roles)
		}},
		{"identity.claimed_roles", stringList, func(r *Request) any { return nonNil(r.Identity.Roles) }},
		{"identity.untrusted", cel.BoolType, func(r *Request) any { return r.Identity.Untrusted }},
		{"identity.anonymous", cel.BoolType, func(r *Request) any {
			id := &r.Identity
			return id.Subject == "" && id.Service == "" && (id.Agent == nil || id.Agent.Name == "")
		}},
		{"identity.attributes", cel.MapType(cel.StringType, cel.StringType), func(r *Request) any {
			if r.Identity.Attributes == nil {
				return map[string]string{}
			}
			return r.Identity.Attributes
		}},
		str("identity.agent.name", func(r *Request) string { return agent(r).Name }),
		str("identity.agent.model", func(r *Request) string { return agent(r).Model }),
		str("identity.agent.tool", func(r *Request) string { return agent(r).Tool }),
		str("identity.agent.tool_call_id", func(r *Request) string { return agent(r).ToolCallID }),
		str("identity.agent.on_behalf_of", func(r *Request) string { return agent(r).OnBehalfOf }),

		str("statement.kind", func(r *Request) string { return firstKind(r, false) }),
		str("statement.effect", func(r *Request) string { return firstKind(r, true) }),
		{"statement.kinds", stringList, func(r *Request) any {
			return collect(r, func(st *Statement) []string { return []string{KindName(st.Kind)} })
		}},
		{"statement.effects", stringList, func(r *Request) any {
			return collect(r, func(st *Statement) []string { return []string{KindName(st.Effect)} })
		}},
		{"statement.objects", stringList, func(r *Request) any {
			return collect(r, func(st *Statement) []string { return []string{ObjectName(st.Object)} })
		}},
		{"statement.reads", stringList, func(r *Request) any { return collect(r, func(st *Statement) []string { return tableNames(st.Reads) }) }},
		{"statement.writes", stringList, func(r *Request) any { return collect(r, func(st *Statement) []string { return tableNames(st.Writes) }) }},
		{"statement.tables", stringList, func(r *Request) any {
			return collect(r, func(st *Statement) []string { return append(tableNames(st.Reads), tableNames(st.Writes)...) })
		}},
		{"statement.functions", stringList, func(r *Request) any { return collect(r, func(st *Statement) []string { return st.Functions }) }},
		{"statement.complete", cel.BoolType, func(r *Request) any { return r.Script != nil && r.Script.Complete }},
		{"statement.stacked", cel.BoolType, func(r *Request) any { return r.Script != nil && r.Script.Stacked() }},
		{"statement.count", cel.IntType, func(r *Request) any {
			if r.Script == nil {
				return int64(0)
			}
			return int64(len(r.Script.Statements))
		}},
		{"statement.unbounded", cel.BoolType, func(r *Request) any { return unbounded(r.Script) }},
		{"statement.drops_column", cel.BoolType, func(r *Request) any {
			return anyStatement(r.Script, func(st *Statement) bool { return st.DropsColumn })
		}},
		{"statement.into_file", cel.BoolType, func(r *Request) any {
			return anyStatement(r.Script, func(st *Statement) bool { return st.IntoFile || st.Program || st.Local })
		}},
		str("statement.text", func(r *Request) string {
			if r.Script == nil {
				return ""
			}
			return r.Script.Normalized
		}),
		str("statement.summary", func(r *Request) string {
			if r.Script == nil {
				return ""
			}
			return r.Script.Summary
		}),
		str("statement.dialect", func(r *Request) string {
			if r.Script == nil {
				return DialectUnknown.String()
			}
			return r.Script.Dialect.String()
		}),
		{"request.args", cel.IntType, func(r *Request) any { return int64(len(r.Args)) }},
		{"request.in_tx", cel.BoolType, func(r *Request) any { return r.InTx }},
		{"request.unmask", cel.BoolType, func(r *Request) any { return r.Unmask }},
		str("environment", func(r *Request) string { return r.Environment }),
		{"now", cel.TimestampType, func(r *Request) any { return types.Timestamp{Time: r.Time} }},
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func firstKind(r *Request, effect bool) string {
	if r.Script == nil || len(r.Script.Statements) == 0 {
		return KindName(sqlparse.KindUnknown)
	}
	st := &r.Script.Statements[0]
	if effect {
		return KindName(st.Effect)
	}
	return KindName(st.Kind)
}

func collect(r *Request, f func(*Statement) []string) []string {
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

func tableNames(ts []Table) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

// conditions compiles and runs CEL conditions over the attribute
// vocabulary.
type conditions struct {
	env   *cel.Env
	attrs map[string]func(*Request) any
}

func newConditions() (*conditions, error) {
	attrs := attributes()
	opts := make([]cel.EnvOption, 0, len(attrs)+2)
	c := &conditions{attrs: make(map[string]func(*Request) any, len(attrs))}
	for _, a := range attrs {
		opts = append(opts, cel.Variable(a.name, a.typ))
		c.attrs[a.name] = a.get
	}
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

// compile returns a program for a boolean condition.
func (c *conditions) compile(src string) (cel.Program, *celIssue) {
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
	if constantFalse(c.env, ast) {
		return nil, &celIssue{line: 1, msg: "condition is always false: the rule would never apply"}
	}
	prg, err := c.env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, &celIssue{line: 1, msg: err.Error()}
	}
	return prg, nil
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

// activation resolves attribute names on demand for one request.
type activation struct {
	r     *Request
	attrs map[string]func(*Request) any
}

func (a *activation) ResolveName(name string) (any, bool) {
	f, ok := a.attrs[name]
	if !ok {
		return nil, false
	}
	return f(a.r), true
}

func (a *activation) Parent() interpreter.Activation { return nil }

// eval runs prg on r. An evaluation error is reported as ok=false: callers
// fail closed.
func (c *conditions) eval(ctx context.Context, prg cel.Program, r *Request) (result, ok bool) {
	out, _, err := prg.ContextEval(ctx, &activation{r: r, attrs: c.attrs})
	if err != nil {
		return false, false
	}
	b, isBool := out.Value().(bool)
	return b, isBool
}

// celRule is a rule whose condition is a CEL expression.
type celRule struct {
	cond   *conditions
	prg    cel.Program
	action Decision
	reason string
	unmask bool
}

func (c *celRule) Check(ctx context.Context, r *Request) Outcome {
	match, ok := c.cond.eval(ctx, c.prg, r)
	if !ok {
		if c.action == Allow {
			return Outcome{}
		}
		return Outcome{Decision: Deny, Reason: "condition could not be evaluated"}
	}
	if !match {
		return Outcome{}
	}
	return Outcome{Decision: c.action, Reason: c.reason, Unmask: c.unmask}
}

func (c *celRule) reviews() bool { return c.action == Review }

// Condition compiles a CEL condition over the attribute vocabulary (see the
// package documentation) for use as [NamedRule.When]. An evaluation error
// makes the condition true, so that the rule it limits still applies: a
// condition that fails never lifts a guardrail.
func Condition(expr string) (func(*Request) bool, error) {
	c, err := newConditions()
	if err != nil {
		return nil, err
	}
	prg, iss := c.compile(expr)
	if iss != nil {
		return nil, &PolicyError{Field: "condition", Line: iss.line, Column: iss.col + 1, Msg: iss.msg}
	}
	return c.when(prg), nil
}

func (c *conditions) when(prg cel.Program) func(*Request) bool {
	return func(r *Request) bool {
		match, ok := c.eval(context.Background(), prg, r)
		return match || !ok
	}
}

// KindName returns the upper-case name of a statement kind as conditions
// see it ("SELECT", "DELETE", "CREATE", "UNKNOWN").
func KindName(k Kind) string { return k.String() }

// ObjectName returns the upper-case name of a DDL object type as conditions
// see it ("TABLE", "ROLE", "NONE", "UNKNOWN").
func ObjectName(o ObjectType) string {
	switch o {
	case sqlparse.ObjectNone:
		return "NONE"
	case sqlparse.ObjectTable:
		return "TABLE"
	case sqlparse.ObjectView:
		return "VIEW"
	case sqlparse.ObjectMaterializedView:
		return "MATERIALIZED VIEW"
	case sqlparse.ObjectIndex:
		return "INDEX"
	case sqlparse.ObjectSequence:
		return "SEQUENCE"
	case sqlparse.ObjectSchema:
		return "SCHEMA"
	case sqlparse.ObjectDatabase:
		return "DATABASE"
	case sqlparse.ObjectFunction:
		return "FUNCTION"
	case sqlparse.ObjectProcedure:
		return "PROCEDURE"
	case sqlparse.ObjectTrigger:
		return "TRIGGER"
	case sqlparse.ObjectDataType:
		return "TYPE"
	case sqlparse.ObjectExtension:
		return "EXTENSION"
	case sqlparse.ObjectRole:
		return "ROLE"
	case sqlparse.ObjectPolicy:
		return "POLICY"
	case sqlparse.ObjectTablespace:
		return "TABLESPACE"
	case sqlparse.ObjectOther:
		return "OTHER"
	}
	return "UNKNOWN"
}
