package guard

import (
	"context"
	"slices"
	"strings"

	"github.com/sqlvigil/sqlvigil/internal/rulename"
)

// New returns a policy made of the rules and settings in opts. It refuses,
// with an error matching [ErrInvalidPolicy], a configuration that cannot
// work or that looks enforced but is not: a rule without a name or with a
// duplicate one, a built-in that selects nobody, a review without an
// approver.
//
// With no options, the policy allows every statement the analyser fully
// reads and denies the others.
func New(opts ...Option) (*Policy, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return newPolicy(c), nil
}

// quickRule is implemented by built-ins that either deny or have no
// objection: objects answers that without building an Verdict, which keeps
// the allow path cheap.
type quickRule interface{ objects(r *Request) bool }

// SharingRule is an optional interface of a [Rule] whose checks of one
// request share work with other rules of the same policy: rules whose
// Group returns the same (comparable) value run, on one request, with the
// state the first of them opened, so that what they have in common is
// computed once (the conditions of a policy file share the attributes of
// the request they read). The policy calls Open before the first rule of
// a group runs on a request, CheckWith instead of Check, and Close once the
// group's rules have run; Check must give the same verdict on its own.
type SharingRule interface {
	Rule
	Group() any
	Open(r *Request) (state any)
	CheckWith(ctx context.Context, state any) Verdict
	Close(state any)
}

func newPolicy(c *config) *Policy {
	p := &Policy{
		rules:    append([]NamedRule(nil), c.rules...),
		mode:     c.mode,
		env:      c.environment,
		approver: c.approver,
		timeout:  c.timeout,
		unknown:  c.unknown,
		grantKey: c.grantKey,
		now:      c.now,
	}
	p.quick = make([]quickRule, len(p.rules))
	p.shared = make([]SharingRule, len(p.rules))
	p.groups = make([]int, len(p.rules))
	var groups []any // distinct Group values; a rule's group id is its index + 1
	for i, r := range p.rules {
		if sr, ok := r.Rule.(SharingRule); ok {
			g := sr.Group()
			id := slices.Index(groups, g) + 1
			if id == 0 {
				groups = append(groups, g)
				id = len(groups)
			}
			p.shared[i], p.groups[i] = sr, id
		}
		if q, ok := r.Rule.(quickRule); ok {
			p.quick[i] = q
		}
	}
	return p
}

// Rules returns the names of the policy's rules, in order.
func (p *Policy) Rules() []string {
	if p == nil {
		return nil
	}
	names := make([]string, len(p.rules))
	for i, r := range p.rules {
		names[i] = r.Name
	}
	return names
}

// maxReviewRules is how many reviewing rules a decision tracks without
// allocating.
const maxReviewRules = 8

