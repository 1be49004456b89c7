package blackbox_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
)

// BenchmarkWriter measures the black box alone: encoding, hashing and
// writing one statement record.
func BenchmarkWriter(b *testing.B) {
	e := &audit.Entry{
		Kind: audit.KindStatement, ID: "5f2c9e1ab3d4-12345", Time: time.Now(), Duration: 1234567,
		TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: "b7ad6b7169203331",
		Identity: &audit.EntryIdentity{Kind: "agent", Subject: "agent-7", Roles: []string{"support"},
			Agent: &audit.EntryAgent{Name: "helper", Model: "gpt-x", Tool: "run_sql", ToolCallID: "call_1"}},
		Caller: &audit.Caller{Function: "example.com/app/store.(*Store).Customer", File: "/src/app/store/store.go", Line: 42},
		System: "postgresql", Method: "query", Operation: "SELECT", Collection: "customers",
		Summary: "SELECT customers", QueryText: "SELECT id, email FROM customers WHERE id = ?",
		Reads: []string{"customers"}, Complete: true, Decision: "allow", Mode: "enforce",
		RowsReturned: 1, RowsAffected: -1,
		Masked: []audit.MaskedColumn{{Column: "email", Rule: "pii-email", Strategy: "redact", Count: 1}},
	}
	run := func(b *testing.B, bb *blackbox.Writer) {
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if err := bb.Write(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	}
	b.Run("discard", func(b *testing.B) { run(b, blackbox.New(io.Discard, blackbox.Config{})) })
	b.Run("hmac-discard", func(b *testing.B) {
		run(b, blackbox.New(io.Discard, blackbox.Config{Key: []byte("0123456789abcdef0123456789abcdef")}))
	})
	for _, tt := range []struct {
		name string
		sync blackbox.SyncPolicy
	}{{"file-sync-never", blackbox.SyncNever}, {"file-sync-periodic", blackbox.SyncPeriodic}, {"file-sync-every-record", blackbox.SyncEveryRecord}} {
		b.Run(tt.name, func(b *testing.B) {
			bb, err := blackbox.Open(filepath.Join(b.TempDir(), "audit.jsonl"), blackbox.Config{Sync: tt.sync})
			if err != nil {
				b.Fatal(err)
			}
			defer bb.Close()
			run(b, bb)
		})
	}
}
