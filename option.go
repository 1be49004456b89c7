package sqlvigil

import (
	"fmt"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/driver"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Option configures what sqlvigil does with each statement. Options are
// applied in order.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	cfg driver.Config
	// nilOption names an option given nil: most likely a value whose
	// constructor's error was dropped, which would otherwise leave
	// statements unguarded, unmasked or unrecorded without a word.
	nilOption string
	// cacheSize is WithStatementCacheSize's, when cacheSet.
	cacheSize int
	cacheSet  bool
}

// config applies opts and refuses a nil part (driver.ErrConfig).
func config(opts []Option) (driver.Config, error) {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	if o.nilOption != "" {
		return driver.Config{}, fmt.Errorf("%w: %s(nil); leave the option out to have none", driver.ErrConfig, o.nilOption)
	}
	switch {
	case !o.cacheSet:
	case o.cacheSize < 0:
		return driver.Config{}, fmt.Errorf("%w: negative statement cache size", driver.ErrConfig)
	case o.cacheSize == 0:
		o.cfg.StatementCacheSize = -1 // disabled
	default:
		o.cfg.StatementCacheSize = o.cacheSize
	}
	return o.cfg, nil
}

// WithPolicy sets the policy that decides on every statement. Without one
// every statement is allowed; a nil one is a configuration error
// (driver.ErrConfig), as it most likely is a constructor's error dropped.
func WithPolicy(p *guard.Policy) Option {
	return optionFunc(func(o *options) {
		if p == nil {
			o.nilOption = "WithPolicy"
		}
		o.cfg.Policy = p
	})
}

// WithMasker sets the masking rules applied to every result set and every
// other way a value leaves a statement. Without one nothing is masked; a
// nil one is a configuration error.
func WithMasker(m *mask.Masker) Option {
	return optionFunc(func(o *options) {
		if m == nil {
			o.nilOption = "WithMasker"
		}
		o.cfg.Masker = m
	})
}

// WithAuditor sets the auditor that records every statement and
// transaction. Without one nothing is recorded; a nil one is a
// configuration error.
func WithAuditor(a *audit.Auditor) Option {
	return optionFunc(func(o *options) {
		if a == nil {
			o.nilOption = "WithAuditor"
		}
		o.cfg.Auditor = a
	})
}

// WithDialect sets the SQL dialect statements are read in. It is required
// when the dialect cannot be told from the wrapped driver's type (lib/pq,
// pgx stdlib, go-sql-driver/mysql, modernc.org/sqlite and mattn/go-sqlite3
// are recognised).
func WithDialect(d sqlstmt.Dialect) Option {
	return optionFunc(func(o *options) { o.cfg.Dialect = d })
}

// WithDefaultIdentity sets the identity of statements whose context
// carries none (see identity.NewContext). Without it such statements are
// anonymous.
func WithDefaultIdentity(id identity.Identity) Option {
	c := id.Clone()
	return optionFunc(func(o *options) { o.cfg.DefaultIdentity = c })
}

// WithBaggageIdentity reads the identity from OpenTelemetry baggage when
// the context carries none (see identity.FromBaggage). Baggage is set by
// whoever sends the request, so such an identity is marked Untrusted and
// holds no role.
func WithBaggageIdentity() Option {
	return optionFunc(func(o *options) { o.cfg.BaggageIdentity = true })
}

// WithEnvironment names where the service runs ("production", "staging");
// policies see it in guard.Request.Environment.
func WithEnvironment(env string) Option {
	return optionFunc(func(o *options) { o.cfg.Environment = env })
}

// WithNamespace names the database statements run in, for audit records
// (db.namespace). [Open], [Wrap] and [Register] read it from the DSN
// otherwise; [OpenDB] and [WrapConnector] cannot, as a connector does not
// reveal its DSN.
func WithNamespace(name string) Option {
	return optionFunc(func(o *options) { o.cfg.Namespace = name })
}

// WithServer names the database server, for audit records (server.address
// and server.port; port 0 when unknown). [Open], [Wrap] and [Register] read
// them from the DSN otherwise (never the user or password).
func WithServer(address string, port int) Option {
	return optionFunc(func(o *options) { o.cfg.ServerAddress, o.cfg.ServerPort = address, port })
}

// WithStatementCacheSize sets how many analysed statement texts are kept
// (default 4096; 0 disables the cache). Texts longer than 16 KiB are never
// kept. A statement whose text varies with its literals (as an AI agent's
// often does) misses the cache and is analysed anew.
func WithStatementCacheSize(n int) Option {
	return optionFunc(func(o *options) { o.cacheSize, o.cacheSet = n, true })
}
