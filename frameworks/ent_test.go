package frameworks_test

import (
	"testing"

	"github.com/sqlvigil/sqlvigil"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/dialect/sql/sqlgraph"
	"entgo.io/ent/schema/field"
)

// entTables is what ent's code generator writes into migrate/schema.go for
// two entities: users (with the masked column email) and pets (none).
func entTables() []*schema.Table {
	usersColumns := []*schema.Column{
		{Name: "id", Type: field.TypeInt, Increment: true},
		{Name: "name", Type: field.TypeString, Size: 100},
		{Name: "email", Type: field.TypeString, Unique: true},
		{Name: "age", Type: field.TypeInt, Nullable: true},
		{Name: "created_at", Type: field.TypeTime},
	}
	users := &schema.Table{Name: "users", Columns: usersColumns, PrimaryKey: []*schema.Column{usersColumns[0]}}
	petsColumns := []*schema.Column{
		{Name: "id", Type: field.TypeInt, Increment: true},
		{Name: "name", Type: field.TypeString, Unique: true},
		{Name: "kind", Type: field.TypeEnum, Enums: []string{"cat", "dog"}, Default: "cat"},
		{Name: "user_pets", Type: field.TypeInt, Nullable: true},
	}
	pets := &schema.Table{
		Name:       "pets",
		Columns:    petsColumns,
		PrimaryKey: []*schema.Column{petsColumns[0]},
		ForeignKeys: []*schema.ForeignKey{{
			Symbol:     "pets_users_pets",
			Columns:    []*schema.Column{petsColumns[3]},
			RefColumns: []*schema.Column{usersColumns[0]},
			OnDelete:   schema.SetNull,
		}},
		Indexes: []*schema.Index{{Name: "pet_kind", Columns: []*schema.Column{petsColumns[2]}}},
	}
	pets.ForeignKeys[0].RefTable = users
	return []*schema.Table{users, pets}
}

var entUserColumns = []string{"id", "name", "email", "age", "created_at"}

// TestEnt runs ent's Schema.Create (twice: the second run compares with
// the existing schema) and the statements its generated code sends through
// sqlgraph for CRUD, through sqlvigil with the masking rules in force.
func TestEnt(t *testing.T) {
	for _, drv := range allDrivers {
		t.Run(drv, func(t *testing.T) {
			// Atlas, which ent migrates with, sends some statements with
			// context.Background(): the migrator's handle names its identity
			// as the default too.
			c := open(t, drv, "ent", sqlvigil.WithDefaultIdentity(migrator))
			name := map[string]string{drvPQ: dialect.Postgres, drvPGX: dialect.Postgres, drvMySQL: dialect.MySQL, drvSQLite: dialect.SQLite}[drv]
			d := entsql.OpenDB(name, c.db)
			ctx := c.ctx
			for _, run := range []string{"Schema.Create (first run)", "Schema.Create (second run)"} {
				m, err := schema.NewMigrate(d)
				must(t, "NewMigrate", err)
				must(t, run, m.Create(ctx, entTables()...))
			}

			for _, u := range []struct {
				name, email string
				age         int
			}{{"ada", "ada@example.com", 36}, {"alan", "alan@example.org", 41}} {
				spec := sqlgraph.NewCreateSpec("users", sqlgraph.NewFieldSpec("id", field.TypeInt))
				spec.SetField("name", field.TypeString, u.name)
				spec.SetField("email", field.TypeString, u.email)
				spec.SetField("age", field.TypeInt, u.age)
				spec.SetField("created_at", field.TypeTime, testTime)
				must(t, "CreateNode(user)", sqlgraph.CreateNode(ctx, d, spec))
			}
			pet := sqlgraph.NewCreateSpec("pets", sqlgraph.NewFieldSpec("id", field.TypeInt))
			pet.SetField("name", field.TypeString, "rex")
			pet.SetField("kind", field.TypeEnum, "dog")
			pet.SetField("user_pets", field.TypeInt, 1)
			must(t, "CreateNode(pet)", sqlgraph.CreateNode(ctx, d, pet))

			var emails []string
			q := sqlgraph.NewQuerySpec("users", entUserColumns, sqlgraph.NewFieldSpec("id", field.TypeInt))
			q.Predicate = func(s *entsql.Selector) { s.Where(entsql.GT(s.C("age"), 18)) }
			q.Order = func(s *entsql.Selector) { s.OrderBy(entsql.Asc(s.C("name"))) }
			q.ScanValues = func(columns []string) ([]any, error) {
				vals := make([]any, len(columns))
				for i := range vals {
					vals[i] = new(entsql.NullString)
				}
				return vals, nil
			}
			q.Assign = func(columns []string, values []any) error {
				for i, col := range columns {
					if col == "email" {
						emails = append(emails, values[i].(*entsql.NullString).String)
					}
				}
				return nil
			}
			must(t, "QueryNodes(users)", sqlgraph.QueryNodes(ctx, d, q))
			if len(emails) != 2 || !*update && emails[0] == "ada@example.com" {
				t.Errorf("QueryNodes emails = %q, want 2 masked", emails)
			}
			n, err := sqlgraph.CountNodes(ctx, d, sqlgraph.NewQuerySpec("pets", nil, sqlgraph.NewFieldSpec("id", field.TypeInt)))
			must(t, "CountNodes(pets)", err)
			if n != 1 {
				t.Errorf("CountNodes(pets) = %d, want 1", n)
			}

			up := sqlgraph.NewUpdateSpec("users", entUserColumns, sqlgraph.NewFieldSpec("id", field.TypeInt))
			up.Predicate = func(s *entsql.Selector) { s.Where(entsql.EQ(s.C("name"), "ada")) }
			up.Fields.Add = append(up.Fields.Add, &sqlgraph.FieldSpec{Column: "age", Type: field.TypeInt, Value: 1})
			_, err = sqlgraph.UpdateNodes(ctx, d, up)
			must(t, "UpdateNodes", err)

			del := sqlgraph.NewDeleteSpec("pets", sqlgraph.NewFieldSpec("id", field.TypeInt))
			del.Predicate = func(s *entsql.Selector) { s.Where(entsql.EQ(s.C("kind"), "dog")) }
			_, err = sqlgraph.DeleteNodes(ctx, d, del)
			must(t, "DeleteNodes", err)
			noDenials(t, c)
		})
	}
}