func (p *Policy) check(ctx context.Context, r *Request) (Verdict, error) {
	if r == nil {
		return p.deny(Verdict{}, rulename.Unknown, "no request")
	}
	if r.Environment == "" {
		r.Environment = p.env
	}
	if r.Time.IsZero() && p.now != nil {
		r.Time = p.now()
	}
	v := Verdict{Decision: Allow}
	var (
		monitored  = -1 // index of the first monitored objection; len(p.rules) for unknown
		monReason  string
		reviewBuf  [maxReviewRules]int
		reviews    = reviewBuf[:0]
		revReason  string
		grant      bool
		unknownRev bool
	)
	if r.Script == nil || !r.Script.Complete {
		reason := "statement not fully understood"
		if r.Script == nil {
			reason = "statement was not analysed"
		}
		switch d := p.unknown; {
		case d == Allow:
		case p.mode == ModeMonitor:
			monitored, monReason = len(p.rules), reason
		case d == Review:
			unknownRev, revReason = true, reason
		default:
			v.Hint = hintUnknown
			return p.deny(v, rulename.Unknown, reason)
		}
	}
	var (
		open  SharingRule // the group whose state is open
		group int
		state any
	)
	defer func() {
		if open != nil {
			open.Close(state)
		}
	}()
	for i := range p.rules {
		nr := &p.rules[i]
		if nr.When != nil && !nr.When(r) {
			continue
		}
		if i < len(p.quick) && p.quick[i] != nil && !p.quick[i].objects(r) {
			continue
		}
		var o Verdict
		if sr := p.shared[i]; sr != nil {
			if open == nil || group != p.groups[i] {
				if open != nil {
					open.Close(state)
				}
				open, group, state = sr, p.groups[i], sr.Open(r)
			}
			o = sr.CheckWith(ctx, state)
		} else {
			o = nr.Rule.Check(ctx, r)
		}
		if o.Spend != nil {
			v.Spend = spendBoth(v.Spend, o.Spend)
		}
		d := o.Decision
		if d == Deny && nr.Review {
			d = Review
		}
		enforced := nr.Mode == ModeEnforce && p.mode == ModeEnforce
		if (d == Deny || d == Review) && !enforced {
			if monitored < 0 {
				monitored, monReason = i, o.Reason
			}
			continue
		}
		switch d {
		case Deny:
			v.Hint = o.Hint
			return p.denyErr(v, nr.Name, o.Reason, o.Err)
		case Review:
			if len(reviews) == 0 && !unknownRev {
				revReason = o.Reason
			}
			reviews = append(reviews, i)
		case Allow, DecisionUnspecified:
		default:
			return p.deny(v, nr.Name, "rule returned an invalid decision")
		}
		if !enforced {
			continue
		}
		if o.Unmask {
			grant = true
		}
		if o.MaxRowsAffected > 0 && (v.MaxRowsAffected == 0 || o.MaxRowsAffected < v.MaxRowsAffected) {
			v.MaxRowsAffected, v.MaxRowsRule = o.MaxRowsAffected, nr.Name
		}
		if o.MaxReturnRows > 0 && (v.MaxReturnRows == 0 || o.MaxReturnRows < v.MaxReturnRows) {
			v.MaxReturnRows, v.MaxReturnRowsRule = o.MaxReturnRows, nr.Name
		}
		if o.MaxReturnBytes > 0 && (v.MaxReturnBytes == 0 || o.MaxReturnBytes < v.MaxReturnBytes) {
			v.MaxReturnBytes, v.MaxReturnBytesRule = o.MaxReturnBytes, nr.Name
		}
	}
	v.Unmask = grant && r.Unmask
	if len(reviews) > 0 || unknownRev {
		return p.review(ctx, r, v, p.reviewName(reviews, unknownRev), revReason)
	}
	if monitored >= 0 {
		v.Mode = ModeMonitor
		v.Reason = monReason
		if monitored < len(p.rules) {
			v.Rule = p.rules[monitored].Name
		} else {
			v.Rule = rulename.Unknown
		}
	}
	return v, nil
}

func (p *Policy) reviewName(idx []int, unknown bool) string {
	var b strings.Builder
	if unknown {
		b.WriteString(rulename.Unknown)
	}
	for _, i := range idx {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.rules[i].Name)
	}
	return b.String()
}

// Hints of the policy's own denials and of reviews (see [Verdict.Hint]).
const (
	hintUnknown       = "write the statement so it can be read: one plain statement, without dynamic SQL or unusual syntax"
	hintNoApprover    = "this statement needs a reviewer's approval, and none can be asked here"
	hintReviewPending = "this statement needs a reviewer's approval: wait for it, then send the same statement with the same arguments again"
	hintReviewDenied  = "a reviewer refused this statement: do not send it again unchanged"
	hintReviewFailed  = "the review could not be completed: ask for approval again"
)

func (p *Policy) deny(v Verdict, rule, reason string) (Verdict, error) {
	return p.denyErr(v, rule, reason, nil)
}

// denyErr is deny with the error that made the rule deny (Verdict.Err).
func (p *Policy) denyErr(v Verdict, rule, reason string, cause error) (Verdict, error) {
	if v.Spend != nil {
		v.Spend(0, 0) // a statement that does not run reads nothing
		v.Spend = nil
	}
	v.Decision = Deny
	v.Rule = rule
	v.Reason = reason
	v.Mode = ModeEnforce
	v.Unmask = false
	v.MaxRowsAffected, v.MaxRowsRule = 0, ""
	v.MaxReturnRows, v.MaxReturnRowsRule = 0, ""
	v.MaxReturnBytes, v.MaxReturnBytesRule = 0, ""
	return v, &BlockedError{Rule: rule, Reason: reason, Hint: v.Hint, Err: cause}
}

// spendBoth settles two rules' reservations (see [Verdict.Spend]).
func spendBoth(a, b func(rows, bytes int64)) func(rows, bytes int64) {
	if a == nil {
		return b
	}
	return func(rows, bytes int64) {
		a(rows, bytes)
		b(rows, bytes)
	}
}
