package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/sqlvigil/sqlvigil/audit"
)

// TestEndDelayBatches: with an end delay, a span is handed to the provider
// after its statement ends, with the statement's end time, its outcome and
// its status, when the batch goes or at Flush.
func TestEndDelayBatches(t *testing.T) {
	a, sr := newAuditor(t, audit.WithEndDelay(time.Hour))
	_, rec, err := a.Start(context.Background(), selectEvent())
	if err != nil {
		t.Fatal(err)
	}
	rec.End(audit.Outcome{RowsReturned: 2, RowsAffected: -1})
	ev := selectEvent()
	ev.Decision, ev.Rule = "deny", "read-only"
	_, denied, _ := a.Start(context.Background(), ev)
	denied.End(audit.Outcome{Err: errors.New("blocked"), RowsAffected: -1})
	ended := time.Now()
	if n := len(sr.Ended()); n != 0 {
		t.Fatalf("%d spans ended before their batch, want 0", n)
	}
	time.Sleep(2 * time.Millisecond) // so that an end time taken at Flush would show
	if err := a.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	spans := sr.Ended()
	if len(spans) != 2 {
		t.Fatalf("got %d spans after Flush, want 2", len(spans))
	}
	for _, s := range spans {
		if s.EndTime().After(ended) {
			t.Errorf("span %q ends at %v, after its statement (%v)", s.Name(), s.EndTime(), ended)
		}
		if s.EndTime().Before(s.StartTime()) {
			t.Errorf("span %q ends before it starts", s.Name())
		}
	}
	checkAttrs(t, attrs(spans[0]), map[attribute.Key]any{"db.response.returned_rows": 2, "user.id": "agent-7"})
	if st := spans[0].Status(); st.Code != codes.Unset {
		t.Errorf("allowed statement status = %v, want unset", st)
	}
	if st := spans[1].Status(); st.Code != codes.Error || st.Description != "blocked by rule read-only" {
		t.Errorf("denied statement status = %+v, want error \"blocked by rule read-only\"", st)
	}
	noSecret(t, spans)
}

// TestEndDelayGoesByItself: a batch is handed over within about its delay,
// without a Flush.
func TestEndDelayGoesByItself(t *testing.T) {
	a, sr := newAuditor(t, audit.WithEndDelay(time.Millisecond))
	_, rec, _ := a.Start(context.Background(), selectEvent())
	rec.End(audit.Outcome{RowsAffected: -1})
	deadline := time.Now().Add(10 * time.Second)
	for len(sr.Ended()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the span was not ended without a Flush")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestEndDelayKeepsOrder: a transaction's span is handed over after its
// statements', as they ended.
func TestEndDelayKeepsOrder(t *testing.T) {
	a, sr := newAuditor(t, audit.WithEndDelay(time.Hour))
	ctx, tx, err := a.StartTx(context.Background(), false, "")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, rec, _ := a.Start(ctx, selectEvent())
		rec.End(audit.Outcome{RowsAffected: -1})
	}
	tx.End(audit.Outcome{TxEnd: "commit", RowsAffected: -1})
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := sr.Ended()
	if len(spans) != 4 || spans[3].Name() != "transaction" {
		t.Fatalf("got %d spans, last %q; want 3 statements then the transaction", len(spans), spans[len(spans)-1].Name())
	}
	for _, s := range spans[:3] {
		if s.Parent().SpanID() != spans[3].SpanContext().SpanID() {
			t.Errorf("statement span %q is not a child of the transaction", s.Name())
		}
	}
}

// TestEndDelayFullQueue: past the queue's bound, spans end where their
// statements end: none is dropped, none waits without limit.
func TestEndDelayFullQueue(t *testing.T) {
	a, sr := newAuditor(t, audit.WithEndDelay(time.Hour))
	const n = 8192 + 10
	for range n {
		_, rec, _ := a.Start(context.Background(), selectEvent())
		rec.End(audit.Outcome{RowsAffected: -1})
	}
	if got := len(sr.Ended()); got != 10 {
		t.Errorf("%d spans ended past the queue's bound, want 10", got)
	}
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(sr.Ended()); got != n {
		t.Errorf("%d spans ended after Flush, want %d", got, n)
	}
}

func TestEndDelayNegative(t *testing.T) {
	if _, err := audit.New(audit.WithEndDelay(-time.Second)); !errors.Is(err, audit.ErrConfig) {
		t.Errorf("New(WithEndDelay(-1s)) = %v, want ErrConfig", err)
	}
}
