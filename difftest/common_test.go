package difftest

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// tally counts the outcome of a differential run.
type tally struct {
	name       string
	refOK      int // statements the reference parses
	complete   int // of those, analysed complete
	compared   int // complete statements whose kind could be compared
	disagree   int // complete but kind, writes or WHERE disagree
	reasons    map[string]int
	dump       []string
	maxDumpLen int
}

func newTally(name string) *tally {
	return &tally{name: name, reasons: map[string]int{}, maxDumpLen: 200000}
}

func (t *tally) note(format string, args ...any) {
	if len(t.dump) < t.maxDumpLen {
		t.dump = append(t.dump, fmt.Sprintf(format, args...))
	}
}

func (t *tally) report(tb testing.TB) {
	share := 0.0
	if t.refOK > 0 {
		share = 100 * float64(t.complete) / float64(t.refOK)
	}
	tb.Logf("%s: reference-parseable %d, complete %d (%.2f%%), compared %d, complete-but-disagreeing %d",
		t.name, t.refOK, t.complete, share, t.compared, t.disagree)
	type rc struct {
		r string
		n int
	}
	var rs []rc
	for r, n := range t.reasons {
		rs = append(rs, rc{r, n})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].n > rs[j].n })
	for i, r := range rs {
		if i == 12 {
			break
		}
		tb.Logf("  incomplete: %6d  %s", r.n, r.r)
	}
	if p := os.Getenv("DIFFTEST_DUMP"); p != "" {
		_ = os.WriteFile(p+"."+t.name, []byte(strings.Join(t.dump, "\n")), 0o644)
	}
	if t.disagree > 0 {
		tb.Errorf("%s: %d statements analysed complete disagree with the reference (want 0)", t.name, t.disagree)
	}
	if share < 97 {
		tb.Errorf("%s: %.2f%% of reference-parseable statements complete (want ≥ 97%%)", t.name, share)
	}
}

func tableSet(ts []sqlparse.Table) string {
	s := make([]string, 0, len(ts))
	for _, t := range ts {
		s = append(s, t.String())
	}
	sort.Strings(s)
	s = dedupe(s)
	return strings.Join(s, ",")
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func kindIn(k sqlparse.Kind, ks []sqlparse.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
