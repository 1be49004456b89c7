// Package vigilwrap wraps the database/sql test suite's fake driver with
// sqlvigil, in the configuration an environment variable names. It is
// imported by the copy of database/sql that the stdsqltest test builds;
// it is not meant for any other use.
package vigilwrap

import (
	"context"
	"database/sql/driver"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

// Env names the environment variable that selects the configuration.
const Env = "SQLVIGIL_STDSQL_CONFIG"

// CountsEnv names the environment variable holding the file the copy's
// TestMain writes [Counts] to, so that the outer test can see that the
// configuration was in the path at all.
const CountsEnv = "SQLVIGIL_STDSQL_COUNTS"

// Configurations.
const (
	// Raw registers the fake driver unwrapped: the baseline.
	Raw = "raw"
	// PassThrough wraps with no option: nothing consumes the pipeline.
	PassThrough = "passthrough"
	// Audit wraps with an auditor recording to a tracetest.SpanRecorder.
	Audit = "audit"
	// Guard wraps with a policy. The fake driver speaks its own language
	// ("CREATE|people|name=string", "SELECT|people|name|"), which the
	// analyser cannot read: every statement is unknown to the guard, so
	// this policy allows unknown statements (WithUnknown(Allow)) and holds
	// one counting rule that never objects. It exercises the guard's path
	// (analysis, identity, decision), not its judgement.
	Guard = "guard"
	// Both wraps with the auditor and the policy together.
	Both = "audit+guard"
)

// Configs lists every configuration, the baseline first.
var Configs = []string{Raw, PassThrough, Audit, Guard, Both}

var (
	recorder = tracetest.NewSpanRecorder()
	checks   atomic.Int64
)

// Driver returns drv wrapped as the configuration in [Env] says (Raw when
// unset: drv itself). On error it returns drv itself and the error, so that
// the caller can still register a driver and report the error.
func Driver(drv driver.Driver) (driver.Driver, error) {
	opts, err := configured()
	if err != nil || opts == nil {
		return drv, err
	}
	w, err := sqlvigil.Wrap(drv, opts...)
	if err != nil {
		return drv, fmt.Errorf("vigilwrap: %w", err)
	}
	return w, nil
}

// Connector is [Driver] for a connector.
func Connector(c driver.Connector) (driver.Connector, error) {
	opts, err := configured()
	if err != nil || opts == nil {
		return c, err
	}
	w, err := sqlvigil.WrapConnector(c, opts...)
	if err != nil {
		return c, fmt.Errorf("vigilwrap: %w", err)
	}
	return w, nil
}

// configured returns the options of the configuration in [Env], made once
// per process: one auditor, one policy.
var configured = sync.OnceValues(func() ([]sqlvigil.Option, error) {
	name := os.Getenv(Env)
	if name == "" {
		name = Raw
	}
	return options(name)
})

func options(name string) ([]sqlvigil.Option, error) {
	// The fake driver's type is not one sqlvigil recognises.
	base := []sqlvigil.Option{sqlvigil.WithDialect(sqlstmt.SQLite)}
	switch name {
	case Raw:
		return nil, nil
	case PassThrough:
		return base, nil
	case Audit:
		a, err := auditor()
		if err != nil {
			return nil, err
		}
		return append(base, sqlvigil.WithAuditor(a)), nil
	case Guard:
		p, err := policy()
		if err != nil {
			return nil, err
		}
		return append(base, sqlvigil.WithPolicy(p)), nil
	case Both:
		a, err := auditor()
		if err != nil {
			return nil, err
		}
		p, err := policy()
		if err != nil {
			return nil, err
		}
		return append(base, sqlvigil.WithAuditor(a), sqlvigil.WithPolicy(p)), nil
	}
	return nil, fmt.Errorf("vigilwrap: %s=%q: not one of %v", Env, name, Configs)
}

// auditor records to the recorder.
func auditor() (*audit.Auditor, error) {
	tp := trace.NewTracerProvider(trace.WithSpanProcessor(recorder))
	a, err := audit.New(audit.WithTracerProvider(tp))
	if err != nil {
		return nil, fmt.Errorf("vigilwrap: auditor: %w", err)
	}
	return a, nil
}

// policy allows unknown statements (all of the fake driver's) and counts
// the times it is consulted.
func policy() (*guard.Policy, error) {
	count := guard.RuleFunc(func(context.Context, *guard.Request) guard.Verdict {
		checks.Add(1)
		return guard.Verdict{}
	})
	p, err := guard.New(
		guard.WithUnknown(guard.Allow),
		guard.WithRules(guard.Named("count", count)),
	)
	if err != nil {
		return nil, fmt.Errorf("vigilwrap: policy: %w", err)
	}
	return p, nil
}

// Counts returns how many spans the auditor ended and how many times the
// policy's rule was consulted, in this process.
func Counts() (spans, guardChecks int64) {
	return int64(len(recorder.Ended())), checks.Load()
}

// WriteCounts writes [Counts] to the file named by [CountsEnv], if set.
func WriteCounts() error {
	path := os.Getenv(CountsEnv)
	if path == "" {
		return nil
	}
	s, c := Counts()
	return os.WriteFile(path, []byte(strconv.FormatInt(s, 10)+" "+strconv.FormatInt(c, 10)+"\n"), 0o600)
}
