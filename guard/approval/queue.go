package approval

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
)

// Errors of the approval queue. Use errors.Is.
var (
	// ErrNoTicket is returned for an approval request id the store does
	// not hold.
	ErrNoTicket = errors.New("approval: no such approval request")
	// ErrDecided is returned when deciding a request that is no longer
	// pending.
	ErrDecided = errors.New("approval: request already decided")
	// ErrSelfApproval is returned when a reviewer tries to decide their own
	// request, or one an agent made on their behalf.
	ErrSelfApproval = errors.New("approval: reviewers cannot decide their own requests")
	// ErrNotReviewer is returned when the reviewer is anonymous, untrusted,
	// an AI agent, or lacks the reviewer role the queue requires.
	ErrNotReviewer = errors.New("approval: not a reviewer")
	// ErrRuling is returned for a ruling the request cannot take: a
	// negative grant duration, or a time-boxed grant for a requester
	// without a subject (it would cover every anonymous caller) or whose
	// identity a caller asserted (anyone could assert it again).
	ErrRuling = errors.New("approval: ruling not possible for this request")
)

// Status is the state of an approval request. The zero value is
// StatusPending.
type Status string

// Statuses.
const (
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusDenied   Status = "denied"
)

// Ticket is one approval request as a [Store] keeps it and the queue's
// HTTP API shows it: who asked, what, why, and the answer. It holds no
// literal and no argument value in clear: the values are in SealedArgs,
// which only a [Queue] holding the key can open (see Config.ArgKey).
type Ticket struct {
	ID     string `json:"id"`
	Status Status `json:"status"`
	// Who.
	Requester string `json:"requester"`
	Name      string `json:"name,omitempty"`
	Kind      string `json:"kind"`
	// Untrusted is true when the requester's identity was asserted by the
	// service's caller (identity.Identity.Untrusted) rather than
	// established by the service: anyone can assert it again.
	Untrusted   bool   `json:"untrusted,omitempty"`
	Service     string `json:"service,omitempty"`
	Agent       string `json:"agent,omitempty"`
	OnBehalfOf  string `json:"on_behalf_of,omitempty"`
	Purpose     string `json:"purpose,omitempty"`
	TicketRef   string `json:"ticket,omitempty"`
	Environment string `json:"environment,omitempty"`
	// Tenant is the requester's tenant: only reviewers of the same tenant
	// see and decide the request, and a grant covers only this tenant.
	Tenant string `json:"tenant,omitempty"`
	// Model, Tool and ToolCallID describe the agent's tool call.
	Model      string `json:"model,omitempty"`
	Tool       string `json:"tool,omitempty"`
	ToolCallID string `json:"tool_call_id,omitempty"`
	// What.
	Statement string `json:"statement"`
	Summary   string `json:"summary,omitempty"`
	// Args describes the bound arguments by type and size, never by value
	// (see [guard.ArgInfo]); the HTTP API adds what a reviewer may see of
	// the values (see [Arg]).
	Args []guard.ArgInfo `json:"args,omitempty"`
	// SealedArgs holds the argument values sealed with AES-GCM under the
	// queue's argument key (see Config.ArgKey), for a reviewer to be shown
	// them through a [RevealFunc] until the request is decided. A [Store]
	// keeps it as it is; the built-in stores drop it on Decide. The HTTP API
	// never shows it.
	SealedArgs []byte `json:"sealed_args,omitempty"`
	Unmask     bool   `json:"unmask,omitempty"`
	// Fingerprint identifies the statement's shape; a time-boxed grant
	// covers statements of this shape only.
	Fingerprint uint64 `json:"fingerprint,string,omitempty"`
	// Why.
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
	// Digest identifies the exact statement and arguments for a one-time
	// grant (a keyed hash). It is not shown.
	Digest  string    `json:"-"`
	Created time.Time `json:"created"`
	// The answer.
	Reviewer string    `json:"reviewer,omitempty"`
	Comment  string    `json:"comment,omitempty"`
	Decided  time.Time `json:"decided,omitzero"`
	// GrantUntil, when set on an approved ticket, makes it a time-boxed
	// grant: the requester's statements under the same rules are approved
	// until then. Otherwise an approval is a one-time grant for this exact
	// statement and these arguments.
	GrantUntil time.Time `json:"grant_until,omitzero"`
	// Consumed is true once a one-time grant has let its statement run.
	Consumed bool `json:"consumed,omitempty"`
}

