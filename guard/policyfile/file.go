package policyfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/rulename"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Load reads a policy file (YAML) and returns the policy it describes; opts
// are applied after the file's own settings (an approver, extra rules).
// Every condition is compiled here, once.
//
// At the top level: version (1), mode (enforce | monitor), environment,
// unknown (deny | review | allow), approval.timeout (a duration such as
// 2m), limits.condition_cost (see [DefaultConditionCostLimit]) and rules.
// Each rule has a name and either a builtin (one of the names listed on
// guard.NamedRule, with its parameters: environments; who {kinds, roles,
// subjects}; allow and deny; limit; exempt_roles; for read-budget,
// max_rows, max_bytes, window (a duration), window_rows, window_bytes; for
// routines, allow as a list of {name, effect}) or a condition rule (when, reason, and action deny | review |
// allow, where allow must grant unmask: true). Any rule may set mode,
// action (deny or review for a built-in) and when, a condition (see
// [Condition]) that limits it. The example in examples/policy shows every
// setting.
//
// A file is checked completely, and refused with a *guard.PolicyError
// (matching guard.ErrInvalidPolicy) giving the file, the rule, the line and
// column and what is wrong, when it is malformed, names an unknown setting,
// built-in or attribute, or looks enforced but is not: a rule that selects
// nobody, an empty environment list, a condition that is always false, an
// allow rule that grants nothing, a review with no approver, a parameter
// the built-in does not take, an empty rule list.
func Load(path string, opts ...guard.Option) (*guard.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("guard: load policy: %w", err)
	}
	return Parse(path, data, opts...)
}

// Parse is [Load] for a policy already in memory; name is used in errors.
func Parse(name string, data []byte, opts ...guard.Option) (*guard.Policy, error) {
	fp := &fileParser{name: name, names: map[string]bool{}}
	fileOpts, err := fp.parse(data)
	if err != nil {
		return nil, err
	}
	p, err := guard.New(append(fileOpts, opts...)...)
	var pe *guard.PolicyError
	if err == nil || !errors.As(err, &pe) {
		return p, err
	}
	if pe.Field == "approver" && fp.reviewAt != nil {
		return nil, fp.errAt(fp.reviewAt, fp.reviewRule, "action",
			"asks for review but no approver is given (guard.WithApprover): every review would be denied")
	}
	named := *pe
	named.File = name
	return nil, &named
}

type fileParser struct {
	name      string
	cond      *conditions
	costLimit uint64
	names     map[string]bool
	// reviewAt is the first setting that asks for review, for the error
	// when no approver is given.
	reviewAt   *yaml.Node
	reviewRule string
	monitor    bool
}

func (fp *fileParser) errAt(n *yaml.Node, rule, field, format string, args ...any) error {
	e := &guard.PolicyError{File: fp.name, Rule: rule, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// pairs returns the key/value nodes of a mapping, refusing duplicates.
func (fp *fileParser) pairs(n *yaml.Node, rule, what string) ([][2]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fp.errAt(n, rule, what, "must be a mapping")
	}
	seen := map[string]bool{}
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return nil, fp.errAt(k, rule, k.Value, "set twice")
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out, nil
}

func (fp *fileParser) str(n *yaml.Node, rule, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", fp.errAt(n, rule, field, "must be a string")
	}
	return n.Value, nil
}

func (fp *fileParser) strs(n *yaml.Node, rule, field string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, fp.errAt(n, rule, field, "must be a list")
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		s, err := fp.str(c, rule, field)
		if err != nil {
			return nil, err
		}
		if s == "" {
			return nil, fp.errAt(c, rule, field, "empty entry")
		}
		out = append(out, s)
	}
	return out, nil
}

