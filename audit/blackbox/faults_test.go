package blackbox_test

import (
	"bytes"
	"context"
	"errors"
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
