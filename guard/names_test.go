package guard_test

import (
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
)

// The built-in names are a compatibility promise (NamedRule's table): a
// policy file, a user's matcher and the audit trail spell them as strings.
func TestBuiltinNames(t *testing.T) {
	for want, r := range map[string]guard.NamedRule{
		"destructive-ddl":    guard.DestructiveDDL(),
		"missing-where":      guard.MissingWhere(),
		"stacked":            guard.StackedStatements(),
		"dangerous":          guard.DangerousCalls(),
		"privileges":         guard.PrivilegeChanges(),
		"lexing-settings":    guard.LexingSettings(),
		"read-only":          guard.ReadOnly(guard.Who{}),
		"tables":             guard.Tables(guard.TableAccess{}),
		"require-identity":   guard.RequireIdentity(),
		"max-rows":           guard.MaxRows(1),
		"unmask-review":      guard.UnmaskReview(),
		"catalog-writes":     guard.CatalogWrites(),
		"routines":           guard.Routines(),
		"integrity-settings": guard.IntegritySettings(),
		"maintenance":        guard.Maintenance(),
		"read-budget":        guard.ReadBudget(guard.Budget{MaxRows: 1}),
	} {
		if r.Name != want {
			t.Errorf("built-in named %q, documented as %q", r.Name, want)
		}
	}
	if r := guard.ReadOnlyAccess(guard.ReadAccess{}); r.Name != "read-only" {
		t.Errorf("ReadOnlyAccess named %q, documented as read-only", r.Name)
	}
}
