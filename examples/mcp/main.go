// Command mcp is an MCP server that gives an AI agent a governed database:
// every tool call runs as an identity.Agent (the agent, its model, the
// tool, a call id and the user it acts for) through sqlvigil, so the agent
// cannot drop tables, cannot read clear PII, cannot take more than its
// read budget, writes only with a reviewer's approval, and every call is
// an OpenTelemetry span.
//
// Over stdio (the default) the principal comes from flags:
//
//	go run . -agent support-bot -on-behalf-of alice -seed
//
// Over streamable HTTP it comes from the bearer token (auth.RequireBearerToken
// and [FromToken]; -tokens names a JSON file {"token": {"Agent": …}}):
//
//	go run . -http :8080 -tokens tokens.json -seed
//
// Reviewers answer requests through the approval queue's JSON API, served
// on -review (mount it behind real authentication in production).
//
// The query tool wraps rows so that a client can tell data from
// instructions, but text stored in the database can still carry a prompt
// injection: the wrapping helps a careful client and model, it proves
// nothing.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	_ "github.com/lib/pq"  // -driver postgres
	_ "modernc.org/sqlite" // -driver sqlite, the default

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard/approval"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
	var (
		driverName = fs.String("driver", "sqlite", "database/sql driver: sqlite or postgres")
		dsn        = fs.String("dsn", "file:mcp?mode=memory&cache=shared", "data source name")
		seed       = fs.Bool("seed", false, "create and fill the quickstart's tables (customers, payroll)")
		agent      = fs.String("agent", "", "stdio: the agent's name")
		model      = fs.String("model", "", "stdio: the model the agent runs on")
		onBehalf   = fs.String("on-behalf-of", "", "stdio: the user the agent acts for")
		httpAddr   = fs.String("http", "", "serve streamable HTTP on this address instead of stdio")
		tokens     = fs.String("tokens", "", "HTTP: JSON file mapping bearer tokens to principals")
		review     = fs.String("review", "", "serve the reviewers' approval API on this address")
		reviewer   = fs.String("reviewer", "", "demo only: whoever reaches -review acts as this reviewer; bind -review to 127.0.0.1 and put real authentication in front in production")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := open(*driverName, *dsn, DefaultLimits)
	if err != nil {
		return err
	}
	defer a.db.Close()
	if *seed {
		if err := seedQuickstart(ctx, a.db); err != nil {
			return err
		}
	}
	if *review != "" {
		who := *reviewer
		h := a.cfg.Queue.Handler(approval.HandlerConfig{Reviewer: func(*http.Request) (identity.Identity, bool) {
			return identity.Identity{Kind: identity.KindUser, Subject: who}, who != ""
		}})
		go func() { log.Print(http.ListenAndServe(*review, h)) }()
	}
	if *httpAddr == "" {
		if *agent == "" {
			return errors.New("stdio needs -agent (and should have -on-behalf-of)")
		}
		a.cfg.Identify = Static(Principal{Agent: *agent, Model: *model, OnBehalfOf: *onBehalf})
		s, err := NewServer(a.cfg)
		if err != nil {
			return err
		}
		return s.Run(ctx, &mcp.StdioTransport{})
	}
	table := map[string]Principal{}
	if *tokens != "" {
		b, err := os.ReadFile(*tokens)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &table); err != nil {
			return fmt.Errorf("%s: %w", *tokens, err)
		}
	}
	a.cfg.Identify = FromToken()
	s, err := NewServer(a.cfg)
	if err != nil {
		return err
	}
	h := auth.RequireBearerToken(TokenTable(table), nil)(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil))
	srv := &http.Server{Addr: *httpAddr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

// app is an opened governed database and the server's configuration.
type app struct {
	db  *sql.DB
	cfg Config
}

// open opens the database through sqlvigil with the example's policy,
// masker and an approval queue that never waits.
func open(driverName, dsn string, l Limits, auditOpts ...audit.Option) (*app, error) {
	var d sqlstmt.Dialect
	switch driverName {
	case "sqlite":
		d = sqlstmt.SQLite
	case "postgres", "pgx":
		d = sqlstmt.PostgreSQL
	default:
		return nil, fmt.Errorf("driver %q: use sqlite or postgres", driverName)
	}
	q := approval.NewQueue(approval.Config{NoWait: true})
	p, err := Policy(l, q)
	if err != nil {
		return nil, err
	}
	m, err := Masker()
	if err != nil {
		return nil, err
	}
	auditor, err := audit.New(append([]audit.Option{audit.WithIdentityAttributes(SessionAttribute)}, auditOpts...)...)
	if err != nil {
		return nil, err
	}
	db, err := sqlvigil.Open(driverName, dsn, sqlvigil.WithPolicy(p), sqlvigil.WithMasker(m), sqlvigil.WithAuditor(auditor))
	if err != nil {
		return nil, err
	}
	return &app{db: db, cfg: Config{DB: db, Dialect: d, Queue: q, Masker: m, Limits: l}}, nil
}

// seedQuickstart creates the quickstart's tables, as the service that
// owns them.
func seedQuickstart(ctx context.Context, db *sql.DB) error {
	ctx = identity.NewContext(ctx, identity.Identity{Kind: identity.KindService, Subject: "migrations", Service: "crm"})
	for _, q := range []string{
		`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT, ssn TEXT)`,
		`INSERT INTO customers VALUES (1, 'Ada Lovelace', 'ada@example.com', '123-45-6789'), (2, 'Alan Turing', 'alan@example.org', '987-65-4321')`,
		`CREATE TABLE payroll (customer_id INTEGER, salary INTEGER)`,
		`INSERT INTO payroll VALUES (1, 120000), (2, 95000)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil && !strings.Contains(err.Error(), "already exists") {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}
