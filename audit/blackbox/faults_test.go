package blackbox_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
)

// tearing writes half of one write and fails it, as a writer whose disk
// or peer gave out in the middle would, then works again.
type tearing struct {
	buf  bytes.Buffer
	tear bool
}

func (w *tearing) Write(p []byte) (int, error) {
	if w.tear {
		w.tear = false
		n, _ := w.buf.Write(p[:len(p)/2])
		return n, errDisk
	}
	return w.buf.Write(p)
}

// TestTornWriteNotBuried: a record cut short by a failed write that the
// black box cannot take back is not followed by records written after it,
// which would bury a fragment in the middle of the chain and make Verify
// call the whole writer's output tampered. The writer refuses records
// from then on (ErrTornWrite); what it wrote ends in a torn tail, and
// every record before it verifies.
func TestTornWriteNotBuried(t *testing.T) {
	w := &tearing{}
	bb := blackbox.New(w, blackbox.Config{})
	write := func() error {
		return bb.Write(context.Background(), &audit.Entry{Kind: audit.KindStatement, ID: "x", RowsAffected: -1})
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	w.tear = true
	if err := write(); !errors.Is(err, errDisk) {
		t.Fatalf("torn write = %v, want errDisk", err)
	}
	for range 2 {
		if err := write(); !errors.Is(err, blackbox.ErrTornWrite) {
			t.Errorf("write after a torn one = %v, want ErrTornWrite", err)
		}
	}
	if err := bb.Close(); !errors.Is(err, blackbox.ErrTornWrite) {
		t.Errorf("Close after a torn write = %v, want ErrTornWrite", err)
	}
	rep, err := blackbox.Verify(bytes.NewReader(w.buf.Bytes()))
	if !errors.Is(err, blackbox.ErrTornTail) || errors.Is(err, blackbox.ErrTampered) || rep.Records != 1 {
		t.Errorf("after a torn write: %+v, %v; want 1 record and a torn tail, not tampering", rep, err)
	}
}

// TestVerifyEditedLastLine: a crash leaves a prefix of the last record.
// A last line that still ends in its whole hash, yet does not read as the
// record that hash seals — a byte deleted in the middle, a quote removed —
// was edited, not torn: Verify calls it tampering, and Open refuses to
// cut it away as if a crash had left it.
func TestVerifyEditedLastLine(t *testing.T) {
	lines := chain(t, 3, blackbox.Config{})
	last := lines[len(lines)-1]
	i := strings.Index(last, `"kind":"`) + len(`"kind":`)
	broken := last[:i] + last[i+1:] // the opening quote of the kind's value
	for name, text := range map[string]string{
		"newline kept":    strings.Join(append(lines[:len(lines)-1:len(lines)-1], broken), "\n") + "\n",
		"newline removed": strings.Join(append(lines[:len(lines)-1:len(lines)-1], broken), "\n"),
		"hash edited": strings.Join(lines[:len(lines)-1], "\n") + "\n" +
			last[:len(last)-3] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", last[len(last)-3])+1)%16]) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := blackbox.Verify(strings.NewReader(text))
			if !errors.Is(err, blackbox.ErrTampered) || errors.Is(err, blackbox.ErrTornTail) {
				t.Errorf("Verify = %v, want ErrTampered", err)
			}
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			bb, err := blackbox.Open(path, blackbox.Config{})
			if err == nil {
				bb.Close()
			}
			if !errors.Is(err, blackbox.ErrTampered) {
				t.Errorf("Open = %v, want ErrTampered", err)
			}
			if data, _ := os.ReadFile(path); string(data) != text {
				t.Errorf("Open changed an edited file")
			}
		})
	}
}
