package redteam_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"github.com/lib/pq"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
	"github.com/sqlvigil/sqlvigil/internal/testdb"
	"github.com/sqlvigil/sqlvigil/mask"
)

// Families of SQL dialects; an attack names the family it is written in.
const (
	pg   = "pg"
	my   = "my"
	lite = "lite"
)

// backend is one real server reached through one real driver.
type backend struct {
	name   string
	family string
	driver string
	dsn    func(testing.TB) string
	// proves is true for the backends on which the raw driver sends a text
	// without arguments to the server whole, stacked statements included:
	// there an attack is also run raw, to prove that the engine would be
	// harmed without sqlvigil.
	proves bool
}

func backends() []backend {
	return []backend{
		{name: "pq", family: pg, driver: "postgres", dsn: testdb.Postgres, proves: true},
		{name: "pgx", family: pg, driver: "pgx", dsn: testdb.Postgres},
		{name: "mariadb", family: my, driver: "mysql", proves: true, dsn: func(t testing.TB) string {
			return testdb.MySQL(t, "multiStatements=true")
		}},
		{name: "mariadb-interpolate", family: my, driver: "mysql", dsn: func(t testing.TB) string {
			return testdb.MySQL(t, "multiStatements=true", "interpolateParams=true")
		}},
		// A service that sets sql_mode in its DSN: "…" quotes an identifier
		// and a backslash is an ordinary character, unlike what the
		// analyser assumes by default.
		{name: "mariadb-ansi", family: my, driver: "mysql", dsn: func(t testing.TB) string {
			return testdb.MySQL(t, "multiStatements=true", "sql_mode=%27ANSI_QUOTES,NO_BACKSLASH_ESCAPES%27")
		}},
		{name: "sqlite", family: lite, driver: "sqlite", dsn: testdb.SQLite, proves: true},
	}
}

// Identities, as a service would establish them.
var (
	dev = identity.Identity{Kind: identity.KindUser, Subject: "dev-1", Roles: []string{"dev"}}
	bot = identity.Identity{Kind: identity.KindAgent, Subject: "agent-1",
		Agent: &identity.Agent{Name: "sql-helper", Model: "m", Tool: "run_sql", ToolCallID: "call-1"}}
	dpo = identity.Identity{Kind: identity.KindUser, Subject: "dpo-1", Roles: []string{"pii:read"}}
)

// securityPolicy is the policy a security team would give a production
// pool shared by services, people and AI agents.
func securityPolicy(t testing.TB) *guard.Policy {
	t.Helper()
	everyone := guard.Who{Kinds: []identity.Kind{identity.KindUser, identity.KindAgent, identity.KindService}}
	p, err := guard.New(
		guard.WithEnvironment("production"),
		guard.WithRules(
			guard.RequireIdentity(),
			guard.StackedStatements(),
			guard.DestructiveDDL("production"),
			guard.MissingWhere(),
			guard.DangerousCalls(),
			guard.PrivilegeChanges(),
			guard.LexingSettings(),
			guard.ReadOnly(guard.Who{Kinds: []identity.Kind{identity.KindAgent}}),
			guard.Tables(guard.TableAccess{Who: everyone, Deny: []string{"vault"}}),
			guard.CatalogWrites(),
			guard.IntegritySettings(),
			guard.Maintenance(),
			// The DBA's procedure that returns personal data (mask tests).
			guard.Routines(guard.Routine{Name: "list_people", Effect: sqlparse.KindSelect}),
		),
	)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// securityMasker masks e-mail addresses, social security numbers and card
// numbers; holders of pii:read see e-mails and SSNs, nobody sees cards.
func securityMasker(t testing.TB) *mask.Masker {
	t.Helper()
	exempt := []string{"pii:read"}
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email", "*_email"}, Strategy: mask.Email(), ExemptRoles: exempt},
		mask.Rule{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact(), ExemptRoles: exempt},
		mask.Rule{Name: "card", Columns: []string{"card", "card_number"}, Strategy: mask.Partial(0, 4), NeverUnmask: true},
	))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sink keeps every audit record.
type sink struct {
	mu  sync.Mutex
	all []audit.Entry
}

func (s *sink) Write(_ context.Context, e *audit.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, *e)
	return nil
}

// statements returns the statement records.
func (s *sink) statements() []audit.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []audit.Entry
	for _, e := range s.all {
		// A session reset or a discarded connection is recorded too, under
		// the identity about to use the connection: not a statement's.
		if e.Kind == audit.KindStatement && e.Method != "reset" {
			out = append(out, e)
		}
	}
	return out
}