func (fp *fileParser) parse(data []byte) ([]guard.Option, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		e := &guard.PolicyError{File: fp.name, Msg: err.Error()}
		// yaml.v3 errors read "yaml: line N: …".
		if msg, ok := strings.CutPrefix(err.Error(), "yaml: line "); ok {
			if i := strings.IndexByte(msg, ':'); i > 0 {
				if n, convErr := strconv.Atoi(msg[:i]); convErr == nil {
					e.Line, e.Msg = n, strings.TrimSpace(msg[i+1:])
				}
			}
		}
		return nil, e
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, fp.errAt(nil, "", "", "empty policy")
	}
	root := doc.Content[0]
	top, err := fp.pairs(root, "", "policy")
	if err != nil {
		return nil, err
	}
	var (
		opts     []guard.Option
		rulesSet bool
		version  bool
	)
	// Limits first: the rules' conditions are compiled under them.
	for _, kv := range top {
		if kv[0].Value == "limits" {
			if err := fp.limits(kv[1]); err != nil {
				return nil, err
			}
		}
	}
	for _, kv := range top {
		o, err := fp.setting(kv[0], kv[1])
		if err != nil {
			return nil, err
		}
		opts = append(opts, o...)
		switch kv[0].Value {
		case "version":
			version = true
		case "rules":
			rulesSet = true
		}
	}
	if !version {
		return nil, fp.errAt(root, "", "version", "missing (write version: 1)")
	}
	if !rulesSet {
		return nil, fp.errAt(root, "", "rules", "missing: the policy would enforce nothing")
	}
	return opts, nil
}

// setting reads one top-level setting.
func (fp *fileParser) setting(k, v *yaml.Node) ([]guard.Option, error) {
	var opts []guard.Option
	switch k.Value {
	case "version":
		if v.Value != "1" {
			return nil, fp.errAt(v, "", "version", "unsupported version (this library reads version 1)")
		}
	case "mode":
		m, err := fp.mode(v, "")
		if err != nil {
			return nil, err
		}
		fp.monitor = m == guard.ModeMonitor
		opts = append(opts, guard.WithMode(m))
	case "environment":
		s, err := fp.str(v, "", "environment")
		if err != nil {
			return nil, err
		}
		opts = append(opts, guard.WithEnvironment(s))
	case "unknown":
		switch v.Value {
		case "deny":
			opts = append(opts, guard.WithUnknown(guard.Deny))
		case "review":
			opts = append(opts, guard.WithUnknown(guard.Review))
			if fp.reviewAt == nil {
				fp.reviewAt, fp.reviewRule = v, ""
			}
		case "allow":
			opts = append(opts, guard.WithUnknown(guard.Allow))
		default:
			return nil, fp.errAt(v, "", "unknown", "must be deny, review or allow")
		}
	case "approval":
		ps, err := fp.pairs(v, "", "approval")
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p[0].Value != "timeout" {
				return nil, fp.errAt(p[0], "", "approval", "unknown setting %q", p[0].Value)
			}
			d, err := time.ParseDuration(p[1].Value)
			if err != nil || d <= 0 {
				return nil, fp.errAt(p[1], "", "approval.timeout", "must be a positive duration such as 2m")
			}
			opts = append(opts, guard.WithApprovalTimeout(d))
		}
	case "limits":
		// Read before the other settings (see parse).
	case "rules":
		if v.Kind != yaml.SequenceNode {
			return nil, fp.errAt(v, "", "rules", "must be a list")
		}
		if len(v.Content) == 0 {
			return nil, fp.errAt(v, "", "rules", "no rules: the policy would enforce nothing")
		}
		for _, rn := range v.Content {
			nr, err := fp.rule(rn)
			if err != nil {
				return nil, err
			}
			opts = append(opts, guard.WithRules(nr))
		}
	default:
		return nil, fp.errAt(k, "", k.Value, "unknown setting")
	}
	return opts, nil
}

// limits reads the limits setting: the cost limit the file's conditions
// are compiled and run under.
func (fp *fileParser) limits(v *yaml.Node) error {
	ps, err := fp.pairs(v, "", "limits")
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p[0].Value != "condition_cost" {
			return fp.errAt(p[0], "", "limits", "unknown setting %q (condition_cost)", p[0].Value)
		}
		n, err := strconv.ParseUint(p[1].Value, 10, 64)
		if err != nil || n == 0 {
			return fp.errAt(p[1], "", "limits.condition_cost", "must be a positive integer")
		}
		fp.costLimit = n
	}
	return nil
}

func (fp *fileParser) mode(v *yaml.Node, rule string) (guard.Mode, error) {
	switch v.Value {
	case "enforce":
		return guard.ModeEnforce, nil
	case "monitor":
		return guard.ModeMonitor, nil
	}
	return 0, fp.errAt(v, rule, "mode", "must be enforce or monitor")
}

