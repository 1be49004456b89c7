package sqlparse_test

import (
	"fmt"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

func ExampleAnalyze() {
	s := sqlparse.Analyze(sqlparse.PostgreSQL,
		"WITH gone AS (DELETE FROM orders WHERE 1=1 RETURNING id) SELECT count(*) FROM gone")
	st := s.Statements[0]
	fmt.Println(s.Complete, st.Kind, st.Effect, st.Writes, st.Functions)
	fmt.Println(s.Normalized)
	fmt.Println(s.Summary)

	s = sqlparse.Analyze(sqlparse.MySQL, "SELECT 1 /*!50000 ; DROP TABLE users */")
	fmt.Println(s.Complete, s.Reason)
	// Output:
	// true SELECT DELETE [orders] [count]
	// WITH gone AS (DELETE FROM orders WHERE ?=? RETURNING id) SELECT count(*) FROM gone
	// DELETE orders
	// false versioned executable comment
}

func ExampleCache() {
	c := sqlparse.NewCache(1024)
	const q = "SELECT email AS e FROM users WHERE id = ?"
	c.Analyze(sqlparse.MySQL, q) // analysed; kept from the second time on
	a := c.Analyze(sqlparse.MySQL, q)
	b := c.Analyze(sqlparse.MySQL, q)
	col := a.Statements[0].Columns[0]
	fmt.Println(a == b, col.Name, col.Sources)
	// Output: true e [users.email]
}
