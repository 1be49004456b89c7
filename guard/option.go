package guard

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"
)

// defaultApprovalTimeout bounds a review when no [WithApprovalTimeout] is
// given.
const defaultApprovalTimeout = 5 * time.Minute

// Option configures a [Policy]. Options are applied in order.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	rules       []NamedRule
	mode        Mode
	environment string
	approver    Approver
	timeout     time.Duration
	unknown     Decision
	grantKey    []byte
	now         func() time.Time
}

// WithRules appends rules to the policy, in order. Rules run in that order;
// the first enforced denial decides.
func WithRules(rules ...NamedRule) Option {
	return optionFunc(func(c *config) { c.rules = append(c.rules, rules...) })
}

// WithMode sets the policy's mode. In ModeMonitor every rule, and the
// treatment of unknown statements, decides and records but never blocks:
// the dry run before a policy is turned on. The default is ModeEnforce.
func WithMode(m Mode) Option { return optionFunc(func(c *config) { c.mode = m }) }

// WithEnvironment names the environment ("production", "staging") used for
// requests that carry none.
func WithEnvironment(env string) Option {
	return optionFunc(func(c *config) { c.environment = env })
}

// WithApprover sets who answers reviews. Without one, a policy that can ask
// for review is refused by [New].
func WithApprover(a Approver) Option { return optionFunc(func(c *config) { c.approver = a }) }

// WithApprovalTimeout bounds how long a statement waits for an approver
// (within the request's own deadline); an unanswered review is denied. The
// default is 5 minutes.
func WithApprovalTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.timeout = d })
}

// WithUnknown sets what happens to a statement the analyser could not fully
// read: Deny (the default, fail closed), Review, or Allow. Allow lets the
// rules decide on a best-effort analysis, which they must not trust to allow
// anything: use it only in trusted code paths.
func WithUnknown(d Decision) Option { return optionFunc(func(c *config) { c.unknown = d }) }

// WithGrantKey sets the key under which one-time grants identify a
// statement's exact text and arguments (an HMAC, so that a stored grant
// reveals nothing of the arguments). Replicas that share an approval store
// must share the key; by default each Policy draws a random one.
func WithGrantKey(key []byte) Option {
	return optionFunc(func(c *config) { c.grantKey = append([]byte(nil), key...) })
}

// WithClock sets the clock used for [Request.Time] when a request carries
// none. The default is time.Now.
func WithClock(now func() time.Time) Option { return optionFunc(func(c *config) { c.now = now }) }

// ErrInvalidPolicy is returned by [New], policyfile.Load and
// policyfile.Parse for a policy that cannot be built, including one that
// looks enforced but is not. Use
// errors.Is; use errors.As with *PolicyError for the detail.
var ErrInvalidPolicy = errors.New("guard: invalid policy")

// PolicyError is the detail of an invalid policy: where, and what is wrong.
type PolicyError struct {
	// File is the policy file's name, when the policy came from one.
	File string
	// Line and Column locate the problem in the file (1-based), when known.
	Line, Column int
	// Rule names the rule at fault, when one is.
	Rule string
	// Field names the setting at fault ("when", "builtin", "mode"…).
	Field string
	// Msg says what is wrong.
	Msg string
}

// Error implements error: "file:line:col: rule "x": field: message".
func (e *PolicyError) Error() string {
	s := "guard: invalid policy: "
	if e.File != "" {
		s += e.File
		if e.Line > 0 {
			s += fmt.Sprintf(":%d", e.Line)
			if e.Column > 0 {
				s += fmt.Sprintf(":%d", e.Column)
			}
		}
		s += ": "
	}
	if e.Rule != "" {
		s += fmt.Sprintf("rule %q: ", e.Rule)
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Msg
}

// Unwrap returns ErrInvalidPolicy.
func (e *PolicyError) Unwrap() error { return ErrInvalidPolicy }

// validator is implemented by rules that can be misconfigured so as to look
// enforced while catching nothing.
type validator interface{ validate() error }

func newConfig(opts []Option) (*config, error) {
	c := &config{timeout: defaultApprovalTimeout, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.grantKey == nil {
		c.grantKey = make([]byte, 32)
		if _, err := rand.Read(c.grantKey); err != nil {
			return nil, fmt.Errorf("guard: grant key: %w", err)
		}
	}
	return c, nil
}

func (c *config) validate() error {
	perr := func(rule, field, msg string) error {
		return &PolicyError{Rule: rule, Field: field, Msg: msg}
	}
	if c.mode > ModeMonitor {
		return perr("", "mode", "unknown mode")
	}
	switch c.unknown {
	case DecisionUnspecified, Allow, Deny, Review:
	default:
		return perr("", "unknown", "unknown decision")
	}
	if c.timeout <= 0 {
		return perr("", "approval timeout", "must be positive")
	}
	if c.now == nil {
		return perr("", "clock", "must not be nil")
	}
	reviews := c.unknown == Review
	seen := make(map[string]bool, len(c.rules))
	for _, r := range c.rules {
		switch {
		case r.Name == "":
			return perr("", "name", "a rule has no name")
		case seen[r.Name]:
			return perr(r.Name, "name", "duplicate rule name")
		case r.Rule == nil:
			return perr(r.Name, "rule", "no rule to run")
		case r.Mode > ModeMonitor:
			return perr(r.Name, "mode", "unknown mode")
		}
		seen[r.Name] = true
		// A rule that wraps another (as a policy file's condition wraps a
		// built-in) is judged by the rule it wraps.
		inner := r.Rule
		for depth := 0; depth < 8; depth++ {
			u, ok := inner.(interface{ Unwrap() Rule })
			if !ok || u.Unwrap() == nil {
				break
			}
			inner = u.Unwrap()
		}
		if v, ok := inner.(validator); ok {
			if err := v.validate(); err != nil {
				return perr(r.Name, "", err.Error())
			}
		}
		if r.Review {
			reviews = true
		}
		if _, ok := inner.(*unmaskReview); ok {
			reviews = true
		}
	}
	if reviews && c.approver == nil && c.mode == ModeEnforce {
		return perr("", "approver", "the policy asks for review but has no approver: every review would be denied")
	}
	return nil
}

func (d *destructiveDDL) validate() error {
	for _, e := range d.envs {
		if e == "" {
			return errors.New("an empty environment name never matches")
		}
	}
	return nil
}

func (ro *readOnly) validate() error {
	if ro.who.IsZero() {
		return errors.New("selects no identity (set kinds, roles or subjects)")
	}
	if len(ro.extra) > 0 && !ro.known {
		return errors.New("lists functions but does not set KnownFunctionsOnly: the list would have no effect")
	}
	for _, f := range ro.extra {
		if f == "" {
			return errors.New("empty function name")
		}
	}
	return nil
}

func (tb *tables) validate() error {
	if tb.who.IsZero() {
		return errors.New("selects no identity (set kinds, roles or subjects)")
	}
	if len(tb.allow) == 0 && len(tb.deny) == 0 {
		return errors.New("has neither an allow list nor a deny list")
	}
	for _, p := range append(append([]tablePattern(nil), tb.allow...), tb.deny...) {
		if p.name == "" {
			return errors.New("empty table pattern")
		}
	}
	return nil
}

func (m maxRows) validate() error {
	if m.n <= 0 {
		return errors.New("the row cap must be positive")
	}
	return nil
}
