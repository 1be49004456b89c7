package blackbox_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
)

// chain writes n statement records through an auditor into a black box and
// returns its lines (each without the newline).
func chain(t *testing.T, n int, cfg blackbox.Config) []string {
	t.Helper()
	var buf bytes.Buffer
	bb := blackbox.New(&buf, cfg)
	a := newAuditor(t, audit.WithSink(bb))
	for i := range n {
		ev := selectEvent()
		if i%3 == 2 {
			ev.Decision, ev.Rule, ev.Operation = "deny", "no-ddl", "DROP"
		}
		_, rec, err := a.Start(context.Background(), ev)
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		rec.End(audit.Outcome{RowsReturned: int64(i), Masked: []audit.MaskedColumn{{Column: "email", Rule: "pii-email", Count: 1}}})
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	if strings.Contains(out, secret) {
		t.Fatalf("black box leaks the secret:\n%s", out)
	}
	return strings.Split(out, "\n")
}

func join(lines []string) *strings.Reader {
	return strings.NewReader(strings.Join(lines, "\n") + "\n")
}

// rehash recomputes the hash of an edited line, as a forger without a key
// would.
func rehash(line string) string {
	i := strings.LastIndex(line, `,"hash":"`)
	body := line[:i]
	sum := sha256.Sum256([]byte(body))
	return body + `,"hash":"` + hex.EncodeToString(sum[:]) + `"}`
}

func TestVerifyIntact(t *testing.T) {
	lines := chain(t, 6, blackbox.Config{})
	rep, err := blackbox.Verify(join(lines))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.Records != 6 || rep.FirstSeq != 1 || rep.LastSeq != 6 || rep.Sealed || len(rep.Head) != 64 {
		t.Errorf("report = %+v, want 6 records, seq 1..6, unsealed, a head", rep)
	}
	empty, err := blackbox.Verify(strings.NewReader(""))
	if err != nil || empty.Records != 0 {
		t.Errorf("empty chain: %+v, %v; want 0 records, nil", empty, err)
	}
}

func TestTamper(t *testing.T) {
	tests := []struct {
		name        string
		tamper      func([]string) []string
		wantLine    int
		wantProblem string
	}{
		{
			name: "edited value",
			tamper: func(l []string) []string {
				l[2] = strings.Replace(l[2], `"decision":"deny"`, `"decision":"allow"`, 1)
				return l
			},
			wantLine: 3, wantProblem: blackbox.ProblemHash,
		},
		{
			name: "edited value, hash recomputed",
			tamper: func(l []string) []string {
				l[2] = rehash(strings.Replace(l[2], `"rule":"no-ddl"`, `"rule":"none"`, 1))
				return l
			},
			wantLine: 4, wantProblem: blackbox.ProblemLink,
		},
		{
			name: "edited hash",
			tamper: func(l []string) []string {
				flip := "00"
				if strings.HasSuffix(l[1], `00"}`) {
					flip = "11"
				}
				l[1] = l[1][:len(l[1])-4] + flip + `"}`
				return l
			},
			wantLine: 2, wantProblem: blackbox.ProblemHash,
		},
		{
			name:   "removed record",
			tamper: func(l []string) []string { return append(l[:2:2], l[3:]...) },
			// line 3 now holds seq 4, which links to seq 3
			wantLine: 3, wantProblem: blackbox.ProblemLink,
		},
		{
			name:     "removed first record",
			tamper:   func(l []string) []string { return l[1:] },
			wantLine: 1, wantProblem: blackbox.ProblemLink,
		},
		{
			name: "inserted copy",
			tamper: func(l []string) []string {
				return append(l[:3:3], append([]string{l[1]}, l[3:]...)...)
			},
			wantLine: 4, wantProblem: blackbox.ProblemLink,
		},
		{
			name: "inserted forgery linked to its predecessor",
			tamper: func(l []string) []string {
				// A forger who reads the chain can link one record, but
				// not the record after it.
				prevHash := l[2][strings.LastIndex(l[2], `"hash":"`)+8 : len(l[2])-2]
				forged := strings.Replace(l[2], `"seq":3,`, `"seq":4,`, 1)
				i := strings.Index(forged, `"prev":"`)
				forged = forged[:i+8] + prevHash + forged[i+8+64:]
				forged = rehash(forged)
				return append(l[:3:3], append([]string{forged}, l[3:]...)...)
			},
			wantLine: 5, wantProblem: blackbox.ProblemLink,
		},
		{
			name: "reordered",
			tamper: func(l []string) []string {
				l[2], l[3] = l[3], l[2]
				return l
			},
			wantLine: 3, wantProblem: blackbox.ProblemLink,
		},
		{
			name: "blank line",
			tamper: func(l []string) []string {
				return append(l[:2:2], append([]string{""}, l[2:]...)...)
			},
			wantLine: 3, wantProblem: blackbox.ProblemMalformed,
		},
		{
			name: "not JSON",
			tamper: func(l []string) []string {
				l[0] = "garbage" + l[0]
				return l
			},
			wantLine: 1, wantProblem: blackbox.ProblemMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := tt.tamper(chain(t, 6, blackbox.Config{}))
			_, err := blackbox.Verify(join(lines))
			var te *blackbox.TamperError
			if !errors.Is(err, blackbox.ErrTampered) || !errors.As(err, &te) {
				t.Fatalf("Verify error = %v, want a TamperError", err)
			}
			if te.Line != tt.wantLine || te.Problem != tt.wantProblem {
				t.Errorf("got line %d %q, want line %d %q", te.Line, te.Problem, tt.wantLine, tt.wantProblem)
			}
		})
	}
}

