// Command benchtable turns benchstat's CSV output for BenchmarkPeers
// (benchstat -format csv -col /impl) into a Markdown table: for every
// driver and workload, each contender's median time per operation, its ratio
// to the raw driver's median from the same run, and its allocations per
// operation; then it checks the targets the suite is held to.
//
// Usage:
//
//	benchstat -format csv -col /impl results.txt | benchtable
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// labels are the display names of the contenders, in table order.
var labels = []struct{ impl, label string }{
	{"raw", "raw driver"},
	{"sqlmw", "sqlmw (pass-through)"},
	{"otelsql", "otelsql (tracing)"},
	{"vigil-pass", "sqlvigil pass-through"},
	{"vigil-audit", "sqlvigil audit"},
	{"vigil-full", "sqlvigil full"},
}

// stat is one benchstat cell: a median and its confidence interval.
type stat struct {
	median float64
	ci     string
}

// key is one row of the table.
type key struct{ driver, op string }

type results struct {
	rows   []key
	paired map[key]map[string]stat // impl -> sec/op, from BenchmarkPaired
	time   map[key]map[string]stat // impl -> sec/op
	alloc  map[key]map[string]stat // impl -> allocs/op
	bytes  map[key]map[string]stat // impl -> B/op
}

func main() {
	targets := flag.Bool("targets", true, "check the targets after the table")
	flag.Parse()
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	res.write(os.Stdout)
	res.writePaired(os.Stdout)
	if *targets {
		if failed := res.check(os.Stdout); failed > 0 {
			fmt.Fprintf(os.Stdout, "\n%d target(s) missed.\n", failed)
		}
	}
}

func parse(r io.Reader) (*results, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	res := &results{
		paired: map[key]map[string]stat{},
		time:   map[key]map[string]stat{},
		alloc:  map[key]map[string]stat{},
		bytes:  map[key]map[string]stat{},
	}
	var impls, units []string // per column, from the two header rows
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch {
		case len(rec) < 2 || rec[0] == "geomean" || strings.HasPrefix(rec[0], "goos") ||
			strings.HasPrefix(rec[0], "goarch") || strings.HasPrefix(rec[0], "pkg") ||
			strings.HasPrefix(rec[0], "cpu"):
			continue
		case rec[0] == "" && rec[1] != "" && !strings.Contains(rec[1], "/op"):
			// Contender header: a name starts a group of columns.
			impls = make([]string, len(rec))
			cur := ""
			for i, v := range rec {
				if v != "" {
					cur = v
				}
				impls[i] = cur
			}
		case rec[0] == "":
			units = rec
		default:
			if err := res.add(rec, impls, units); err != nil {
				return nil, err
			}
		}
	}
	if len(res.rows) == 0 {
		return nil, errors.New("no BenchmarkPeers rows in the input")
	}
	return res, nil
}

func (res *results) add(rec, impls, units []string) error {
	k, ok := parseName(rec[0])
	if !ok {
		return nil
	}
	paired := strings.HasPrefix(rec[0], "Paired/")
	for i := 1; i < len(rec) && i < len(units) && i < len(impls); i++ {
		m, impl := res.table(paired, units[i], impls[i])
		if m == nil || rec[i] == "" {
			continue
		}
		v, err := strconv.ParseFloat(rec[i], 64)
		if err != nil {
			return fmt.Errorf("%s: %q: %w", rec[0], rec[i], err)
		}
		ci := ""
		if i+1 < len(rec) && i+1 < len(units) && units[i+1] == "CI" {
			ci = rec[i+1]
		}
		if !slices.Contains(res.rows, k) {
			res.rows = append(res.rows, k)
		}
		if m[k] == nil {
			m[k] = map[string]stat{}
		}
		m[k][impl] = stat{median: v, ci: ci}
	}
	return nil
}

