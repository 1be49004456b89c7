package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // for -exec-driver mysql
	_ "github.com/lib/pq"              // for -exec-driver postgres

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/guard/policyfile"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

func replayCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf chainFlags
	cf.register(fs)
	policyFile := fs.String("policy", "", "guard policy file (YAML) to replay the statements through (required)")
	env := fs.String("env", "production", "environment the statements are checked in")
	all := fs.Bool("all", false, "list every statement, not only those whose fate changes")
	allowNew := fs.Bool("allow-newly-blocked", false, "exit 0 even when statements would now be blocked")
	execDriver := fs.String("exec-driver", "postgres", "database/sql driver for -exec-dsn (postgres or mysql)")
	execDSN := fs.String("exec-dsn", "", "re-run allowed read-only statements against this database, in a read-only transaction that is rolled back")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *policyFile == "" || fs.NArg() != 1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	// In a dry run nobody reviews: a statement held for review is reported
	// as "review" (the approver's empty answer refuses it).
	noReview := guard.ApproverFunc(func(context.Context, *guard.ApprovalRequest) (guard.Answer, error) {
		return guard.Answer{}, nil
	})
	policy, err := policyfile.Load(*policyFile, guard.WithApprover(noReview))
	if err != nil {
		fmt.Fprintf(stderr, "sqlvigil-audit: %v\n", err)
		return 1
	}
	vc, err := cf.config()
	if err != nil {
		fmt.Fprintf(stderr, "sqlvigil-audit: %v\n", err)
		return 1
	}
	var target *sql.DB
	if *execDSN != "" {
		target, err = sql.Open(*execDriver, *execDSN)
		if err == nil {
			err = target.PingContext(ctx)
		}
		if err != nil {
			fmt.Fprintf(stderr, "sqlvigil-audit: -exec-dsn: %v\n", err)
			return 1
		}
		defer target.Close()
	}
	f, err := open(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "sqlvigil-audit: %v\n", err)
		return 1
	}
	defer f.Close()

	r := &replayer{policy: policy, env: *env, target: target, all: *all, out: stdout}
	sum, err := blackbox.Replay(ctx, f, vc, r.decide, func(res *blackbox.ReplayResult) error {
		r.report(ctx, res)
		return nil
	})
	torn := errors.Is(err, blackbox.ErrTornTail)
	if err != nil && !torn {
		fmt.Fprintf(stderr, "sqlvigil-audit: %v\n", err)
		return 1
	}
	if torn {
		// The records before a torn tail verify: they are replayed.
		fmt.Fprintf(stderr, "sqlvigil-audit: %v\n", err)
	}
	fmt.Fprintf(stdout, "%d statements replayed: %d blocked by the new policy, %d newly blocked, %d newly allowed",
		sum.Statements, sum.Blocked, sum.NewlyBlocked, sum.NewlyAllowed)
	if target != nil {
		fmt.Fprintf(stdout, "; %d re-run read-only, %d with another row count", r.reexecuted, r.mismatched)
	}
	fmt.Fprintln(stdout)
	if sum.NewlyBlocked > 0 && !*allowNew {
		return 3
	}
	if torn {
		return exitTorn
	}
	return 0
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func summary(e *audit.Entry) string {
	if e.Summary != "" {
		return e.Summary
	}
	return strings.TrimSpace(e.Operation + " " + e.Collection)
}

func verdict(v blackbox.ReplayVerdict) string {
	s := orDash(v.Decision)
	if v.Rule != "" {
		s += "(" + v.Rule + ")"
	}
	if v.Mode == "monitor" {
		s += "[monitor]"
	}
	return s
}

type replayer struct {
	policy *guard.Policy
	env    string
	target *sql.DB
	all    bool
	out    io.Writer

	reexecuted, mismatched int
}

