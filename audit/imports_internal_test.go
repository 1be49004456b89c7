package audit

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// TestImports keeps the package on the OpenTelemetry API: the SDK and the
// exporters belong to applications, and the arrows between sqlvigil's
// packages point down (audit imports identity only).
func TestImports(t *testing.T) {
	pkg, err := build.Import("github.com/sqlvigil/sqlvigil/audit", ".", 0)
	if err != nil {
		t.Skipf("cannot list imports: %v", err)
	}
	if !slices.Contains(pkg.Imports, "go.opentelemetry.io/otel/trace") {
		t.Fatalf("imports %v lack the trace API: the listing is wrong", pkg.Imports)
	}
	for _, imp := range pkg.Imports {
		switch {
		case strings.HasPrefix(imp, "go.opentelemetry.io/otel/sdk"),
			strings.HasPrefix(imp, "go.opentelemetry.io/otel/exporters"),
			strings.HasPrefix(imp, "github.com/sqlvigil/sqlvigil/") && imp != "github.com/sqlvigil/sqlvigil/identity":
			t.Errorf("audit imports %s", imp)
		}
	}
}