// builtinParams returns the parameters a built-in takes, and whether the
// built-in exists.
func builtinParams(name string) ([]string, bool) {
	switch name {
	case rulename.MissingWhere, rulename.Stacked, rulename.Dangerous, rulename.Privileges, rulename.LexingSettings, rulename.RequireIdentity,
		rulename.CatalogWrites, rulename.IntegritySettings, rulename.Maintenance:
		return nil, true
	case rulename.DestructiveDDL:
		return []string{"environments"}, true
	case rulename.ReadOnly:
		return []string{"who", "known_functions_only", "functions"}, true
	case rulename.Tables:
		return []string{"who", "allow", "deny"}, true
	case rulename.MaxRows:
		return []string{"limit"}, true
	case rulename.ReadBudget:
		return []string{"who", "max_rows", "max_bytes", "window", "window_rows", "window_bytes"}, true
	case rulename.UnmaskReview:
		return []string{"exempt_roles"}, true
	case rulename.Routines:
		return []string{"allow"}, true
	}
	return nil, false
}

func (fp *fileParser) rule(n *yaml.Node) (guard.NamedRule, error) {
	ps, err := fp.pairs(n, "", "rule")
	if err != nil {
		return guard.NamedRule{}, err
	}
	fields := map[string][2]*yaml.Node{}
	for _, p := range ps {
		fields[p[0].Value] = p
	}
	name, err := fp.ruleName(n, fields)
	if err != nil {
		return guard.NamedRule{}, err
	}
	var nr guard.NamedRule
	nr.Name = name
	builtin := ""
	if b, ok := fields["builtin"]; ok {
		builtin = b[1].Value
		if _, known := builtinParams(builtin); !known {
			return nr, fp.errAt(b[1], name, "builtin", "unknown built-in %q (known: %s)", builtin, knownBuiltins())
		}
	}
	if err := fp.checkSettings(ps, name, builtin); err != nil {
		return nr, err
	}
	if m, ok := fields["mode"]; ok {
		if nr.Mode, err = fp.mode(m[1], name); err != nil {
			return nr, err
		}
	}
	action, err := fp.action(fields, name, builtin)
	if err != nil {
		return nr, err
	}
	var prg *compiled
	if w, ok := fields["when"]; ok {
		if prg, err = fp.compile(w[1], name); err != nil {
			return nr, err
		}
	}
	if builtin == "" {
		return fp.conditionRule(nr, fields, prg, action)
	}
	nr.Review = action == guard.Review
	built, err := fp.builtin(builtin, name, fields)
	if err != nil {
		return nr, err
	}
	nr.Rule = built.Rule
	if err := validate(built); err != nil {
		return nr, fp.errAt(fields["builtin"][1], name, "builtin", "%s", err.Msg)
	}
	if prg != nil {
		// Not NamedRule.When: the condition runs under the statement's
		// context.
		nr.Rule = &whenRule{fileCond: fileCond{cond: fp.cond, prg: prg}, rule: built.Rule}
	}
	return nr, nil
}

// ruleName reads and checks a rule's name.
func (fp *fileParser) ruleName(n *yaml.Node, fields map[string][2]*yaml.Node) (string, error) {
	nameKV, ok := fields["name"]
	if !ok {
		return "", fp.errAt(n, "", "name", "a rule has no name")
	}
	name, err := fp.str(nameKV[1], "", "name")
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fp.errAt(nameKV[1], "", "name", "empty rule name")
	}
	if fp.names[name] {
		return "", fp.errAt(nameKV[1], name, "name", "duplicate rule name")
	}
	fp.names[name] = true
	return name, nil
}

// checkSettings refuses a setting that this kind of rule does not take:
// it would look like it does something.
func (fp *fileParser) checkSettings(ps [][2]*yaml.Node, name, builtin string) error {
	known := map[string]bool{"name": true, "builtin": true, "mode": true, "action": true, "when": true}
	if builtin == "" {
		known["reason"], known["unmask"] = true, true
	} else {
		params, _ := builtinParams(builtin)
		for _, p := range params {
			known[p] = true
		}
	}
	for _, p := range ps {
		if !known[p[0].Value] {
			what := "a condition rule"
			if builtin != "" {
				what = "built-in " + builtin
			}
			return fp.errAt(p[0], name, p[0].Value, "not a setting of %s", what)
		}
	}
	return nil
}

// action reads a rule's action; the default is deny.
func (fp *fileParser) action(fields map[string][2]*yaml.Node, name, builtin string) (guard.Decision, error) {
	a, ok := fields["action"]
	if !ok {
		return guard.Deny, nil
	}
	switch a[1].Value {
	case "deny":
		return guard.Deny, nil
	case "review":
		if fp.reviewAt == nil {
			fp.reviewAt, fp.reviewRule = a[1], name
		}
		return guard.Review, nil
	case "allow":
		if builtin != "" {
			return 0, fp.errAt(a[1], name, "action", "a built-in denies or reviews; allow would make it do nothing")
		}
		return guard.Allow, nil
	}
	return 0, fp.errAt(a[1], name, "action", "must be deny, review or allow")
}

