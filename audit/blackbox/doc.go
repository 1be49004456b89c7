// Package blackbox is an audit trail that shows when it was tampered with:
// a file of JSON lines, one [audit.Entry] each, every line chained to the
// one before it by a SHA-256 hash (or an HMAC, with [Config.Key]).
//
// # Writing
//
// A [Writer] is an [audit.Sink]: give it to an auditor with
// [audit.WithSink] and it records every statement, whatever the trace
// sampler decides. [Open] opens a file for appending — one writer at a
// time, others get [ErrLocked] —, continues its chain, cuts a torn last
// line left by a crash and rotates the file by size or age ([Config]);
// [New] writes a chain to any io.Writer. [Writer.Close] seals the chain;
// [Writer.Head] gives an [Anchor] to keep elsewhere.
//
// # Reading
//
// [Verify] and [VerifyConfig] check a chain and describe it in a [Report]:
// a record edited, removed, inserted or moved is [ErrTampered] (a
// [TamperError] saying where), a file cut short is found through an anchor
// or the missing seal, and a torn last line is [ErrTornTail], not
// tampering. [Files] lists a rotated set for [VerifyConfig.VerifyFiles].
// [Replay] runs the recorded statements through a decision function —
// typically a new guard policy — in dry run: "what would this policy have
// blocked last week?". This package does not import the guard; the
// sqlvigil-audit command connects the two, and its verify exits with
// status 1 on tampering and 4 on a torn tail alone.
//
// # Example
//
//	bb, err := blackbox.Open("/var/log/app/audit.jsonl", blackbox.Config{MaxBytes: 64 << 20})
//	if err != nil {
//		return err
//	}
//	defer bb.Close()
//	a, err := audit.New(audit.WithSink(bb))
//
// and later, elsewhere:
//
//	files, err := blackbox.Files("/var/log/app/audit.jsonl")
//	rep, err := blackbox.VerifyConfig{}.VerifyFiles(files)
//
// # Concurrency
//
// A [Writer] is safe for concurrent use; records are written in the order
// their statements end. Verify and Replay read only what they are given.
package blackbox