// GrantQuery asks a [Store] for an approval, or a pending request, that
// covers a request. Every field but ID and the times must match the ticket
// exactly: a grant is scoped to the requester (its subject, its kind, and
// whether the service established it), the user an agent acts for, the
// tenant, the environment, the rules and the statement's shape (and, for a
// one-time grant, its exact text and arguments).
type GrantQuery struct {
	// ID, when set, limits the search to that ticket.
	ID        string
	Requester string
	// Kind and Untrusted are the requester's, as a [Ticket] keeps them: a
	// grant to a user covers no service account of the same subject, and
	// a grant to an established identity none that a caller asserted.
	Kind      string
	Untrusted bool
	// Environment is where the statement runs (guard.Request.Environment):
	// a grant for staging does not run a statement in production.
	Environment string
	OnBehalfOf  string
	Tenant      string
	Rule        string
	Fingerprint uint64
	// Statement is the literal-free text (Ticket.Statement): a
	// time-boxed grant covers this shape, not whatever shares its 64-bit
	// Fingerprint (a non-cryptographic hash a requester writing its own SQL
	// can collide with).
	Statement string
	Digest    string
	// Now is the time of the claim, on the claiming replica's clock: a
	// grant covers it from the grant's decision (Ticket.Decided) on, and a
	// time-boxed grant while Now is before its GrantUntil. A replica whose
	// clock is behind the deciding one's thus never stretches a grant.
	Now time.Time
	// Since is the oldest creation time still of use: a pending request or
	// an unused one-time grant created before it has lapsed.
	Since time.Time
}

// covers reports whether ticket t is in q's scope (status and times
// aside).
func (q *GrantQuery) covers(t *Ticket) bool {
	return (q.ID == "" || t.ID == q.ID) && t.Requester == q.Requester && t.Kind == q.Kind &&
		t.Untrusted == q.Untrusted && t.Environment == q.Environment && t.OnBehalfOf == q.OnBehalfOf &&
		t.Tenant == q.Tenant && t.Rule == q.Rule && t.Fingerprint == q.Fingerprint && t.Statement == q.Statement
}

// Store keeps approval requests, so that several replicas of a service
// can share them (a table in a database, see [SQLStore]). Implementations
// must be safe for concurrent use, and Decide and Claim must be atomic.
type Store interface {
	// Create stores a new pending ticket.
	Create(ctx context.Context, t Ticket) error
	// Get returns a ticket, or an error matching ErrNoTicket.
	Get(ctx context.Context, id string) (Ticket, error)
	// Pending returns the pending tickets created at or after since,
	// oldest first.
	Pending(ctx context.Context, since time.Time) ([]Ticket, error)
	// FindPending returns a pending ticket in q's scope with q.Digest,
	// created at or after q.Since, if there is one.
	FindPending(ctx context.Context, q GrantQuery) (Ticket, bool, error)
	// Decide answers a pending ticket, and should drop its SealedArgs
	// (nobody reviews it any more); it returns an error matching
	// ErrDecided if the ticket is no longer pending.
	Decide(ctx context.Context, id string, d Ruling) (Ticket, error)
	// Claim returns an approved ticket in q's scope: a time-boxed grant
	// still valid at q.Now, or an unconsumed one-time grant for q.Digest
	// created at or after q.Since, which it marks consumed (only one claim
	// of a one-time grant succeeds, across replicas).
	Claim(ctx context.Context, q GrantQuery) (Ticket, bool, error)
}

