package driver

import (
	"context"
	sqldriver "database/sql/driver"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

var _ sqlmw.ConnResetInterceptor = (*interceptor)(nil)

// Session state is shared state: what a statement leaves on a pooled
// connection (settings, role, search path, PRAGMAs, temporary objects,
// prepared statements, locks, user variables) would be seen by the next
// statement on it, whoever issues it. A statement that may leave such
// state (sqlparse's Script.ChangesSession), or that may run code its text
// does not show (runsHiddenCode: every PostgreSQL statement, a MySQL one
// naming a view or a table with triggers), marks its connection dirty,
// recording who changed it. Before a dirty connection serves another
// identity (see sameIdentity) it is reset in place, or discarded:
//   - when database/sql takes it from the pool (ResetSession, which is
//     given the context of the caller about to use it);
//   - on a connection held across calls (sql.Conn, a transaction), before
//     the statement: reset in place, or the statement is refused with
//     ErrSessionState when the dialect cannot reset in place or a
//     transaction is open.
//
// The same identity keeps its state, as it would without sqlvigil: a
// temporary table created in one call is still there in the next, when
// the pool hands the same connection back. The cost is paid by dirty
// connections changing hands only (on PostgreSQL, nearly every connection
// that changes identity: one reset in place).
//
// What the latest statement left for the next one to read (SQLite
// last_insert_rowid, MySQL FOUND_ROWS, the warnings) is not reset by
// anything: a read of it by another identity is refused (readsPrevious).
// A transaction in which one identity's statement ran holds its rows,
// locks and snapshot: another identity's statements in it are refused.

// ErrSessionState is returned for a statement refused because its
// connection holds session state another identity left, which sqlvigil
// cannot reset there: inside a transaction, or on a connection held with
// sql.Conn when the dialect's state can only be cleared by closing the
// connection (MySQL, and SQLite after a PRAGMA it cannot restore). It
// matches guard.ErrBlocked too. Use errors.Is; errors.As with
// *SessionStateError for the reason.
var ErrSessionState = errors.New("sqlvigil: connection holds session state set by another identity")

// SessionStateError is the detail of ErrSessionState.
//
// A pooled connection keeps what a statement left on it (settings, role,
// search path, PRAGMAs, temporary tables, prepared statements, advisory
// locks, user variables, LISTEN, an open transaction begun by text). A
// statement that may leave such state marks its connection dirty, with
// its identity; so does one that may run code its text does not show (a
// view's functions, a trigger, a default, a domain or an operator): on
// PostgreSQL every statement, on MySQL one that names a view or a table
// with triggers, or a relation the catalog could not be asked about. Before a dirty connection serves a statement of another
// identity — one that differs in any field but the display name and an
// agent's tool call id — sqlvigil resets it, or closes it:
//
//   - PostgreSQL is reset in place: ROLLBACK, then what DISCARD ALL does
//     except DEALLOCATE ALL (so statements the driver prepared, and pgx's
//     statement cache, keep working); statements prepared with PREPARE in
//     SQL are deallocated. Settings given at connect (DSN parameters) are
//     kept, as RESET ALL returns to them. A library loaded (LOAD), a dblink
//     connection opened or a text not fully read closes the connection
//     instead.
//   - SQLite is reset in place (attached databases detached, temporary
//     objects dropped, the PRAGMAs of connection settings restored) unless
//     the change cannot be undone (another PRAGMA, an extension loaded, a
//     transaction begun by text): then the connection is closed. An
//     in-memory database lives in its connections, and closing one may
//     lose it: there such a change is refused ([ErrSessionState]) before
//     it runs, whoever runs it; after a text sqlvigil could not fully
//     read, the connection is kept and refused to other identities.
//   - MySQL and MariaDB are closed: go-sql-driver/mysql does not send
//     COM_RESET_CONNECTION, and user variables, temporary tables and
//     prepared statements cannot be listed to be undone.
//   - A connection handed out by [RawConn] is closed.
//
// On a pooled connection this happens when database/sql takes it from the
// pool (driver.SessionResetter, which sqlvigil offers for every driver and
// which calls the driver's own first; closing is its driver.ErrBadConn
// answer). On a held connection (sql.Conn, a transaction) it happens before
// the statement, or before BeginTx; where it cannot (inside a transaction, or when the
// connection would have to be closed), the statement is refused with
// [ErrSessionState]. A statement inside a transaction in which another
// identity's statements ran is refused too, whatever they did: its
// uncommitted rows, locks and snapshot are session state. Each reset or close is recorded ("RESET SESSION",
// "DISCARD CONNECTION", method "reset") under the identity about to use
// the connection. The same identity keeps its state, as without sqlvigil.
// Session settings meant for every connection belong in the DSN, which a
// reset keeps.
// With no policy, masker or auditor, nothing is tracked.
type SessionStateError struct {
	// Reason says why the connection could not be reset.
	Reason string
}

// Error implements error.
func (e *SessionStateError) Error() string { return ErrSessionState.Error() + ": " + e.Reason }

// Unwrap returns ErrSessionState and guard.ErrBlocked.
func (e *SessionStateError) Unwrap() []error { return []error{ErrSessionState, guard.ErrBlocked} }

// session is the state statements left on one connection since it was
// opened or last reset.
type session struct {
	dirty bool
	// by is who first changed the state.
	by identity.Identity
	// discard is true when the state cannot be reset in place: the
	// connection must be closed.
	discard bool
	// pragmas holds, for SQLite, the value each PRAGMA set had before the
	// first statement that set it, to be restored.
	pragmas map[string]string
	// last is who ran the latest statement on the connection (when ran):
	// a reset does not clear what it left for the next statement to read
	// (see readsPrevious).
	last identity.Identity
	ran  bool
	// mem is, for SQLite, whether the main database lives in memory (see
	// sqliteInMemory); 0 until asked.
	mem int8
	// charset is set, for MySQL, once a statement may have changed the
	// connection's character set (SET NAMES, or code that may run it):
	// arguments are then bound by the server (see serverBind).
	charset bool
	// textTx is set while a transaction begun by text (BEGIN, SAVEPOINT)
	// may be open: on a held connection another identity's statement is
	// refused rather than rolling it back under its owner.
	textTx bool
}

// Values of session.mem.
const (
	memYes int8 = 1 + iota
	memNo
)

// The texts that reset a session in place, and what is recorded for a
// connection discarded instead.
const (
	// pgReset is DISCARD ALL without its DEALLOCATE ALL, which would also
	// drop the statements the driver prepared through the protocol (lib/pq's
	// and database/sql's prepared statements, pgx's statement cache) and
	// break them; only those prepared by PREPARE in SQL are deallocated.
	// It starts with a ROLLBACK, as a transaction begun by text may be open
	// (the server answers a warning when none is), and runs as one simple
	// query. The role, settings and temporary objects go before anything
	// names a function or relation, and those names are qualified, so that
	// nothing the session left (a search path, a temporary view named
	// pg_prepared_statements) can stand in for them. Last, random() is
	// seeded again from the server's strong random source: neither
	// RESET ALL nor DISCARD ALL undoes setseed, which a function may call
	// unseen, and which would let one identity choose the next one's
	// random() values.
	pgReset = "ROLLBACK; CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DISCARD TEMP; " +
		"DO $$DECLARE r record; BEGIN FOR r IN SELECT name FROM pg_catalog.pg_prepared_statements WHERE from_sql LOOP " +
		"EXECUTE pg_catalog.format('DEALLOCATE %I', r.name); END LOOP; END$$; " +
		"UNLISTEN *; SELECT pg_catalog.pg_advisory_unlock_all(); DISCARD PLANS; DISCARD SEQUENCES; " +
		"SELECT pg_catalog.setseed(pg_catalog.float8div(pg_catalog.textcat('x', pg_catalog.substr(" +
		"pg_catalog.md5(pg_catalog.gen_random_uuid()::text), 1, 13))::bit(52)::bigint::float8, 4503599627370496))"
	sqliteReset   = "DETACH attached databases; DROP temp objects; restore PRAGMAs"
	summaryReset  = "RESET SESSION"
	summaryClosed = "DISCARD CONNECTION"
)

// crossCheck resets the session of a connection another identity than id
// left dirty, before id uses it; it reports why when it cannot. It runs in
// begin, for a statement the policy allowed, before the flow check (which
// reads the catalog through the connection), and in BeginTx.
//
// Inside a transaction in which a statement ran, a statement of another
// identity than the one that ran it is refused: the transaction is session
// state too (rows written and not committed, locks, its snapshot). A statement that reads what the
// previous statement on the connection left (see readsPrevious) is refused
// when that statement was another identity's: no reset clears it. script
// is nil for BeginTx. On an in-memory SQLite database, a statement whose
// change of session can only be undone by closing the connection is
// refused, whoever runs it: closing the connection could lose the data.
// (A text the analyser could not fully read, or of unknown effect, is let
// through; its connection is then kept, and refused to other identities,
// rather than closed.)
func (i *interceptor) crossCheck(ctx context.Context, cs *connState, id identity.Identity, script *sqlparse.Script) *SessionStateError {
	s := &cs.sess
	if cs.tx != nil && cs.tx.used && !sameIdentity(cs.tx.by, id) {
		return &SessionStateError{Reason: "the transaction holds what another identity's statements did; end it first"}
	}
	if s.ran && !sameIdentity(s.last, id) && readsPrevious(i.cfg.dialect, script) {
		return &SessionStateError{Reason: "the statement reads what the previous statement on the connection, another identity's, left"}
	}
	if i.cfg.dialect == sqlstmt.SQLite && script != nil && sqliteUnresettable(script) && cs.parent != nil && sqliteInMemory(ctx, cs) {
		// Closing the connection to undo it would lose the database.
		return &SessionStateError{Reason: "the change of session cannot be undone without closing the connection, which would lose the in-memory database"}
	}
	if !s.dirty || sameIdentity(s.by, id) {
		return nil
	}
	switch {
	case cs.tx != nil || s.textTx:
		return &SessionStateError{Reason: "a transaction is open on the connection; end it first"}
	case s.discard || i.cfg.dialect == sqlstmt.MySQL:
		return &SessionStateError{Reason: "the session cannot be reset without closing the connection; close the sql.Conn"}
	}
	if err := i.resetSession(ctx, cs); err != nil {
		return &SessionStateError{Reason: "the session could not be reset"}
	}
	return nil
}

// markSession marks the connection dirty if the statement may change its
// session. It is called for every statement about to run: from begin,
// once the statement is allowed, and for a statement database/sql retries on another
// connection after driver.ErrBadConn.
func (i *interceptor) markSession(ctx context.Context, cs *connState, run *stmtRun) {
	if cs == nil {
		return
	}
	if s := &cs.sess; !s.ran || !sameIdentity(s.last, run.id) {
		s.last, s.ran = run.id.Clone(), true
	}
	if tx := cs.tx; tx != nil && !tx.used {
		tx.used, tx.by = true, run.id.Clone()
	}
	changes := run.script.ChangesSession()
	if changes || changesSchema(run.script) {
		// A view or trigger may have come or gone, also by a procedure
		// called or a statement executed.
		i.code.forget()
	}
	if !changes && !i.runsHiddenCode(ctx, cs, run.script) {
		return
	}
	if i.cfg.dialect == sqlstmt.MySQL && !cs.sess.charset && mayChangeCharset(run.script) {
		cs.sess.charset = true
	}
	cs.sess.textTx = textTxAfter(cs.sess.textTx, run.script)
	s := &cs.sess
	if !s.dirty {
		s.dirty, s.by = true, run.id.Clone()
	}
	switch i.cfg.dialect {
	case sqlstmt.SQLite:
		i.sqliteSnapshot(ctx, cs, run.script)
	case sqlstmt.PostgreSQL:
		if !pgResettable(run.script) {
			s.discard = true
		}
	}
}

// pgResettable reports whether what a PostgreSQL text may leave on its
// session is undone by pgReset: not a library loaded (LOAD), not a dblink
// connection kept open, not a text the analyser could not read.
func pgResettable(s *sqlparse.Script) bool {
	if !s.Complete {
		return false
	}
	for k := range s.Statements {
		for st := &s.Statements[k]; st != nil; st = st.Inner {
			if st.Kind == sqlparse.KindOther && st.DefinesCode {
				return false
			}
			for _, f := range st.Functions {
				if strings.HasPrefix(f, "dblink_connect") || strings.Contains(f, ".dblink_connect") {
					return false
				}
			}
		}
	}
	return true
}

// markRaw marks a connection whose driver connection was handed out
// (RawConn): anything may have been done on it, and only closing it
// undoes everything.
func markRaw(cs *connState, id identity.Identity) {
	if !cs.sess.dirty {
		cs.sess.dirty, cs.sess.by = true, id.Clone()
	}
	cs.sess.discard = true
}

// ConnResetSession implements sqlmw.ConnResetInterceptor. database/sql
// calls it when it takes a used connection from the pool, with the
// context of the caller about to use it: the driver's own check runs
// first, then a session another identity left dirty is reset in place, or
// the connection is discarded (driver.ErrBadConn, database/sql's only way
// to drop a connection here; it then takes or opens another). Any failure
// discards the connection, as database/sql ignores other errors from
// ResetSession.
func (i *interceptor) ConnResetSession(ctx context.Context, p *sqlmw.ParentConn) error {
	err := i.connResetSession(ctx, p)
	if err != nil && i.active && isBadConn(err) {
		// database/sql counts it as an attempt of the call it serves.
		i.retries.resetFailed(ctx, p, err, i.redact)
	}
	return err
}

func (i *interceptor) connResetSession(ctx context.Context, p *sqlmw.ParentConn) error {
	cs, _ := p.State.(*connState)
	dirty := cs != nil && cs.sess.dirty
	if err := p.ResetSession(ctx); err != nil {
		if !dirty || sameIdentity(cs.sess.by, i.identify(ctx)) {
			return err
		}
		// database/sql hands the connection out after any other error:
		// another identity's session is not, reset or not.
		reason := "the driver closes the connection"
		if !errors.Is(err, sqldriver.ErrBadConn) {
			reason = "the driver could not reset the connection: closed"
		}
		i.recordReset(ctx, summaryClosed, "", reason, nil)
		return sqldriver.ErrBadConn
	}
	if !dirty || sameIdentity(cs.sess.by, i.identify(ctx)) {
		return nil
	}
	if i.cfg.dialect == sqlstmt.SQLite && cs.sess.discard && sqliteInMemory(ctx, cs) {
		// Closing it could lose the database: the connection is kept, and
		// another identity's statements on it are refused (crossCheck).
		return nil
	}
	if cs.sess.discard || i.cfg.dialect == sqlstmt.MySQL {
		i.recordReset(ctx, summaryClosed, "", "the session cannot be reset in place: connection closed", nil)
		return sqldriver.ErrBadConn
	}
	if err := i.resetSession(ctx, cs); err != nil {
		return sqldriver.ErrBadConn
	}
	return nil
}

// resetSession resets the session of the connection in place, and
// records it.
func (i *interceptor) resetSession(ctx context.Context, cs *connState) error {
	var (
		text string
		err  error
	)
	switch i.cfg.dialect {
	case sqlstmt.PostgreSQL:
		text = pgReset
		_, err = cs.parent.ExecContext(ctx, pgReset, nil)
	case sqlstmt.SQLite:
		text = sqliteReset
		err = i.sqliteResetSession(ctx, cs)
	default:
		err = errors.New("sqlvigil: no session reset for this dialect")
	}
	if err == sqldriver.ErrSkip {
		err = errors.New("sqlvigil: the driver cannot run the session reset")
	}
	i.recordReset(ctx, summaryReset, text, "session state set by an earlier statement", err)
	if err != nil {
		return err
	}
	cs.sess = session{last: cs.sess.last, ran: cs.sess.ran, mem: cs.sess.mem}
	cs.private = false // names resolve as on any connection of the handle again
	return nil
}

// recordReset leaves an audit record of a reset (or of a connection
// discarded), under the identity about to use the connection. A record
// that cannot be written changes nothing: the connection is reset or
// discarded all the same.
func (i *interceptor) recordReset(ctx context.Context, summary, text, reason string, err error) {
	a := i.cfg.auditor
	if a == nil {
		return
	}
	id := i.identify(ctx)
	ev := &audit.Event{
		Identity:      id,
		System:        i.cfg.dialect.String(),
		Namespace:     i.cfg.namespace,
		ServerAddress: i.cfg.serverAddress,
		ServerPort:    i.cfg.serverPort,
		Method:        "reset",
		Operation:     summary,
		Summary:       summary,
		QueryText:     text,
		Complete:      true,
		Decision:      "allow",
		Reason:        reason,
	}
	_, rec, serr := a.Start(ctx, ev)
	if serr != nil {
		return
	}
	rec.End(audit.Outcome{RowsAffected: -1, Err: i.redactFor(id, false, err)})
}

// sameIdentity reports whether a and b are the same caller acting with
// the same authority, so that session state one left may serve the
// other: every field a policy or masker may decide on is equal. The
// display name and an agent's tool call id are not compared (an agent's
// successive calls of one tool are one caller).
func sameIdentity(a, b identity.Identity) bool {
	if a.Kind != b.Kind || a.Subject != b.Subject || a.Tenant != b.Tenant || a.Service != b.Service ||
		a.Purpose != b.Purpose || a.Ticket != b.Ticket || a.Untrusted != b.Untrusted ||
		!slices.Equal(a.Roles, b.Roles) || !maps.Equal(a.Attributes, b.Attributes) {
		return false
	}
	if (a.Agent == nil) != (b.Agent == nil) {
		return false
	}
	if a.Agent == nil {
		return true
	}
	x, y := *a.Agent, *b.Agent
	return x.Name == y.Name && x.Model == y.Model && x.Tool == y.Tool && x.OnBehalfOf == y.OnBehalfOf
}
