package driver

import (
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

// Option configures a wrapped driver or connector.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithPolicy sets the policy that decides on every statement. Without one
// every statement is allowed; a nil one is a configuration error
// (ErrConfig), as it most likely is a constructor's error dropped.
func WithPolicy(p *guard.Policy) Option {
	return optionFunc(func(c *config) {
		if p == nil {
			c.nilOption = "WithPolicy"
		}
		c.policy = p
	})
}

// WithMasker sets the masking rules applied to every result set. Without
// one nothing is masked; a nil one is a configuration error (ErrConfig).
func WithMasker(m *mask.Masker) Option {
	return optionFunc(func(c *config) {
		if m == nil {
			c.nilOption = "WithMasker"
		}
		c.masker = m
	})
}

// WithAuditor sets the auditor that records every statement and
// transaction. Without one nothing is recorded; a nil one is a
// configuration error (ErrConfig).
func WithAuditor(a *audit.Auditor) Option {
	return optionFunc(func(c *config) {
		if a == nil {
			c.nilOption = "WithAuditor"
		}
		c.auditor = a
	})
}

// WithDialect sets the SQL dialect statements are read in. It is required
// when the dialect cannot be told from the wrapped driver's type (only
// lib/pq, pgx stdlib, go-sql-driver/mysql, modernc.org/sqlite and
// mattn/go-sqlite3 are recognised).
func WithDialect(d Dialect) Option {
	return optionFunc(func(c *config) { c.dialect = d })
}

// WithDefaultIdentity sets the identity of statements whose context
// carries none (see identity.NewContext). Without it such statements are
// anonymous (the zero identity.Identity).
func WithDefaultIdentity(id identity.Identity) Option {
	c := id.Clone()
	return optionFunc(func(cfg *config) { cfg.defaultIdentity = c })
}

// WithBaggageIdentity reads the identity from OpenTelemetry baggage when
// the context carries none (see identity.FromBaggage). Baggage is set by
// whoever sends the request, so such an identity is marked Untrusted and
// holds no role.
func WithBaggageIdentity() Option {
	return optionFunc(func(c *config) { c.baggage = true })
}

// WithEnvironment names where the service runs ("production", "staging");
// policies see it in guard.Request.Environment.
func WithEnvironment(env string) Option {
	return optionFunc(func(c *config) { c.environment = env })
}

// WithStatementCacheSize sets how many analysed statement texts are kept
// (default 4096; 0 disables the cache). Texts longer than 16 KiB are never
// kept. A statement whose text varies with its literals (as an AI agent's
// often does) misses the cache and is analysed anew.
func WithStatementCacheSize(n int) Option {
	return optionFunc(func(c *config) { c.cacheSize = n })
}

// WithNamespace names the database statements run in, for audit records
// (db.namespace). A driver returned by [Wrap] (and so
// [github.com/sqlvigil/sqlvigil.Open] and Register) reads it from the DSN
// otherwise; [WrapConnector] cannot, as a connector does not reveal its DSN.
func WithNamespace(name string) Option {
	return optionFunc(func(c *config) { c.namespace, c.namespaceSet = name, true })
}

// WithServer names the database server, for audit records (server.address
// and server.port; port 0 when unknown). A driver returned by [Wrap] reads
// them from the DSN otherwise (never the user or password); [WrapConnector]
// cannot.
func WithServer(address string, port int) Option {
	return optionFunc(func(c *config) {
		c.serverAddress, c.serverPort, c.serverSet = address, port, true
	})
}