// table returns where a column's values go, and for which contender. In
// BenchmarkPaired's rows the contender is in the unit ("raw-sec/op") and
// the benchmark's own sec/op, all contenders together, is dropped.
func (res *results) table(paired bool, unit, impl string) (map[key]map[string]stat, string) {
	if paired {
		if p, ok := strings.CutSuffix(unit, "-sec/op"); ok {
			return res.paired, p
		}
		return nil, ""
	}
	switch unit {
	case "sec/op":
		return res.time, impl
	case "allocs/op":
		return res.alloc, impl
	case "B/op":
		return res.bytes, impl
	}
	return nil, ""
}

// parseName reads "Peers/driver=pq/op=point-2".
func parseName(name string) (key, bool) {
	var k key
	for part := range strings.SplitSeq(name, "/") {
		if v, ok := strings.CutPrefix(part, "driver="); ok {
			k.driver = v
		}
		if v, ok := strings.CutPrefix(part, "op="); ok {
			if i := strings.LastIndexByte(v, '-'); i > 0 {
				if _, err := strconv.Atoi(v[i+1:]); err == nil {
					v = v[:i]
				}
			}
			k.op = v
		}
	}
	return k, k.driver != "" && k.op != ""
}

func (res *results) write(w io.Writer) {
	if len(res.time) == 0 {
		return
	}
	fmt.Fprintln(w, "Each contender alone (BenchmarkPeers): median time/op, ratio to raw, allocs/op.")
	fmt.Fprintln(w)
	var present []int
	for i, l := range labels {
		for _, k := range res.rows {
			if _, ok := res.time[k][l.impl]; ok {
				present = append(present, i)
				break
			}
		}
	}
	fmt.Fprint(w, "| driver | workload |")
	for _, i := range present {
		fmt.Fprintf(w, " %s |", labels[i].label)
	}
	fmt.Fprint(w, "\n|---|---|")
	for range present {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
	for _, k := range res.rows {
		fmt.Fprintf(w, "| %s | %s |", k.driver, k.op)
		raw, hasRaw := res.time[k]["raw"]
		for _, i := range present {
			impl := labels[i].impl
			t, ok := res.time[k][impl]
			if !ok {
				fmt.Fprint(w, " – |")
				continue
			}
			cell := duration(t.median)
			if t.ci != "" && t.ci != "∞" {
				cell += " ±" + t.ci
			}
			if hasRaw && impl != "raw" && raw.median > 0 {
				cell += fmt.Sprintf(" **×%.2f**", t.median/raw.median)
			}
			if a, ok := res.alloc[k][impl]; ok {
				cell += fmt.Sprintf(" · %s allocs", strconv.FormatFloat(a.median, 'f', -1, 64))
			}
			fmt.Fprintf(w, " %s |", cell)
		}
		fmt.Fprintln(w)
	}
}

// writePaired prints the interleaved measurements: the raw driver's median
// time per operation and every other contender's ratio to it.
func (res *results) writePaired(w io.Writer) {
	if len(res.paired) == 0 {
		return
	}
	var present []int
	for i, l := range labels {
		for _, k := range res.rows {
			if _, ok := res.paired[k][l.impl]; ok {
				present = append(present, i)
				break
			}
		}
	}
	fmt.Fprintln(w, "\nContenders interleaved (BenchmarkPaired): raw median time/op; ratios to it (time added per operation).")
	fmt.Fprint(w, "\n| driver | workload |")
	for _, i := range present {
		fmt.Fprintf(w, " %s |", labels[i].label)
	}
	fmt.Fprint(w, "\n|---|---|")
	for range present {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
	for _, k := range res.rows {
		if res.paired[k] == nil {
			continue
		}
		fmt.Fprintf(w, "| %s | %s |", k.driver, k.op)
		for _, i := range present {
			impl := labels[i].impl
			t, ok := res.paired[k][impl]
			raw, hasRaw := res.paired[k]["raw"]
			switch {
			case !ok:
				fmt.Fprint(w, " – |")
			case impl == "raw" || !hasRaw || raw.median == 0:
				fmt.Fprintf(w, " %s |", duration(t.median))
			default:
				fmt.Fprintf(w, " ×%.2f (%s) |", t.median/raw.median, delta(t.median-raw.median))
			}
		}
		fmt.Fprintln(w)
	}
}

// delta formats a difference of durations with its sign.
func delta(sec float64) string {
	if sec < 0 {
		return "−" + duration(-sec)
	}
	return "+" + duration(sec)
}

func duration(sec float64) string {
	ns := sec * 1e9
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	default:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	}
}

// ratio returns impl's median over raw's for k in BenchmarkPeers, or NaN.
func (res *results) ratio(k key, impl string) float64 { return ratioIn(res.time, k, impl) }

// pairedRatio returns impl's median over raw's for k in BenchmarkPaired, or
// NaN.
func (res *results) pairedRatio(k key, impl string) float64 { return ratioIn(res.paired, k, impl) }

func ratioIn(m map[key]map[string]stat, k key, impl string) float64 {
	raw, ok1 := m[k]["raw"]
	t, ok2 := m[k][impl]
	if !ok1 || !ok2 || raw.median == 0 {
		return math.NaN()
	}
	return t.median / raw.median
}

// check prints the targets, each met or missed, and returns how
// many were missed. The interleaved measurement (BenchmarkPaired) decides
// when it ran, since a loaded machine's drift cannot favour one contender
// there; otherwise BenchmarkPeers decides. Both ratios are printed. A target
// whose rows are absent is reported as not measured.
func (res *results) check(w io.Writer) int {
	f := func(x float64) string {
		if math.IsNaN(x) {
			return "–"
		}
		return fmt.Sprintf("×%.2f", x)
	}
	// ratio is the deciding ratio and the text showing both.
	ratio := func(k key, impl string) (float64, string) {
		alone, inter := res.ratio(k, impl), res.pairedRatio(k, impl)
		text := fmt.Sprintf("%s %s (alone %s)", impl, f(inter), f(alone))
		if res.paired[k] == nil {
			return alone, fmt.Sprintf("%s %s", impl, f(alone))
		}
		return inter, text
	}
	fmt.Fprintln(w, "\nTargets (ratios of benchstat medians to raw from the same run; interleaved decides, alone in brackets):")
	failed := 0
	report := func(ok, measured bool, line string) {
		mark := "met"
		switch {
		case !measured:
			mark = "not measured"
		case !ok:
			mark = "MISSED"
			failed++
		}
		fmt.Fprintf(w, "- [%s] %s\n", mark, line)
	}
	for _, d := range []string{"pq", "pgx"} {
		k := key{d, "point"}
		full, ft := ratio(k, "vigil-full")
		otel, ot := ratio(k, "otelsql")
		m := !math.IsNaN(full)
		report(m && full <= 1.10, m, fmt.Sprintf("PostgreSQL (%s) point select: %s ≤ ×1.10", d, ft))
		m = m && !math.IsNaN(otel)
		report(m && full < otel, m, fmt.Sprintf("PostgreSQL (%s) point select: %s < %s", d, ft, ot))
		k = key{d, "agent"}
		full, ft = ratio(k, "vigil-full")
		m = !math.IsNaN(full)
		report(m && full <= 1.15, m, fmt.Sprintf("PostgreSQL (%s) agent-style: %s ≤ ×1.15", d, ft))
	}
	for _, d := range []string{"sqlite", "fake"} {
		for _, k := range res.rows {
			if k.driver != d {
				continue
			}
			full, ft := ratio(k, "vigil-full")
			otel, ot := ratio(k, "otelsql")
			m := !math.IsNaN(full) && !math.IsNaN(otel)
			report(m && full < otel, m, fmt.Sprintf("%s %s: %s < %s", d, k.op, ft, ot))
		}
	}
	return failed
}
