package guard_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

func allBuiltins() []guard.NamedRule {
	return []guard.NamedRule{
		guard.RequireIdentity(),
		guard.StackedStatements(),
		guard.DestructiveDDL("production"),
		guard.MissingWhere(),
		guard.DangerousCalls(),
		guard.PrivilegeChanges(),
		guard.LexingSettings(),
		guard.ReadOnly(guard.Who{Kinds: []identity.Kind{identity.KindAgent}}),
		guard.Tables(guard.TableAccess{
			Who:   guard.Who{Roles: []string{"dev"}},
			Allow: []string{"public.*", "orders"},
			Deny:  []string{"public.secrets"},
		}),
		guard.MaxRows(100),
		guard.CatalogWrites(),
		guard.IntegritySettings(),
		guard.Maintenance(),
		guard.Routines(guard.Routine{Name: "refresh_stats", Effect: sqlparse.KindUpdate}),
	}
}

func TestBuiltins(t *testing.T) {
	p := mustPolicy(t, guard.WithRules(allBuiltins()...))
	sel := func(ts ...string) *sqlstmt.Script {
		return script("SELECT a FROM t", stmt(sqlparse.KindSelect, reads(ts...)))
	}
	tests := []struct {
		name string
		id   identity.Identity
		give *sqlstmt.Script
		env  string
		want string // rule that blocks, "" when allowed
	}{
		{"plain select passes", alice, sel("public.users"), "", ""},
		{"update with where passes", bob, script("UPDATE t SET a = ? WHERE id = ?", stmt(sqlparse.KindUpdate, writes("t"), where(true, false))), "", ""},
		{"anonymous", identity.Identity{}, sel("t"), "", "require-identity"},
		{"untrusted purpose only", identity.Identity{Purpose: "x", Untrusted: true}, sel("t"), "", "require-identity"},
		{"agent name is an identity", identity.Identity{Agent: &identity.Agent{Name: "a"}}, sel("t"), "", ""},
		{"stacked", bob, script("SELECT ?; SELECT ?", stmt(sqlparse.KindSelect), stmt(sqlparse.KindSelect)), "", "stacked"},

		{"drop table", bob, script("DROP TABLE t", stmt(sqlparse.KindDrop, object(sqlparse.ObjectTable))), "", "destructive-ddl"},
		{"drop in staging", bob, script("DROP TABLE t", stmt(sqlparse.KindDrop, object(sqlparse.ObjectTable))), "staging", ""},
		{"drop, no environment: fail closed", bob, script("DROP TABLE t", stmt(sqlparse.KindDrop, object(sqlparse.ObjectTable))), "-", "destructive-ddl"},
		{"truncate", bob, script("TRUNCATE t", stmt(sqlparse.KindTruncate, object(sqlparse.ObjectTable))), "", "destructive-ddl"},
		{"alter drop column", bob, script("ALTER TABLE t DROP COLUMN c", stmt(sqlparse.KindAlter, object(sqlparse.ObjectTable), with(func(s *sqlstmt.Statement) { s.DropsColumn = true }))), "", "destructive-ddl"},
		{"alter add column passes", bob, script("ALTER TABLE t ADD c int", stmt(sqlparse.KindAlter, object(sqlparse.ObjectTable))), "", ""},

		{"delete without where", bob, script("DELETE FROM t", stmt(sqlparse.KindDelete, writes("t"))), "", "missing-where"},
		{"update trivial where", bob, script("UPDATE t SET a = ? WHERE ? = ?", stmt(sqlparse.KindUpdate, writes("t"), where(true, true))), "", "missing-where"},
		{"delete in a CTE", bob, script("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", stmt(sqlparse.KindSelect, effect(sqlparse.KindDelete), writes("t"))), "", "missing-where"},
		{"explain analyze delete", bob, script("EXPLAIN ANALYZE DELETE FROM t", stmt(sqlparse.KindExplain, effect(sqlparse.KindDelete), inner(stmt(sqlparse.KindDelete, writes("t"))))), "", "missing-where"},

		{"copy program", bob, script("COPY t FROM PROGRAM ?", stmt(sqlparse.KindCopy, with(func(s *sqlstmt.Statement) { s.Program = true }))), "", "dangerous"},
		{"copy from a server file", bob, script("COPY t FROM ?", stmt(sqlparse.KindCopy, writes("t"), with(func(s *sqlstmt.Statement) { s.ReadsFile = true }))), "", "dangerous"},
		{"create function", bob, script("CREATE FUNCTION f() RETURNS int AS ? LANGUAGE sql", stmt(sqlparse.KindCreate, object(sqlparse.ObjectFunction))), "", "dangerous"},
		{"create rule", bob, script("CREATE RULE r AS ON INSERT TO t DO ALSO DELETE FROM u", stmt(sqlparse.KindCreate, object(sqlparse.ObjectOther), with(func(s *sqlstmt.Statement) { s.DefinesCode = true }))), "", "dangerous"},
		{"copy from stdin passes", bob, script("COPY t FROM STDIN", stmt(sqlparse.KindCopy, writes("t"))), "", ""},
		{"copy to stdout passes", bob, script("COPY (SELECT a FROM t) TO STDOUT", stmt(sqlparse.KindCopy, reads("t"))), "", ""},
		{"pg_read_file", bob, script("SELECT pg_read_file(?)", stmt(sqlparse.KindSelect, funcs("pg_read_file"))), "", "dangerous"},
		{"table_to_xml reads a table named in a literal", bob, script("SELECT table_to_xml(?, true, false, ?)", stmt(sqlparse.KindSelect, funcs("table_to_xml"))), "", "dangerous"},
		{"ts_stat runs a query given as text", bob, script("SELECT * FROM ts_stat(?)", stmt(sqlparse.KindSelect, funcs("pg_catalog.ts_stat"))), "", "dangerous"},
		{"KILL ends another session", bob, script("KILL ?", stmt(sqlparse.KindFlush)), "", "dangerous"},
		{"lowrite writes a large object", bob, script("SELECT lowrite(lo_open(?, ?), ?)", stmt(sqlparse.KindSelect, funcs("lowrite", "lo_open"))), "", "dangerous"},
		{"qualified pg_sleep", bob, script("SELECT pg_catalog.pg_sleep(?)", stmt(sqlparse.KindSelect, funcs("pg_catalog.pg_sleep"))), "", "dangerous"},
		{"lo_import", bob, script("SELECT lo_import(?)", stmt(sqlparse.KindSelect, funcs("lo_import"))), "", "dangerous"},
		{"dblink", bob, script("SELECT * FROM dblink(?, ?)", stmt(sqlparse.KindSelect, funcs("dblink"))), "", "dangerous"},
		{"load data local", bob, script("LOAD DATA LOCAL INFILE ? INTO TABLE t", stmt(sqlparse.KindLoadData, with(func(s *sqlstmt.Statement) { s.Local = true }))), "", "dangerous"},
		{"into outfile", bob, script("SELECT * FROM t INTO OUTFILE ?", stmt(sqlparse.KindSelect, reads("t"), with(func(s *sqlstmt.Statement) { s.IntoFile = true }))), "", "dangerous"},
		{"SLEEP upper case", bob, script("SELECT SLEEP(?)", stmt(sqlparse.KindSelect, funcs("sleep"))), "", "dangerous"},
		{"benchmark", bob, script("SELECT BENCHMARK(?, MD5(?))", stmt(sqlparse.KindSelect, funcs("benchmark", "md5"))), "", "dangerous"},
		{"ordinary function passes", bob, script("SELECT lower(a) FROM t", stmt(sqlparse.KindSelect, reads("t"), funcs("lower"))), "", ""},

		{"grant", bob, script("GRANT SELECT ON t TO x", stmt(sqlparse.KindGrant)), "", "privileges"},
		{"revoke", bob, script("REVOKE ALL ON t FROM x", stmt(sqlparse.KindRevoke)), "", "privileges"},
		{"create role", bob, script("CREATE ROLE x", stmt(sqlparse.KindCreate, object(sqlparse.ObjectRole))), "", "privileges"},
		{"set role", bob, script("SET ROLE admin", stmt(sqlparse.KindSet, privSetting)), "", "privileges"},
		{"role word elsewhere in a stacked script", bob, script("SET work_mem = ?; SELECT role FROM t", stmt(sqlparse.KindSet), stmt(sqlparse.KindSelect, reads("t"))), "", "stacked"},
		{"set session authorization", bob, script("SET SESSION AUTHORIZATION x", stmt(sqlparse.KindSet, privSetting)), "", "privileges"},
		{"set search_path passes", bob, script("SET search_path = ?", stmt(sqlparse.KindSet)), "", ""},

		{"standard_conforming_strings", bob, script("SET standard_conforming_strings = off", stmt(sqlparse.KindSet, lexSetting)), "", "lexing-settings"},
		{"sql_mode", bob, script("SET SESSION sql_mode = ?", stmt(sqlparse.KindSet, lexSetting)), "", "lexing-settings"},
		{"lexing setting in an explained statement", bob, script("EXPLAIN SELECT ?", stmt(sqlparse.KindExplain, inner(stmt(sqlparse.KindSelect, lexSetting)))), "", "lexing-settings"},
		{"@@sql_mode", bob, script("SET @@SESSION.SQL_MODE = ?", stmt(sqlparse.KindSet, lexSetting)), "", "lexing-settings"},
		{"set names", bob, script("SET NAMES ?", stmt(sqlparse.KindSet, lexSetting)), "", "lexing-settings"},
		// set_config may set role or session_authorization as well: the
		// earlier privileges rule denies it first.
		{"set_config", bob, script("SELECT set_config(?, ?, ?)", stmt(sqlparse.KindSelect, funcs("set_config"))), "", "privileges"},
		{"sql_mode as a column passes", bob, script("SELECT sql_mode FROM t", stmt(sqlparse.KindSelect, reads("t"))), "", ""},

		{"agent reads", agent, sel("public.t"), "", ""},
		{"agent deletes", agent, script("DELETE FROM t WHERE id = ?", stmt(sqlparse.KindDelete, writes("t"), where(true, false))), "", "read-only"},
		{"agent writes through a CTE", agent, script("WITH x AS (INSERT INTO t VALUES (?) RETURNING *) SELECT * FROM x", stmt(sqlparse.KindSelect, effect(sqlparse.KindInsert), writes("t"))), "", "read-only"},
		{"agent nextval", agent, script("SELECT nextval(?)", stmt(sqlparse.KindSelect, funcs("nextval"))), "", "read-only"},
		{"agent SET", agent, script("SET work_mem = ?", stmt(sqlparse.KindSet)), "", "read-only"},
		{"untrusted agent kind still bound", identity.Identity{Kind: identity.KindAgent, Subject: "x", Untrusted: true}, script("INSERT INTO t VALUES (?)", stmt(sqlparse.KindInsert, writes("t"))), "", "read-only"},

		{"dev reads allowed table", alice, sel("orders"), "", ""},
		{"dev reads denied table", alice, sel("public.secrets"), "", "tables"},
		{"dev reads unqualified denied name", alice, sel("secrets"), "", "tables"},
		{"dev reads table outside allow list", alice, sel("audit.log"), "", "tables"},
		{"dev writes outside allow list", alice, script("INSERT INTO audit.log VALUES (?)", stmt(sqlparse.KindInsert, writes("audit.log"))), "", "tables"},
		{"dba is not bound by the dev list", bob, sel("audit.log"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.id, tt.give)
			switch tt.env {
			case "":
			case "-":
				r.Environment = ""
			default:
				r.Environment = tt.env
			}
			_, got := decide(t, p, r)
			if got != tt.want {
				t.Errorf("blocked by %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMaxRows(t *testing.T) {
	p := mustPolicy(t, guard.WithRules(guard.MaxRows(500), guard.Named("tight", guard.MaxRows(10).Rule)))
	tests := []struct {
		name string
		give *sqlstmt.Script
		want int64
	}{
		{"select has no cap", script("SELECT ?", stmt(sqlparse.KindSelect)), 0},
		{"update capped at the smallest", script("UPDATE t SET a = ? WHERE b = ?", stmt(sqlparse.KindUpdate, where(true, false))), 10},
		{"delete in CTE capped", script("WITH d AS (DELETE FROM t WHERE a = ?) SELECT ?", stmt(sqlparse.KindSelect, effect(sqlparse.KindDelete), where(true, false))), 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, blocked := decide(t, p, request(bob, tt.give))
			if blocked != "" {
				t.Fatalf("blocked by %q", blocked)
			}
			if v.MaxRowsAffected != tt.want {
				t.Errorf("MaxRowsAffected = %d, want %d", v.MaxRowsAffected, tt.want)
			}
			if tt.want != 0 && v.MaxRowsRule != "tight" {
				t.Errorf("MaxRowsRule = %q, want tight", v.MaxRowsRule)
			}
		})
	}
}

func TestUnknownStatements(t *testing.T) {
	incomplete := &sqlstmt.Script{Statements: []sqlstmt.Statement{{Kind: sqlparse.KindSelect, Effect: sqlparse.KindSelect}}, Reason: "unrecognised token"}
	tests := []struct {
		name   string
		policy *guard.Policy
		give   *sqlstmt.Script
		want   string
	}{
		{"zero policy denies incomplete", &guard.Policy{}, incomplete, "unknown"},
		{"zero policy denies missing analysis", &guard.Policy{}, nil, "unknown"},
		{"zero policy allows complete", &guard.Policy{}, script("SELECT ?", stmt(sqlparse.KindSelect)), ""},
		{"default policy denies incomplete", mustPolicy(t), incomplete, "unknown"},
		{"explicit allow", mustPolicy(t, guard.WithUnknown(guard.Allow)), incomplete, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := decide(t, tt.policy, request(alice, tt.give))
			if got != tt.want {
				t.Errorf("blocked by %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("nil policy allows", func(t *testing.T) {
		var p *guard.Policy
		if _, err := p.Check(context.Background(), request(alice, incomplete)); err != nil {
			t.Errorf("nil policy: %v", err)
		}
	})
}

func TestMonitorMode(t *testing.T) {
	drop := script("DROP TABLE t", stmt(sqlparse.KindDrop, object(sqlparse.ObjectTable)))
	tests := []struct {
		name     string
		opts     []guard.Option
		give     *sqlstmt.Script
		wantRule string
	}{
		{"monitored rule", []guard.Option{guard.WithRules(guard.DestructiveDDL().Monitored())}, drop, "destructive-ddl"},
		{"monitored policy", []guard.Option{guard.WithMode(guard.ModeMonitor), guard.WithRules(guard.DestructiveDDL())}, drop, "destructive-ddl"},
		{"monitored policy, unknown", []guard.Option{guard.WithMode(guard.ModeMonitor)}, &sqlstmt.Script{}, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPolicy(t, tt.opts...)
			v, err := p.Check(context.Background(), request(bob, tt.give))
			if err != nil {
				t.Fatalf("monitor blocked: %v", err)
			}
			if v.Decision != guard.Allow || v.Mode != guard.ModeMonitor || v.Rule != tt.wantRule || v.Reason == "" {
				t.Errorf("verdict %+v, want Allow, ModeMonitor, rule %q and a reason", v, tt.wantRule)
			}
		})
	}
	t.Run("enforced denial wins over monitored", func(t *testing.T) {
		p := mustPolicy(t, guard.WithRules(guard.StackedStatements().Monitored(), guard.DestructiveDDL()))
		s := script("SELECT ?; DROP TABLE t", stmt(sqlparse.KindSelect), stmt(sqlparse.KindDrop))
		if _, got := decide(t, p, request(bob, s)); got != "destructive-ddl" {
			t.Errorf("blocked by %q, want %q", got, "destructive-ddl")
		}
	})
	t.Run("monitored cap is not applied", func(t *testing.T) {
		p := mustPolicy(t, guard.WithRules(guard.MaxRows(1).Monitored()))
		v, _ := decide(t, p, request(bob, script("DELETE FROM t WHERE a = ?", stmt(sqlparse.KindDelete, where(true, false)))))
		if v.MaxRowsAffected != 0 {
			t.Errorf("MaxRowsAffected = %d from a monitored rule", v.MaxRowsAffected)
		}
	})
}

func TestCustomRuleAndWhen(t *testing.T) {
	calls := 0
	noDeleteOnFriday := guard.NamedRule{
		Name: "no-delete",
		When: func(r *guard.Request) bool { return r.Environment == "production" },
		Rule: guard.RuleFunc(func(_ context.Context, r *guard.Request) guard.Verdict {
			calls++
			for _, s := range r.Script.Statements {
				if s.Effect == sqlparse.KindDelete {
					return guard.Verdict{Decision: guard.Deny, Reason: "no deletes"}
				}
			}
			return guard.Verdict{}
		}),
	}
	p := mustPolicy(t, guard.WithRules(noDeleteOnFriday))
	del := script("DELETE FROM t WHERE a = ?", stmt(sqlparse.KindDelete, where(true, false)))
	if _, got := decide(t, p, request(bob, del)); got != "no-delete" {
		t.Errorf("blocked by %q, want no-delete", got)
	}
	r := request(bob, del)
	r.Environment = "staging"
	if _, got := decide(t, p, r); got != "" {
		t.Errorf("staging blocked by %q", got)
	}
	if calls != 1 {
		t.Errorf("rule ran %d times, want 1 (When must skip it)", calls)
	}
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name string
		opts []guard.Option
		want string
	}{
		{"unnamed rule", []guard.Option{guard.WithRules(guard.NamedRule{Rule: guard.RuleFunc(nil)})}, "no name"},
		{"duplicate", []guard.Option{guard.WithRules(guard.StackedStatements(), guard.StackedStatements())}, "duplicate"},
		{"nil rule", []guard.Option{guard.WithRules(guard.NamedRule{Name: "x"})}, "no rule"},
		{"read-only for nobody", []guard.Option{guard.WithRules(guard.ReadOnly(guard.Who{}))}, "selects no identity"},
		{"tables without lists", []guard.Option{guard.WithRules(guard.Tables(guard.TableAccess{Who: guard.Who{Roles: []string{"x"}}}))}, "neither"},
		{"zero cap", []guard.Option{guard.WithRules(guard.MaxRows(0))}, "positive"},
		{"review without approver", []guard.Option{guard.WithRules(guard.DestructiveDDL().Reviewed())}, "no approver"},
		{"unmask review without approver", []guard.Option{guard.WithRules(guard.UnmaskReview())}, "no approver"},
		{"unknown review without approver", []guard.Option{guard.WithUnknown(guard.Review)}, "no approver"},
		{"bad mode", []guard.Option{guard.WithMode(7)}, "mode"},
		{"bad timeout", []guard.Option{guard.WithApprovalTimeout(-1)}, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := guard.New(tt.opts...)
			if !errors.Is(err, guard.ErrInvalidPolicy) {
				t.Fatalf("New: %v, want ErrInvalidPolicy", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %q, want it to mention %q", err, tt.want)
			}
		})
	}
}
