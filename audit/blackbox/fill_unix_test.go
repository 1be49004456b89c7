//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package blackbox_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
)

// fillLimit is the file size limit of the "fill" child: its disk is full
// at 64 KiB.
const fillLimit = 64 << 10

// fillChild writes records of varied sizes to the black box at path under
// a file size limit, as on a disk that fills, reporting on stdout each
// record the black box acknowledged ("ok ID") and each it refused ("fail
// ID"), then dies without closing it.
func fillChild(path string) int {
	lim := syscall.Rlimit{Cur: fillLimit, Max: fillLimit}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return childFailed
	}
	bb, err := blackbox.Open(path, blackbox.Config{Sync: blackbox.SyncNever})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return childFailed
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for i := range 400 {
		id := fmt.Sprintf("r%03d", i)
		size := (i * 7919) % 3000 // sizes that do and do not fit what is left
		e := &audit.Entry{Kind: audit.KindStatement, ID: id, Time: time.Now().UTC(), Text: strings.Repeat("x", size), RowsAffected: -1}
		if err := bb.Write(context.Background(), e); err != nil {
			fmt.Fprintln(out, "fail", id)
			continue
		}
		fmt.Fprintln(out, "ok", id)
	}
	return childOpened // a crash: no Close, no seal
}

// TestDiskFull fills a black box's disk in a child process that then dies,
// and reopens it: every record the black box acknowledged is there, once,
// in order; no refused record is; the chain verifies.
func TestDiskFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	cmd := child(t, "fill", path)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if got := exitCode(t, cmd.Run()); got != childOpened {
		t.Fatalf("fill child: exit %d", got)
	}
	var acked []string
	failed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		verdict, id, _ := strings.Cut(line, " ")
		if verdict == "ok" {
			acked = append(acked, id)
		} else {
			failed[id] = true
		}
	}
	if len(failed) == 0 || len(acked) == 0 {
		t.Fatalf("the disk never filled, or nothing fit: %d written, %d refused", len(acked), len(failed))
	}
	if _, err := verifyFile(t, path); err != nil {
		t.Fatalf("after the disk filled: %v", err)
	}
	bb, err := blackbox.Open(path, blackbox.Config{})
	if err != nil {
		t.Fatalf("Open once space is back: %v", err)
	}
	writeN(t, bb, 1, time.Now(), 0)
	if err := bb.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	_, err = blackbox.VerifyConfig{RequireSeal: true}.ReadEntries(f, func(e *audit.Entry) error {
		if strings.HasPrefix(e.ID, "r") {
			got = append(got, e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("after reopening: %v", err)
	}
	if strings.Join(got, " ") != strings.Join(acked, " ") {
		t.Errorf("records in the file:\n%v\nwant exactly the acknowledged ones:\n%v", got, acked)
	}
}

// TestPeriodicSyncFailureReported: an fsync that fails on SyncPeriodic's
// timer, with nobody waiting for it, is not forgotten: records the system
// may have dropped were acknowledged, so the next write says so (even if
// a later fsync succeeds, as one may once the pages it could not write
// are dropped). The records file is /dev/null through a link, where
// fsync always fails (EINVAL), as it may on a disk that filled or failed
// under delayed allocation.
func TestPeriodicSyncFailureReported(t *testing.T) {
	if _, err := os.Stat("/dev/null"); err != nil {
		t.Skip("no /dev/null")
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.Symlink("/dev/null", path); err != nil {
		t.Fatal(err)
	}
	const interval = 200 * time.Millisecond
	bb, err := blackbox.Open(path, blackbox.Config{Sync: blackbox.SyncPeriodic, SyncInterval: interval})
	if err != nil {
		t.Skipf("cannot open /dev/null as a black box here: %v", err)
	}
	defer bb.Close()
	write := func(id string) error {
		return bb.Write(context.Background(), &audit.Entry{Kind: audit.KindStatement, ID: id, Time: time.Now().UTC(), RowsAffected: -1})
	}
	if err := write("first"); err != nil {
		t.Fatalf("first write: %v", err)
	}
	// The timer fsyncs (and fails) an interval after the first write; the
	// second write comes soon after, when no fsync of its own is due.
	time.Sleep(interval * 5 / 4)
	if err := write("second"); err == nil {
		t.Errorf("write after a failed background fsync succeeded: the failure was lost")
	}
}
