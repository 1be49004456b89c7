package mask

import (
	"errors"
	"fmt"
	"slices"
)

// ErrConfig reports a Masker configuration that cannot be enforced as
// written. Use errors.Is.
var ErrConfig = errors.New("mask: invalid configuration")

// MinKeyLen is the shortest key [WithKey] accepts, in bytes.
const MinKeyLen = 16

// Option configures a [Masker].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	rules        []Rule
	key          []byte
	detector     Detector
	unattributed Unattributed
}

// WithRules adds rules, in order, after those already added.
func WithRules(rules ...Rule) Option {
	rules = slices.Clone(rules)
	return optionFunc(func(c *config) { c.rules = append(c.rules, rules...) })
}

// WithKey sets the secret key of [Tokenize] and [Digits]. It must hold at
// least [MinKeyLen] bytes of high entropy; keep it out of the database and
// rotate it as a secret (tokens change with it). The key is copied.
func WithKey(key []byte) Option {
	key = slices.Clone(key)
	return optionFunc(func(c *config) { c.key = key })
}

// WithDetector replaces the content detector used by rules with Detect. The
// default, built only when such a rule exists, is github.com/hoophq/alcatraz
// with its full English recognizer set.
func WithDetector(d Detector) Option {
	return optionFunc(func(c *config) { c.detector = d })
}

// Unattributed says what a plan does with a result column whose source the
// statement analyser could not attribute (Column.Attributed is false): the
// value may come from any table column, under any name. The zero value is
// [UnattributedRefuse], which fails closed.
type Unattributed uint8

const (
	// UnattributedRefuse refuses the result set when any rule is in force
	// for the reader and a column is unattributed and not masked by name:
	// `SELECT p FROM people p` (a whole row) or `SELECT f()` (a function
	// that may return any column) cannot be masked with certainty.
	UnattributedRefuse Unattributed = iota
	// UnattributedRefuseScoped refuses the result set when a table-scoped
	// rule is in force for the reader and an unattributed column is not
	// already masked by name; otherwise unattributed columns are masked by
	// their output name only, so with name rules alone an unattributed
	// column under another name is returned in clear.
	UnattributedRefuseScoped
	// UnattributedByName masks unattributed columns by their output name
	// only, never refusing: a table-scoped rule then applies to any
	// unattributed column whose name matches its column part. An alias or
	// an expression over a masked column in a statement the analyser could
	// not read (`SELECT x FROM (SELECT ssn AS x …)`) is NOT masked.
	UnattributedByName
)

// WithUnattributed sets what a plan does with unattributed columns; the
// default is [UnattributedRefuse].
func WithUnattributed(u Unattributed) Option {
	return optionFunc(func(c *config) { c.unattributed = u })
}

func newConfig(opts []Option) (*config, error) {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if c.unattributed > UnattributedByName {
		return nil, fmt.Errorf("%w: unknown Unattributed mode %d", ErrConfig, c.unattributed)
	}
	if c.key != nil && len(c.key) < MinKeyLen {
		return nil, fmt.Errorf("%w: the key must hold at least %d bytes", ErrConfig, MinKeyLen)
	}
	seen := make(map[string]bool, len(c.rules))
	for _, r := range c.rules {
		if seen[r.Name] && r.Name != "" {
			return nil, fmt.Errorf("%w: two rules are named %q", ErrConfig, r.Name)
		}
		seen[r.Name] = true
		if r.Strategy != nil && r.Strategy.needsKey() && c.key == nil {
			return nil, fmt.Errorf("%w: rule %q uses %s, which needs a key (WithKey)", ErrConfig, r.Name, r.Strategy)
		}
	}
	return c, nil
}

// New returns a Masker enforcing the rules given with [WithRules]. It
// returns an error matching [ErrConfig] for a configuration that would not
// mask as written: a rule without a name, strategy or selector, a malformed
// glob or JSON path, a keyed strategy without [WithKey].
func New(opts ...Option) (*Masker, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	m := &Masker{key: c.key, unattributed: c.unattributed, detector: c.detector}
	for _, r := range c.rules {
		cr, err := compileRule(r)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		if cr.detects() {
			m.detection = append(m.detection, cr)
		} else {
			m.columns = append(m.columns, cr)
		}
	}
	if len(m.detection) > 0 && m.detector == nil {
		m.detector = newAlcatraz()
	}
	return m, nil
}
