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
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Approver answers reviews: it decides whether a held statement may run.
//
// Approve may block until a person answers; it must return when ctx is done
// (the policy stops waiting then anyway, and denies). An error, a panic, or
// an answer without a reviewer counts as a denial: reviews fail closed.
//
// A Review holds the statement until the Approver answers, bounded by the
// request's context and [WithApprovalTimeout]. A timeout, a cancelled
// context, an approver error or panic, an answer without a reviewer, and an
// approval by the requester (or by the user an agent acts for) all deny.
// Self-approval is decided by [SameSubject]: subjects (the identity
// provider's ids, never display names) compared trimmed and case-folded.
// The approval's id, reviewer and comment land in Verdict.Approval. The
// requester of a statement that did not run gets a *[ReviewError] (inside
// the *[BlockedError]) with the ticket id and, on a denial, the reviewer
// and comment. Reviewers see the literal-free statement and its arguments
// by type and size ([ArgInfo]), never their values. The review service of
// package github.com/sqlvigil/sqlvigil/guard/approval implements Approver.
type Approver interface {
	Approve(ctx context.Context, req *ApprovalRequest) (Answer, error)
}

// ApproverFunc adapts a function to [Approver].
type ApproverFunc func(ctx context.Context, req *ApprovalRequest) (Answer, error)

// Approve calls f.
func (f ApproverFunc) Approve(ctx context.Context, req *ApprovalRequest) (Answer, error) {
	return f(ctx, req)
}

// ApprovalRequest is what a reviewer sees of a held statement: who (with
// the agent's model and tool call id in Identity.Agent), what and why. Its
// fields carry no literal and no argument value: guard holds no mask rules,
// so arguments are described by type and size ([ArgInfo]). The values
// themselves are reachable only through [ApprovalRequest.ArgValues], for an
// approver that shows each reviewer what the reviewer's own mask rules allow
// (as the approval service does).
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
	// Args describes the bound arguments, in order, by type and size.
	Args []ArgInfo
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

	// ticket, when set by the policy, receives the id of the ticket an
	// approver files, so that a requester who stops waiting still learns it.
	ticket *ticketRef
	// values holds the argument values behind a pointer, so that printing
	// a request (%v, %+v) shows an address, never a value.
	values *[]driver.Value
}

// ArgValues returns a copy of the bound arguments' values, in the order of
// Args (nil for a request without arguments). They are the requester's
// data, possibly personal or secret: an approver must never log them, put
// them in an error or an audit record, store them in clear, or show them to
// a reviewer except as that reviewer's mask rules allow.
func (req *ApprovalRequest) ArgValues() []driver.Value {
	if req.values == nil {
		return nil
	}
	return append([]driver.Value(nil), (*req.values)...)
}

func argValues(args []driver.NamedValue) *[]driver.Value {
	if len(args) == 0 {
		return nil
	}
	vs := make([]driver.Value, len(args))
	for i, a := range args {
		vs[i] = a.Value
	}
	return &vs
}

// ArgInfo describes one bound argument to a reviewer without its value:
// guard has no mask rules of the reviewer's, so it gives the Go type of
// the value and, for strings and byte slices, its length in bytes. An
// approver that can apply the reviewer's own mask rules shows more, from
// [ApprovalRequest.ArgValues] (the approval service does, through its
// RevealFunc hook).
type ArgInfo struct {
	Ordinal int    `json:"ordinal"`
	Name    string `json:"name,omitempty"`
	Type    string `json:"type"`
	Length  int    `json:"length,omitempty"`
}

func argInfo(args []driver.NamedValue) []ArgInfo {
	if len(args) == 0 {
		return nil
	}
	out := make([]ArgInfo, len(args))
	for i, a := range args {
		ai := ArgInfo{Ordinal: a.Ordinal, Name: a.Name}
		switch x := a.Value.(type) {
		case nil:
			ai.Type = "null"
		case int64:
			ai.Type = "int64"
		case float64:
			ai.Type = "float64"
		case bool:
			ai.Type = "bool"
		case string:
			ai.Type, ai.Length = "string", len(x)
		case []byte:
			ai.Type, ai.Length = "bytes", len(x)
		case time.Time:
			ai.Type = "time"
		default:
			ai.Type = "other"
		}
		out[i] = ai
	}
	return out
}

// ticketRef carries a ticket id from the approver's goroutine to the
// policy.
type ticketRef struct {
	mu sync.Mutex
	id string
}

// SetTicket tells the policy the id of the request an approver filed for
// req, before it waits for a reviewer: a statement that stops waiting (its
// deadline, the approval timeout) then returns a *[ReviewError] naming the
// ticket to come back with. Safe for concurrent use.
func (req *ApprovalRequest) SetTicket(id string) { req.ticket.set(id) }

func (r *ticketRef) set(id string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.id = id
	r.mu.Unlock()
}

func (r *ticketRef) get() string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.id
}

// ErrReviewPending is matched by the error of a statement held for review
// that has not been answered yet: its request stays filed, and the same
// statement with the same arguments runs once approved. Use errors.Is; use
// errors.As with *[ReviewError] for the ticket id.
var ErrReviewPending = errors.New("guard: review pending")

// ErrApprovalUsed is matched by the error of a statement whose review was
// approved as a one-time grant that another execution of the same
// statement, with the same arguments, has already used: nobody refused it,
// and a new run needs a new review. Use errors.Is; use errors.As with
// *[ReviewError] for the ticket id.
var ErrApprovalUsed = errors.New("guard: approval already used")

