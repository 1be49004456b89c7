package sqlstmt_test

import (
	"fmt"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

func Example() {
	s := guard.Analyze(sqlstmt.PostgreSQL, "DELETE FROM orders WHERE note = 'x'; DELETE FROM orders")
	for _, st := range s.Statements {
		fmt.Println(st.Kind, st.Writes, st.Restriction)
	}
	fmt.Println(s.Normalized)
	fmt.Println(s.ChangesSession())
	// Output:
	// DELETE [orders] all
	// DELETE [orders] missing
	// DELETE FROM orders WHERE note = ?; DELETE FROM orders
	// false
}
