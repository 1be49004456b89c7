// Command jaeger is the sqlvigil audit demo: it runs a few statements
// against PostgreSQL as an AI agent and as a service, through sqlvigil, and
// exports the audit spans over OTLP/HTTP to Jaeger (or any OTLP endpoint).
//
// Usage:
//
//	docker run --rm -p 127.0.0.1:16686:16686 -p 127.0.0.1:4318:4318 jaegertracing/jaeger:2.13.0
//	go -C examples run ./jaeger
//	open http://127.0.0.1:16686 (service "sqlvigil-demo")
//
// Spans go to http://127.0.0.1:4318 (plain HTTP) unless
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set.
// The command exits non-zero if any span could not be exported.
//
// See README.md for what the traces show.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver sqlvigil wraps
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

const defaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

type config struct {
	dsn, schema, service, blackbox string
}

func main() {
	var cfg config
	dsn := os.Getenv("SQLVIGIL_POSTGRES_DSN")
	if dsn == "" {
		dsn = defaultDSN
	}
	flag.StringVar(&cfg.dsn, "dsn", dsn, "PostgreSQL DSN (URL form); default $SQLVIGIL_POSTGRES_DSN")
	flag.StringVar(&cfg.schema, "schema", "sqlvigil_demo", "schema the demo (re)creates its table in")
	flag.StringVar(&cfg.service, "service", "sqlvigil-demo", "service.name of the exported spans")
	flag.StringVar(&cfg.blackbox, "blackbox", "", "also write the audit trail to this hash-chained JSON-lines file")
	flag.Parse()
	if err := run(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, cfg config) (err error) {
	if !regexp.MustCompile(`^[a-z_][a-z0-9_]*$`).MatchString(cfg.schema) {
		return fmt.Errorf("schema %q: use lowercase letters, digits and _", cfg.schema)
	}
	dsn, err := withSearchPath(cfg.dsn, cfg.schema)
	if err != nil {
		return err
	}
	if err := setup(ctx, cfg.dsn, cfg.schema); err != nil {
		return err
	}

	// Tracing: OTLP/HTTP to a local collector unless the standard
	// variables say otherwise (see newExporter).
	exp, err := newExporter(ctx)
	if err != nil {
		return err
	}
	res := resource.NewSchemaless(attribute.String("service.name", cfg.service))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	defer func() {
		// A demo whose spans never arrived has failed, whatever it
		// printed: flush, then report the first export error.
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ferr := errors.Join(tp.ForceFlush(sctx), tp.Shutdown(sctx))
		if ferr == nil {
			ferr = exp.Err() // a background export that failed earlier
		}
		if ferr != nil {
			err = errors.Join(err, fmt.Errorf("exporting spans: %w", ferr))
		}
	}()

	// The audit trail: spans, plus sinks that are never sampled.
	sinks := []audit.Sink{audit.NewSlogSink(slog.NewTextHandler(os.Stderr, nil))}
	if cfg.blackbox != "" {
		bb, err := blackbox.Open(cfg.blackbox, blackbox.Config{})
		if err != nil {
			return err
		}
		defer bb.Close()
		sinks = append(sinks, bb)
	}
	// Every attribute, and the Go caller: this example shows the whole
	// record (each costs a little per statement; see the audit package).
	auditor, err := audit.New(audit.WithTracerProvider(tp), audit.WithSink(sinks...),
		audit.WithCaller(), audit.WithAllAttributes())
	if err != nil {
		return err
	}

	// Guardrails: no destructive DDL anywhere, agents only read, no
	// UPDATE or DELETE without a WHERE clause.
	policy, err := guard.New(
		guard.WithEnvironment("production"),
		guard.WithRules(
			guard.DestructiveDDL(),
			guard.ReadOnly(guard.Who{Kinds: []identity.Kind{identity.KindAgent}}),
			guard.MissingWhere(),
		),
	)
	if err != nil {
		return err
	}
	// Masking: nobody but the support-lead role reads clear e-mails and
	// social security numbers.
	masker, err := mask.New(mask.WithRules(
		mask.Rule{Name: "pii-email", Columns: []string{"email"}, Strategy: mask.Email(), ExemptRoles: []string{"support-lead"}},
		mask.Rule{Name: "pii-ssn", Columns: []string{"ssn"}, Strategy: mask.Redact(), ExemptRoles: []string{"support-lead"}},
	))
	if err != nil {
		return err
	}

	db, err := sqlvigil.Open("postgres", dsn,
		sqlvigil.WithPolicy(policy), sqlvigil.WithMasker(masker), sqlvigil.WithAuditor(auditor),
		sqlvigil.WithEnvironment("production"))
	if err != nil {
		return err
	}
	defer db.Close()

	if err := seed(ctx, db); err != nil {
		return err
	}
	if err := agentSession(ctx, db); err != nil {
		return err
	}
	return serviceTransaction(ctx, db)
}

// defaultEndpoint is where spans go when neither OTEL_EXPORTER_OTLP_ENDPOINT
// nor OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set: the OTLP/HTTP port of a
// Jaeger (or collector) on this machine, in plain HTTP.
const defaultEndpoint = "127.0.0.1:4318"

// newExporter returns an OTLP/HTTP exporter that follows the standard
// OTEL_EXPORTER_OTLP_* variables. Without an endpoint variable it sends to
// defaultEndpoint in plain HTTP — the exporter's own default would be
// HTTPS, which a local Jaeger does not speak — unless
// OTEL_EXPORTER_OTLP_INSECURE (or _TRACES_INSECURE) says otherwise.
func newExporter(ctx context.Context) (*checkedExporter, error) {
	var opts []otlptracehttp.Option
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		opts = append(opts, otlptracehttp.WithEndpoint(defaultEndpoint))
		if os.Getenv("OTEL_EXPORTER_OTLP_INSECURE") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_INSECURE") == "" {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}
	return &checkedExporter{SpanExporter: exp}, nil
}

// checkedExporter remembers the first export error: the batch span
// processor only logs the errors of its background exports, and the demo
// must fail when its spans were lost.
type checkedExporter struct {
	sdktrace.SpanExporter
	mu  sync.Mutex
	err error
}

func (e *checkedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		e.mu.Lock()
		if e.err == nil {
			e.err = err
		}
		e.mu.Unlock()
	}
	return err
}

