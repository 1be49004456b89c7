package stdsqltest

import (
	"slices"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/stdsqltest/vigilwrap"
)

// expectation is a known difference from the raw fake driver.
type expectation struct {
	// configs lists the configurations the test fails in; empty means
	// every wrapped one.
	configs []string
	reason  string
}

func (e expectation) in(cfg string) bool {
	return len(e.configs) == 0 || slices.Contains(e.configs, cfg)
}

// Reasons.
const (
	// fakeType: the test asserts the fake driver's own type on a value
	// database/sql holds (rows.rowsi.(*rowsCursor), tx.txi.(*fakeTx)) or
	// compares it with the fake driver (db.Driver() != fdriver). Wrapped,
	// the value is sqlvigil's (internal/sqlmw), and these kinds do not
	// offer Unwrap, so seeThrough cannot reach the fake one. Not a
	// behaviour difference.
	fakeType = "asserts the fake driver's own type or identity"
)

// expectations lists, by test name, the tests of database/sql that pass
// with the raw fake driver and fail wrapped, and why. Update it when
// database/sql's tests or sqlvigil change: the run names the entry to add
// or remove.
var expectations = map[string]expectation{
	"TestOpenDB":                      {reason: fakeType}, // db.Driver() != fdriver
	"TestRowsImplicitClose":           {reason: fakeType}, // rows.rowsi.(*rowsCursor)
	"TestRowsCloseError":              {reason: fakeType}, // rows.rowsi.(*rowsCursor)
	"TestTxCannotCommitAfterRollback": {reason: fakeType}, // tx.txi.(*fakeTx)
}

func TestDifferences(t *testing.T) {
	// results: TestB passes everywhere; TestA fails in the configurations
	// named.
	results := func(failA ...string) map[string]map[string]result {
		res := map[string]map[string]result{}
		for _, cfg := range vigilwrap.Configs {
			res[cfg] = map[string]result{
				"TestA": {pass: !slices.Contains(failA, cfg), output: []byte("boom")},
				"TestB": {pass: true},
			}
		}
		return res
	}
	tests := []struct {
		name   string
		res    map[string]map[string]result
		expect map[string]expectation
		want   []string // substrings, one per problem, in order
	}{
		{"same", results(), nil, nil},
		{"unlisted failure", results(vigilwrap.Audit), nil, []string{"TestA fails wrapped (audit)"}},
		{"listed failure", results(vigilwrap.Audit),
			map[string]expectation{"TestA": {configs: []string{vigilwrap.Audit}, reason: "r"}}, nil},
		{"listed everywhere, gone in one", results(vigilwrap.PassThrough, vigilwrap.Guard, vigilwrap.Both),
			map[string]expectation{"TestA": {reason: "r"}}, []string{"TestA now passes wrapped (audit)"}},
		{"fails raw too", results(vigilwrap.Configs...), nil, nil},
		{"listed test gone", results(),
			map[string]expectation{"TestGone": {reason: "r"}}, []string{"TestGone, which database/sql no longer has"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := differences(tt.res, []string{"TestA", "TestB"}, tt.expect)
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %d problems like %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("problem %d: got %q, want it to contain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}
