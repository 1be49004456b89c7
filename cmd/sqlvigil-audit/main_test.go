package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
)

// writeBox records statements into a black box file and returns its path.
func writeBox(t *testing.T, events ...*audit.Event) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	bb, err := blackbox.Open(path, blackbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.New(audit.WithSink(bb), audit.WithStatementText())
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		_, rec, err := a.Start(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		rec.End(audit.Outcome{RowsReturned: 2, RowsAffected: -1})
	}
	if err := bb.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func event(text, op, table, decision, rule string) *audit.Event {
	return &audit.Event{
		Identity:  identity.Identity{Kind: identity.KindAgent, Subject: "agent-1"},
		System:    "postgresql",
		Method:    "query",
		Operation: op, Collection: table, Summary: op + " " + table,
		QueryText: text, Text: text,
		Decision: decision, Rule: rule, Mode: "enforce", Complete: true,
	}
}

func runCmd(args ...string) (int, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String() + errOut.String()
}

func TestVerify(t *testing.T) {
	path := writeBox(t, event("SELECT 1", "SELECT", "", "allow", ""), event("SELECT 2", "SELECT", "", "allow", ""))
	code, out := runCmd("verify", "-require-seal", path)
	if code != 0 || !strings.Contains(out, "OK: 3 records (seq 1..3), sealed") {
		t.Fatalf("verify = %d %q, want 0 and OK", code, out)
	}
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	cut := filepath.Join(t.TempDir(), "cut.jsonl")
	_ = os.WriteFile(cut, []byte(lines[0]+lines[1]), 0o600)
	if code, out := runCmd("verify", "-require-seal", cut); code != 1 || !strings.Contains(out, "chain not sealed") {
		t.Errorf("verify of a cut file = %d %q, want 1, not sealed", code, out)
	}
	swapped := filepath.Join(t.TempDir(), "swapped.jsonl")
	_ = os.WriteFile(swapped, []byte(lines[1]+lines[0]+lines[2]), 0o600)
	if code, out := runCmd("verify", swapped); code != 1 || !strings.Contains(out, "broken link") {
		t.Errorf("verify of a reordered file = %d %q, want 1, broken link", code, out)
	}
	if code, _ := runCmd("verify"); code != 2 {
		t.Errorf("verify without a file = %d, want 2", code)
	}
	if code, _ := runCmd("verify", "-anchor", "nonsense", path); code != 2 {
		t.Errorf("verify with a bad anchor = %d, want 2", code)
	}
}

const policy = `version: 1
mode: enforce
environment: production
unknown: deny
rules:
  - name: agents-read-only
    builtin: read-only
    who:
      kinds: [agent]
`

func TestReplay(t *testing.T) {
	path := writeBox(t,
		event("SELECT id FROM customers", "SELECT", "customers", "allow", ""),
		event("DELETE FROM customers WHERE id = 7", "DELETE", "customers", "allow", ""),
		event("DROP TABLE customers", "DROP", "customers", "deny", "no-ddl"),
	)
	pf := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(pf, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runCmd("replay", "-policy", pf, path)
	if code != 3 {
		t.Errorf("replay exit = %d, want 3 (a statement is newly blocked)\n%s", code, out)
	}
	for _, want := range []string{
		"seq 2", "allow -> deny(agents-read-only)  DELETE customers",
		"3 statements replayed: 2 blocked by the new policy, 1 newly blocked, 0 newly allowed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("replay output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "seq 1 ") {
		t.Errorf("replay lists an unchanged statement without -all:\n%s", out)
	}
	if code, _ := runCmd("replay", "-policy", pf, "-allow-newly-blocked", path); code != 0 {
		t.Errorf("replay -allow-newly-blocked exit = %d, want 0", code)
	}
	if code, _ := runCmd("replay", path); code != 2 {
		t.Errorf("replay without a policy = %d, want 2", code)
	}
}

func TestReplayReexecute(t *testing.T) {
	dsn := testdb.Postgres(t)
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE customers (id int); INSERT INTO customers VALUES (1), (2), (3)"); err != nil {
		t.Fatal(err)
	}
	path := writeBox(t,
		event("SELECT id FROM customers", "SELECT", "customers", "allow", ""),
		event("SELECT id FROM customers WHERE id < 3", "SELECT", "customers", "allow", ""),
	)
	pf := filepath.Join(t.TempDir(), "policy.yaml")
	_ = os.WriteFile(pf, []byte(policy), 0o600)
	code, out := runCmd("replay", "-policy", pf, "-all", "-exec-dsn", dsn, path)
	if code != 0 {
		t.Fatalf("replay exit = %d\n%s", code, out)
	}
	// Both were recorded with 2 rows; the first now returns 3.
	for _, want := range []string{"re-run: 3 rows (recorded 2)", "re-run: 2 rows (recorded 2)", "2 re-run read-only, 1 with another row count"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestNumberPlaceholders(t *testing.T) {
	tests := []struct{ give, want string }{
		{"SELECT a FROM t WHERE b = ? AND c IN (?, ?)", "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"},
		{`SELECT "a?b" FROM t WHERE x = ?`, `SELECT "a?b" FROM t WHERE x = $1`},
		{"SELECT 1", "SELECT 1"},
	}
	for _, tt := range tests {
		if got := numberPlaceholders(tt.give); got != tt.want {
			t.Errorf("numberPlaceholders(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestVerifyTornTail(t *testing.T) {
	path := writeBox(t, event("SELECT 1", "SELECT", "", "allow", ""), event("SELECT 2", "SELECT", "", "allow", ""))
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, data[:len(data)-20], 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runCmd("verify", path)
	if code != exitTorn || !strings.Contains(out, "TORN TAIL") || !strings.Contains(out, "not tampering: 2 records") || strings.Contains(out, "FAILED") {
		t.Errorf("verify of a torn file = %d %q, want %d and TORN TAIL", code, out, exitTorn)
	}
	// Tampering outranks a torn tail.
	tampered := filepath.Join(t.TempDir(), "tampered.jsonl")
	_ = os.WriteFile(tampered, bytes.Replace(data, []byte(`"rows_returned":2`), []byte(`"rows_returned":0`), 1), 0o600)
	if code, out := runCmd("verify", path, tampered); code != 1 || !strings.Contains(out, "FAILED") {
		t.Errorf("verify of a torn and a tampered file = %d %q, want 1", code, out)
	}
	if code, out := runCmd("replay", "-policy", writePolicy(t), path); code != exitTorn || !strings.Contains(out, "2 statements replayed") {
		t.Errorf("replay of a torn file = %d %q, want %d after replaying the whole records", code, out, exitTorn)
	}
	// Reopened, the tail is cut and the cut recorded.
	bb, err := blackbox.Open(path, blackbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	bb.Close()
	if code, out := runCmd("verify", path); code != 0 || !strings.Contains(out, "1 torn tail(s) cut") {
		t.Errorf("verify after reopening = %d %q, want 0 and the cut", code, out)
	}
	if code, _ := runCmd("replay", "-policy", writePolicy(t), path); code != 0 {
		t.Errorf("replay after reopening = %d, want 0", code)
	}
}

func TestVerifyRotatedSet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	bb, err := blackbox.Open(path, blackbox.Config{MaxBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.New(audit.WithSink(bb))
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		_, rec, _ := a.Start(context.Background(), event("SELECT 1", "SELECT", "", "allow", ""))
		rec.End(audit.Outcome{RowsAffected: -1})
	}
	bb.Close()
	names, _ := blackbox.Files(path)
	if len(names) < 3 {
		t.Fatalf("files = %v, want at least 3", names)
	}
	for _, args := range [][]string{{"verify", dir}, {"verify", "-set", path}, append([]string{"verify", "-set"}, names...)} {
		if code, out := runCmd(args...); code != 0 || !strings.Contains(out, "OK:") || !strings.Contains(out, "files") {
			t.Errorf("%v = %d %q, want 0 and OK", args, code, out)
		}
	}
	missing := append([]string{"verify", "-set"}, append(names[:1:1], names[2:]...)...)
	if code, out := runCmd(missing...); code != 1 || !strings.Contains(out, blackbox.ProblemMissingFile) {
		t.Errorf("verify of a set without a file = %d %q, want 1, %s", code, out, blackbox.ProblemMissingFile)
	}
	reordered := append([]string{"verify", "-set"}, names[1], names[0])
	if code, out := runCmd(reordered...); code != 1 || !strings.Contains(out, blackbox.ProblemFileOrder) {
		t.Errorf("verify of a reordered set = %d %q, want 1, %s", code, out, blackbox.ProblemFileOrder)
	}
}

func writePolicy(t *testing.T) string {
	t.Helper()
	pf := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(pf, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return pf
}
