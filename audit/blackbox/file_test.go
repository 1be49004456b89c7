package blackbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
)

// childEnv makes the test binary act as a second black box writer (see
// TestMain's helper): "lock PATH" opens PATH and reports the outcome in its
// exit status; "write PATH" writes large records to PATH until killed.
const childEnv = "SQLVIGIL_BLACKBOX_CHILD"

// Exit statuses of the "lock" child.
const (
	childOpened = 0
	childLocked = 3
	childFailed = 4
)

func TestMain(m *testing.M) {
	if v, ok := os.LookupEnv(childEnv); ok {
		os.Exit(runChild(v))
	}
	os.Exit(m.Run())
}

func runChild(v string) int {
	op, path, _ := strings.Cut(v, " ")
	switch op {
	case "fill":
		return fillChild(path)
	case "audit":
		return auditChild(path)
	}
	bb, err := blackbox.Open(path, blackbox.Config{Sync: blackbox.SyncNever})
	switch {
	case errors.Is(err, blackbox.ErrLocked):
		return childLocked
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		return childFailed
	}
	if op == "write" {
		text := strings.Repeat("x", 16<<20)
		for i := 0; ; i++ {
			e := &audit.Entry{Kind: audit.KindStatement, ID: fmt.Sprint(i), Time: time.Now().UTC(), Text: text}
			if err := bb.Write(context.Background(), e); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return childFailed
			}
		}
	}
	if err := bb.Close(); err != nil {
		return childFailed
	}
	return childOpened
}

// child returns the test binary run as a black box writer on path.
func child(t *testing.T, op, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+op+" "+path)
	cmd.Stderr = os.Stderr
	return cmd
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("child: %v", err)
	}
	if ee != nil {
		return ee.ExitCode()
	}
	return 0
}

