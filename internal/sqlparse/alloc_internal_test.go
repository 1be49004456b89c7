package sqlparse

import (
	"strings"
	"testing"
	"unsafe"
)

// TestAllocation checks how the analysis of long texts allocates: a long
// normalized text does not share its allocation with the summary (a span
// name, which outlives it), and a script's statements take one allocation
// of their size.
func TestAllocation(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		statements int
	}{
		{"one long statement", "INSERT INTO t (a, b) VALUES " + strings.Repeat("(1, 'x'), ", 200) + "(2, 'y')", 1},
		{"many statements", strings.Repeat("SELECT 1; ", 1000), 1000},
		{"block with semicolons", "SELECT 1; CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; " +
			strings.Repeat("UPDATE t SET a = 1 WHERE id = 2; ", 100), 102},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := Analyze(PostgreSQL, tt.give)
			if got := len(sc.Statements); got != tt.statements {
				t.Fatalf("got %d statements, want %d", got, tt.statements)
			}
			if got := cap(sc.Statements); got != tt.statements {
				t.Errorf("statements allocated for %d, want %d", got, tt.statements)
			}
			if len(sc.Normalized) > maxSharedNormalized {
				n, s := unsafe.StringData(sc.Normalized), unsafe.StringData(sc.Summary)
				if p := uintptr(unsafe.Pointer(s)); p >= uintptr(unsafe.Pointer(n)) && p <= uintptr(unsafe.Pointer(n))+uintptr(len(sc.Normalized)) {
					t.Errorf("the summary %q shares the %d-byte normalized text's allocation", sc.Summary, len(sc.Normalized))
				}
			}
		})
	}
}
