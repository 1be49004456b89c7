// Package guardtest builds statement models and requests by hand for the
// tests of guard and its sub-packages, so that rules are tested on exactly
// the shapes they claim to catch, independently of the analyser.
package guardtest

import (
	"context"
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

type StmtOpt func(*sqlstmt.Statement)

// Stmt builds a complete statement of kind k.
func Stmt(k sqlstmt.Kind, opts ...StmtOpt) sqlstmt.Statement {
	s := sqlstmt.Statement{Kind: k, Effect: k, Object: sqlparse.ObjectNone, Complete: true, Limit: -1}
	for _, o := range opts {
		o(&s)
	}
	return s
}

func Effect(k sqlstmt.Kind) StmtOpt { return func(s *sqlstmt.Statement) { s.Effect = k } }
func Object(o sqlparse.ObjectType) StmtOpt {
	return func(s *sqlstmt.Statement) { s.Object = o }
}
func Reads(ts ...string) StmtOpt {
	return func(s *sqlstmt.Statement) { s.Reads = append(s.Reads, Tables(ts)...) }
}
func Writes(ts ...string) StmtOpt {
	return func(s *sqlstmt.Statement) { s.Writes = append(s.Writes, Tables(ts)...) }
}
func Funcs(fs ...string) StmtOpt {
	return func(s *sqlstmt.Statement) { s.Functions = append(s.Functions, fs...) }
}
func Where(present, trivial bool) StmtOpt {
	return func(s *sqlstmt.Statement) { s.Where = sqlstmt.Where{Present: present, Trivial: trivial} }
}
func Inner(in sqlstmt.Statement) StmtOpt {
	return func(s *sqlstmt.Statement) { s.Inner = &in }
}
func With(f func(*sqlstmt.Statement)) StmtOpt { return f }

var (
	PrivSetting = With(func(s *sqlstmt.Statement) { s.PrivilegeSetting = true })
	LexSetting  = With(func(s *sqlstmt.Statement) { s.LexingSetting = true })
)

func Tables(ts []string) []sqlstmt.Table {
	out := make([]sqlstmt.Table, 0, len(ts))
	for _, t := range ts {
		var tb sqlstmt.Table
		for i := 0; i < len(t); i++ {
			if t[i] == '.' {
				tb.Schema, tb.Name = t[:i], t[i+1:]
				break
			}
		}
		if tb.Name == "" {
			tb.Name = t
		}
		out = append(out, tb)
	}
	return out
}

// Script builds a complete script; text is its literal-free normalized text.
func Script(text string, sts ...sqlstmt.Statement) *sqlstmt.Script {
	return &sqlstmt.Script{Dialect: sqlstmt.PostgreSQL, Statements: sts, Complete: true, Normalized: text, Summary: text}
}

var (
	Alice = identity.Identity{Kind: identity.KindUser, Subject: "alice", Roles: []string{"dev"}}
	Bob   = identity.Identity{Kind: identity.KindUser, Subject: "bob", Roles: []string{"dba"}}
	Agent = identity.Identity{Kind: identity.KindAgent, Subject: "agent-7", Roles: []string{"agent"},
		Agent: &identity.Agent{Name: "helper", Model: "m", OnBehalfOf: "carol"}}
)

func Request(id identity.Identity, s *sqlstmt.Script) *guard.Request {
	return &guard.Request{Identity: id, Script: s, SQL: "-- not read by rules", Environment: "production"}
}

func MustPolicy(t testing.TB, opts ...guard.Option) *guard.Policy {
	t.Helper()
	p, err := guard.New(opts...)
	if err != nil {
		t.Fatalf("guard.New: %v", err)
	}
	return p
}

// Decide runs p on r and reports the rule that blocked, or "" when allowed.
func Decide(t testing.TB, p *guard.Policy, r *guard.Request) (guard.Verdict, string) {
	t.Helper()
	v, err := p.Check(context.Background(), r)
	if err == nil {
		if v.Decision != guard.Allow {
			t.Fatalf("Check: no error but decision %v", v.Decision)
		}
		return v, ""
	}
	if !errors.Is(err, guard.ErrBlocked) {
		t.Fatalf("Check: error %v does not match ErrBlocked", err)
	}
	var be *guard.BlockedError
	if !errors.As(err, &be) {
		t.Fatalf("Check: error %v is not a *BlockedError", err)
	}
	if v.Decision != guard.Deny || v.Rule != be.Rule {
		t.Fatalf("Check: verdict %+v disagrees With error %v", v, err)
	}
	return v, be.Rule
}

func NamedValue(ordinal int, v any) driver.NamedValue {
	return driver.NamedValue{Ordinal: ordinal, Value: v}
}
