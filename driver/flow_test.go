package driver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

// TestMaskCopy: a write that would store a value masked for the writer
// where no rule masks it the same way is refused before it runs, as a
// block by rule mask-copy; literals, arguments, unmasked columns and a
// masked column rewritten in place are not copies of masked data, and an
// exempt reader may copy.
func TestMaskCopy(t *testing.T) {
	exempt := []string{"pii:read"}
	rules := mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email(), ExemptRoles: exempt},
		mask.Rule{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact(), ExemptRoles: exempt},
	)
	dev := identity.Identity{Kind: identity.KindUser, Subject: "dev", Roles: []string{"dev"}}
	dpo := identity.Identity{Kind: identity.KindUser, Subject: "dpo", Roles: []string{"pii:read"}}
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			db := openWith(t, tg, sqlvigil.WithMasker(newMasker(t, rules)))
			seedPeople(t, db)
			refused := []string{
				"UPDATE orders SET item = (SELECT email FROM people WHERE id = 1) WHERE oid = 10",
				"INSERT INTO orders (oid, person_id, item) SELECT 11, id, ssn FROM people",
				"INSERT INTO orders VALUES (12, 1, (SELECT email FROM people WHERE id = 1))",
				"CREATE VIEW v1 AS SELECT email AS x FROM people",
				"CREATE VIEW v2 AS SELECT * FROM people",
				"CREATE TABLE loot AS SELECT ssn AS s FROM people",
				"CREATE VIEW v4 (x) AS SELECT email FROM people",
				"CREATE VIEW v5 (email) AS SELECT ssn FROM people",
				// A computed value stored in a column whose strategy
				// keeps part of it (Email keeps the domain) would show
				// that part of whatever was computed.
				"UPDATE people SET email = 'x@' || replace(email, '@', '.') WHERE id = 1",
				"UPDATE people SET email = lower(email) WHERE id = 1",
			}
			allowed := []string{
				"INSERT INTO orders VALUES (20, 1, 'kettle')",
				"UPDATE orders SET item = 'cup' WHERE oid = 10",
				"INSERT INTO orders SELECT oid + 100, person_id, item FROM orders",
				"UPDATE people SET email = email WHERE id = 1",
				"UPDATE people SET ssn = lower(ssn) WHERE id = 1", // Redact keeps nothing
				"CREATE VIEW v3 AS SELECT email FROM people",
			}
			switch tg.family {
			case "pg":
				refused = append(refused,
					"SELECT ssn INTO loot2 FROM people",
					"UPDATE orders o SET item = p.ssn FROM people p WHERE p.id = o.person_id",
					"UPDATE orders SET item = current_setting('application_name') WHERE oid = 10",
					"ALTER TABLE people ADD COLUMN e2 text GENERATED ALWAYS AS (email) STORED",
				)
			case "mysql":
				refused = append(refused,
					"UPDATE orders o JOIN people p ON p.id = o.person_id SET o.item = p.email",
					"INSERT INTO orders SET oid = 13, person_id = 1, item = (SELECT ssn FROM people WHERE id = 1)",
					"INSERT INTO orders VALUES (14, 1, @x)",
					"ALTER TABLE people ADD COLUMN e2 VARCHAR(80) AS (email)",
				)
			}
			ctx := identity.NewContext(context.Background(), dev)
			for _, q := range refused {
				_, err := db.ExecContext(ctx, q)
				var be *guard.BlockedError
				if !errors.Is(err, guard.ErrBlocked) || !errors.As(err, &be) || be.Rule != "mask-copy" {
					t.Errorf("%s: got %v, want a block by rule %s", q, err, "mask-copy")
				}
			}
			// The same copy through a prepared statement and inside a
			// transaction: each execution is checked.
			blocked := func(how string, err error) {
				t.Helper()
				if !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("%s: %s: got %v, want a block by rule %s", how, refused[0], err, "mask-copy")
				}
			}
			if st, err := db.PrepareContext(ctx, refused[0]); err != nil {
				t.Errorf("prepare %s: %v", refused[0], err)
			} else {
				_, err := st.ExecContext(ctx)
				blocked("prepared", err)
				_ = st.Close()
			}
			if tx, err := db.BeginTx(ctx, nil); err != nil {
				t.Errorf("begin: %v", err)
			} else {
				_, err := tx.ExecContext(ctx, refused[0])
				blocked("in a transaction", err)
				_ = tx.Rollback()
			}
			var item string
			if err := db.QueryRowContext(ctx, "SELECT item FROM orders WHERE oid = 10").Scan(&item); err != nil || item != "teapot" {
				t.Errorf("orders after the refusals: item %q (%v), want teapot", item, err)
			}
			for _, q := range allowed {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Errorf("%s: got %v, want it to run", q, err)
				}
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO orders VALUES ("+tg.ph(1)+", 1, "+tg.ph(2)+")", 30, seededEmail); err != nil {
				t.Errorf("an argument is no copy: %v", err)
			}
			// An exempt reader sees the clear values: it may copy them.
			if _, err := db.ExecContext(identity.NewContext(context.Background(), dpo), refused[0]); err != nil {
				t.Errorf("exempt reader: %s: %v", refused[0], err)
			}
		})
	}
}