// lab is one isolated database with a victim, a raw handle on it (the
// ground truth) and a wrapped handle (what the attacker holds).
type lab struct {
	b     backend
	dsn   string
	raw   *sql.DB
	db    *sql.DB
	spans *tracetest.SpanRecorder
	sink  *sink
}

// Seeded personal data; no masked reader may ever see these.
type person struct {
	id               int
	name, email, ssn string
	card             string
}

var people = []person{
	{1, "Alice", "zq7leak.alice@example.com", "913-57-2468", "4929000011117771"},
	{2, "Bob", "zq7leak.bob@example.org", "914-68-3579", "4929000022227772"},
	{3, "Carol", "zq7leak.carol@example.net", "915-79-4680", "4929000033337773"},
}

// vaultNote is the content of the table every identity is denied.
const vaultNote = "vault-secret-note"

// secrets lists substrings that betray a seeded clear value: the whole
// value, an e-mail's local part, a card's first digits (its last four are
// shown by design).
func secrets() []string {
	var out []string
	for _, p := range people {
		out = append(out, p.email, p.email[:strings.IndexByte(p.email, '@')], p.ssn,
			strings.ReplaceAll(p.ssn, "-", ""), p.card[:12])
	}
	return append(out, vaultNote)
}

// leaked returns the first secret s contains, or "".
func leaked(s string) string {
	for _, x := range secrets() {
		if strings.Contains(s, x) {
			return x
		}
	}
	return ""
}

func newLab(t *testing.T, b backend) *lab {
	t.Helper()
	dsn := b.dsn(t)
	raw, err := sql.Open(b.driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	l := &lab{b: b, dsn: dsn, raw: raw, spans: tracetest.NewSpanRecorder(), sink: &sink{}}
	l.exec(t,
		"CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(40), email VARCHAR(80) UNIQUE, ssn VARCHAR(20), card VARCHAR(30))",
		"CREATE TABLE vault (id INT PRIMARY KEY, note VARCHAR(80))",
		"INSERT INTO vault VALUES (1, '"+vaultNote+"')",
		"CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(200))",
		"INSERT INTO notes VALUES (1, 'nothing to see')",
		"CREATE TABLE nums (n INT)",
		"CREATE VIEW contacts AS SELECT id, email AS contact FROM people",
		"CREATE VIEW contacts2 AS SELECT contact AS c2 FROM contacts",
	)
	for _, p := range people {
		l.exec(t, fmt.Sprintf("INSERT INTO people VALUES (%d, '%s', '%s', '%s', '%s')", p.id, p.name, p.email, p.ssn, p.card))
	}
	// Routines a DBA made earlier, returning personal data.
	switch b.family {
	case pg:
		l.exec(t, "CREATE FUNCTION people_fn() RETURNS TABLE(e varchar, s varchar) LANGUAGE sql AS $$ SELECT email, ssn FROM people $$")
	case my:
		l.exec(t, "CREATE PROCEDURE list_people() BEGIN SELECT id FROM notes; SELECT email AS e, ssn AS s FROM people; END")
	}
	l.resetVictim(t)
	a, err := audit.New(
		audit.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(l.spans))),
		audit.WithSink(l.sink),
		audit.WithArgs(nil),
		audit.WithEndDelay(0), // spans are read right after each statement
	)
	if err != nil {
		t.Fatal(err)
	}
	l.db, err = sqlvigil.Open(b.driver, dsn,
		sqlvigil.WithPolicy(securityPolicy(t)),
		sqlvigil.WithMasker(securityMasker(t)),
		sqlvigil.WithAuditor(a),
		sqlvigil.WithEnvironment("production"),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.db.Close() })
	return l
}

// exec runs setup statements on the raw database.
func (l *lab) exec(t testing.TB, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := l.raw.Exec(q); err != nil {
			t.Fatalf("raw %s: %v", q, err)
		}
	}
}

// resetVictim (re)creates the table every destructive attack aims at.
func (l *lab) resetVictim(t testing.TB) {
	t.Helper()
	if _, err := l.raw.Exec("DROP TABLE IF EXISTS victim"); err != nil {
		t.Fatalf("drop victim: %v", err)
	}
	l.exec(t,
		"CREATE TABLE victim (id INT PRIMARY KEY, name VARCHAR(20))",
		"INSERT INTO victim VALUES (1, 'a'), (2, 'b'), (3, 'c')",
	)
}

// victim describes the victim table as the engine holds it: "" when it is
// intact, else what happened to it.
func (l *lab) victim() string {
	rows, err := l.raw.Query("SELECT id, name FROM victim ORDER BY id")
	if err != nil {
		return fmt.Sprintf("unreadable (%v)", err)
	}
	defer rows.Close()
	var got string
	for rows.Next() {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return fmt.Sprintf("unreadable (%v)", err)
		}
		got += fmt.Sprintf("%d%s ", id, name)
	}
	if err := rows.Err(); err != nil {
		return fmt.Sprintf("unreadable (%v)", err)
	}
	if got != "1a 2b 3c " {
		return fmt.Sprintf("rows changed to %q", got)
	}
	return ""
}

