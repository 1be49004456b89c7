package policyfile

import (
	"slices"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
)

// precondition is a conjunct of a condition that the policy tests in Go,
// without running the condition: attribute == "value", or "value" in
// attribute. When it is false the whole condition is false (in CEL,
// false && anything is false, even an error), so the rule is skipped
// exactly as if it had run: a large generated policy pays for the rules
// that can apply to the statement, not for every rule.
type precondition struct {
	attr   int // position in conditions.getters
	value  string
	member bool // "value" in attr, rather than attr == "value"
}

// preconditionOf returns the first conjunct of a checked condition that
// is a precondition, or nil.
func (c *conditions) preconditionOf(a *cel.Ast) *precondition {
	var conjuncts []celast.Expr
	var walk func(e celast.Expr)
	walk = func(e celast.Expr) {
		if e.Kind() == celast.CallKind && e.AsCall().FunctionName() == operators.LogicalAnd {
			for _, arg := range e.AsCall().Args() {
				walk(arg)
			}
			return
		}
		conjuncts = append(conjuncts, e)
	}
	walk(a.NativeRep().Expr())
	for _, e := range conjuncts {
		if p := c.precondition(e); p != nil {
			return p
		}
	}
	return nil
}

func (c *conditions) precondition(e celast.Expr) *precondition {
	if e.Kind() != celast.CallKind {
		return nil
	}
	call := e.AsCall()
	args := call.Args()
	if call.IsMemberFunction() || len(args) != 2 {
		return nil
	}
	switch call.FunctionName() {
	case operators.Equals:
		for _, pair := range [][2]celast.Expr{{args[0], args[1]}, {args[1], args[0]}} {
			if i, ok := c.attribute(pair[0], cel.StringType); ok {
				if v, ok := stringLiteral(pair[1]); ok {
					return &precondition{attr: i, value: v}
				}
			}
		}
	case operators.In:
		if i, ok := c.attribute(args[1], cel.ListType(cel.StringType)); ok {
			if v, ok := stringLiteral(args[0]); ok {
				return &precondition{attr: i, value: v, member: true}
			}
		}
	}
	return nil
}

// attribute returns the position of the attribute e names, if it names
// one of type typ.
func (c *conditions) attribute(e celast.Expr, typ *cel.Type) (int, bool) {
	name, ok := qualifiedName(e)
	if !ok {
		return 0, false
	}
	i, ok := c.index[name]
	if !ok || !c.types[i].IsExactType(typ) {
		return 0, false
	}
	return i, true
}

// qualifiedName returns the dotted name an identifier or a chain of field
// selections spells ("statement.kind").
func qualifiedName(e celast.Expr) (string, bool) {
	switch e.Kind() {
	case celast.IdentKind:
		return e.AsIdent(), true
	case celast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() {
			return "", false
		}
		op, ok := qualifiedName(s.Operand())
		return op + "." + s.FieldName(), ok
	}
	return "", false
}

func stringLiteral(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// holds reports whether the precondition holds for the request of act.
func (p *precondition) holds(act *activation) bool {
	v := act.resolve(p.attr)
	if !p.member {
		s, ok := v.(string)
		return !ok || s == p.value // not a string: let the condition decide
	}
	l, ok := v.([]string)
	return !ok || slices.Contains(l, p.value)
}
