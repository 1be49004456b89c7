// Package approval is the review service: a [Queue] that holds statements a
// guard policy sent to review as tickets until a person answers, with a
// JSON HTTP API for reviewers and a [Store] to keep the tickets. A Queue is
// a guard.Approver: give it to guard.WithApprover.
//
// # Main types
//
// [Queue] files each review as a [Ticket] (who, what — the literal-free
// text, the arguments by type and size and, sealed under Config.ArgKey,
// their values — and why) and answers it through [Queue.Decide] with a
// [Ruling] or through the API of [Queue.Handler] ([HandlerConfig]; its
// Reveal hook shows a reviewer the values their own mask rules allow).
// [Config] sets the store, the reviewer roles, the grant and pending
// lifetimes, and NoWait / NoWaitFor. Stores: [MemoryStore] (one process)
// and [SQLStore] (a table shared by replicas).
//
// An approval is a one-time grant for that exact statement text and those
// argument values, or a time-boxed grant (at most Config.MaxGrant); either
// is scoped to the requester, the user an agent acts for, the tenant, the
// rules and the statement's shape, and checked when claimed.
//
// # Fail closed
//
// A reviewer must be a trusted person (not an AI agent), have a subject,
// hold a required role, be of the requester's tenant, and be neither the
// requester nor the user an agent acts for (guard.SameSubject): otherwise
// [ErrNotReviewer], [ErrSelfApproval] or [ErrNoTicket]. The HTTP API needs
// a reviewer on every route, reads included, takes application/json only,
// and refuses cross-site requests (see [Queue.Handler]).
//
// # Agents: the non-blocking round trip
//
// With Config.NoWait the statement does not wait: it fails at once with a
// pending *guard.ReviewError carrying the ticket (matching guard.ErrBlocked
// and guard.ErrReviewPending); the agent tells its user, a reviewer
// approves, and the same statement with the same arguments then runs, once:
//
//	q := approval.NewQueue(approval.Config{NoWait: true})
//	p, err := guard.New(guard.WithApprover(q), guard.WithRules(guard.DestructiveDDL().Reviewed()))
//	db, err := sqlvigil.Open("postgres", dsn, sqlvigil.WithPolicy(p))
//	_, err = db.ExecContext(ctx, sql)                  // request
//	var re *guard.ReviewError
//	if errors.As(err, &re) && re.Pending { /* tell the user re.Ticket */ }
//	// a reviewer: POST /requests/{ticket}/approve, or q.Decide
//	_, err = db.ExecContext(ctx, sql)                  // retry: runs
//
// # Concurrency
//
// A Queue and the stores are safe for concurrent use; a Store must be too.
package approval