func writeN(t *testing.T, bb *blackbox.Writer, n int, at time.Time, step time.Duration) {
	t.Helper()
	for i := range n {
		e := &audit.Entry{Kind: audit.KindStatement, ID: fmt.Sprint(i), Time: at.Add(time.Duration(i) * step), RowsAffected: -1}
		if err := bb.Write(context.Background(), e); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
}

func verifyFile(t *testing.T, path string) (blackbox.Report, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return blackbox.Verify(f)
}

func TestOpenLockedInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	bb, err := blackbox.Open(path, blackbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = blackbox.Open(path, blackbox.Config{})
	var le *blackbox.LockError
	if !errors.Is(err, blackbox.ErrLocked) || !errors.As(err, &le) || le.Path != path {
		t.Fatalf("second Open = %v, want a LockError for %s", err, path)
	}
	if err := bb.Close(); err != nil {
		t.Fatal(err)
	}
	bb, err = blackbox.Open(path, blackbox.Config{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	bb.Close()
	if rep, err := verifyFile(t, path); err != nil || rep.Records != 2 {
		t.Errorf("chain = %+v, %v; want 2 seals", rep, err)
	}
}

func TestOpenLockedAcrossProcesses(t *testing.T) {
	if !blackbox.LocksAcrossProcesses {
		t.Skip("no flock on this platform: the lock is in-process only")
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	bb, err := blackbox.Open(path, blackbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, bb, 3, time.Now(), 0)
	if got := exitCode(t, child(t, "lock", path).Run()); got != childLocked {
		t.Fatalf("second process while the first writes: exit %d, want %d (locked)", got, childLocked)
	}
	if err := bb.Close(); err != nil {
		t.Fatal(err)
	}
	if got := exitCode(t, child(t, "lock", path).Run()); got != childOpened {
		t.Fatalf("second process after Close: exit %d, want %d", got, childOpened)
	}
	if rep, err := verifyFile(t, path); err != nil || rep.Records != 5 || !rep.Sealed {
		t.Errorf("chain = %+v, %v; want 3 records and 2 seals", rep, err)
	}
}

func TestOpenCutsTornTail(t *testing.T) {
	tests := []struct {
		name string
		give func(whole []byte) []byte // the file after a crash
	}{
		{"cut mid-line", func(b []byte) []byte { return b[:len(b)-17] }},
		{"cut after one byte", func(b []byte) []byte {
			i := bytes.LastIndexByte(b[:len(b)-1], '\n')
			return b[:i+2]
		}},
		{"cut before newline", func(b []byte) []byte { return b[:len(b)-1] }},
		{"zeros", func(b []byte) []byte {
			i := bytes.LastIndexByte(b[:len(b)-1], '\n')
			return append(b[:i+1], make([]byte, 4096)...)
		}},
		{"garbled last line", func(b []byte) []byte {
			i := bytes.LastIndexByte(b[:len(b)-1], '\n')
			return append(b[:i+1], "{\"seq\":4,\"ki\n"...)
		}},
		{"only line torn", func(b []byte) []byte { return b[:40] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			bb, err := blackbox.Open(path, blackbox.Config{})
			if err != nil {
				t.Fatal(err)
			}
			writeN(t, bb, 4, time.Now(), 0)
			bb.Close()
			whole, _ := os.ReadFile(path)
			crashed := tt.give(bytes.TrimSuffix(whole, lastLine(whole))) // without the seal
			if err := os.WriteFile(path, crashed, 0o600); err != nil {
				t.Fatal(err)
			}
			good := bytes.LastIndexByte(crashed[:len(crashed)-1], '\n') + 1
			_, err = verifyFile(t, path)
			var torn *blackbox.TornTailError
			if !errors.As(err, &torn) || errors.Is(err, blackbox.ErrTampered) {
				t.Fatalf("Verify = %v, want a TornTailError, not ErrTampered", err)
			}
			if torn.Offset != int64(good) || torn.Bytes != int64(len(crashed)-good) {
				t.Errorf("torn tail at %d, %d bytes; want %d, %d", torn.Offset, torn.Bytes, good, len(crashed)-good)
			}

			bb, err = blackbox.Open(path, blackbox.Config{})
			if err != nil {
				t.Fatalf("Open after a crash: %v", err)
			}
			writeN(t, bb, 1, time.Now(), 0)
			bb.Close()
			rep, err := verifyFile(t, path)
			if err != nil || rep.Cuts != 1 || rep.CutBytes != torn.Bytes {
				t.Fatalf("after reopening: %+v, %v; want one cut of %d bytes", rep, err, torn.Bytes)
			}
			data, _ := os.ReadFile(path)
			if !bytes.HasPrefix(data, crashed[:good]) || !bytes.Contains(data, []byte(`"kind":"cut"`)) {
				t.Errorf("the records before the tear were not kept, or the cut not recorded:\n%s", data)
			}
		})
	}
}

func lastLine(b []byte) []byte {
	i := bytes.LastIndexByte(b[:len(b)-1], '\n')
	return b[i+1:]
}

// TestKilledWriter kills a writer process in the middle of a large record
// and reopens its black box.
func TestKilledWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 16 MiB records")
	}
	if !blackbox.LocksAcrossProcesses {
		t.Skip("needs a writer process that holds the lock")
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	var torn bool
	attempts := 0
	for ; attempts < 10 && !torn; attempts++ {
		cmd := child(t, "write", path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killMidRecord(t, cmd, path)
		_ = cmd.Wait()
		_, err := verifyFile(t, path)
		torn = errors.Is(err, blackbox.ErrTornTail)
		if err != nil && !torn {
			t.Fatalf("after the kill: %v", err)
		}
		// The lock died with the process: the file reopens, torn or not.
		bb, err := blackbox.Open(path, blackbox.Config{})
		if err != nil {
			t.Fatalf("Open after the kill: %v", err)
		}
		if err := bb.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if !torn {
		t.Skip("no kill landed inside a write in 10 attempts")
	}
	t.Logf("torn tail after %d kills", attempts)
	rep, err := verifyFile(t, path)
	if err != nil || rep.Cuts < 1 {
		t.Fatalf("after reopening: %+v, %v; want a verified chain with a cut", rep, err)
	}
}

// killMidRecord kills cmd once its file ends inside a line, or after a
// while whatever the file holds.
func killMidRecord(t *testing.T, cmd *exec.Cmd, path string) {
	t.Helper()
	defer cmd.Process.Kill()
	var base int64 = -1
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		st, _ := f.Stat()
		var last [1]byte
		if n := st.Size(); n > 0 {
			if base < 0 {
				base = n // the child's first record may be under way
			}
			if _, err := f.ReadAt(last[:], n-1); err == nil && last[0] != '\n' && n > base {
				f.Close()
				return
			}
		}
		f.Close()
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	cfg := blackbox.Config{MaxBytes: 2000, MaxAge: time.Hour}
	bb, err := blackbox.Open(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, bb, 20, t0, time.Second) // by size
	writeN(t, bb, 2, t0.Add(2*time.Hour), time.Second)
	bb.Close()
	bb, err = blackbox.Open(path, cfg) // reopened, then by age
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, bb, 2, t0.Add(5*time.Hour), 0)
	bb.Close()

	names, err := blackbox.Files(path)
	if err != nil || len(names) < 4 || names[len(names)-1] != path {
		t.Fatalf("Files = %v, %v; want several rotated files, then %s", names, err, path)
	}
	rep, err := blackbox.VerifyConfig{RequireSeal: true}.VerifyFiles(names)
	if err != nil || rep.Files != len(names) || rep.FirstSeq != 1 || rep.LastSeq != uint64(rep.Records) {
		t.Fatalf("VerifyFiles = %+v, %v", rep, err)
	}
	if got, err := (blackbox.VerifyConfig{}).VerifyDir(dir); err != nil || got != rep {
		t.Errorf("VerifyDir = %+v, %v; want %+v", got, err, rep)
	}
	// Each file after the first begins with a rotate record linked to the
	// previous file's seal, and verifies alone.
	for _, name := range names[1:] {
		one, err := verifyFile(t, name)
		first, _ := os.ReadFile(name)
		if err != nil || one.FirstSeq < 2 || !bytes.Contains(first[:bytes.IndexByte(first, '\n')], []byte(`"kind":"rotate"`)) {
			t.Errorf("%s alone: %+v, %v; want a file beginning with a rotate record", name, one, err)
		}
	}

	tests := []struct {
		name  string
		files func([]string) []string
		want  string
	}{
		{"missing file", func(n []string) []string { return append(n[:1:1], n[2:]...) }, blackbox.ProblemMissingFile},
		{"swapped files", func(n []string) []string {
			n = append([]string(nil), n...)
			n[1], n[2] = n[2], n[1]
			return n
		}, blackbox.ProblemMissingFile},
		{"file repeated", func(n []string) []string { return append(n[:2:2], n[1:]...) }, blackbox.ProblemFileOrder},
		{"last before first", func(n []string) []string { return append([]string{n[len(n)-1]}, n[:len(n)-1]...) }, blackbox.ProblemFileOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := blackbox.VerifyConfig{}.VerifyFiles(tt.files(names))
			var te *blackbox.TamperError
			if !errors.As(err, &te) || te.Problem != tt.want || te.File == "" {
				t.Errorf("VerifyFiles = %v, want %q naming the file", err, tt.want)
			}
		})
	}
	// A file removed from the directory.
	if err := os.Remove(names[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := (blackbox.VerifyConfig{}).VerifyDir(dir); !errors.Is(err, blackbox.ErrTampered) {
		t.Errorf("VerifyDir without a file = %v, want ErrTampered", err)
	}
}

// TestRotationCrashBeforeNewFile reopens a black box whose active file is
// gone after a rotation renamed it (a crash before the new file began).
func TestRotationCrashBeforeNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	cfg := blackbox.Config{MaxBytes: 1500}
	bb, err := blackbox.Open(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, bb, 10, time.Now(), 0)
	bb.Close()
	rep, _ := verifyFile(t, path)
	if err := os.Rename(path, fmt.Sprintf("%s.%020d", path, rep.FirstSeq)); err != nil {
		t.Fatal(err)
	}
	bb, err = blackbox.Open(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, bb, 1, time.Now(), 0)
	bb.Close()
	names, _ := blackbox.Files(path)
	if _, err := (blackbox.VerifyConfig{}).VerifyFiles(names); err != nil {
		t.Errorf("VerifyFiles = %v", err)
	}
}

func TestRotationConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	bb, err := blackbox.Open(path, blackbox.Config{MaxBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 100
	done := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range each {
				e := &audit.Entry{Kind: audit.KindStatement, ID: fmt.Sprint(w, "-", i), Time: time.Now().UTC(), RowsAffected: -1}
				if err := bb.Write(context.Background(), e); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range writers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := bb.Close(); err != nil {
		t.Fatal(err)
	}
	names, _ := blackbox.Files(path)
	var statements int
	rep, err := blackbox.VerifyConfig{RequireSeal: true}.VerifyFiles(names)
	if err != nil {
		t.Fatalf("VerifyFiles: %v", err)
	}
	for _, name := range names {
		data, _ := os.ReadFile(name)
		statements += bytes.Count(data, []byte(`"kind":"statement"`))
	}
	if statements != writers*each || rep.Files < 3 {
		t.Errorf("%d statements in %d files, want %d in several", statements, rep.Files, writers*each)
	}
}

// TestRotationFailureKeepsRecords checks that a rotation that cannot
// happen loses no record and is tried again later.
func TestRotationFailureKeepsRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	blocker := fmt.Sprintf("%s.%020d", path, 1)
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bb, err := blackbox.Open(path, blackbox.Config{MaxBytes: 600})
	if err != nil {
		t.Fatal(err)
	}
	var failed int
	for i := range 6 {
		e := &audit.Entry{Kind: audit.KindStatement, ID: fmt.Sprint(i), Time: time.Now().UTC(), RowsAffected: -1}
		if err := bb.Write(context.Background(), e); err != nil {
			failed++
			if i == 2 {
				os.Remove(blocker) // the next attempt succeeds
			}
		}
	}
	bb.Close()
	if failed == 0 {
		t.Fatal("no rotation failed, want the blocked one to")
	}
	names, _ := blackbox.Files(path)
	rep, err := blackbox.VerifyConfig{}.VerifyFiles(names)
	if err != nil || len(names) < 2 {
		t.Fatalf("VerifyFiles(%v) = %+v, %v; want a rotated, verified set", names, rep, err)
	}
	var statements int
	for _, name := range names {
		data, _ := os.ReadFile(name)
		statements += bytes.Count(data, []byte(`"kind":"statement"`))
	}
	if statements != 6 {
		t.Errorf("%d statements recorded, want 6 (a failed rotation loses none)", statements)
	}
}

// TestOpenLockedWithoutLockFile: removing the lock file (a clean-up script
// that takes it for a stale one) does not let a second writer in while the
// first holds the black box: two writers would fork the chain.
func TestOpenLockedWithoutLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	bb, err := blackbox.Open(path, blackbox.Config{MaxBytes: 600})
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, bb, 3, time.Now(), 0) // rotates: the current file is a new one
	if err := os.Remove(path + ".lock"); err != nil {
		t.Fatal(err)
	}
	second, err := blackbox.Open(path, blackbox.Config{})
	if !errors.Is(err, blackbox.ErrLocked) {
		if second != nil {
			second.Close()
		}
		t.Fatalf("second Open after the lock file was removed = %v, want ErrLocked", err)
	}
	if blackbox.LocksAcrossProcesses {
		if got := exitCode(t, child(t, "lock", path).Run()); got != childLocked {
			t.Errorf("second process after the lock file was removed: exit %d, want %d (locked)", got, childLocked)
		}
	}
	writeN(t, bb, 3, time.Now(), 0)
	if err := bb.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := blackbox.Files(path)
	if err != nil || len(files) < 3 {
		t.Fatalf("files %v, %v; want rotated files", files, err)
	}
	if rep, err := (blackbox.VerifyConfig{RequireSeal: true}).VerifyFiles(files); err != nil {
		t.Errorf("chain after a refused second writer: %+v, %v", rep, err)
	}
}

// TestOpenLockedThroughAnotherName: a second name for the same file (a
// symbolic or hard link, as a deployment that mounts or links log
// directories makes) has a lock file of its own, but not a file of its
// own: the second writer is refused.
func TestOpenLockedThroughAnotherName(t *testing.T) {
	if !blackbox.LocksAcrossProcesses {
		t.Skip("the in-process lock is by path")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	bb, err := blackbox.Open(path, blackbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer bb.Close()
	sym, hard := filepath.Join(dir, "sym.jsonl"), filepath.Join(dir, "hard.jsonl")
	if err := os.Symlink(path, sym); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(path, hard); err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{sym, hard} {
		second, err := blackbox.Open(other, blackbox.Config{})
		if !errors.Is(err, blackbox.ErrLocked) {
			if second != nil {
				second.Close()
			}
			t.Errorf("Open(%s) while %s is held = %v, want ErrLocked", filepath.Base(other), filepath.Base(path), err)
		}
	}
}
