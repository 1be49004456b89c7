package guard_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Hand-built statement models, so that the rules are tested on exactly the
// shapes they claim to catch, independently of the analyser.

type stmtOpt func(*sqlstmt.Statement)

func stmt(k sqlstmt.Kind, opts ...stmtOpt) sqlstmt.Statement {
	s := sqlstmt.Statement{Kind: k, Effect: k, Object: sqlstmt.ObjectNone, Complete: true, Limit: -1}
	for _, o := range opts {
		o(&s)
	}
	return s
}

func effect(k sqlstmt.Kind) stmtOpt { return func(s *sqlstmt.Statement) { s.Effect = k } }
func object(o sqlstmt.ObjectType) stmtOpt {
	return func(s *sqlstmt.Statement) { s.Object = o }
}
func reads(ts ...string) stmtOpt {
	return func(s *sqlstmt.Statement) { s.Reads = append(s.Reads, tables(ts)...) }
}
func writes(ts ...string) stmtOpt {
	return func(s *sqlstmt.Statement) { s.Writes = append(s.Writes, tables(ts)...) }
}
func funcs(fs ...string) stmtOpt {
	return func(s *sqlstmt.Statement) { s.Functions = append(s.Functions, fs...) }
}
func where(present, trivial bool) stmtOpt {
	return func(s *sqlstmt.Statement) { s.Where = sqlstmt.Where{Present: present, Trivial: trivial} }
}
func inner(in sqlstmt.Statement) stmtOpt {
	return func(s *sqlstmt.Statement) { s.Inner = &in }
}
func with(f func(*sqlstmt.Statement)) stmtOpt { return f }

var (
	privSetting = with(func(s *sqlstmt.Statement) { s.PrivilegeSetting = true })
	lexSetting  = with(func(s *sqlstmt.Statement) { s.LexingSetting = true })
)

func tables(ts []string) []sqlstmt.Table {
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

// script builds a complete script; text is its literal-free normalized text.
func script(text string, sts ...sqlstmt.Statement) *sqlstmt.Script {
	return &sqlstmt.Script{Dialect: sqlstmt.PostgreSQL, Statements: sts, Complete: true, Normalized: text, Summary: text}
}

var (
	alice = identity.Identity{Kind: identity.KindUser, Subject: "alice", Roles: []string{"dev"}}
	bob   = identity.Identity{Kind: identity.KindUser, Subject: "bob", Roles: []string{"dba"}}
	agent = identity.Identity{Kind: identity.KindAgent, Subject: "agent-7", Roles: []string{"agent"},
		Agent: &identity.Agent{Name: "helper", Model: "m", OnBehalfOf: "carol"}}
)

func request(id identity.Identity, s *sqlstmt.Script) *guard.Request {
	return &guard.Request{Identity: id, Script: s, SQL: "-- not read by rules", Environment: "production"}
}

func mustPolicy(t testing.TB, opts ...guard.Option) *guard.Policy {
	t.Helper()
	p, err := guard.New(opts...)
	if err != nil {
		t.Fatalf("guard.New: %v", err)
	}
	return p
}

// decide runs p on r and reports the rule that blocked, or "" when allowed.
func decide(t testing.TB, p *guard.Policy, r *guard.Request) (guard.Verdict, string) {
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
		t.Fatalf("Check: verdict %+v disagrees with error %v", v, err)
	}
	return v, be.Rule
}

func namedValue(ordinal int, v any) driver.NamedValue {
	return driver.NamedValue{Ordinal: ordinal, Value: v}
}