// mark is the number of statement records and statement spans so far.
type mark struct{ records, spans int }

func (l *lab) mark() mark {
	return mark{records: len(l.sink.statements()), spans: len(l.statementSpans())}
}

func (l *lab) statementSpans() []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range l.spans.Ended() {
		if s.Name() != "transaction" && s.Name() != "RESET SESSION" && s.Name() != "DISCARD CONNECTION" {
			out = append(out, s)
		}
	}
	return out
}

// denied checks that err is a guard denial and that exactly one record and
// one span, both saying so, were added since m.
func (l *lab) denied(t *testing.T, m mark, err error, wantRule string) {
	t.Helper()
	var be *guard.BlockedError
	if !errors.Is(err, guard.ErrBlocked) || !errors.As(err, &be) {
		t.Errorf("got error %v, want guard.ErrBlocked", err)
		return
	}
	if wantRule != "" && be.Rule != wantRule {
		t.Errorf("blocked by rule %q (%s), want %q", be.Rule, be.Reason, wantRule)
	}
	recs := l.sink.statements()
	if len(recs) != m.records+1 {
		t.Errorf("%d audit records for one attempt, want 1", len(recs)-m.records)
	} else if e := recs[len(recs)-1]; e.Decision != "deny" || e.Rule != be.Rule || e.ErrorType != audit.ErrorTypeBlocked {
		t.Errorf("audit record decision=%q rule=%q error_type=%q, want deny by %q (%s)", e.Decision, e.Rule, e.ErrorType, be.Rule, audit.ErrorTypeBlocked)
	}
	spans := l.statementSpans()
	if len(spans) != m.spans+1 {
		t.Errorf("%d spans for one attempt, want 1", len(spans)-m.spans)
		return
	}
	s := spans[len(spans)-1]
	var errType string
	for _, kv := range s.Attributes() {
		if kv.Key == "error.type" {
			errType = kv.Value.AsString()
		}
	}
	if errType != audit.ErrorTypeBlocked || s.Status().Code.String() != "Error" {
		t.Errorf("span error.type=%q status=%v, want %s and an error status", errType, s.Status().Code, audit.ErrorTypeBlocked)
	}
}

// oneRecord checks that exactly one record and one span were added since m.
func (l *lab) oneRecord(t *testing.T, m mark) {
	t.Helper()
	if n := len(l.sink.statements()) - m.records; n != 1 {
		t.Errorf("%d audit records for one attempt, want 1", n)
	}
	if n := len(l.statementSpans()) - m.spans; n != 1 {
		t.Errorf("%d spans for one attempt, want 1", n)
	}
}

// noLeakInTrail checks every span attribute, status and event, and every
// sink record, for seeded personal data and the given argument values.
func (l *lab) noLeakInTrail(t *testing.T, args ...string) {
	t.Helper()
	check := func(where, s string) {
		if x := leaked(s); x != "" {
			t.Errorf("%s holds the seeded value %q: %s", where, x, s)
		}
		for _, a := range args {
			if strings.Contains(s, a) {
				t.Errorf("%s holds the bound argument %q: %s", where, a, s)
			}
		}
	}
	for _, s := range l.spans.Ended() {
		check("span name", s.Name())
		check("span status", s.Status().Description)
		for _, kv := range s.Attributes() {
			check("span attribute "+string(kv.Key), kv.Value.Emit())
		}
		for _, ev := range s.Events() {
			for _, kv := range ev.Attributes {
				check("span event attribute "+string(kv.Key), kv.Value.Emit())
			}
		}
	}
	l.sink.mu.Lock()
	defer l.sink.mu.Unlock()
	for _, e := range l.sink.all {
		check("sink record", fmt.Sprintf("%+v", e))
	}
}

// errorText is everything an error exposes to a caller who digs: its text
// and the fields of the driver's own error type reached with errors.As.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var pqe *pq.Error
	if errors.As(err, &pqe) {
		s += fmt.Sprintf(" %+v", *pqe)
	}
	var mye *mysql.MySQLError
	if errors.As(err, &mye) {
		s += fmt.Sprintf(" %+v", *mye)
	}
	var pge *pgconn.PgError
	if errors.As(err, &pge) {
		s += fmt.Sprintf(" %+v", *pge)
	}
	return s
}

// as runs f with ctx carrying id.
func as(id identity.Identity) context.Context {
	return identity.NewContext(context.Background(), id)
}