// TestMaskCopyUnattributedByName: a masker that masks unattributed columns
// by name does not refuse a write whose values' origin is unknown.
func TestMaskCopyUnattributedByName(t *testing.T) {
	m := newMasker(t, mask.WithUnattributed(mask.UnattributedByName),
		mask.WithRules(mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email()}))
	for _, tg := range targets() {
		if tg.family != "pg" {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			db := openWith(t, tg, sqlvigil.WithMasker(m))
			seedPeople(t, db)
			ctx := context.Background()
			if _, err := db.ExecContext(ctx, "UPDATE orders SET item = current_setting('application_name') WHERE oid = 10"); err != nil {
				t.Errorf("unknown origin under UnattributedByName: %v, want it to run", err)
			}
			if _, err := db.ExecContext(ctx, "UPDATE orders SET item = (SELECT email FROM people WHERE id = 1) WHERE oid = 10"); !errors.Is(err, guard.ErrBlocked) {
				t.Errorf("a traced copy: got %v, want guard.ErrBlocked", err)
			}
		})
	}
}

// TestRefusalHints: the driver's own refusals say what would be allowed,
// in stable texts, and a policy's hint reaches the caller's error.
func TestRefusalHints(t *testing.T) {
	rules := mask.WithRules(mask.Rule{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact()})
	p, err := guard.New(guard.WithRules(guard.StackedStatements()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			db := openWith(t, tg, sqlvigil.WithMasker(newMasker(t, rules)), sqlvigil.WithPolicy(p))
			seedPeople(t, db)
			ctx := identity.NewContext(context.Background(), identity.Identity{Kind: identity.KindAgent, Subject: "bot"})
			tests := []struct {
				give     string
				wantRule string
				wantHint string
			}{
				{"INSERT INTO orders (oid, person_id, item) SELECT 11, id, ssn FROM people", "mask-copy",
					"store only values the writer may see, or copy into a column masked by the same rule with a strategy that keeps nothing"},
				{"SELECT 1; SELECT 2", "stacked", "send one statement per call"},
			}
			for _, tt := range tests {
				_, err := db.ExecContext(ctx, tt.give)
				var be *guard.BlockedError
				if !errors.As(err, &be) {
					t.Fatalf("%s: got %v, want a *guard.BlockedError", tt.give, err)
				}
				if be.Rule != tt.wantRule || be.Hint != tt.wantHint {
					t.Errorf("%s: got %q %q, want %q %q", tt.give, be.Rule, be.Hint, tt.wantRule, tt.wantHint)
				}
			}
		})
	}
}

// TestMaskRenameRefused: rules name tables and columns, so a reader with a
// rule in force may not rename one (the value would leave the rule that
// names it: ALTER TABLE people RENAME COLUMN ssn TO taxid, then SELECT
// taxid) nor rewrite a column from others in place, in any environment;
// the schema is unchanged and an exempt reader may rename, but not a table
// or column a rule names.
func TestMaskRenameRefused(t *testing.T) {
	exempt := []string{"pii:read"}
	rules := mask.WithRules(mask.Rule{Name: "ssn", Columns: []string{"people.ssn"}, Strategy: mask.Redact(), ExemptRoles: exempt})
	dev := identity.Identity{Kind: identity.KindUser, Subject: "dev", Roles: []string{"dev"}}
	dpo := identity.Identity{Kind: identity.KindUser, Subject: "dpo", Roles: exempt}
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			db := openWith(t, tg, sqlvigil.WithMasker(newMasker(t, rules)), sqlvigil.WithEnvironment("development"))
			seedPeople(t, db)
			refused := []string{
				"ALTER TABLE people RENAME COLUMN ssn TO taxid",
				"ALTER TABLE people RENAME TO folks",
			}
			switch tg.family {
			case "pg":
				refused = append(refused, "ALTER TABLE people ALTER COLUMN email TYPE text USING ssn")
			case "mysql":
				refused = append(refused, "ALTER TABLE people CHANGE ssn taxid VARCHAR(20)", "RENAME TABLE people TO folks")
			}
			ctx := identity.NewContext(context.Background(), dev)
			for _, q := range refused {
				_, err := db.ExecContext(ctx, q)
				var be *guard.BlockedError
				if !errors.As(err, &be) || be.Rule != "mask-flow" {
					t.Errorf("%s: got %v, want a block by rule %s", q, err, "mask-flow")
				}
			}
			var ssn string
			if err := db.QueryRowContext(ctx, "SELECT ssn FROM people WHERE id = 1").Scan(&ssn); err != nil || ssn == seededSSN {
				t.Errorf("people.ssn after the refusals: %q (%v), want it there and masked", ssn, err)
			}
			if _, err := db.ExecContext(identity.NewContext(context.Background(), dpo), "ALTER TABLE orders RENAME COLUMN item TO thing"); err != nil {
				t.Errorf("exempt reader renames: %v", err)
			}
			// Not a column a rule names, for anyone: the rule would stop
			// masking it for every other reader.
			for _, q := range refused[:2] {
				_, err := db.ExecContext(identity.NewContext(context.Background(), dpo), q)
				var be *guard.BlockedError
				if !errors.As(err, &be) || be.Rule != "mask-flow" {
					t.Errorf("exempt reader: %s: got %v, want a block by rule %s", q, err, "mask-flow")
				}
			}
		})
	}
}