// Pruner is implemented by stores that can forget old tickets. The queue
// calls Prune, when it files a new request, with the time before which
// tickets are of no more use (Config.PendingTTL + MaxGrant ago): a
// pending one is no longer answerable, a time-boxed grant has expired, an
// unused one-time grant lapses.
type Pruner interface {
	Prune(ctx context.Context, createdBefore time.Time) error
}

// Config configures a [Queue]. The zero value is usable: an in-memory
// store, anyone who is not the requester may review.
type Config struct {
	// Store keeps the tickets; nil means a new [MemoryStore].
	Store Store
	// ReviewerRoles, when not empty, are the roles a reviewer must hold
	// (as an identity the service established, not an untrusted one).
	ReviewerRoles []string
	// MaxGrant caps a time-boxed grant; zero means one hour.
	MaxGrant time.Duration
	// PendingTTL is how long an unanswered request stays listed and
	// answerable; an unused one-time grant lapses PendingTTL + MaxGrant
	// after its request. Zero means 24 hours.
	PendingTTL time.Duration
	// PollInterval is how often a waiting statement looks at the store for
	// answers given on another replica; zero means one second. Answers
	// given through this Queue wake it at once.
	PollInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NoWait makes Approve answer at once instead of waiting for a
	// reviewer: the statement is refused with a *[guard.ReviewError]
	// carrying the ticket id (matching [guard.ErrBlocked] and
	// [guard.ErrReviewPending]), and the same statement with the same
	// arguments runs once the ticket is approved, within the grant's scope.
	// This is the mode for agents, which can tell their user "waiting for
	// approval <ticket>" and retry. It applies to every request; see
	// NoWaitFor to choose per request. The zero value waits.
	NoWait bool
	// NoWaitFor, when set, chooses per request: a request for which it
	// returns true is answered at once as with NoWait; the others wait (or
	// not, if NoWait is set). For example, agents that should not block
	// while people wait:
	//
	//	NoWaitFor: func(req *guard.ApprovalRequest) bool {
	//		return req.Identity.Kind == identity.KindAgent
	//	}
	//
	// It must not block, and must not keep or log req's argument values.
	NoWaitFor func(req *guard.ApprovalRequest) bool
	// ArgKey is the secret that seals argument values into tickets, so that
	// a reviewer can be shown them (see HandlerConfig.Reveal) by any replica
	// that holds the same key, also after a restart. Give it at least
	// MinArgKeyLen bytes of high entropy, kept out of the store's database.
	//
	// Without it (or with a shorter one) each Queue seals under a random key
	// of its own: values are shown only through the replica that filed the
	// request, and not after it restarts; elsewhere reviewers see type and
	// size only. Either way the store holds ciphertext, never a clear
	// value, until the request is decided. The key is not kept: NewQueue
	// derives the cipher key from it.
	ArgKey []byte
}

// Queue is an [guard.Approver] that holds each review as a ticket until a person
// answers it through [Queue.Decide] or the HTTP API of [Queue.Handler].
//
// An approval is a one-time grant for that exact statement text and those
// argument values, or, when the reviewer says so, a time-boxed grant for
// the requester and the rules that asked (for N minutes). An unanswered
// request stays pending after the statement gave up waiting, so that a
// reviewer can still approve it and the caller retry. A Queue is safe for
// concurrent use.
type Queue struct {
	cfg     Config
	sealer  *argSealer
	mu      sync.Mutex
	waiters map[string][]chan struct{}
}