func TestTruncation(t *testing.T) {
	var buf bytes.Buffer
	bb := blackbox.New(&buf, blackbox.Config{})
	a := newAuditor(t, audit.WithSink(bb))
	var anchor blackbox.Anchor
	for i := range 5 {
		_, rec, _ := a.Start(context.Background(), selectEvent())
		rec.End(audit.Outcome{})
		if i == 3 {
			anchor.Seq, anchor.Hash = bb.Head()
		}
	}
	if err := bb.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	full := buf.String()
	lines := strings.Split(strings.TrimSuffix(full, "\n"), "\n")

	rep, err := blackbox.VerifyConfig{RequireSeal: true, Anchors: []blackbox.Anchor{anchor}}.Verify(strings.NewReader(full))
	if err != nil || !rep.Sealed || rep.Records != 6 {
		t.Fatalf("sealed chain: %+v, %v; want 6 sealed records", rep, err)
	}

	problem := func(cfg blackbox.VerifyConfig, text string) string {
		t.Helper()
		_, err := cfg.Verify(strings.NewReader(text))
		var te *blackbox.TamperError
		if !errors.As(err, &te) {
			t.Fatalf("Verify error = %v, want a TamperError", err)
		}
		return te.Problem
	}
	// Cutting whole records off the end leaves a valid chain: only the
	// seal and anchors show it.
	cut := join(lines[:3])
	if _, err := blackbox.Verify(cut); err != nil {
		t.Errorf("a cut chain verifies without anchors (as documented), got %v", err)
	}
	cutText := strings.Join(lines[:3], "\n") + "\n"
	if got := problem(blackbox.VerifyConfig{RequireSeal: true}, cutText); got != blackbox.ProblemUnsealed {
		t.Errorf("cut chain with RequireSeal: %q, want %q", got, blackbox.ProblemUnsealed)
	}
	if got := problem(blackbox.VerifyConfig{Anchors: []blackbox.Anchor{anchor}}, cutText); got != blackbox.ProblemTruncated {
		t.Errorf("cut chain with anchor: %q, want %q", got, blackbox.ProblemTruncated)
	}
	// A cut in the middle of a line is a torn tail, not tampering.
	_, err = blackbox.Verify(strings.NewReader(full[:len(full)-10]))
	var torn *blackbox.TornTailError
	if !errors.As(err, &torn) || errors.Is(err, blackbox.ErrTampered) || torn.Line != len(lines) {
		t.Errorf("partial line: %v, want a TornTailError at line %d", err, len(lines))
	}
	// Rewriting from the anchor on with recomputed hashes.
	forged := append([]string(nil), lines...)
	forged[3] = rehash(strings.Replace(forged[3], `"decision":"allow"`, `"decision":"deny"`, 1))
	if got := problem(blackbox.VerifyConfig{Anchors: []blackbox.Anchor{anchor}}, strings.Join(forged[:4], "\n")+"\n"); got != blackbox.ProblemAnchor {
		t.Errorf("rewritten anchored record: %q, want %q", got, blackbox.ProblemAnchor)
	}
}

func TestKeyedChain(t *testing.T) {
	key := []byte("k3y")
	lines := chain(t, 4, blackbox.Config{Key: key})
	if _, err := (blackbox.VerifyConfig{Key: key}).Verify(join(lines)); err != nil {
		t.Fatalf("Verify with key: %v", err)
	}
	if _, err := blackbox.Verify(join(lines)); !errors.Is(err, blackbox.ErrTampered) {
		t.Errorf("Verify without key = %v, want ErrTampered", err)
	}
	// A forger without the key cannot produce a valid record.
	lines[3] = rehash(strings.Replace(lines[3], `"rows_returned":3`, `"rows_returned":0`, 1))
	if _, err := (blackbox.VerifyConfig{Key: key}).Verify(join(lines)); !errors.Is(err, blackbox.ErrTampered) {
		t.Errorf("Verify forged = %v, want ErrTampered", err)
	}
}