// ReviewError is what a requester learns of a review that did not let its
// statement run: the ticket to come back with, and the reviewer's answer
// when there is one. A *[BlockedError] wraps it; use errors.As. Exactly one
// of three cases holds: Pending (nobody answered yet), Used (approved, but
// the one execution it allowed has already run), or neither (a reviewer
// denied it).
type ReviewError struct {
	// Ticket is the approval request's id ("" when no request was filed,
	// as with an approver that keeps no tickets).
	Ticket string
	// Pending is true when nobody has answered yet (the statement stopped
	// waiting, or the approver does not wait).
	Pending bool
	// Used is true when the ticket was approved as a one-time grant and
	// another execution of the same statement used it first.
	Used bool
	// Reviewer and Comment are the reviewer's, on a decision.
	Reviewer string
	Comment  string
}

// Error implements error. It names the ticket and the decision; the
// reviewer's comment is in Comment.
func (e *ReviewError) Error() string {
	var msg string
	switch {
	case e.Pending:
		msg = "guard: review pending"
	case e.Used:
		msg = "guard: approval already used"
	default:
		msg = "guard: review denied"
		if e.Reviewer != "" {
			msg += " by " + e.Reviewer
		}
	}
	if e.Ticket != "" {
		msg += " (ticket " + e.Ticket + ")"
	}
	return msg
}

// Unwrap returns ErrReviewPending for a request still pending and
// ErrApprovalUsed for a one-time grant already used.
func (e *ReviewError) Unwrap() error {
	switch {
	case e.Pending:
		return ErrReviewPending
	case e.Used:
		return ErrApprovalUsed
	}
	return nil
}

// SameSubject reports whether two subjects name the same identity for
// self-approval: both are compared as a person reads them — invisible
// format characters (zero-width spaces and joiners, soft hyphens, byte
// order marks, variation selectors) dropped, surrounding white space
// trimmed, compatibility forms unified (NFKC: fullwidth letters,
// ligatures) and case fully folded — so "Dana", "dana ", "DANA",
// "ｄａｎａ" and "da\u200bna" are one person. An empty subject, or one
// of nothing but such characters, names nobody. This folding widens only
// refusals; grants and their scope compare subjects exactly, as the
// identity provider spelled them, and display names are never compared.
func SameSubject(a, b string) bool {
	a = canonicalSubject(a)
	return a != "" && a == canonicalSubject(b)
}

// canonicalSubject is s as SameSubject compares it.
func canonicalSubject(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Variation_Selector, r),
			r == '\u034f', r == '\u115f', r == '\u1160', r == '\u3164', r == '\uffa0': // invisible fillers
			return -1
		}
		return r
	}, s)
	s = norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
	return strings.TrimSpace(s)
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
	// Pending, with ID, says that the request is filed and waits for a
	// reviewer: the statement is refused at once with a *[ReviewError]
	// (see approval.Config.NoWait).
	Pending bool
	// Used, with ID, says that the request was approved as a one-time
	// grant that another execution of the same statement has already used:
	// the statement is refused with a *[ReviewError] matching
	// [ErrApprovalUsed], not as a denial.
	Used bool
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
		v.Hint = hintNoApprover
		return p.deny(v, rule, "review required but no approver is configured")
	}
	req := &ApprovalRequest{
		Identity:    r.Identity,
		Rule:        rule,
		Reason:      reason,
		Digest:      p.digest(r),
		Args:        argInfo(r.Args),
		values:      argValues(r.Args),
		Environment: r.Environment,
		Unmask:      r.Unmask,
		Time:        r.Time,
		ticket:      &ticketRef{},
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
		timeout = defaultApprovalTimeout
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
		return p.unanswered(ctx, v, rule, req.ticket.get())
	}
	a := res.a
	v.Approval = a
	v.Hint = hintReviewFailed
	switch {
	case res.err != nil:
		if actx.Err() != nil {
			return p.unanswered(ctx, v, rule, req.ticket.get())
		}
		return p.deny(v, rule, "approver failed")
	case a.Pending:
		v.Hint = hintReviewPending
		return p.denyErr(v, rule, "review pending", &ReviewError{Ticket: a.ID, Pending: true})
	case a.Used:
		return p.denyErr(v, rule, "approval already used", &ReviewError{Ticket: a.ID, Used: true, Reviewer: a.Reviewer, Comment: a.Comment})
	case !a.Approved:
		v.Hint = hintReviewDenied
		return p.denyErr(v, rule, "review denied", &ReviewError{Ticket: a.ID, Reviewer: a.Reviewer, Comment: a.Comment})
	case canonicalSubject(a.Reviewer) == "":
		return p.deny(v, rule, "approval names no reviewer")
	case isSelf(&r.Identity, a.Reviewer):
		return p.deny(v, rule, "self-approval refused")
	}
	v.Decision = Allow
	v.Reason = "approved"
	v.Hint = ""
	return v, nil
}

// unanswered denies a statement that stopped waiting for its review; the
// error carries the ticket, if one was filed, to come back with.
func (p *Policy) unanswered(ctx context.Context, v Verdict, rule, ticket string) (Verdict, error) {
	reason := "review timed out"
	if ctx.Err() != nil {
		reason = "review cancelled"
	}
	if ticket == "" {
		v.Hint = hintReviewFailed
		return p.deny(v, rule, reason)
	}
	v.Hint = hintReviewPending
	v.Approval.ID = ticket
	return p.denyErr(v, rule, reason, &ReviewError{Ticket: ticket, Pending: true})
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
	return SameSubject(id.Subject, reviewer) || (id.Agent != nil && SameSubject(id.Agent.OnBehalfOf, reviewer))
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
