package stdsqltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/stdsqltest/vigilwrap"
)

// The tests' own registrations and connectors are wrapped: in the
// package's test files, Register("…", d) becomes vigilRegister("…", d) and
// OpenDB(c) becomes vigilOpenDB(c) (see glue). wantRegister and wantOpenDB
// are how many of each database/sql's tests had when this was written: a
// change means the patch needs a look.
var (
	registerCall = regexp.MustCompile(`(^|[^\w.])Register\("`)
	openDBCall   = regexp.MustCompile(`(^|[^\w.])OpenDB\(`)
)

const (
	wantRegister = 9
	wantOpenDB   = 3
)

// glue is added to the copied package: the wrapping functions, and a
// TestMain that fails the run when wrapping failed and writes the counters
// the outer test checks.
const glue = `package sql

import (
	"database/sql/driver"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/sqlvigil/sqlvigil/stdsqltest/vigilwrap"
)

var (
	vigilMu  sync.Mutex
	vigilErr error
)

func vigilFailed(err error) {
	vigilMu.Lock()
	defer vigilMu.Unlock()
	if vigilErr == nil {
		vigilErr = err
	}
}

// vigilRegister registers d wrapped; on error, unwrapped (and the run fails).
func vigilRegister(name string, d driver.Driver) {
	w, err := vigilwrap.Driver(d)
	if err != nil {
		vigilFailed(err)
	}
	Register(name, w)
}

// vigilOpenDB opens c wrapped; on error, unwrapped (and the run fails).
func vigilOpenDB(c driver.Connector) *DB {
	w, err := vigilwrap.Connector(c)
	if err != nil {
		vigilFailed(err)
	}
	return OpenDB(w)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if err := vigilwrap.WriteCounts(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 3
	}
	if vigilErr != nil {
		fmt.Fprintln(os.Stderr, "wrapping failed:", vigilErr)
		code = 3
	}
	os.Exit(code)
}
`

// shims stand in for the standard library's internal packages the tests
// import, with what they use of them.
var shims = []struct {
	name  string
	files map[string]string
}{
	{"asan", map[string]string{
		"asan.go":   "//go:build asan\n\npackage asan\n\nconst Enabled = true\n",
		"noasan.go": "//go:build !asan\n\npackage asan\n\nconst Enabled = false\n",
	}},
	{"race", map[string]string{
		"race.go":   "//go:build race\n\npackage race\n\nconst Enabled = true\n",
		"norace.go": "//go:build !race\n\npackage race\n\nconst Enabled = false\n",
	}},
	// The copy is never built with optimisations off (-gcflags=-N).
	{"testenv", map[string]string{
		"testenv.go": "package testenv\n\nimport \"testing\"\n\nfunc SkipIfOptimizationOff(testing.TB) {}\n",
	}},
}

func TestStandardLibrary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds database/sql's tests and runs them in every configuration")
	}
	bin := build(t)
	names := list(t, bin)
	if len(names) < 50 {
		t.Fatalf("found %d tests in database/sql, want at least 50", len(names))
	}
	res := runAll(t, bin, names)

	baseline := res[vigilwrap.Raw]
	var rawFailed []string
	for _, n := range names {
		if !baseline[n].pass {
			rawFailed = append(rawFailed, n)
		}
	}
	if len(rawFailed) > 0 {
		t.Logf("fail with the raw fake driver too, not compared: %s", strings.Join(rawFailed, ", "))
	}
	if len(rawFailed) > len(names)/10 {
		t.Fatalf("%d of %d tests fail with the raw fake driver: the copy does not work", len(rawFailed), len(names))
	}
	checkExpectations(t, res, names)
	for _, cfg := range vigilwrap.Configs[1:] {
		failed := 0
		for _, n := range names {
			if !res[cfg][n].pass {
				failed++
			}
		}
		t.Logf("%-11s %d tests, %d fail (raw: %d)", cfg, len(names), failed, len(rawFailed))
	}
	checkCounts(t, res)
}

// checkExpectations fails for every difference from the baseline that is
// not listed, and for every listed difference that is gone.
func checkExpectations(t *testing.T, res map[string]map[string]result, names []string) {
	t.Helper()
	for _, p := range differences(res, names, expectations) {
		t.Error(p)
	}
}