func TestOpenContinues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for round := range 3 {
		for _, sync := range []blackbox.SyncPolicy{blackbox.SyncPeriodic, blackbox.SyncEveryRecord, blackbox.SyncNever} {
			bb, err := blackbox.Open(path, blackbox.Config{Sync: sync})
			if err != nil {
				t.Fatalf("round %d: Open: %v", round, err)
			}
			a := newAuditor(t, audit.WithSink(bb))
			_, rec, _ := a.Start(context.Background(), selectEvent())
			rec.End(audit.Outcome{})
			if err := bb.Sync(); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			if err := bb.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := bb.Write(context.Background(), &audit.Entry{}); !errors.Is(err, blackbox.ErrClosed) {
				t.Errorf("Write after Close = %v, want ErrClosed", err)
			}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := blackbox.VerifyConfig{RequireSeal: true}.Verify(f)
	if err != nil || rep.Records != 18 {
		t.Fatalf("reopened chain: %+v, %v; want 18 records (9 statements, 9 seals)", rep, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, want 0600", st.Mode().Perm())
	}

	// A tampered file is not extended.
	data, _ := os.ReadFile(path)
	data = bytes.Replace(data, []byte(`"decision":"allow"`), []byte(`"decision":"deny"`), 1)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := blackbox.Open(path, blackbox.Config{}); !errors.Is(err, blackbox.ErrTampered) {
		t.Errorf("Open on a tampered file = %v, want ErrTampered", err)
	}
}

func TestRotationLink(t *testing.T) {
	first := chain(t, 2, blackbox.Config{})
	rep, _ := blackbox.Verify(join(first))
	second := chain(t, 2, blackbox.Config{Prev: rep.Head})
	if _, err := (blackbox.VerifyConfig{Prev: rep.Head}).Verify(join(second)); err != nil {
		t.Errorf("linked second file: %v", err)
	}
	if _, err := blackbox.Verify(join(second)); !errors.Is(err, blackbox.ErrTampered) {
		t.Errorf("second file verified as a first one = %v, want ErrTampered", err)
	}
}

func TestReplay(t *testing.T) {
	lines := chain(t, 6, blackbox.Config{}) // records 3 and 6 were denied
	decide := func(_ context.Context, e *audit.Entry) (blackbox.ReplayVerdict, error) {
		// The new policy blocks every DROP, and reads of customers by agents.
		if e.Operation == "DROP" || (e.Identity.Identity().Kind.String() == "agent" && e.RowsReturned == 4) {
			return blackbox.ReplayVerdict{Decision: "deny", Rule: "new", Mode: "enforce"}, nil
		}
		return blackbox.ReplayVerdict{Decision: "allow"}, nil
	}
	var seen []uint64
	sum, err := blackbox.Replay(context.Background(), join(lines), blackbox.VerifyConfig{}, decide, func(r *blackbox.ReplayResult) error {
		if r.NewlyBlocked() {
			seen = append(seen, r.Entry.Seq)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if sum.Statements != 6 || sum.Blocked != 3 || sum.NewlyBlocked != 1 || sum.NewlyAllowed != 0 {
		t.Errorf("summary = %+v, want 6 statements, 3 blocked, 1 newly blocked", sum)
	}
	if len(seen) != 1 || seen[0] != 5 {
		t.Errorf("newly blocked = %v, want [5]", seen)
	}
	// A tampered stream stops the replay.
	lines[1] = strings.Replace(lines[1], `"rows_returned":1`, `"rows_returned":9`, 1)
	if _, err := blackbox.Replay(context.Background(), join(lines), blackbox.VerifyConfig{}, decide, nil); !errors.Is(err, blackbox.ErrTampered) {
		t.Errorf("Replay of a tampered stream = %v, want ErrTampered", err)
	}
}

// flaky fails the writes it is told to.
type flaky struct {
	buf  bytes.Buffer
	fail bool
}

func (f *flaky) Write(p []byte) (int, error) {
	if f.fail {
		return 0, errDisk
	}
	return f.buf.Write(p)
}

func TestWriteFailureKeepsChain(t *testing.T) {
	w := &flaky{}
	bb := blackbox.New(w, blackbox.Config{})
	write := func() error {
		return bb.Write(context.Background(), &audit.Entry{Kind: audit.KindStatement, ID: "x"})
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	w.fail = true
	if err := write(); !errors.Is(err, errDisk) {
		t.Fatalf("Write on a failing writer = %v, want errDisk", err)
	}
	w.fail = false
	if err := write(); err != nil {
		t.Fatal(err)
	}
	rep, err := blackbox.Verify(bytes.NewReader(w.buf.Bytes()))
	if err != nil || rep.Records != 2 {
		t.Errorf("chain after a failed write: %+v, %v; want 2 records, intact", rep, err)
	}
}

func TestReportHeadBeforeBreak(t *testing.T) {
	lines := chain(t, 4, blackbox.Config{})
	good, _ := blackbox.Verify(join(lines[:2]))
	lines[2] = "garbage"
	rep, err := blackbox.Verify(join(lines))
	if !errors.Is(err, blackbox.ErrTampered) || rep.Head != good.Head || rep.LastSeq != 2 {
		t.Errorf("report = %+v, %v; want the head of record 2 and ErrTampered", rep, err)
	}
}
