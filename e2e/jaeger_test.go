package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/sqlvigil/sqlvigil/audit/blackbox"
)

const (
	postgresEnv     = "SQLVIGIL_POSTGRES_DSN"
	postgresDefault = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

// seeded lists the clear values the demo writes into its table (see
// examples/jaeger/main.go); none may appear in a trace.
var seeded = []string{
	"Ada Lovelace", "ada.lovelace@example.com", "078-05-1120",
	"Alan Turing", "alan.turing@example.org", "219-09-9999",
	"Grace Hopper", "grace.hopper@example.net", "457-55-5462",
	"Countess Lovelace", "x@example.com",
}

// postgres returns the DSN of the PostgreSQL test server, or skips (fails
// with CI=true) when it cannot be reached.
func postgres(t *testing.T) (string, *sql.DB) {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		dsn = postgresDefault
	}
	db, err := sql.Open("postgres", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL is not reachable (set %s to its DSN): %v", postgresEnv, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

func suffix() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// goCmd runs the go command in dir and returns its trimmed output.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// freePorts reserves n distinct TCP ports on 127.0.0.1.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("reserve a port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

type jaegerPorts struct{ otlpGRPC, otlpHTTP, queryHTTP, queryGRPC, health int }

// jaegerConfig is an all-in-one Jaeger v2 configuration with in-memory
// storage in which every listener is on 127.0.0.1: the OTLP receivers, the
// query service (HTTP API and UI, gRPC API) and the health check. The
// extensions and receivers of the stock all-in-one configuration that are
// not needed (Jaeger and Zipkin receivers, remote sampling, expvar, zpages,
// the Prometheus endpoint of the collector's own metrics) are not started.
func jaegerConfig(p jaegerPorts) string {
	return fmt.Sprintf(`service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: none
    logs:
      level: info
extensions:
  jaeger_query:
    enable_tracing: false
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:%d
    grpc:
      endpoint: 127.0.0.1:%d
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:%d
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
      http:
        endpoint: 127.0.0.1:%d
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`, p.queryHTTP, p.queryGRPC, p.health, p.otlpGRPC, p.otlpHTTP)
}

// startJaeger builds Jaeger through the go tool mechanism (the jaeger
// sub-module pins v1.75.0, the approved release) and starts it; it is stopped when t ends.
// Its OTLP/HTTP receiver listens on otlpHTTP, or on a free port if 0.
func startJaeger(t *testing.T, dir string, otlpHTTP int) (jaegerPorts, *exec.Cmd) {
	t.Helper()
	bin := goCmd(t, "jaeger", "tool", "-n", "jaeger")
	pp := freePorts(t, 5)
	p := jaegerPorts{otlpGRPC: pp[0], otlpHTTP: pp[1], queryHTTP: pp[2], queryGRPC: pp[3], health: pp[4]}
	if otlpHTTP != 0 {
		p.otlpHTTP = otlpHTTP
	}
	cfgPath := filepath.Join(dir, "jaeger.yaml")
	if err := os.WriteFile(cfgPath, []byte(jaegerConfig(p)), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "jaeger.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start jaeger: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil {
				t.Logf("jaeger log:\n%s", tail(b, 4000))
			}
		}
	})
	// Wait for the query API, the last thing to come up.
	url := fmt.Sprintf("http://127.0.0.1:%d/api/services", p.queryHTTP)
	for deadline := time.Now().Add(60 * time.Second); ; {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("jaeger exited: %v", err)
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("jaeger query API not up at %s: %v", url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return p, cmd
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// listeners returns the local addresses of the TCP sockets process pid
// listens on (Linux only).
func listeners(t *testing.T, pid int) []string {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("read fds: %v", err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	var out []string
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			if len(fields) < 10 || fields[3] != "0A" || !inodes[fields[9]] {
				continue
			}
			out = append(out, decodeAddr(fields[1]))
		}
		f.Close()
	}
	return out
}

// decodeAddr turns /proc/net/tcp's "0100007F:1F90" into "127.0.0.1:8080".
func decodeAddr(s string) string {
	host, port, _ := strings.Cut(s, ":")
	p, _ := strconv.ParseUint(port, 16, 16)
	b, _ := hex.DecodeString(host)
	if len(b) == 4 {
		return fmt.Sprintf("%d.%d.%d.%d:%d", b[3], b[2], b[1], b[0], p)
	}
	// IPv6: four little-endian 32-bit words.
	ip := make(net.IP, 16)
	for i := 0; i < 16; i += 4 {
		ip[i], ip[i+1], ip[i+2], ip[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(p, 10))
}

// Jaeger's /api/traces answer, the parts the test reads.
type jaegerTraces struct {
	Data []struct {
		TraceID string `json:"traceID"`
		Spans   []struct {
			SpanID        string `json:"spanID"`
			OperationName string `json:"operationName"`
			References    []struct {
				RefType string `json:"refType"`
				SpanID  string `json:"spanID"`
			} `json:"references"`
			Tags []struct {
				Key   string `json:"key"`
				Value any    `json:"value"`
			} `json:"tags"`
		} `json:"spans"`
	} `json:"data"`
}

type span struct {
	id, name, parent string
	tags             map[string]string
}

func fetchSpans(t *testing.T, port int, service string, want int) ([]span, []byte) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/api/traces?service=%s&limit=1000&lookback=1h", port, service)
	var spans []span
	var body []byte
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v %s", url, resp.StatusCode, err, tail(body, 500))
		}
		var tr jaegerTraces
		if err := json.Unmarshal(body, &tr); err != nil {
			t.Fatalf("decode traces: %v", err)
		}
		spans = spans[:0]
		for _, d := range tr.Data {
			for _, s := range d.Spans {
				sp := span{id: s.SpanID, name: s.OperationName, tags: map[string]string{}}
				for _, r := range s.References {
					if r.RefType == "CHILD_OF" {
						sp.parent = r.SpanID
					}
				}
				for _, tag := range s.Tags {
					v, _ := json.Marshal(tag.Value)
					sp.tags[tag.Key] = strings.Trim(string(v), `"`)
					if s, ok := tag.Value.(string); ok {
						sp.tags[tag.Key] = s
					}
				}
				spans = append(spans, sp)
			}
		}
		if len(spans) >= want || time.Now().After(deadline) {
			return spans, body
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestJaeger(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts Jaeger")
	}
	dsn, admin := postgres(t)
	dir := t.TempDir()

	ports, jaeger := startJaeger(t, dir, 0)
	if runtime.GOOS == "linux" {
		ls := listeners(t, jaeger.Process.Pid)
		if len(ls) < 5 {
			t.Errorf("jaeger listens on %v, want at least its 5 configured ports", ls)
		}
		for _, a := range ls {
			if !strings.HasPrefix(a, "127.0.0.1:") {
				t.Errorf("jaeger listens on %s, want 127.0.0.1 only", a)
			}
		}
	}

	demo := filepath.Join(dir, "demo")
	goCmd(t, "../examples", "build", "-o", demo, "./jaeger")
	schema := "e2e_" + suffix()
	service := "sqlvigil-e2e-" + suffix()
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
	})
	blackbox := filepath.Join(dir, "audit.jsonl")
	cmd := exec.Command(demo, "-dsn", dsn, "-schema", schema, "-service", service, "-blackbox", blackbox)
	cmd.Env = append(os.Environ(), fmt.Sprintf("OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:%d", ports.otlpHTTP))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}

	// Everything the table held, plus the demo's literals, must be absent
	// from the stored traces.
	secrets := slices.Clone(seeded)
	rows, err := admin.Query("SELECT name, email, ssn FROM " + schema + ".customers")
	if err != nil {
		t.Fatalf("read back the table: %v", err)
	}
	for rows.Next() {
		var a, b, c string
		if err := rows.Scan(&a, &b, &c); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, a, b, c)
	}
	rows.Close()
	if len(secrets) != len(seeded)+9 {
		t.Fatalf("table holds %d values, want 9", len(secrets)-len(seeded))
	}

	checkTraces(t, ports.queryHTTP, service, secrets)
	checkBlackBox(t, blackbox, secrets)
	checkCommand(t, dir, dsn, schema, blackbox)
}