// report prints one replayed statement when its fate changes (or with
// -all), re-running it first when a target database is given.
func (r *replayer) report(ctx context.Context, res *blackbox.ReplayResult) {
	changed := res.Now.Decision != res.Recorded.Decision || res.Now.Rule != res.Recorded.Rule
	note := ""
	if r.target != nil && !res.Now.Blocks() {
		if n, ok, why := r.reexecute(ctx, res.Entry); ok {
			r.reexecuted++
			note = fmt.Sprintf("  re-run: %d rows (recorded %d)", n, res.Entry.RowsReturned)
			if n != res.Entry.RowsReturned {
				r.mismatched++
				changed = true
			}
		} else if why != "" && r.all {
			note = "  not re-run: " + why
		}
	}
	if !changed && !r.all {
		return
	}
	who := ""
	if res.Entry.Identity != nil {
		who = res.Entry.Identity.Subject
	}
	fmt.Fprintf(r.out, "seq %d  %s  %s  %s -> %s  %s%s\n", res.Entry.Seq,
		res.Entry.Time.Format(time.RFC3339), orDash(who),
		verdict(res.Recorded), verdict(res.Now), orDash(summary(res.Entry)), note)
}

// text returns the statement to analyse: the text as written when the
// record holds it, else the literal-free text, whose "?" stand for literals
// (for PostgreSQL they become $n parameters, which it parses where a literal
// may stand).
func text(e *audit.Entry) (string, bool) {
	if e.Text != "" {
		return e.Text, true
	}
	if sqlstmt.ParseDialect(e.System) == sqlstmt.PostgreSQL {
		return numberPlaceholders(e.QueryText), false
	}
	return e.QueryText, false
}

// numberPlaceholders turns the "?" of a literal-free PostgreSQL text into
// $1, $2, … (outside double-quoted identifiers; the text has no string
// literals left).
func numberPlaceholders(s string) string {
	var b strings.Builder
	n := 0
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (r *replayer) decide(ctx context.Context, e *audit.Entry) (blackbox.ReplayVerdict, error) {
	sqlText, _ := text(e)
	req := guard.Request{
		Identity:    e.Identity.Identity(),
		Script:      guard.Analyze(sqlstmt.ParseDialect(e.System), sqlText),
		SQL:         sqlText,
		Environment: r.env,
		InTx:        e.InTx,
		Time:        e.Time,
	}
	v, err := r.policy.Check(ctx, &req)
	out := blackbox.ReplayVerdict{Rule: v.Rule, Reason: v.Reason, Mode: "enforce"}
	if v.Mode == guard.ModeMonitor {
		out.Mode = "monitor"
	}
	switch {
	case err != nil && !errors.Is(err, guard.ErrBlocked):
		return out, err
	case v.Reviewed:
		out.Decision = "review"
	case err != nil || v.Decision != guard.Allow:
		out.Decision = "deny"
	default:
		out.Decision = "allow"
	}
	return out, nil
}

// reexecute runs a read-only statement against the target inside a
// read-only transaction that is always rolled back, and returns how many
// rows it returned.
func (r *replayer) reexecute(ctx context.Context, e *audit.Entry) (int64, bool, string) {
	sqlText, literal := text(e)
	if !literal && strings.ContainsAny(e.QueryText, "?") {
		return 0, false, "only the literal-free text was recorded (audit.WithStatementText records the text)"
	}
	if !readOnly(guard.Analyze(sqlstmt.ParseDialect(e.System), sqlText)) {
		return 0, false, "not a read-only statement"
	}
	tx, err := r.target.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, false, err.Error()
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, sqlText)
	if err != nil {
		return 0, false, "error (text withheld: it may quote values)"
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		n++
	}
	if rows.Err() != nil {
		return 0, false, "error (text withheld: it may quote values)"
	}
	return n, true, ""
}

// readOnly reports whether every statement of a completely analysed script
// only reads.
func readOnly(s *sqlstmt.Script) bool {
	if s == nil || !s.Complete || len(s.Statements) == 0 {
		return false
	}
	for i := range s.Statements {
		st := &s.Statements[i]
		if st.IntoFile || st.ReadsFile || !readKind(st.Kind) || !readKind(st.Effect) {
			return false
		}
	}
	return true
}

func readKind(k sqlstmt.Kind) bool {
	switch k {
	case sqlparse.KindSelect, sqlparse.KindValues, sqlparse.KindTable, sqlparse.KindShow:
		return true
	}
	return false
}
