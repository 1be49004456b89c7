package policyfile

// The bounds of CEL conditions: the load-time cost estimate, and what
// stops an evaluation at run time. See the package documentation,
// Condition limits.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/interpreter"
	"github.com/sqlvigil/sqlvigil/guard"
)

// DefaultConditionCostLimit bounds the cost of one CEL condition when the
// policy file sets no limits.condition_cost. The unit is cel-go's: about one
// operation (a comparison, one iteration of a macro, a tenth of a string
// character scanned). It is the per-expression limit Kubernetes uses for
// CEL in its API server: a condition that reaches it has run for
// milliseconds, not microseconds.
//
// Every condition is bounded, so that a policy cannot stall the statements
// it guards. At load, cel-go's static cost estimate, for requests of up to
// 256 list items, names of 256 characters and statement texts of 16 KiB,
// must not exceed the limit: a condition that could (nested macros over
// long lists, a list built in the expression and iterated over) is refused
// with a *guard.PolicyError. At run time a condition that iterates stops
// when its actual cost reaches the limit, on a request larger than assumed,
// or when the statement's context is done (looked at every 64 iterations);
// one that does not iterate runs in time linear in the request's size.
// A stopped condition denies the statement ([ErrConditionLimit]).
//
// A rule whose condition is a conjunction with a test of a string attribute
// against a literal (statement.kind == "DELETE", "admin" in identity.roles)
// is skipped without running when that test is false, so thousands of such
// rules cost little more than the ones that can apply.
const DefaultConditionCostLimit = 1_000_000

// ErrConditionLimit is matched (errors.Is) by the error of a statement denied
// because a condition could not finish within its limits: its cost limit
// ([DefaultConditionCostLimit] or limits.condition_cost) or the statement's
// context, whatever the rule's action. The error is a *guard.BlockedError
// naming the rule; for a context, it matches the context's
// error too (context.DeadlineExceeded, context.Canceled).
var ErrConditionLimit = errors.New("policyfile: condition stopped at its limit")

// maxFoldCost is the largest estimated cost of a condition that is
// constant-folded at load, to refuse one that is always false.
const maxFoldCost = 10_000

// interruptEvery is how many iterations of a macro (all, exists, map,
// filter…) run between two looks at the statement's context.
const interruptEvery = 64

// Sizes the load-time cost estimate assumes for the attributes: a
// condition is refused when it could exceed the cost limit on a request
// within them. Larger requests are bounded at run time by the same limit.
const (
	maxListItems  = 256      // roles, tables, kinds, functions…
	maxMapEntries = 64       // identity.attributes
	maxShortText  = 256      // names, kinds, list items, map keys and values
	maxLongText   = 16 << 10 // statement.text and statement.summary (the analyser's cache bound)
)

// EstimateSize implements cost.Estimator: the sizes above, for the
// attributes and the items of their lists and maps.
func (c *conditions) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	path := n.Path()
	if len(path) == 0 {
		return nil
	}
	size, ok := c.sizes[path[0]]
	if !ok {
		return nil
	}
	for _, step := range path[1:] {
		var next *cost.SizeEstimate
		switch step {
		case "@items", "@values":
			next = size.Elem
		case "@keys":
			next = size.Key
		}
		if next == nil {
			return nil
		}
		size = *next
	}
	return &size
}

// EstimateCallCost implements cost.Estimator: cel-go's own costs.
func (c *conditions) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

// hasMacro reports whether a checked condition iterates.
func hasMacro(a *cel.Ast) bool {
	return len(celast.MatchDescendants(celast.NavigateAST(a.NativeRep()), celast.KindMatcher(celast.ComprehensionKind))) > 0
}

// costString prints an estimate; the largest means "unbounded".
func costString(n uint64) string {
	if n == math.MaxUint64 {
		return "unbounded"
	}
	return strconv.FormatUint(n, 10)
}

// stop is an evaluation stopped at a limit: why, for the verdict, and the
// error, for the caller.
type stop struct {
	reason string
	err    error
}

// stopped returns the stop of an evaluation stopped at a limit, nil for
// any other evaluation error.
func (c *conditions) stopped(ctx context.Context, err error) *stop {
	var cancelled interpreter.EvalCancelledError
	switch {
	case errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded:
		return &stop{"condition exceeded its cost limit",
			fmt.Errorf("%w: cost limit of %d exceeded", ErrConditionLimit, c.costLimit)}
	case errors.Is(err, interpreter.InterruptError{}), ctx.Err() != nil:
		cause := context.Cause(ctx)
		if cause == nil {
			cause = errors.New("interrupted")
		}
		return &stop{"condition stopped: the statement's deadline passed or it was cancelled",
			fmt.Errorf("%w: %w", ErrConditionLimit, cause)}
	}
	return nil
}

// outcome denies the request, whatever the rule's action: a policy that
// could not be evaluated within its limits never lets a statement through
// on that account.
func (s *stop) outcome() guard.Verdict {
	return guard.Verdict{Decision: guard.Deny, Reason: s.reason, Err: s.err}
}

// referenced returns the attributes a checked condition reads.
func (c *conditions) referenced(a *cel.Ast) []int {
	var out []int
	names := celast.MatchDescendants(celast.NavigateAST(a.NativeRep()), func(e celast.NavigableExpr) bool {
		return e.Kind() == celast.IdentKind || e.Kind() == celast.SelectKind
	})
	for _, e := range names {
		if name, ok := qualifiedName(e); ok {
			if i, ok := c.index[name]; ok && !slices.Contains(out, i) {
				out = append(out, i)
			}
		}
	}
	return out
}

// fit reports whether the values of the attributes attrs are all within
// the sizes the load-time estimate assumed.
func (a *activation) fit(attrs []int) bool {
	for _, i := range attrs {
		bit := uint64(1) << i
		if a.sized&bit == 0 {
			if a.c.fits(i, a.resolve(i)) {
				a.fits |= bit
			}
			a.sized |= bit
		}
		if a.fits&bit == 0 {
			return false
		}
	}
	return true
}

// fits reports whether v, the value of attribute i, is within the size
// assumed for it.
func (c *conditions) fits(i int, v any) bool {
	size, ok := c.sizes[c.names[i]]
	if !ok {
		return true // not sized: a bool, an int, a timestamp
	}
	within := func(n int, s cost.SizeEstimate) bool { return uint64(n) <= s.Max }
	switch v := v.(type) {
	case string:
		return within(len(v), size)
	case []string:
		if !within(len(v), size) || size.Elem == nil {
			return false
		}
		for _, s := range v {
			if !within(len(s), *size.Elem) {
				return false
			}
		}
		return true
	case map[string]string:
		if !within(len(v), size) || size.Key == nil || size.Elem == nil {
			return false
		}
		for k, s := range v {
			if !within(len(k), *size.Key) || !within(len(s), *size.Elem) {
				return false
			}
		}
		return true
	}
	return false
}
