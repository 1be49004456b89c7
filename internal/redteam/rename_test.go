package redteam_test

import (
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/mask"
)

// TestExemptRenameRefused: rules select columns by name, so a rename of a
// column, or of a table, that a rule names would move the values out from
// under it for every other reader: an identity for which no rule is in
// force (here the DPO, exempt from both rules) renames people.ssn to x,
// and a masked reader then reads x in clear. Such a rename is refused to
// everyone, in every environment; a rename in a table no rule names is
// not.
func TestExemptRenameRefused(t *testing.T) {
	for _, b := range backends() {
		renames := []string{
			"ALTER TABLE people RENAME COLUMN ssn TO x",
			"ALTER TABLE people RENAME TO folks",
		}
		switch b.family {
		case my:
			renames = append(renames, "ALTER TABLE people CHANGE ssn x VARCHAR(20)", "RENAME TABLE people TO folks")
		case pg:
			renames = append(renames, "ALTER TABLE IF EXISTS ONLY people RENAME ssn TO x",
				// The rows leave the name the rule selects.
				"ALTER TABLE pp DETACH PARTITION pp_1", "ALTER TABLE kept NO INHERIT pp2")
		}
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			// In production the destructive-DDL rule refuses every
			// rename; in development only masking stands in the way.
			exempt := []string{"pii:read"}
			m, err := mask.New(mask.WithRules(
				mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email(), ExemptRoles: exempt},
				mask.Rule{Name: "ssn", Columns: []string{"people.ssn", "pp.ssn", "pp2.ssn"}, Strategy: mask.Redact(), ExemptRoles: exempt},
			))
			if err != nil {
				t.Fatal(err)
			}
			db, err := sqlvigil.Open(b.driver, l.dsn, sqlvigil.WithPolicy(securityPolicy(t)), sqlvigil.WithMasker(m),
				sqlvigil.WithEnvironment("development"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			reads := []string{"SELECT x FROM people", "SELECT ssn FROM folks", "SELECT x FROM folks", "SELECT ssn FROM people"}
			if b.family == pg {
				l.exec(t, "CREATE TABLE pp (id int, ssn varchar(20)) PARTITION BY LIST (id)",
					"CREATE TABLE pp_1 PARTITION OF pp FOR VALUES IN (1)",
					"INSERT INTO pp SELECT id, ssn FROM people WHERE id = 1",
					"CREATE TABLE pp2 (id int, ssn varchar(20))", "CREATE TABLE kept () INHERITS (pp2)",
					"INSERT INTO kept SELECT id, ssn FROM people WHERE id = 1")
				reads = append(reads, "SELECT ssn FROM pp_1", "SELECT ssn FROM kept")
			}
			for _, q := range renames {
				_, err := db.ExecContext(as(dpo), q)
				if !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("%s: got %v, want a refusal", q, err)
				}
				// Whatever happened, a masked reader reads the SSN under
				// every name it may now have.
				for _, r := range reads {
					rows, err := db.QueryContext(as(dev), r)
					var got string
					if err == nil {
						got, err = readRows(rows)
					}
					if x := leaked(got + errorText(err)); x != "" {
						t.Errorf("after %s, %s: masked value %q in clear", q, r, x)
					}
				}
			}
			if got := rawString(l, "SELECT ssn FROM people WHERE id = 1"); got != people[0].ssn {
				t.Errorf("people.ssn after the refusals: %q, want it unchanged", got)
			}
			if _, err := db.ExecContext(as(dpo), "ALTER TABLE notes RENAME COLUMN body TO text2"); err != nil {
				t.Errorf("a rename in a table no rule names: %v", err)
			}
		})
	}
}