func knownBuiltins() string {
	return strings.Join([]string{rulename.DestructiveDDL, rulename.MissingWhere, rulename.Stacked, rulename.Dangerous,
		rulename.Privileges, rulename.LexingSettings, rulename.ReadOnly, rulename.Tables, rulename.RequireIdentity,
		rulename.MaxRows, rulename.UnmaskReview, rulename.CatalogWrites, rulename.IntegritySettings, rulename.Maintenance,
		rulename.Routines, rulename.ReadBudget}, ", ")
}

func (fp *fileParser) conditionRule(nr guard.NamedRule, fields map[string][2]*yaml.Node, prg *compiled, action guard.Decision) (guard.NamedRule, error) {
	if prg == nil {
		return nr, fp.errAt(fields["name"][0], nr.Name, "when", "a rule needs a builtin or a when condition")
	}
	nr.Review = action == guard.Review
	cr := &celRule{fileCond: fileCond{cond: fp.cond, prg: prg}, action: action}
	if prg.pre != nil {
		cr.pre, cr.hasPre = *prg.pre, true
	}
	if r, ok := fields["reason"]; ok {
		s, err := fp.str(r[1], nr.Name, "reason")
		if err != nil {
			return nr, err
		}
		cr.reason = s
	}
	if u, ok := fields["unmask"]; ok {
		if u[1].Value != "true" && u[1].Value != "false" {
			return nr, fp.errAt(u[1], nr.Name, "unmask", "must be true or false")
		}
		cr.unmask = u[1].Value == "true"
		if cr.unmask && action == guard.Deny {
			return nr, fp.errAt(u[1], nr.Name, "unmask", "a denying rule cannot grant clear values")
		}
	}
	switch {
	case action == guard.Allow && !cr.unmask:
		return nr, fp.errAt(fields["action"][1], nr.Name, "action",
			"an allow rule never overrides a denial and grants nothing here: set unmask: true or remove the rule")
	case action != guard.Allow && cr.reason == "":
		return nr, fp.errAt(fields["name"][0], nr.Name, "reason", "a denying or reviewing rule needs a reason")
	}
	nr.Rule = cr
	return nr, nil
}

func (fp *fileParser) compile(n *yaml.Node, rule string) (*compiled, error) {
	src, err := fp.str(n, rule, "when")
	if err != nil {
		return nil, err
	}
	if fp.cond == nil {
		if fp.cond, err = newConditions(fp.costLimit); err != nil {
			return nil, fp.errAt(n, rule, "when", "condition environment: %v", err)
		}
	}
	prg, iss := fp.cond.compile(src)
	if iss == nil {
		return prg, nil
	}
	e := &guard.PolicyError{File: fp.name, Rule: rule, Field: "when", Msg: iss.msg, Line: n.Line, Column: n.Column}
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// The expression starts on the line after the indicator; its
		// indentation is not recorded, so the column is left out.
		e.Line, e.Column = n.Line+iss.line, 0
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if iss.line <= 1 {
			e.Column = n.Column + 1 + iss.col
		} else {
			e.Line, e.Column = n.Line+iss.line-1, 0
		}
	default:
		if iss.line <= 1 {
			e.Column = n.Column + iss.col
		} else {
			e.Line, e.Column = n.Line+iss.line-1, 0
		}
	}
	return nil, e
}

