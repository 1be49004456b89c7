package approval

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

var (
	_ Store  = (*SQLStore)(nil)
	_ Pruner = (*SQLStore)(nil)
	_ Store  = (*MemoryStore)(nil)
	_ Pruner = (*MemoryStore)(nil)
)

// SQLStore is a [Store] in a database table, so that the replicas of a
// service share approvals: a request filed by one replica can be approved
// through another's HTTP API, and a grant given on one is honoured by all.
// It works on PostgreSQL, MySQL/MariaDB and SQLite.
//
// Give it a *sql.DB that is not wrapped by sqlvigil, or one whose policy
// lets the store's identity-less statements through: otherwise its own
// statements are checked by the policy they serve.
type SQLStore struct {
	db    *sql.DB
	table string
	d     sqlstmt.Dialect
}

// NewSQLStore returns a store on table (a plain or schema-qualified
// identifier of letters, digits and underscores) of db, in dialect d. Call
// [SQLStore.Init] once to create the table.
func NewSQLStore(db *sql.DB, d sqlstmt.Dialect, table string) (*SQLStore, error) {
	if db == nil {
		return nil, errors.New("guard: SQLStore needs a database")
	}
	switch d {
	case sqlstmt.PostgreSQL, sqlstmt.MySQL, sqlstmt.SQLite:
	default:
		return nil, errors.New("guard: SQLStore needs a known dialect")
	}
	if !validTableName(table) {
		return nil, errors.New("guard: SQLStore table name must be letters, digits and underscores, optionally schema-qualified")
	}
	return &SQLStore{db: db, table: table, d: d}, nil
}

func validTableName(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 63 || ('0' <= p[0] && p[0] <= '9') {
			return false
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				return false
			}
		}
	}
	return true
}

// Init creates the table if it does not exist.
func (s *SQLStore) Init(ctx context.Context) error {
	body := "TEXT"
	if s.d == sqlstmt.MySQL {
		body = "MEDIUMTEXT"
	}
	_, err := s.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+s.table+` (
	id VARCHAR(64) NOT NULL PRIMARY KEY,
	status VARCHAR(16) NOT NULL,
	requester VARCHAR(255) NOT NULL,
	rule VARCHAR(255) NOT NULL,
	digest VARCHAR(128) NOT NULL,
	created BIGINT NOT NULL,
	grant_until BIGINT NOT NULL,
	consumed INT NOT NULL,
	body `+body+` NOT NULL)`)
	if err != nil {
		return fmt.Errorf("guard: create approval table: %w", err)
	}
	return nil
}

