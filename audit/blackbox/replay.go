package blackbox

import (
	"context"
	"fmt"
	"io"

	"github.com/sqlvigil/sqlvigil/audit"
)

// ReplayVerdict is what a policy decides, in dry run, on a recorded
// statement. Decision is "allow" or "deny"; Mode "enforce" or "monitor".
type ReplayVerdict struct {
	Decision string
	Rule     string
	Reason   string
	Mode     string
}

// Blocks reports whether the verdict stops the statement.
func (v ReplayVerdict) Blocks() bool { return v.Decision == "deny" && v.Mode != "monitor" }

// ReplayFunc decides on one recorded statement: typically it analyses the
// recorded text and asks a guard policy, without running anything. An
// error stops the replay.
type ReplayFunc func(ctx context.Context, e *audit.Entry) (ReplayVerdict, error)

// ReplayResult is one replayed statement.
type ReplayResult struct {
	Entry *audit.Entry
	// Recorded is the decision recorded at the time; Now what decide said.
	Recorded ReplayVerdict
	Now      ReplayVerdict
}

// NewlyBlocked reports a statement that ran then and would be blocked now.
func (r *ReplayResult) NewlyBlocked() bool { return r.Now.Blocks() && !r.Recorded.Blocks() }

// NewlyAllowed reports a statement that was blocked then and would run now.
func (r *ReplayResult) NewlyAllowed() bool { return !r.Now.Blocks() && r.Recorded.Blocks() }

// ReplaySummary counts the outcome of a replay.
type ReplaySummary struct {
	Report       Report
	Statements   int
	Blocked      int // blocked by the new policy
	NewlyBlocked int
	NewlyAllowed int
}

// Replay reads the statement records of a black box from r (verifying its
// chain with v) and passes each to decide, in order; each result goes to
// each (which may be nil). Transaction, intent and seal records are
// skipped, and so are the records of the driver's own session resets
// (method "reset"): no caller issued them, and no policy judges them.
//
// The chain is verified as it is read: a tampered record stops the replay
// with an error matching [ErrTampered], after the records before it were
// replayed.
func Replay(ctx context.Context, r io.Reader, v VerifyConfig, decide ReplayFunc, each func(*ReplayResult) error) (ReplaySummary, error) {
	var sum ReplaySummary
	rep, err := v.ReadEntries(r, func(e *audit.Entry) error {
		if e.Kind != audit.KindStatement || e.Method == "reset" {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		now, err := decide(ctx, e)
		if err != nil {
			return fmt.Errorf("blackbox: replay seq %d: %w", e.Seq, err)
		}
		res := &ReplayResult{
			Entry:    e,
			Recorded: ReplayVerdict{Decision: e.Decision, Rule: e.Rule, Reason: e.Reason, Mode: e.Mode},
			Now:      now,
		}
		sum.Statements++
		if now.Blocks() {
			sum.Blocked++
		}
		if res.NewlyBlocked() {
			sum.NewlyBlocked++
		}
		if res.NewlyAllowed() {
			sum.NewlyAllowed++
		}
		if each != nil {
			return each(res)
		}
		return nil
	})
	sum.Report = rep
	return sum, err
}