func (fp *fileParser) builtin(b, name string, fields map[string][2]*yaml.Node) (guard.NamedRule, error) {
	switch b {
	case rulename.DestructiveDDL:
		var envs []string
		if e, ok := fields["environments"]; ok {
			var err error
			if envs, err = fp.strs(e[1], name, "environments"); err != nil {
				return guard.NamedRule{}, err
			}
			if len(envs) == 0 {
				return guard.NamedRule{}, fp.errAt(e[1], name, "environments", "empty: the rule would apply nowhere; leave it out to apply everywhere")
			}
		}
		return guard.DestructiveDDL(envs...), nil
	case rulename.MissingWhere:
		return guard.MissingWhere(), nil
	case rulename.Stacked:
		return guard.StackedStatements(), nil
	case rulename.Dangerous:
		return guard.DangerousCalls(), nil
	case rulename.Privileges:
		return guard.PrivilegeChanges(), nil
	case rulename.LexingSettings:
		return guard.LexingSettings(), nil
	case rulename.RequireIdentity:
		return guard.RequireIdentity(), nil
	case rulename.CatalogWrites:
		return guard.CatalogWrites(), nil
	case rulename.IntegritySettings:
		return guard.IntegritySettings(), nil
	case rulename.Maintenance:
		return guard.Maintenance(), nil
	case rulename.Routines:
		var allowed []guard.Routine
		if l, ok := fields["allow"]; ok {
			var err error
			if allowed, err = fp.routines(l[1], name); err != nil {
				return guard.NamedRule{}, err
			}
		}
		return guard.Routines(allowed...), nil
	case rulename.ReadOnly:
		who, err := fp.who(fields, name)
		if err != nil {
			return guard.NamedRule{}, err
		}
		a := guard.ReadAccess{Who: who}
		if k, ok := fields["known_functions_only"]; ok {
			switch k[1].Value {
			case "true":
				a.KnownFunctionsOnly = true
			case "false":
			default:
				return guard.NamedRule{}, fp.errAt(k[1], name, "known_functions_only", "must be true or false")
			}
		}
		if l, ok := fields["functions"]; ok {
			if a.Functions, err = fp.strs(l[1], name, "functions"); err != nil {
				return guard.NamedRule{}, err
			}
			if !a.KnownFunctionsOnly {
				return guard.NamedRule{}, fp.errAt(l[1], name, "functions", "has no effect without known_functions_only: true")
			}
		}
		return guard.ReadOnlyAccess(a), nil
	case rulename.Tables:
		who, err := fp.who(fields, name)
		if err != nil {
			return guard.NamedRule{}, err
		}
		var a guard.TableAccess
		a.Who = who
		if l, ok := fields["allow"]; ok {
			if a.Allow, err = fp.strs(l[1], name, "allow"); err != nil {
				return guard.NamedRule{}, err
			}
		}
		if l, ok := fields["deny"]; ok {
			if a.Deny, err = fp.strs(l[1], name, "deny"); err != nil {
				return guard.NamedRule{}, err
			}
		}
		return guard.Tables(a), nil
	case rulename.MaxRows:
		l, ok := fields["limit"]
		if !ok {
			return guard.NamedRule{}, fp.errAt(fields["builtin"][1], name, "limit", "missing: the row cap")
		}
		n, err := strconv.ParseInt(l[1].Value, 10, 64)
		if err != nil || n <= 0 {
			return guard.NamedRule{}, fp.errAt(l[1], name, "limit", "must be a positive integer")
		}
		return guard.MaxRows(n), nil
	case rulename.ReadBudget:
		who, err := fp.who(fields, name)
		if err != nil {
			return guard.NamedRule{}, err
		}
		b := guard.Budget{Who: who}
		for key, dst := range map[string]*int64{"max_rows": &b.MaxRows, "max_bytes": &b.MaxBytes,
			"window_rows": &b.WindowRows, "window_bytes": &b.WindowBytes} {
			l, ok := fields[key]
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(l[1].Value, 10, 64)
			if err != nil || n <= 0 {
				return guard.NamedRule{}, fp.errAt(l[1], name, key, "must be a positive integer")
			}
			*dst = n
		}
		if l, ok := fields["window"]; ok {
			d, err := time.ParseDuration(l[1].Value)
			if err != nil || d <= 0 {
				return guard.NamedRule{}, fp.errAt(l[1], name, "window", "must be a positive duration such as 1h")
			}
			b.Window = d
			if b.WindowRows == 0 && b.WindowBytes == 0 {
				return guard.NamedRule{}, fp.errAt(l[1], name, "window", "needs window_rows, window_bytes or both")
			}
		} else if l, ok := fields["window_rows"]; ok {
			return guard.NamedRule{}, fp.errAt(l[1], name, "window_rows", "needs window, the period it counts over")
		} else if l, ok := fields["window_bytes"]; ok {
			return guard.NamedRule{}, fp.errAt(l[1], name, "window_bytes", "needs window, the period it counts over")
		}
		if b.MaxRows == 0 && b.MaxBytes == 0 && b.Window == 0 {
			return guard.NamedRule{}, fp.errAt(fields["builtin"][1], name, "max_rows", "missing: set max_rows, max_bytes or both, or a window")
		}
		return guard.ReadBudget(b), nil
	case rulename.UnmaskReview:
		if fp.reviewAt == nil {
			fp.reviewAt, fp.reviewRule = fields["builtin"][1], name
		}
		var roles []string
		if e, ok := fields["exempt_roles"]; ok {
			var err error
			if roles, err = fp.strs(e[1], name, "exempt_roles"); err != nil {
				return guard.NamedRule{}, err
			}
		}
		return guard.UnmaskReview(roles...), nil
	}
	return guard.NamedRule{}, fp.errAt(fields["builtin"][1], name, "builtin", "unknown built-in")
}