// q rewrites "?" placeholders for the dialect.
func (s *SQLStore) q(query string) string {
	query = strings.ReplaceAll(query, "$T", s.table)
	if s.d != sqlstmt.PostgreSQL {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

const ticketColumns = "id, status, digest, consumed, body"

func scanTicket(sc interface{ Scan(...any) error }) (Ticket, error) {
	var (
		t        Ticket
		id, st   string
		digest   string
		consumed int
		body     string
	)
	if err := sc.Scan(&id, &st, &digest, &consumed, &body); err != nil {
		return Ticket{}, err
	}
	if err := json.Unmarshal([]byte(body), &t); err != nil {
		return Ticket{}, fmt.Errorf("guard: approval %s: %w", id, err)
	}
	t.ID, t.Status, t.Digest, t.Consumed = id, Status(st), digest, consumed != 0
	return t, nil
}

// Create implements [Store].
func (s *SQLStore) Create(ctx context.Context, t Ticket) error {
	body, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.q("INSERT INTO $T (id, status, requester, rule, digest, created, grant_until, consumed, body) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)"),
		t.ID, string(t.Status), t.Requester, t.Rule, t.Digest, nanos(t.Created), nanos(t.GrantUntil), string(body))
	return err
}

// Get implements [Store].
func (s *SQLStore) Get(ctx context.Context, id string) (Ticket, error) {
	t, err := scanTicket(s.db.QueryRowContext(ctx, s.q("SELECT "+ticketColumns+" FROM $T WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, ErrNoTicket
	}
	return t, err
}

func (s *SQLStore) list(ctx context.Context, query string, args ...any) ([]Ticket, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Ticket{}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Pending implements [Store].
func (s *SQLStore) Pending(ctx context.Context, since time.Time) ([]Ticket, error) {
	return s.list(ctx, "SELECT "+ticketColumns+" FROM $T WHERE status = ? AND created >= ? ORDER BY created, id",
		string(StatusPending), nanos(since))
}

// FindPending implements [Store].
func (s *SQLStore) FindPending(ctx context.Context, q GrantQuery) (Ticket, bool, error) {
	ts, err := s.list(ctx, "SELECT "+ticketColumns+" FROM $T WHERE status = ? AND requester = ? AND rule = ? AND digest = ? AND created >= ? ORDER BY created, id",
		string(StatusPending), q.Requester, q.Rule, q.Digest, nanos(q.Since))
	if err != nil {
		return Ticket{}, false, err
	}
	// The rest of the scope lives in the body: filtering here keeps the
	// table's columns as they were.
	for _, t := range ts {
		if q.covers(&t) {
			return t, true, nil
		}
	}
	return Ticket{}, false, nil
}

// Decide implements [Store]. Only one of several concurrent decisions on a
// ticket succeeds; the others get ErrDecided.
func (s *SQLStore) Decide(ctx context.Context, id string, d Ruling) (Ticket, error) {
	t, err := s.Get(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	if err := t.decide(d); err != nil {
		return Ticket{}, err
	}
	body, err := json.Marshal(t)
	if err != nil {
		return Ticket{}, err
	}
	res, err := s.db.ExecContext(ctx, s.q("UPDATE $T SET status = ?, grant_until = ?, body = ? WHERE id = ? AND status = ?"),
		string(t.Status), nanos(t.GrantUntil), string(body), id, string(StatusPending))
	if err != nil {
		return Ticket{}, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return Ticket{}, err
	} else if n != 1 {
		return Ticket{}, ErrDecided
	}
	return t, nil
}

// Prune implements [Pruner]: it deletes tickets created before
// createdBefore.
func (s *SQLStore) Prune(ctx context.Context, createdBefore time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q("DELETE FROM $T WHERE created < ?"), nanos(createdBefore))
	return err
}

// Claim implements [Store]. A one-time grant is consumed by a conditional
// UPDATE, so that only one replica uses it. The scope's requester, rules,
// times and digest are matched in SQL; the user an agent acts for, the
// tenant and the fingerprint, kept in the ticket's body, are matched here
// before anything is consumed.
func (s *SQLStore) Claim(ctx context.Context, q GrantQuery) (Ticket, bool, error) {
	idCond, args := "", []any{string(StatusApproved), q.Requester, q.Rule, nanos(q.Now)}
	if q.ID != "" {
		idCond = " AND id = ?"
		args = append(args, q.ID)
	}
	boxed, err := s.list(ctx, "SELECT "+ticketColumns+" FROM $T WHERE status = ? AND requester = ? AND rule = ? AND grant_until > ?"+idCond+" ORDER BY created, id", args...)
	if err != nil {
		return Ticket{}, false, err
	}
	for _, t := range boxed {
		if q.covers(&t) && !q.Now.Before(t.Decided) {
			return t, true, nil
		}
	}
	args = []any{string(StatusApproved), q.Requester, q.Rule, q.Digest, nanos(q.Since)}
	if q.ID != "" {
		args = append(args, q.ID)
	}
	once, err := s.list(ctx, "SELECT "+ticketColumns+" FROM $T WHERE status = ? AND requester = ? AND rule = ? AND digest = ? AND created >= ? AND grant_until = 0 AND consumed = 0"+idCond+" ORDER BY created, id", args...)
	if err != nil {
		return Ticket{}, false, err
	}
	for _, t := range once {
		if !q.covers(&t) || q.Now.Before(t.Decided) {
			continue
		}
		res, err := s.db.ExecContext(ctx, s.q("UPDATE $T SET consumed = 1 WHERE id = ? AND consumed = 0"), t.ID)
		if err != nil {
			return Ticket{}, false, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return Ticket{}, false, err
		} else if n == 1 {
			t.Consumed = true
			return t, true, nil
		}
	}
	return Ticket{}, false, nil
}
