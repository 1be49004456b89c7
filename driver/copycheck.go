package driver

import (
	"context"
	"slices"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/mask"
)

// Masking works on result sets; a write can move a masked value where no
// rule selects it (UPDATE notes SET body = (SELECT email …), CREATE VIEW v
// AS SELECT email AS x …) and a later read returns it in clear. The driver
// therefore refuses, before it runs, a statement that stores a value read
// from a column the masker masks for the writer, unless every such rule
// also masks the column it lands in. Values of literals and arguments are
// not masked data. Where the analysis cannot tell where stored values come
// from, the masker's Unattributed mode decides, as it does for a result
// column: the default refuses whenever a rule is in force for the writer.
//
// What it cannot see: a view or routine made earlier whose text is not
// here (SELECT contact FROM contacts, over email AS contact), and copies
// done by triggers, rules or functions.

// copyCheck returns the refusal of a statement of s that would copy masked
// values for id, or nil.
func (i *interceptor) copyCheck(ctx context.Context, s *sqlparse.Script, id identity.Identity, unmask bool) *guard.BlockedError {
	m := i.cfg.masker
	if m == nil || s == nil || !mayCopy(s) || m.RuleInForce(id, unmask) == "" {
		return nil
	}
	for k := range s.Statements {
		st := &s.Statements[k]
		if !st.Complete {
			if mayStore(st) {
				if r := unattributedRule(ctx, m, id, unmask); r != "" {
					return copyBlocked(r, "a write the analysis could not read may store masked values")
				}
			}
			continue
		}
		if st.StoresUnknown {
			if r := unattributedRule(ctx, m, id, unmask); r != "" {
				return copyBlocked(r, "the origin of the values this write stores cannot be told")
			}
		}
		for j := range st.Stores {
			if be := storeCheck(ctx, m, &st.Stores[j], id, unmask); be != nil {
				return be
			}
		}
	}
	return nil
}

// storeCheck judges one stored value.
func storeCheck(ctx context.Context, m *mask.Masker, s *sqlparse.Store, id identity.Identity, unmask bool) *guard.BlockedError {
	if s.Star {
		// Whole rows: which columns, under which names, is not known here.
		if r := unattributedRule(ctx, m, id, unmask); r != "" {
			return copyBlocked(r, "whole rows of "+starName(s)+" would be stored in "+s.Table.String())
		}
		return nil
	}
	src := maskedBy(ctx, m, mask.Column{Sources: s.Sources, Expr: true, Attributed: true}, id, unmask)
	if len(src) == 0 {
		return nil
	}
	var dst []string
	if s.Column != "" {
		dst = maskedBy(ctx, m, mask.Column{Name: s.Column, Table: s.Table.String(), Attributed: true}, id, unmask)
	}
	for _, r := range src {
		if !slices.Contains(dst, r) {
			to := s.Table.String()
			if s.Column != "" {
				to += "." + s.Column
			} else {
				to += " (column not named)"
			}
			return copyBlocked(r, "a value masked for this identity would be stored in "+to+", which the rule does not mask")
		}
	}
	return nil
}

// maskedBy lists the rules that mask column c for the reader.
func maskedBy(ctx context.Context, m *mask.Masker, c mask.Column, id identity.Identity, unmask bool) []string {
	p, err := m.Plan(ctx, mask.Input{Identity: id, Columns: []mask.Column{c}, Unmask: unmask})
	if err != nil {
		return []string{m.RuleInForce(id, unmask)}
	}
	var out []string
	for _, x := range p.Report() {
		if !slices.Contains(out, x.Rule) {
			out = append(out, x.Rule)
		}
	}
	return out
}

// unattributedRule returns the rule that makes the masker refuse a value
// of unknown origin for the reader, or "" when its Unattributed mode lets
// such a value through.
func unattributedRule(ctx context.Context, m *mask.Masker, id identity.Identity, unmask bool) string {
	_, err := m.Plan(ctx, mask.Input{Identity: id, Columns: []mask.Column{{}}, Unmask: unmask})
	if err == nil {
		return ""
	}
	if r := m.RuleInForce(id, unmask); r != "" {
		return r
	}
	return "unattributed"
}

// mayCopy reports whether a statement of s stores values, or may: the
// reads that make most of the traffic are done with here, before the
// masker is consulted.
func mayCopy(s *sqlparse.Script) bool {
	for k := range s.Statements {
		st := &s.Statements[k]
		if len(st.Stores) > 0 || st.StoresUnknown || !st.Complete && mayStore(st) {
			return true
		}
	}
	return false
}

// mayStore reports whether a statement the analysis could not fully read
// may be a write that stores values.
func mayStore(st *sqlparse.Statement) bool {
	for _, k := range [2]sqlparse.Kind{st.Kind, st.Effect} {
		switch k {
		case sqlparse.KindUnknown, sqlparse.KindInsert, sqlparse.KindReplace, sqlparse.KindUpdate,
			sqlparse.KindMerge, sqlparse.KindCreate, sqlparse.KindExecute, sqlparse.KindPrepare:
			return true
		}
	}
	return false
}

func starName(s *sqlparse.Store) string {
	if s.StarTable == "" {
		return "the tables read"
	}
	return s.StarTable
}

func copyBlocked(rule, reason string) *guard.BlockedError {
	return &guard.BlockedError{Rule: guard.RuleMaskCopy, Reason: reason + " (mask rule " + rule + ")"}
}
