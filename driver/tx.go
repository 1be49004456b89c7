package driver

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/identity"
)

var _ sqldriver.Tx = (*tx)(nil)

// txState is a caller's open transaction on one connection.
type txState struct {
	ctx context.Context // the context the auditor returned for the transaction
	rec *audit.Record
	cs  *connState
	// id is who began the transaction: a deferred constraint's error at
	// commit is redacted for them.
	id identity.Identity
	// used is set once a statement ran in the transaction, by whom: from
	// then on it holds state (rows written and not committed, locks, a
	// snapshot), and only that identity's statements run in it.
	used bool
	by   identity.Identity
}

// tx is the driver transaction as the pipeline returns it to the sqlmw
// mechanics, so that Commit and Rollback find their state.
type tx struct {
	sqldriver.Tx
	st *txState
}

// ConnBeginTx implements sqlmw.Interceptor: it opens the transaction's
// record, whose children are the statements run inside it.
func (i *interceptor) ConnBeginTx(ctx context.Context, conn sqldriver.ConnBeginTx, opts sqldriver.TxOptions) (context.Context, sqldriver.Tx, error) {
	if !i.active {
		t, err := conn.BeginTx(ctx, opts)
		return ctx, t, err
	}
	if cs := i.state(parentOf(conn)); cs != nil {
		// A session another identity left is reset before the transaction,
		// inside which it could not be.
		if se := i.crossCheck(ctx, cs, i.identify(ctx), nil); se != nil {
			return ctx, nil, se
		}
	}
	// Begin first: a begin that fails (and is retried after
	// driver.ErrBadConn) leaves no transaction record.
	t, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return ctx, nil, err
	}
	st := &txState{ctx: ctx, cs: i.state(parentOf(conn)), id: i.identify(ctx)}
	if a := i.cfg.auditor; a != nil {
		rctx, rec, err := a.StartTx(ctx, opts.ReadOnly, sql.IsolationLevel(opts.Isolation).String())
		if err != nil {
			_ = t.Rollback()
			return ctx, nil, noBadConn(err)
		}
		st.ctx, st.rec = rctx, rec
	}
	if st.cs != nil {
		st.cs.tx = st
	}
	return ctx, &tx{Tx: t, st: st}, nil
}

// TxCommit implements sqlmw.Interceptor.
func (i *interceptor) TxCommit(ctx context.Context, t sqldriver.Tx) error {
	w, ok := t.(*tx)
	if !ok {
		return t.Commit()
	}
	err := i.redactFor(w.st.id, false, w.Tx.Commit())
	w.st.end("commit", err)
	return err
}

// TxRollback implements sqlmw.Interceptor.
func (i *interceptor) TxRollback(ctx context.Context, t sqldriver.Tx) error {
	w, ok := t.(*tx)
	if !ok {
		return t.Rollback()
	}
	err := i.redactFor(w.st.id, false, w.Tx.Rollback())
	w.st.end("rollback", err)
	return err
}

func (st *txState) end(how string, err error) {
	if st.cs != nil && st.cs.tx == st {
		st.cs.tx = nil
	}
	if st.rec != nil {
		st.rec.End(audit.Outcome{RowsAffected: -1, Err: err, TxEnd: how})
		st.rec = nil
	}
}
