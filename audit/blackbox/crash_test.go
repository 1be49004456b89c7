package blackbox_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
)

// auditChild runs statements under a mandatory audit into the black box at
// path, as a service would, printing "ran N" once statement N may run
// (its intent is written), until it is killed.
func auditChild(path string) int {
	bb, err := blackbox.Open(path, blackbox.Config{Sync: blackbox.SyncNever, MaxBytes: 64 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return childFailed
	}
	a, err := audit.New(audit.WithSink(bb), audit.WithMandatory(), audit.WithEndDelay(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return childFailed
	}
	for i := 0; ; i++ {
		ev := &audit.Event{Method: "exec", Operation: "DELETE", QueryText: fmt.Sprintf("DELETE FROM t WHERE id = %d", i), Decision: "allow"}
		_, rec, err := a.Start(context.Background(), ev)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return childFailed
		}
		fmt.Fprintf(os.Stdout, "ran %d\n", i) // one write: the parent sees it whole or not at all
		rec.End(audit.Outcome{RowsAffected: 1})
	}
}

// TestMandatoryAuditSurvivesKill kills a process in the middle of its
// audited statements, while its black box rotates, and reopens the black
// box: every statement the process let run has its intent on the record,
// no record is there twice, and the rotated set verifies.
func TestMandatoryAuditSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	cmd := child(t, "audit", path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	ran := map[string]bool{}
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "ran "); ok {
			ran[n] = true
		}
		if len(ran) == 3000 {
			_ = cmd.Process.Kill()
			break
		}
	}
	for sc.Scan() { // what the pipe held when the process died
		if n, ok := strings.CutPrefix(sc.Text(), "ran "); ok {
			ran[n] = true
		}
	}
	_ = cmd.Wait()
	if len(ran) < 3000 {
		t.Fatalf("the child ran %d statements before it stopped", len(ran))
	}
	bb, err := blackbox.Open(path, blackbox.Config{MaxBytes: 64 << 10})
	if err != nil {
		t.Fatalf("Open after the kill: %v", err)
	}
	if err := bb.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := blackbox.Files(path)
	if err != nil || len(files) < 2 {
		t.Fatalf("files %v, %v; want a rotated set", files, err)
	}
	intents := map[string]int{}
	seen := map[string]int{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = blackbox.VerifyConfig{}.ReadEntries(f, func(e *audit.Entry) error {
			seen[e.Kind+" "+e.ID]++
			if e.Kind == audit.KindIntent {
				intents[strings.TrimPrefix(e.QueryText, "DELETE FROM t WHERE id = ")]++
			}
			return nil
		})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := (blackbox.VerifyConfig{RequireSeal: true}).VerifyFiles(files); err != nil {
		t.Fatalf("the rotated set after the kill: %v", err)
	}
	for n := range ran {
		if intents[n] != 1 {
			t.Errorf("statement %s ran with %d intent records, want 1", n, intents[n])
		}
	}
	for k, c := range seen {
		if c > 1 && !strings.HasPrefix(k, blackbox.KindSeal) && !strings.HasPrefix(k, blackbox.KindRotate) && !strings.HasPrefix(k, blackbox.KindCut) {
			t.Errorf("record %s is there %d times", k, c)
		}
	}
}
