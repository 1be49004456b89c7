package guard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"time"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Approver answers reviews: it decides whether a held statement may run.
//
// Approve may block until a person answers; it must return when ctx is done
// (the policy stops waiting then anyway, and denies). An error, a panic, or
// an answer without a reviewer counts as a denial: reviews fail closed.
type Approver interface {
	Approve(ctx context.Context, req *ApprovalRequest) (Answer, error)
}

// ApproverFunc adapts a function to [Approver].
type ApproverFunc func(ctx context.Context, req *ApprovalRequest) (Answer, error)

// Approve calls f.
func (f ApproverFunc) Approve(ctx context.Context, req *ApprovalRequest) (Answer, error) {
	return f(ctx, req)
}

// ApprovalRequest is what a reviewer sees of a held statement: who, what
// and why. It carries no literal and no argument value.
type ApprovalRequest struct {
	// Identity is who issued the statement.
	Identity identity.Identity
	// Rule names the rules that asked for review, comma-separated in policy
	// order; a time-boxed grant is for exactly this set.
	Rule string
	// Reason is the first reviewing rule's reason.
	Reason string
	// Statement is the literal-free text of the statement
	// ([Script.Normalized]).
	Statement string
	// Summary is the short description of the statement ("DELETE orders").
	Summary string
	// Fingerprint identifies the statement's shape ([Script.Fingerprint]).
	Fingerprint uint64
	// Digest identifies this exact statement text with these exact argument
	// values (a keyed hash, see [WithGrantKey]); a one-time grant is for
	// one Digest.
	Digest string
	// Environment is where the statement runs.
	Environment string
	// Unmask is true when the statement asks to see clear values.
	Unmask bool
	// Time is when the statement was issued.
	Time time.Time
}

// Answer is an approver's decision.
type Answer struct {
	// Approved lets the statement run.
	Approved bool
	// ID identifies the approval in the approver's records.
	ID string
	// Reviewer is who decided. An approval without a reviewer, or by the
	// identity that issued the statement (or the user an agent acts for),
	// is refused.
	Reviewer string
	// Comment is the reviewer's note.
	Comment string
}

// errApproverPanic stands for an approver that panicked: a denial.
var errApproverPanic = errors.New("guard: approver panicked")

type approveResult struct {
	a   Answer
	err error
}

func (p *Policy) review(ctx context.Context, r *Request, v Verdict, rule, reason string) (Verdict, error) {
	v.Rule = rule
	v.Mode = ModeEnforce
	if p.approver == nil {
		return p.deny(v, rule, "review required but no approver is configured")
	}
	req := &ApprovalRequest{
		Identity:    r.Identity,
		Rule:        rule,
		Reason:      reason,
		Digest:      p.digest(r),
		Environment: r.Environment,
		Unmask:      r.Unmask,
		Time:        r.Time,
	}
	if r.Script != nil {
		req.Statement = r.Script.Normalized
		req.Summary = r.Script.Summary
		req.Fingerprint = r.Script.Fingerprint
	}
	if req.Time.IsZero() {
		req.Time = p.clock()
	}
	timeout := p.timeout
	if timeout <= 0 {
		timeout = DefaultApprovalTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan approveResult, 1)
	go func() {
		defer func() {
			if recover() != nil {
				done <- approveResult{err: errApproverPanic}
			}
		}()
		a, err := p.approver.Approve(actx, req)
		done <- approveResult{a, err}
	}()
	v.Reviewed = true
	var res approveResult
	select {
	case res = <-done:
	case <-actx.Done():
		if ctx.Err() != nil {
			return p.deny(v, rule, "review cancelled")
		}
		return p.deny(v, rule, "review timed out")
	}
	a := res.a
	v.Approval = Approval{ID: a.ID, Reviewer: a.Reviewer, Comment: a.Comment}
	switch {
	case res.err != nil:
		if actx.Err() != nil && ctx.Err() != nil {
			return p.deny(v, rule, "review cancelled")
		}
		if actx.Err() != nil {
			return p.deny(v, rule, "review timed out")
		}
		return p.deny(v, rule, "approver failed")
	case !a.Approved:
		return p.deny(v, rule, "review denied")
	case a.Reviewer == "":
		return p.deny(v, rule, "approval names no reviewer")
	case isSelf(&r.Identity, a.Reviewer):
		return p.deny(v, rule, "self-approval refused")
	}
	v.Decision = Allow
	v.Reason = "approved"
	return v, nil
}

func (p *Policy) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// isSelf reports whether reviewer is the identity that issued the
// statement, or the user an agent acts for.
func isSelf(id *identity.Identity, reviewer string) bool {
	if id.Subject != "" && reviewer == id.Subject {
		return true
	}
	return id.Agent != nil && id.Agent.OnBehalfOf != "" && reviewer == id.Agent.OnBehalfOf
}

// digest is a keyed hash of the statement's exact text and arguments.
func (p *Policy) digest(r *Request) string {
	key := p.grantKey
	if key == nil {
		key = []byte("sqlvigil zero policy")
	}
	h := hmac.New(sha256.New, key)
	writeString(h, r.SQL)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(r.Args)))
	h.Write(n[:])
	for _, a := range r.Args {
		binary.BigEndian.PutUint64(n[:], uint64(a.Ordinal))
		h.Write(n[:])
		writeString(h, a.Name)
		writeValue(h, a.Value)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeString(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

func writeValue(h hash.Hash, v driver.Value) {
	var n [8]byte
	tag := func(t byte, u uint64) {
		h.Write([]byte{t})
		binary.BigEndian.PutUint64(n[:], u)
		h.Write(n[:])
	}
	switch x := v.(type) {
	case nil:
		tag('n', 0)
	case int64:
		tag('i', uint64(x))
	case float64:
		tag('f', math.Float64bits(x))
	case bool:
		b := uint64(0)
		if x {
			b = 1
		}
		tag('b', b)
	case []byte:
		tag('y', uint64(len(x)))
		h.Write(x)
	case string:
		h.Write([]byte{'s'})
		writeString(h, x)
	case time.Time:
		tag('t', uint64(x.Unix()))
		tag('T', uint64(x.Nanosecond()))
		writeString(h, x.Location().String())
	default:
		h.Write([]byte{'?'})
		writeString(h, fmt.Sprintf("%T:%#v", x, x))
	}
}
