package blackbox

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// TestImports keeps the arrows pointing down: the black box is an audit
// sink and imports audit (never the reverse, which audit's own TestImports
// checks), and nothing of OpenTelemetry or of sqlvigil above audit.
func TestImports(t *testing.T) {
	pkg, err := build.Import("github.com/sqlvigil/sqlvigil/audit/blackbox", ".", 0)
	if err != nil {
		t.Skipf("cannot list imports: %v", err)
	}
	if !slices.Contains(pkg.Imports, "github.com/sqlvigil/sqlvigil/audit") {
		t.Fatalf("imports %v lack audit: the listing is wrong", pkg.Imports)
	}
	for _, imp := range pkg.Imports {
		switch {
		case strings.HasPrefix(imp, "go.opentelemetry.io/"),
			strings.HasPrefix(imp, "github.com/sqlvigil/sqlvigil/") && imp != "github.com/sqlvigil/sqlvigil/audit":
			t.Errorf("blackbox imports %s", imp)
		}
	}
}