func (fp *fileParser) who(fields map[string][2]*yaml.Node, name string) (guard.Who, error) {
	var w guard.Who
	kv, ok := fields["who"]
	if !ok {
		return w, fp.errAt(fields["builtin"][1], name, "who", "missing: the rule would select nobody")
	}
	ps, err := fp.pairs(kv[1], name, "who")
	if err != nil {
		return w, err
	}
	for _, p := range ps {
		switch p[0].Value {
		case "kinds":
			ks, err := fp.strs(p[1], name, "who.kinds")
			if err != nil {
				return w, err
			}
			for i, k := range ks {
				switch k {
				case "user":
					w.Kinds = append(w.Kinds, identity.KindUser)
				case "service":
					w.Kinds = append(w.Kinds, identity.KindService)
				case "agent":
					w.Kinds = append(w.Kinds, identity.KindAgent)
				case "unspecified":
					w.Kinds = append(w.Kinds, identity.KindUnspecified)
				default:
					return w, fp.errAt(p[1].Content[i], name, "who.kinds", "must be user, service, agent or unspecified")
				}
			}
		case "roles":
			if w.Roles, err = fp.strs(p[1], name, "who.roles"); err != nil {
				return w, err
			}
		case "subjects":
			if w.Subjects, err = fp.strs(p[1], name, "who.subjects"); err != nil {
				return w, err
			}
		default:
			return w, fp.errAt(p[0], name, "who", "unknown setting %q (kinds, roles, subjects)", p[0].Value)
		}
	}
	if w.IsZero() {
		return w, fp.errAt(kv[1], name, "who", "selects nobody")
	}
	return w, nil
}

// routines reads the allow list of the routines built-in: a list of
// {name, effect} mappings, effect one of SELECT, INSERT, UPDATE, DELETE,
// MERGE.
func (fp *fileParser) routines(n *yaml.Node, rule string) ([]guard.Routine, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, fp.errAt(n, rule, "allow", "must be a list of {name, effect}")
	}
	out := make([]guard.Routine, 0, len(n.Content))
	for _, c := range n.Content {
		ps, err := fp.pairs(c, rule, "allow")
		if err != nil {
			return nil, err
		}
		var rt guard.Routine
		for _, p := range ps {
			switch p[0].Value {
			case "name":
				if rt.Name, err = fp.str(p[1], rule, "allow.name"); err != nil {
					return nil, err
				}
			case "effect":
				v, err := fp.str(p[1], rule, "allow.effect")
				if err != nil {
					return nil, err
				}
				for _, k := range [...]sqlstmt.Kind{sqlparse.KindSelect, sqlparse.KindInsert, sqlparse.KindUpdate, sqlparse.KindDelete, sqlparse.KindMerge} {
					if strings.EqualFold(v, k.String()) {
						rt.Effect = k
					}
				}
				if rt.Effect == sqlparse.KindUnknown {
					return nil, fp.errAt(p[1], rule, "allow.effect", "must be SELECT, INSERT, UPDATE, DELETE or MERGE")
				}
			default:
				return nil, fp.errAt(p[0], rule, "allow", "unknown setting %q (name, effect)", p[0].Value)
			}
		}
		if rt.Name == "" {
			return nil, fp.errAt(c, rule, "allow.name", "missing: the routine's name")
		}
		if rt.Effect == sqlparse.KindUnknown {
			return nil, fp.errAt(c, rule, "allow.effect", "missing: the effect the routine has")
		}
		out = append(out, rt)
	}
	return out, nil
}

// validate checks a built-in as the policy will: one that is misconfigured
// so as to look enforced while catching nothing is refused here, where the
// error can point at the file.
func validate(nr guard.NamedRule) *guard.PolicyError {
	never := guard.ApproverFunc(func(context.Context, *guard.ApprovalRequest) (guard.Answer, error) {
		return guard.Answer{}, nil
	})
	_, err := guard.New(guard.WithRules(nr), guard.WithApprover(never))
	var pe *guard.PolicyError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}