// differences returns, for each wrapped configuration, the tests that
// pass raw and fail wrapped without being listed in expect, the listed
// ones that now pass, and the listed names that no longer exist.
func differences(res map[string]map[string]result, names []string, expect map[string]expectation) []string {
	var problems []string
	for _, name := range sortedKeys(expect) {
		if !slices.Contains(names, name) {
			problems = append(problems, fmt.Sprintf("expectations list %s, which database/sql no longer has: remove it", name))
		}
	}
	for _, cfg := range vigilwrap.Configs[1:] {
		for _, n := range names {
			base, got := res[vigilwrap.Raw][n], res[cfg][n]
			if !base.pass {
				continue
			}
			e, listed := expect[n]
			listed = listed && e.in(cfg)
			switch {
			case !got.pass && !listed:
				problems = append(problems, fmt.Sprintf("%s fails wrapped (%s) and passes raw:\n%s", n, cfg, got.tail()))
			case got.pass && listed:
				problems = append(problems, fmt.Sprintf("%s now passes wrapped (%s): remove %s from expectations (%s)", n, cfg, cfg, e.reason))
			}
		}
	}
	return problems
}

// checkCounts makes sure the configuration was in the path: the auditor
// ended spans, the policy was consulted.
func checkCounts(t *testing.T, res map[string]map[string]result) {
	t.Helper()
	var spans, checks int64
	for _, cfg := range []string{vigilwrap.Audit, vigilwrap.Both} {
		var s int64
		for _, r := range res[cfg] {
			s += r.spans
		}
		if s == 0 {
			t.Errorf("%s: the auditor recorded no span: it was not in the path", cfg)
		}
		spans += s
	}
	for _, cfg := range []string{vigilwrap.Guard, vigilwrap.Both} {
		var c int64
		for _, r := range res[cfg] {
			c += r.checks
		}
		if c == 0 {
			t.Errorf("%s: the policy was never consulted: it was not in the path", cfg)
		}
		checks += c
	}
	t.Logf("%d spans ended, %d policy checks", spans, checks)
}

type result struct {
	pass          bool
	output        []byte
	spans, checks int64
}

// tail returns the end of the output, where a failure or panic is told.
func (r result) tail() string {
	const max = 3000
	out := r.output
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return string(out)
}

// build copies database/sql and its tests from GOROOT into a throwaway
// module, patches the fake driver's registration and builds the test
// binary.
func build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if d := os.Getenv("STDSQLTEST_DIR"); d != "" {
		dir = d // kept, to look into the copy
	}
	files := readSources(t, filepath.Join(goEnv(t, "GOROOT"), "src", "database", "sql"))
	patch(t, files)
	files["zz_vigil_test.go"] = []byte(glue)
	files["zz_vigil_unwrap_test.go"] = []byte(unwrapGlue)
	for name, data := range files {
		writeFile(t, filepath.Join(dir, "sql", name), data)
	}
	for _, s := range shims {
		for name, text := range s.files {
			writeFile(t, filepath.Join(dir, "internal", s.name, name), []byte(text))
		}
	}
	writeModule(t, dir)
	bin := filepath.Join(dir, "sql.test")
	args := []string{"test", "-c", "-o", bin}
	if os.Getenv("STDSQLTEST_RACE") != "" {
		// Opt in: the first race build of the dependencies takes minutes.
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./sql")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the copy of database/sql's tests: %v\n%s", err, out)
	}
	return bin
}

