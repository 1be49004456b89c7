package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The OTLP/HTTP port examples/jaeger sends to when no endpoint variable is
// set, as its README says.
const defaultOTLPHTTP = 4318

// TestJaegerExampleExport runs examples/jaeger as its README tells a user
// to, and checks that its spans reach Jaeger over plain HTTP — by default
// and with OTEL_EXPORTER_OTLP_ENDPOINT — that OTEL_EXPORTER_OTLP_INSECURE
// is honoured either way, and that it exits non-zero when its spans cannot
// be exported.
func TestJaegerExampleExport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts Jaeger")
	}
	dsn, admin := postgres(t)
	dir := t.TempDir()

	// Jaeger takes the default port when it is free, so that the default
	// is tested too; otherwise that case is skipped.
	otlpHTTP, defaultFree := 0, false
	if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", defaultOTLPHTTP)); err == nil {
		l.Close()
		otlpHTTP, defaultFree = defaultOTLPHTTP, true
	}
	ports, _ := startJaeger(t, dir, otlpHTTP)

	demo := filepath.Join(dir, "demo")
	goCmd(t, "../examples", "build", "-o", demo, "./jaeger")

	// run starts the demo with env on top of an environment without any
	// OTEL_ variable, and returns its combined output and error.
	run := func(t *testing.T, service string, env ...string) (string, error) {
		t.Helper()
		schema := "e2e_" + suffix()
		t.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE") })
		cmd := exec.Command(demo, "-dsn", dsn, "-schema", schema, "-service", service)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "OTEL_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	exported := func(t *testing.T, env ...string) {
		t.Helper()
		service := "sqlvigil-e2e-" + suffix()
		if out, err := run(t, service, env...); err != nil {
			t.Fatalf("demo: %v\n%s", err, tail([]byte(out), 3000))
		}
		// seed INSERT; agent SELECT, DROP, UPDATE; transaction, UPDATE,
		// SELECT; and the reset of the connection at each of the two
		// changes of identity (a PostgreSQL statement may leave session
		// state through code its text does not show).
		spans, body := fetchSpans(t, ports.queryHTTP, service, 9)
		if len(spans) != 9 {
			t.Fatalf("got %d spans in Jaeger for service %s, want 9:\n%s", len(spans), service, tail(body, 3000))
		}
		got := map[string]int{}
		for _, s := range spans {
			got[s.name]++
		}
		want := map[string]int{"INSERT customers": 1, "SELECT customers": 2, "DROP customers": 1, "UPDATE customers": 2, "transaction": 1, "RESET SESSION": 2}
		for name, n := range want {
			if got[name] != n {
				t.Errorf("got %d spans %q, want %d (spans: %v)", got[name], name, n, names(spans))
			}
		}
	}

	t.Run("default endpoint", func(t *testing.T) {
		if !defaultFree {
			t.Skipf("127.0.0.1:%d is in use: cannot give Jaeger the demo's default port", defaultOTLPHTTP)
		}
		exported(t)
	})
	t.Run("OTEL_EXPORTER_OTLP_ENDPOINT", func(t *testing.T) {
		exported(t, fmt.Sprintf("OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:%d", ports.otlpHTTP))
	})
	t.Run("OTEL_EXPORTER_OTLP_INSECURE=true over an https endpoint", func(t *testing.T) {
		exported(t, fmt.Sprintf("OTEL_EXPORTER_OTLP_ENDPOINT=https://127.0.0.1:%d", ports.otlpHTTP), "OTEL_EXPORTER_OTLP_INSECURE=true")
	})
	t.Run("OTEL_EXPORTER_OTLP_INSECURE=false keeps TLS on the default endpoint", func(t *testing.T) {
		if !defaultFree {
			t.Skipf("127.0.0.1:%d is in use: cannot give Jaeger the demo's default port", defaultOTLPHTTP)
		}
		// Jaeger speaks plain HTTP there, so a TLS export must fail.
		out, err := run(t, "sqlvigil-e2e-"+suffix(), "OTEL_EXPORTER_OTLP_INSECURE=false")
		if err == nil || !strings.Contains(out, "exporting spans:") {
			t.Errorf("demo: err = %v, want a TLS export failure:\n%s", err, tail([]byte(out), 3000))
		}
	})
	t.Run("export fails", func(t *testing.T) {
		closed := freePorts(t, 1)[0] // released on return: nothing listens there
		out, err := run(t, "sqlvigil-e2e-"+suffix(), fmt.Sprintf("OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:%d", closed))
		if err == nil {
			t.Fatalf("demo exited 0 although no span could be exported:\n%s", tail([]byte(out), 3000))
		}
		if !strings.Contains(out, "exporting spans:") {
			t.Errorf("demo output does not report the export failure:\n%s", tail([]byte(out), 3000))
		}
	})
}
