package mask_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log"

	"github.com/lib/pq"

	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

// A Masker is usually handed to sqlvigil.Open with sqlvigil.WithMasker; the
// driver then plans and applies as below for every result set.
func Example() {
	m, err := mask.New(mask.WithRules(
		mask.Rule{Name: "email", Columns: []string{"email", "*_email"}, Strategy: mask.Email(), ExemptRoles: []string{"pii:read"}},
		mask.Rule{Name: "card", Columns: []string{"billing.cards.number"}, Strategy: mask.Partial(0, 4), NeverUnmask: true},
	))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	agent := identity.Identity{Kind: identity.KindAgent, Subject: "support-bot"}
	p, err := m.Plan(ctx, mask.Input{
		Identity: agent,
		Columns: []mask.Column{
			{Name: "id", Sources: []string{"cards.id"}, Attributed: true},
			{Name: "billing_email", Sources: []string{"cards.billing_email"}, Attributed: true},
			{Name: "number", Sources: []string{"billing.cards.number"}, Attributed: true},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	row := []driver.Value{int64(7), "alice@example.com", []byte("4111111111111111")}
	if err := p.Apply(row); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v %v %s\n", row[0], row[1], row[2])
	for _, r := range p.Report() {
		fmt.Printf("%s: rule %s, %s, %d value(s)\n", r.Column, r.Rule, r.Strategy, r.Count)
	}
	// Output:
	// 7 ****@example.com ************1111
	// billing_email: rule email, email, 1 value(s)
	// number: rule card, partial, 1 value(s)
}

// Tokenize keeps equality, so joins and GROUP BY still work on masked
// values; it needs a key.
func ExampleTokenize() {
	_, err := mask.New(mask.WithRules(mask.Rule{Name: "customer", Columns: []string{"customer_id"}, Strategy: mask.Tokenize()}))
	fmt.Println(errors.Is(err, mask.ErrConfig))
	m, err := mask.New(
		mask.WithKey([]byte("a secret key of at least 16 bytes")),
		mask.WithRules(mask.Rule{Name: "customer", Columns: []string{"customer_id"}, Strategy: mask.Tokenize()}),
	)
	if err != nil {
		log.Fatal(err)
	}
	p, err := m.Plan(context.Background(), mask.Input{Columns: []mask.Column{{Name: "customer_id", Attributed: true}}})
	if err != nil {
		log.Fatal(err)
	}
	a, b := []driver.Value{"C-1001"}, []driver.Value{"C-1001"}
	_ = p.Apply(a)
	_ = p.Apply(b)
	fmt.Println(a[0] == b[0], a[0] != "C-1001")
	// Output:
	// true
	// true true
}

// RedactError keeps a value of a masked column out of a database error,
// while errors.As still finds the driver's error type.
func ExampleMasker_RedactError() {
	m, err := mask.New(mask.WithRules(mask.Rule{Name: "email", Columns: []string{"email"}, Strategy: mask.Email()}))
	if err != nil {
		log.Fatal(err)
	}
	err = m.RedactError(&pq.Error{Code: "23505", Message: "duplicate key value violates unique constraint", Detail: "Key (email)=(alice@example.com) already exists."})
	var pe *pq.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Code, pe.Detail)
	}
	fmt.Println(errors.Is(err, mask.ErrRedacted))
	// Output:
	// 23505 Key (email)=([redacted]) already exists.
	// true
}