// readSources returns the Go files of database/sql (not of its
// subdirectories), by name.
func readSources(t *testing.T, src string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatalf("database/sql sources: %v", err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	return files
}

// patch makes the copy build as another module and makes its tests run
// through sqlvigil (see glue and seeThrough).
func patch(t *testing.T, files map[string][]byte) {
	t.Helper()
	var internal []string // the package's own test files
	for name, data := range files {
		// External tests (package sql_test) import the copy, not the
		// standard library's database/sql.
		data = bytes.ReplaceAll(data, []byte(`"database/sql"`), []byte(`"stdsqlcopy/sql"`))
		// The standard library's internal packages are out of reach of
		// another module: the tests get small stand-ins (shims).
		for _, s := range shims {
			data = bytes.ReplaceAll(data, []byte(`"internal/`+s.name+`"`), []byte(`"stdsqlcopy/internal/`+s.name+`"`))
		}
		files[name] = data
		if strings.HasSuffix(name, "_test.go") && bytes.Equal(packageClause(data), []byte("package sql\n")) {
			internal = append(internal, name)
		}
	}
	slices.Sort(internal)
	fset := token.NewFileSet()
	parsed := make([]*ast.File, len(internal))
	for i, name := range internal {
		f, err := parseFile(fset, name, files[name])
		if err != nil {
			t.Fatalf("parsing the copy: %v", err)
		}
		parsed[i] = f
	}
	types := declaredTypes(parsed)
	var registers, openDBs, asserts int
	for i, name := range internal {
		data, n, err := seeThrough(fset, parsed[i], files[name], types)
		if err != nil {
			t.Fatal(err)
		}
		asserts += n
		registers += len(registerCall.FindAllIndex(data, -1))
		openDBs += len(openDBCall.FindAllIndex(data, -1))
		data = registerCall.ReplaceAll(data, []byte(`${1}vigilRegister("`))
		files[name] = openDBCall.ReplaceAll(data, []byte(`${1}vigilOpenDB(`))
	}
	t.Logf("patched %s: %d Register, %d OpenDB, %d type assertions", strings.Join(internal, ", "), registers, openDBs, asserts)
	if registers != wantRegister || openDBs != wantOpenDB {
		t.Fatalf("database/sql's tests call Register %d times and OpenDB %d times, want %d and %d: check the patch still wraps them all",
			registers, openDBs, wantRegister, wantOpenDB)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeModule writes the throwaway module's go.mod (this module's, renamed,
// requiring this module, with absolute replacements) and go.sum.
func writeModule(t *testing.T, dir string) {
	t.Helper()
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	const self = "module github.com/sqlvigil/sqlvigil/stdsqltest\n"
	const replace = "replace github.com/sqlvigil/sqlvigil => ../\n"
	s := string(mod)
	if !strings.HasPrefix(s, self) || !strings.Contains(s, replace) {
		t.Fatalf("go.mod does not start with %q or lacks %q: update writeModule", self, replace)
	}
	s = "module stdsqlcopy\n" + s[len(self):]
	s = strings.Replace(s, replace, fmt.Sprintf("replace github.com/sqlvigil/sqlvigil => %s\n", filepath.Dir(here)), 1)
	s += fmt.Sprintf("\nrequire github.com/sqlvigil/sqlvigil/stdsqltest v0.0.0\n\nreplace github.com/sqlvigil/sqlvigil/stdsqltest => %s\n", here)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}

// packageClause returns the package clause of a Go file, with its newline.
func packageClause(data []byte) []byte {
	for line := range bytes.Lines(data) {
		if bytes.HasPrefix(line, []byte("package ")) {
			return line
		}
	}
	return nil
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// list returns the names of the top-level tests and examples of bin.
func list(t *testing.T, bin string) []string {
	t.Helper()
	out, err := exec.Command(bin, "-test.list", ".").Output()
	if err != nil {
		t.Fatalf("listing the tests: %v", err)
	}
	var names []string
	for line := range strings.Lines(string(out)) {
		name := strings.TrimSpace(line)
		if strings.HasPrefix(name, "Test") || strings.HasPrefix(name, "Example") {
			names = append(names, name)
		}
	}
	return names
}

// runAll runs every test in every configuration, each in its own process,
// two at a time (the machine is shared). A failure is run once more, so
// that a timing-dependent test of database/sql does not count as a
// difference.
func runAll(t *testing.T, bin string, names []string) map[string]map[string]result {
	t.Helper()
	type job struct{ cfg, name string }
	jobs := make(chan job)
	var (
		mu  sync.Mutex
		res = map[string]map[string]result{}
		wg  sync.WaitGroup
	)
	for _, cfg := range vigilwrap.Configs {
		res[cfg] = map[string]result{}
	}
	countDir := t.TempDir()
	for w := range 2 {
		wg.Go(func() {
			counts := filepath.Join(countDir, strconv.Itoa(w))
			for j := range jobs {
				r := runOne(bin, j.cfg, j.name, counts)
				if !r.pass {
					r = runOne(bin, j.cfg, j.name, counts)
				}
				mu.Lock()
				res[j.cfg][j.name] = r
				mu.Unlock()
			}
		})
	}
	for _, cfg := range vigilwrap.Configs {
		for _, n := range names {
			jobs <- job{cfg, n}
		}
	}
	close(jobs)
	wg.Wait()
	return res
}

func runOne(bin, cfg, name, counts string) result {
	_ = os.Remove(counts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^"+name+"$", "-test.count=1", "-test.timeout=2m", "-test.v")
	cmd.Env = append(os.Environ(), vigilwrap.Env+"="+cfg, vigilwrap.CountsEnv+"="+counts)
	out, err := cmd.CombinedOutput()
	r := result{pass: err == nil, output: out}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		r.output = append(r.output, []byte("\n"+err.Error())...)
	}
	if r.pass && !bytes.Contains(out, []byte("--- PASS: "+name)) && !bytes.Contains(out, []byte("=== RUN   "+name)) {
		r.pass = false
		r.output = append(r.output, []byte("\nthe test did not run")...)
	}
	if data, err := os.ReadFile(counts); err == nil {
		f := strings.Fields(string(data))
		if len(f) == 2 {
			r.spans, _ = strconv.ParseInt(f[0], 10, 64)
			r.checks, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	return r
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