// Err returns the first export error, if any.
func (e *checkedExporter) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// setup (re)creates the demo table, outside sqlvigil: it is the DBA's
// migration, not the application's traffic.
func setup(ctx context.Context, dsn, schema string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE SCHEMA IF NOT EXISTS " + schema,
		"DROP TABLE IF EXISTS " + schema + ".customers",
		"CREATE TABLE " + schema + ".customers (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL, ssn text NOT NULL)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	return nil
}

// seed inserts the customers as the CRM service, with the values written
// into the SQL text: the audit trail records the text without its literals.
func seed(ctx context.Context, db *sql.DB) error {
	ctx = identity.NewContext(ctx, identity.Identity{
		Kind: identity.KindService, Subject: "svc:crm-import", Service: "crm", Purpose: "nightly import",
	})
	_, err := db.ExecContext(ctx, `INSERT INTO customers (id, name, email, ssn) VALUES
		(1, 'Ada Lovelace', 'ada.lovelace@example.com', '078-05-1120'),
		(2, 'Alan Turing', 'alan.turing@example.org', '219-09-9999'),
		(3, 'Grace Hopper', 'grace.hopper@example.net', '457-55-5462')`)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return nil
}

// agentSession is what an AI support agent's SQL tool does: it reads
// (masked), tries to drop the table (denied) and to update (denied: agents
// only read).
func agentSession(ctx context.Context, db *sql.DB) error {
	ctx = identity.NewContext(ctx, identity.Identity{
		Kind:    identity.KindAgent,
		Subject: "agent:support-bot",
		Name:    "Support bot",
		Roles:   []string{"support"},
		Tenant:  "acme",
		Purpose: "support case",
		Ticket:  "CASE-1042",
		Agent: &identity.Agent{
			Name: "support-bot", Model: "gpt-4o", Tool: "run_sql", ToolCallID: "call_0001", OnBehalfOf: "user:42",
		},
	})
	rows, err := db.QueryContext(ctx, "SELECT id, name, email, ssn FROM customers ORDER BY id")
	if err != nil {
		return fmt.Errorf("agent select: %w", err)
	}
	for rows.Next() {
		var id int
		var name, email, ssn string
		if err := rows.Scan(&id, &name, &email, &ssn); err != nil {
			rows.Close()
			return err
		}
		fmt.Printf("agent sees: %d %s %s %s\n", id, name, email, ssn)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}

	_, err = db.ExecContext(ctx, "DROP TABLE customers")
	if !errors.Is(err, guard.ErrBlocked) {
		return fmt.Errorf("agent drop: got %v, want a guard denial", err)
	}
	fmt.Println("agent DROP TABLE:", err)
	_, err = db.ExecContext(ctx, "UPDATE customers SET email = 'x@example.com' WHERE id = 1")
	if !errors.Is(err, guard.ErrBlocked) {
		return fmt.Errorf("agent update: got %v, want a guard denial", err)
	}
	fmt.Println("agent UPDATE:", err)
	return nil
}

// serviceTransaction renames a customer in a transaction, as the CRM
// service: one transaction span parents its statements.
func serviceTransaction(ctx context.Context, db *sql.DB) error {
	ctx = identity.NewContext(ctx, identity.Identity{
		Kind: identity.KindService, Subject: "svc:crm", Service: "crm", Purpose: "profile update",
	})
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if _, err := tx.ExecContext(ctx, "UPDATE customers SET name = $1 WHERE id = $2", "Countess Lovelace", 1); err != nil {
		return fmt.Errorf("service update: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM customers").Scan(&n); err != nil {
		return fmt.Errorf("service count: %w", err)
	}
	fmt.Println("customers:", n)
	return tx.Commit()
}

// withSearchPath points a URL-form DSN at schema.
func withSearchPath(dsn, schema string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("dsn: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
