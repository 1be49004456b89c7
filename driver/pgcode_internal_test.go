package driver

import "testing"

// TestPGCodeRunsOn: what the catalog's rows of code made earlier mean for a
// statement's text.
func TestPGCodeRunsOn(t *testing.T) {
	type row struct{ kind, what, schema, fn string }
	tests := []struct {
		name string
		give []row
		norm string
		want bool
	}{
		{"nothing made earlier", nil, "SELECT ssn::text FROM people WHERE ssn = ?", false},
		{"operator written", []row{{"op", "===", "public", "leak"}}, "SELECT id FROM people WHERE ssn === name", true},
		{"operator qualified", []row{{"op", "===", "public", "leak"}}, "SELECT id FROM people WHERE ssn OPERATOR(public.===) name", true},
		{"operator not written", []row{{"op", "===", "public", "leak"}}, "SELECT ssn FROM people WHERE id = ?", false},
		{"operator over a pure built-in", []row{{"op", "#^", "pg_catalog", "upper"}}, "SELECT #^ ssn FROM people", false},
		{"operator over an unlisted built-in", []row{{"op", "#^", "pg_catalog", "pg_notify"}}, "SELECT ssn #^ ? FROM people", true},
		{"equality made earlier: IN", []row{{"op", "=", "public", "leak"}}, "SELECT id FROM people WHERE ssn IN (?, ?)", true},
		{"like made earlier", []row{{"op", "~~", "public", "leak"}}, "SELECT id FROM people WHERE ssn LIKE ?", true},
		{"explicit cast, none written", []row{{"cast", "e", "public", "leak"}}, "SELECT ssn FROM people", false},
		{"explicit cast written", []row{{"cast", "e", "public", "leak"}}, "SELECT ssn::mood FROM people", true},
		{"explicit CAST written", []row{{"cast", "e", "public", "leak"}}, "SELECT cast(ssn AS mood) FROM people", true},
		{"implicit cast", []row{{"cast", "i", "public", "leak"}}, "SELECT ssn FROM people", true},
		{"assignment cast", []row{{"cast", "a", "", ""}}, "INSERT INTO t SELECT ssn FROM people", true},
		{"domain check over built-ins", []row{{"domain", "", "pg_catalog", "length"}}, "SELECT ssn::d FROM people", false},
		{"domain check over a user's function", []row{{"domain", "", "public", "leak"}}, "SELECT ssn FROM people", true},
		{"domain check over an operator made earlier", []row{{"domain", "", "", ""}}, "SELECT ssn FROM people", true},
		{"operator class", []row{{"class", "", "", ""}}, "SELECT ssn FROM people ORDER BY ssn", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pc := &pgCode{}
			for _, r := range tt.give {
				pc.add(r.kind, r.what, r.schema, r.fn)
			}
			if got := pc.runsOn(tt.norm); got != tt.want {
				t.Errorf("runsOn(%q) = %v, want %v", tt.norm, got, tt.want)
			}
		})
	}
}