// NewQueue returns a queue.
func NewQueue(cfg Config) *Queue {
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	if cfg.MaxGrant <= 0 {
		cfg.MaxGrant = time.Hour
	}
	if cfg.PendingTTL <= 0 {
		cfg.PendingTTL = 24 * time.Hour
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	sealer := newArgSealer(cfg.ArgKey)
	cfg.ArgKey = nil
	return &Queue{cfg: cfg, sealer: sealer, waiters: map[string][]chan struct{}{}}
}

// idLen is the length of a request id: 12 random bytes in lowercase hex.
const idLen = 24

func newID() string {
	var b [idLen / 2]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validID reports whether id is one newID could have minted. Nothing else
// is looked up: a store's collation could take another spelling for it
// (MariaDB compares case- and trailing-space-insensitively).
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Approve implements [guard.Approver]: it answers at once from a grant that covers
// req, or files a ticket (or joins an identical pending one) and waits for a
// reviewer, until ctx is done.
func (q *Queue) Approve(ctx context.Context, req *guard.ApprovalRequest) (guard.Answer, error) {
	st := q.cfg.Store
	now := q.cfg.Now()
	query := q.queryOf(req, now)
	if t, ok, err := st.Claim(ctx, query); err != nil {
		return guard.Answer{}, fmt.Errorf("approval store: %w", err)
	} else if ok {
		return answerOf(t), nil
	}
	pq := query
	pq.Since = now.Add(-q.cfg.PendingTTL)
	t, found, err := st.FindPending(ctx, pq)
	if err != nil {
		return guard.Answer{}, fmt.Errorf("approval store: %w", err)
	}
	if !found {
		if p, ok := st.(Pruner); ok {
			// Best effort: a failed prune only leaves old tickets behind.
			_ = p.Prune(ctx, now.Add(-q.cfg.PendingTTL-q.cfg.MaxGrant))
		}
		t = ticketOf(req, newID(), now)
		t.SealedArgs = q.sealer.seal(&t, req.ArgValues())
		if err := st.Create(ctx, t); err != nil {
			return guard.Answer{}, fmt.Errorf("approval store: %w", err)
		}
	}
	req.SetTicket(t.ID)
	if q.cfg.NoWait || (q.cfg.NoWaitFor != nil && q.cfg.NoWaitFor(req)) {
		return guard.Answer{ID: t.ID, Pending: true}, nil
	}
	wake := q.wait(t.ID)
	defer q.unwait(t.ID, wake)
	tick := time.NewTicker(q.cfg.PollInterval)
	defer tick.Stop()
	for {
		// A statement that gave up waiting must not use up a one-time
		// grant meant for its retry.
		if err := ctx.Err(); err != nil {
			return guard.Answer{}, err
		}
		cur, err := st.Get(ctx, t.ID)
		if err != nil {
			return guard.Answer{}, fmt.Errorf("approval store: %w", err)
		}
		switch cur.Status {
		case StatusDenied:
			return answerOf(cur), nil
		case StatusApproved:
			query.ID, query.Now, query.Since = cur.ID, q.cfg.Now(), q.lapse()
			got, ok, err := st.Claim(ctx, query)
			if err != nil {
				return guard.Answer{}, fmt.Errorf("approval store: %w", err)
			}
			if ok {
				return answerOf(got), nil
			}
			if !query.Now.Before(cur.Decided) {
				return q.unclaimed(ctx, cur)
			}
			// Approved on a replica whose clock is ahead of this one's: the
			// grant covers this statement once this clock reaches it.
		}
		select {
		case <-ctx.Done():
			return guard.Answer{}, ctx.Err()
		case <-wake:
		case <-tick.C:
		}
	}
}

// unclaimed answers a waiting statement whose ticket was approved but
// whose claim failed: another execution used the one-time grant first (a
// statement that joined the same pending ticket, or a retry on another
// replica), or a time-boxed grant ended before it was claimed (the clock
// jumped). Neither is a reviewer's denial.
func (q *Queue) unclaimed(ctx context.Context, cur Ticket) (guard.Answer, error) {
	if now, err := q.cfg.Store.Get(ctx, cur.ID); err == nil {
		cur = now
	}
	if !cur.GrantUntil.IsZero() {
		return guard.Answer{}, errGrantEnded
	}
	a := answerOf(cur)
	a.Approved, a.Used = false, true
	return a, nil
}

// errGrantEnded stands for a time-boxed grant that ended between its
// approval and its claim: the policy refuses the statement, without
// calling it a reviewer's denial.
var errGrantEnded = errors.New("approval: the grant ended before the statement could use it")

// queryOf is the scope of req's grants at now.
func (q *Queue) queryOf(req *guard.ApprovalRequest, now time.Time) GrantQuery {
	g := GrantQuery{
		Requester:   req.Identity.Subject,
		Kind:        req.Identity.Kind.String(),
		Untrusted:   req.Identity.Untrusted,
		Environment: req.Environment,
		Tenant:      req.Identity.Tenant,
		Rule:        req.Rule,
		Fingerprint: req.Fingerprint,
		Statement:   req.Statement,
		Digest:      req.Digest,
		Now:         now,
		Since:       q.lapseAt(now),
	}
	if a := req.Identity.Agent; a != nil {
		g.OnBehalfOf = a.OnBehalfOf
	}
	return g
}

// lapse is the creation time before which an unused one-time grant has
// lapsed (Config.PendingTTL + MaxGrant ago).
func (q *Queue) lapse() time.Time { return q.lapseAt(q.cfg.Now()) }

func (q *Queue) lapseAt(now time.Time) time.Time { return now.Add(-q.cfg.PendingTTL - q.cfg.MaxGrant) }

func answerOf(t Ticket) guard.Answer {
	return guard.Answer{Approved: t.Status == StatusApproved, ID: t.ID, Reviewer: t.Reviewer, Comment: t.Comment}
}

func ticketOf(req *guard.ApprovalRequest, id string, now time.Time) Ticket {
	t := Ticket{
		ID:          id,
		Status:      StatusPending,
		Requester:   req.Identity.Subject,
		Name:        req.Identity.Name,
		Kind:        req.Identity.Kind.String(),
		Untrusted:   req.Identity.Untrusted,
		Service:     req.Identity.Service,
		Purpose:     req.Identity.Purpose,
		TicketRef:   req.Identity.Ticket,
		Environment: req.Environment,
		Tenant:      req.Identity.Tenant,
		Statement:   req.Statement,
		Summary:     req.Summary,
		Args:        slices.Clone(req.Args),
		Fingerprint: req.Fingerprint,
		Unmask:      req.Unmask,
		Rule:        req.Rule,
		Reason:      req.Reason,
		Digest:      req.Digest,
		Created:     now.UTC(),
	}
	if a := req.Identity.Agent; a != nil {
		t.Agent, t.OnBehalfOf = a.Name, a.OnBehalfOf
		t.Model, t.Tool, t.ToolCallID = a.Model, a.Tool, a.ToolCallID
	}
	return t
}

func (q *Queue) wait(id string) chan struct{} {
	ch := make(chan struct{}, 1)
	q.mu.Lock()
	q.waiters[id] = append(q.waiters[id], ch)
	q.mu.Unlock()
	return ch
}

func (q *Queue) unwait(id string, ch chan struct{}) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ws := slices.DeleteFunc(q.waiters[id], func(c chan struct{}) bool { return c == ch })
	if len(ws) == 0 {
		delete(q.waiters, id)
	} else {
		q.waiters[id] = ws
	}
}

func (q *Queue) notify(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, ch := range q.waiters[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Pending lists the requests waiting for a reviewer, of every tenant,
// oldest first. It checks no reviewer: use [Queue.PendingFor] to serve a
// person.
func (q *Queue) Pending(ctx context.Context) ([]Ticket, error) {
	return q.cfg.Store.Pending(ctx, q.cfg.Now().Add(-q.cfg.PendingTTL))
}

// PendingFor lists the requests reviewer may decide, oldest first: those of
// the reviewer's tenant, not their own (see [guard.SameSubject]). It refuses
// (ErrNotReviewer) someone who is not a reviewer.
func (q *Queue) PendingFor(ctx context.Context, reviewer identity.Identity) ([]Ticket, error) {
	if !q.isReviewer(&reviewer) {
		return nil, ErrNotReviewer
	}
	ts, err := q.Pending(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ts, func(t Ticket) bool { return t.Tenant != reviewer.Tenant || isOwn(&t, reviewer.Subject) }), nil
}

// Get returns one request. It checks no reviewer: use [Queue.GetFor] to
// serve a person.
func (q *Queue) Get(ctx context.Context, id string) (Ticket, error) {
	if !validID(id) {
		return Ticket{}, ErrNoTicket
	}
	return q.cfg.Store.Get(ctx, id)
}

// GetFor returns one request to reviewer. It refuses (ErrNotReviewer)
// someone who is not a reviewer, and answers ErrNoTicket for a request of
// another tenant.
func (q *Queue) GetFor(ctx context.Context, id string, reviewer identity.Identity) (Ticket, error) {
	if !q.isReviewer(&reviewer) {
		return Ticket{}, ErrNotReviewer
	}
	t, err := q.Get(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	if t.Tenant != reviewer.Tenant {
		return Ticket{}, ErrNoTicket
	}
	return t, nil
}

// isReviewer reports whether id may review: a trusted subject, not an AI
// agent, holding one of the required roles, if any are set. A review
// waits for a person: an agent approving would let an agent's statements
// be approved by an agent, and one acting for the requester would be the
// requester approving their own.
func (q *Queue) isReviewer(id *identity.Identity) bool {
	// A subject that SameSubject finds equal to nothing (blank, or only
	// invisible characters) names nobody.
	if !guard.SameSubject(id.Subject, id.Subject) || id.Untrusted || id.Kind == identity.KindAgent || id.Agent != nil {
		return false
	}
	return len(q.cfg.ReviewerRoles) == 0 || slices.ContainsFunc(q.cfg.ReviewerRoles, id.HasRole)
}

// isOwn reports whether reviewer is t's requester or the user the agent
// acted for.
func isOwn(t *Ticket, reviewer string) bool {
	return guard.SameSubject(t.Requester, reviewer) || guard.SameSubject(t.OnBehalfOf, reviewer)
}

// Ruling is a reviewer's answer to [Queue.Decide].
type Ruling struct {
	// Approve lets the statement run; false denies it.
	Approve bool
	// Comment is the reviewer's note, recorded with the statement.
	Comment string
	// GrantFor, when positive on an approval, makes it a time-boxed grant
	// for the requester and rules (capped by Config.MaxGrant); zero
	// makes it a one-time grant.
	GrantFor time.Duration

	// Set by [Queue.Decide] before the ruling reaches [Store.Decide]:

	// Reviewer is the deciding reviewer's subject.
	Reviewer string
	// Decided is when the ruling was made.
	Decided time.Time
	// GrantUntil ends a time-boxed grant (GrantFor capped by MaxGrant).
	GrantUntil time.Time
}

// Decide answers the request id as reviewer. It refuses (ErrNotReviewer) an
// anonymous or untrusted reviewer or one without a required role,
// (ErrSelfApproval) a reviewer deciding their own request or one an agent
// made on their behalf, compared by [guard.SameSubject], and (ErrNoTicket) a
// request of another tenant.
func (q *Queue) Decide(ctx context.Context, id string, reviewer identity.Identity, rv Ruling) (Ticket, error) {
	if !q.isReviewer(&reviewer) {
		return Ticket{}, ErrNotReviewer
	}
	if rv.GrantFor < 0 {
		return Ticket{}, fmt.Errorf("%w: negative grant duration", ErrRuling)
	}
	t, err := q.Get(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	if t.Tenant != reviewer.Tenant {
		return Ticket{}, ErrNoTicket
	}
	if isOwn(&t, reviewer.Subject) {
		return Ticket{}, ErrSelfApproval
	}
	if rv.Approve && rv.GrantFor > 0 && (t.Requester == "" || t.Untrusted) {
		return Ticket{}, fmt.Errorf("%w: a time-boxed grant needs a requester with a subject the service established", ErrRuling)
	}
	now := q.cfg.Now()
	if t.Status == StatusPending && t.Created.Before(now.Add(-q.cfg.PendingTTL)) {
		return Ticket{}, fmt.Errorf("%w: expired", ErrDecided)
	}
	d := Ruling{Approve: rv.Approve, Comment: rv.Comment, Reviewer: reviewer.Subject, Decided: now.UTC()}
	if rv.Approve && rv.GrantFor > 0 {
		d.GrantUntil = now.Add(min(rv.GrantFor, q.cfg.MaxGrant)).UTC()
	}
	t, err = q.cfg.Store.Decide(ctx, t.ID, d)
	if err != nil {
		return Ticket{}, err
	}
	q.notify(t.ID)
	return t, nil
}

// MemoryStore is a [Store] in process memory: approvals are lost on restart
// and not shared between replicas.
type MemoryStore struct {
	mu      sync.Mutex
	tickets map[string]*Ticket
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{tickets: map[string]*Ticket{}} }

// Create implements [Store].
func (m *MemoryStore) Create(_ context.Context, t Ticket) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.tickets[t.ID]; ok {
		return errors.New("guard: duplicate approval request id")
	}
	m.tickets[t.ID] = &t
	return nil
}

// Get implements [Store].
func (m *MemoryStore) Get(_ context.Context, id string) (Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tickets[id]
	if !ok {
		return Ticket{}, ErrNoTicket
	}
	return *t, nil
}

// Pending implements [Store].
func (m *MemoryStore) Pending(_ context.Context, since time.Time) ([]Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Ticket{}
	for _, t := range m.tickets {
		if t.Status == StatusPending && !t.Created.Before(since) {
			out = append(out, *t)
		}
	}
	slices.SortFunc(out, func(a, b Ticket) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// FindPending implements [Store].
func (m *MemoryStore) FindPending(_ context.Context, q GrantQuery) (Ticket, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range m.tickets {
		if t.Status == StatusPending && q.covers(t) && t.Digest == q.Digest && !t.Created.Before(q.Since) {
			return *t, true, nil
		}
	}
	return Ticket{}, false, nil
}

// Decide implements [Store].
func (m *MemoryStore) Decide(_ context.Context, id string, d Ruling) (Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tickets[id]
	if !ok {
		return Ticket{}, ErrNoTicket
	}
	if err := t.decide(d); err != nil {
		return Ticket{}, err
	}
	return *t, nil
}

// decide applies a ruling to a pending ticket, as every Store does; the
// sealed argument values go with the decision.
func (t *Ticket) decide(d Ruling) error {
	if t.Status != StatusPending {
		return ErrDecided
	}
	t.Status = StatusDenied
	if d.Approve {
		t.Status = StatusApproved
	}
	t.Reviewer, t.Comment, t.Decided, t.GrantUntil = d.Reviewer, d.Comment, d.Decided, d.GrantUntil
	t.SealedArgs = nil
	return nil
}

// Prune implements [Pruner]: it forgets tickets created before
// createdBefore.
func (m *MemoryStore) Prune(_ context.Context, createdBefore time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, t := range m.tickets {
		if t.Created.Before(createdBefore) {
			delete(m.tickets, id)
		}
	}
	return nil
}

// Claim implements [Store].
func (m *MemoryStore) Claim(_ context.Context, q GrantQuery) (Ticket, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range m.tickets {
		if t.Status != StatusApproved || !q.covers(t) || q.Now.Before(t.Decided) {
			continue
		}
		if !t.GrantUntil.IsZero() {
			if q.Now.Before(t.GrantUntil) {
				return *t, true, nil
			}
			continue
		}
		if !t.Consumed && t.Digest == q.Digest && !t.Created.Before(q.Since) {
			t.Consumed = true
			return *t, true, nil
		}
	}
	return Ticket{}, false, nil
}