// checkTraces reads the demo's traces back from Jaeger and checks what they
// record, and that no clear value is among them.
func checkTraces(t *testing.T, port int, service string, secrets []string) {
	t.Helper()
	// seed INSERT; agent SELECT, DROP, UPDATE; transaction, UPDATE,
	// SELECT; and a RESET SESSION at each of the two changes of identity.
	spans, body := fetchSpans(t, port, service, 9)
	if len(spans) != 9 {
		t.Fatalf("got %d spans %q, want 9:\n%s", len(spans), names(spans), tail(body, 3000))
	}
	for _, s := range secrets {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("the stored traces contain the clear value %q", s)
		}
	}

	find := func(name, key, value string) span {
		t.Helper()
		for _, s := range spans {
			if s.name == name && s.tags[key] == value {
				return s
			}
		}
		t.Fatalf("no span %q with %s=%s among %v", name, key, value, names(spans))
		return span{}
	}
	check := func(s span, want map[string]string) {
		t.Helper()
		for k, v := range want {
			if got, ok := s.tags[k]; !ok || got != v {
				t.Errorf("span %q: %s = %q (present %v), want %q", s.name, k, got, ok, v)
			}
		}
	}
	agent := map[string]string{
		"user.id":                     "agent:support-bot",
		"user.full_name":              "Support bot",
		"user.roles":                  `["support"]`,
		"sqlvigil.identity.kind":      "agent",
		"sqlvigil.identity.tenant":    "acme",
		"gen_ai.agent.name":           "support-bot",
		"gen_ai.request.model":        "gpt-4o",
		"gen_ai.tool.name":            "run_sql",
		"gen_ai.tool.call.id":         "call_0001",
		"sqlvigil.agent.on_behalf_of": "user:42",
		"db.system.name":              "postgresql",
		"span.kind":                   "client",
		"code.function.name":          "main.agentSession",
	}

	sel := find("SELECT customers", "user.id", "agent:support-bot")
	check(sel, agent)
	check(sel, map[string]string{
		"db.operation.name":         "SELECT",
		"db.collection.name":        "customers",
		"db.query.text":             "SELECT id, name, email, ssn FROM customers ORDER BY id",
		"db.response.returned_rows": "3",
		"sqlvigil.decision":         "allow",
		"sqlvigil.masked.columns":   `["email","ssn"]`,
		"sqlvigil.masked.rules":     `["pii-email","pii-ssn"]`,
		"sqlvigil.masked.counts":    "[3,3]",
		"sqlvigil.masked.values":    "6",
		"sqlvigil.tables.read":      `["customers"]`,
	})

	drop := find("DROP customers", "user.id", "agent:support-bot")
	check(drop, agent)
	check(drop, map[string]string{
		"sqlvigil.decision":       "deny",
		"sqlvigil.rule":           "destructive-ddl",
		"sqlvigil.mode":           "enforce",
		"error.type":              "sqlvigil.blocked",
		"otel.status_code":        "ERROR",
		"error":                   "true",
		"sqlvigil.tables.written": `["customers"]`,
	})
	if !strings.Contains(drop.tags["otel.status_description"], "destructive-ddl") {
		t.Errorf("DROP status = %q, want it to name the rule", drop.tags["otel.status_description"])
	}
	upd := find("UPDATE customers", "user.id", "agent:support-bot")
	check(upd, map[string]string{"sqlvigil.decision": "deny", "sqlvigil.rule": "read-only", "db.query.text": "UPDATE customers SET email = ? WHERE id = ?"})

	ins := find("INSERT customers", "user.id", "svc:crm-import")
	check(ins, map[string]string{"sqlvigil.rows_affected": "3", "sqlvigil.identity.kind": "service"})
	if strings.ContainsAny(ins.tags["db.query.text"], "'@") {
		t.Errorf("INSERT db.query.text keeps literals: %q", ins.tags["db.query.text"])
	}

	tx := find("transaction", "user.id", "svc:crm")
	check(tx, map[string]string{"sqlvigil.tx.end": "commit", "sqlvigil.tx.statements": "2"})
	var children int
	for _, s := range spans {
		if s.parent == tx.id {
			children++
			check(s, map[string]string{"user.id": "svc:crm", "code.function.name": "main.serviceTransaction"})
		}
	}
	if children != 2 {
		t.Errorf("transaction has %d child spans, want 2", children)
	}

}

