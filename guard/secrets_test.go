package guard_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/policyfile"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// TestNoLiteralsInReasons runs statements carrying secret literals and
// secret arguments through every built-in, a condition rule, the unknown
// treatment and a review, and looks for the secrets in everything a
// decision exposes: the error, the verdict and the approval request.
func TestNoLiteralsInReasons(t *testing.T) {
	const secret = "S3cr3tV4lue"
	const secretNum = "987654321"
	var seen []*guard.ApprovalRequest
	approver := guard.ApproverFunc(func(_ context.Context, r *guard.ApprovalRequest) (guard.Answer, error) {
		seen = append(seen, r)
		return guard.Answer{}, fmt.Errorf("approver down: %s", secret) // must not surface
	})
	cond, err := policyfile.Condition(`statement.text.contains("secret_table")`)
	if err != nil {
		t.Fatal(err)
	}
	rules := append(allBuiltins(),
		guard.UnmaskReview(),
		guard.NamedRule{Name: "cond", When: cond, Rule: guard.RuleFunc(func(context.Context, *guard.Request) guard.Verdict {
			return guard.Verdict{Decision: guard.Deny, Reason: "condition matched"}
		})},
	)
	policies := map[string]*guard.Policy{
		"enforce": mustPolicy(t, guard.WithRules(rules...), guard.WithApprover(approver)),
		"review":  mustPolicy(t, guard.WithRules(guard.DestructiveDDL().Reviewed(), guard.MissingWhere().Reviewed()), guard.WithApprover(approver), guard.WithUnknown(guard.Review)),
		"monitor": mustPolicy(t, guard.WithRules(rules...), guard.WithApprover(approver), guard.WithMode(guard.ModeMonitor)),
	}
	statements := []struct {
		d   sqlparse.Dialect
		sql string
	}{
		{sqlparse.PostgreSQL, "DELETE FROM t WHERE '" + secret + "' = '" + secret + "'"},
		{sqlparse.PostgreSQL, "SELECT pg_read_file('/" + secret + "')"},
		{sqlparse.PostgreSQL, "SELECT 1; DROP TABLE t -- " + secret},
		{sqlparse.PostgreSQL, "DROP TABLE t /* " + secret + " */"},
		{sqlparse.PostgreSQL, "COPY t FROM PROGRAM 'echo " + secret + "'"},
		{sqlparse.PostgreSQL, "SELECT * FROM secret_table WHERE pin = " + secretNum},
		{sqlparse.PostgreSQL, "SELECT 'unterminated " + secret},
		{sqlparse.PostgreSQL, "SELECT $$" + secret},
		{sqlparse.PostgreSQL, "SET standard_conforming_strings = '" + secret + "'"},
		{sqlparse.PostgreSQL, "GRANT ALL ON t TO " + "\"" + secret + "\""},
		{sqlparse.MySQL, "SELECT * FROM t INTO OUTFILE '/tmp/" + secret + "'"},
		{sqlparse.MySQL, "UPDATE t SET pin = " + secretNum + " WHERE 1"},
		{sqlparse.MySQL, "SET sql_mode = '" + secret + "'"},
		{sqlparse.MySQL, "SET foreign_key_checks = '" + secret + "'"},
		{sqlparse.PostgreSQL, "SET session_replication_role = '" + secret + "'"},
		{sqlparse.PostgreSQL, "ALTER SYSTEM SET app.key = '" + secret + "'"},
		{sqlparse.PostgreSQL, "CALL wipe('" + secret + "')"},
		{sqlparse.PostgreSQL, "UPDATE pg_catalog.pg_authid SET rolpassword = '" + secret + "' WHERE rolname = 'x'"},
		{sqlparse.SQLite, "PRAGMA writable_schema = '" + secret + "'"},
	}
	ids := []identity.Identity{alice, agent, {}}
	for pname, p := range policies {
		for _, st := range statements {
			for _, id := range ids {
				for _, unmask := range []bool{false, true} {
					r := &guard.Request{
						Identity: id,
						Script:   sqlparse.Analyze(st.d, st.sql),
						SQL:      st.sql,
						Args:     []driver.NamedValue{{Ordinal: 1, Value: secret}, {Ordinal: 2, Value: []byte(secretNum)}},
						Unmask:   unmask,
					}
					v, err := p.Check(context.Background(), r)
					exposed := fmt.Sprintf("%v|%+v", err, v)
					for _, a := range seen {
						exposed += fmt.Sprintf("|%s|%s|%s|%s|%s", a.Rule, a.Reason, a.Statement, a.Summary, a.Digest)
					}
					seen = seen[:0]
					for _, s := range []string{secret, secretNum, strings.ToLower(secret)} {
						// A quoted identifier is not a literal; GRANT to a role
						// named after the secret may name it.
						if strings.Contains(exposed, s) && !strings.HasPrefix(st.sql, "GRANT") {
							t.Errorf("%s policy, %q: decision exposes a literal or argument: %s", pname, st.sql, exposed)
						}
					}
				}
			}
		}
	}
}
