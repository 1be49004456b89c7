package audit_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/sqlvigil/sqlvigil/audit"
)

// recorder keeps the kind, id and error type of each record it is given.
type recorder struct{ got []string }

func (r *recorder) Write(_ context.Context, e *audit.Entry) error {
	r.got = append(r.got, e.Kind+":"+e.ID+":"+e.ErrorType)
	return nil
}

func TestMandatoryRefusalHasOutcome(t *testing.T) {
	var calls int
	before, after := &recorder{}, &recorder{}
	var handled int
	a, _ := newAuditor(t, audit.WithSink(before), audit.WithSink(failing(&calls)), audit.WithSink(after),
		audit.WithMandatory(), audit.WithErrorHandler(func(error) { handled++ }))
	if _, _, err := a.Start(context.Background(), selectEvent()); !errors.Is(err, audit.ErrUnavailable) {
		t.Fatalf("Start = %v, want ErrUnavailable", err)
	}
	if _, _, err := a.StartTx(context.Background(), false, ""); !errors.Is(err, audit.ErrUnavailable) {
		t.Fatalf("StartTx = %v, want ErrUnavailable", err)
	}
	if len(before.got) != 4 {
		t.Fatalf("sink before the failing one got %v, want an intent and an outcome each", before.got)
	}
	for i, kind := range []string{"statement", "tx"} {
		intent, outcome := before.got[2*i], before.got[2*i+1]
		id := intent[len("intent:") : len(intent)-1]
		if want := kind + ":" + id + ":" + audit.ErrorTypeAuditUnavailable; outcome != want {
			t.Errorf("outcome of refused %s = %q, want %q (after %q)", kind, outcome, want, intent)
		}
	}
	// A sink after the failing one did not see the intent; it records the
	// refusal.
	if len(after.got) != 2 || after.got[0] != before.got[1] || after.got[1] != before.got[3] {
		t.Errorf("sink after the failing one got %v, want the two refusals %v", after.got, before.got)
	}
	if calls != 4 || handled != 2 {
		t.Errorf("failing sink called %d times, error handler %d; want 4 and 2 (refusals it could not take)", calls, handled)
	}
}

type typedErr struct{}

func (typedErr) Error() string { return "typed" }

func TestErrorType(t *testing.T) {
	tests := []struct {
		name string
		give error
		want string
	}{
		{"bad connection", driver.ErrBadConn, "driver.ErrBadConn"},
		{"wrapped bad connection", fmt.Errorf("sqlvigil: exec: %w", driver.ErrBadConn), "driver.ErrBadConn"},
		{"tx done", sql.ErrTxDone, "sql.ErrTxDone"},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "io.ErrUnexpectedEOF"},
		{"canceled", context.Canceled, "context.Canceled"},
		{"plain", errors.New("boom"), "_OTHER"},
		{"joined", errors.Join(errors.New("a"), errors.New("b")), "_OTHER"},
		{"typed", fmt.Errorf("x: %w", typedErr{}), "audit_test.typedErr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			a, sr := newAuditor(t, audit.WithSink(rec))
			_, r, _ := a.Start(context.Background(), selectEvent())
			r.End(audit.Outcome{Err: tt.give, RowsAffected: -1})
			if want := ":" + tt.want; len(rec.got) != 1 || rec.got[0][len(rec.got[0])-len(want):] != want {
				t.Errorf("recorded %v, want error type %q", rec.got, tt.want)
			}
			if got := attrs(sr.Ended()[0])["error.type"].AsString(); got != tt.want {
				t.Errorf("span error.type = %v, want %q", got, tt.want)
			}
		})
	}
}