// checkBlackBox verifies the black box the demo wrote.
func checkBlackBox(t *testing.T, path string, secrets []string) {
	t.Helper()
	// The black box the demo wrote verifies, is sealed, and holds no clear
	// value either.
	bb, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := blackbox.VerifyConfig{RequireSeal: true}.Verify(bytes.NewReader(bb))
	if err != nil {
		t.Errorf("black box: %v", err)
	}
	if rep.Records != 10 { // 6 statements (one inside the tx), 2 resets, 1 tx, 1 seal
		t.Errorf("black box holds %d records, want 10", rep.Records)
	}
	for _, s := range secrets {
		if bytes.Contains(bb, []byte(s)) {
			t.Errorf("the black box contains the clear value %q", s)
		}
	}

}

// checkCommand runs sqlvigil-audit on the black box.
func checkCommand(t *testing.T, dir, dsn, schema, blackbox string) {
	t.Helper()
	// The command verifies it and replays it through the example policy,
	// re-running the reads against the demo's schema.
	tool := filepath.Join(dir, "sqlvigil-audit")
	goCmd(t, "..", "build", "-o", tool, "./cmd/sqlvigil-audit")
	if out, err := exec.Command(tool, "verify", "-require-seal", blackbox).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "OK: 10 records (seq 1..10), sealed") {
		t.Errorf("sqlvigil-audit verify: %v\n%s", err, out)
	}
	policy, err := filepath.Abs("../examples/policy/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var schemaDSN string
	switch {
	case !strings.Contains(dsn, "://"): // key=value form
		schemaDSN = dsn + " search_path=" + schema
	case strings.Contains(dsn, "?"):
		schemaDSN = dsn + "&search_path=" + schema
	default:
		schemaDSN = dsn + "?search_path=" + schema
	}
	out, err := exec.Command(tool, "replay", "-policy", policy, "-all", "-allow-newly-blocked", "-exec-dsn", schemaDSN, blackbox).CombinedOutput()
	if err != nil {
		t.Errorf("sqlvigil-audit replay: %v\n%s", err, out)
	}
	for _, want := range []string{"6 statements replayed", "re-run: 3 rows (recorded 3)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("sqlvigil-audit replay output lacks %q:\n%s", want, out)
		}
	}
}

func names(spans []span) []string {
	var n []string
	for _, s := range spans {
		n = append(n, s.name+"/"+s.tags["user.id"])
	}
	return n
}
