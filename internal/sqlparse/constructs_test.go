package sqlparse_test

import (
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// TestConstructsORMsSend: constructs that ORMs, migration tools and
// analysts send, read without losing lineage and without taking names for
// function calls (issue 12).
func TestConstructsORMsSend(t *testing.T) {
	tests := []struct {
		d     sqlparse.Dialect
		give  string
		funcs string // the functions reported, joined by ","
		want  string // the lineage of the result columns, as lineage renders it
	}{
		// Column types with modifiers and index names are no calls.
		{my, "CREATE TABLE `t` (`id` bigint unsigned AUTO_INCREMENT, `at` datetime(3) NULL, `k` enum('cat','dog') NOT NULL DEFAULT 'cat', PRIMARY KEY (`id`), UNIQUE INDEX `idx_t_at` (`at`), INDEX `k_idx` (`k`), CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `u` (`id`))", "", "?"},
		{my, "ALTER TABLE `t` ADD `at` datetime(3) NULL, MODIFY COLUMN `k` enum('a','b','c'), ADD UNIQUE INDEX `u_at` (`at`)", "", "?"},
		{pg, `CREATE TABLE t (a character varying(20), b timestamp(3) with time zone, c bit varying(5))`, "", "?"},
		// What follows the type is still read.
		{my, "CREATE TABLE t (a datetime(3) DEFAULT now(3), b varchar(10) DEFAULT (uuid()))", "now,uuid", "?"},
		{pg, `CREATE TABLE t (id int DEFAULT nextval('s'), d text CHECK (length(d) > 0))`, "nextval,length", "?"},
		{my, "ALTER TABLE t ADD COLUMN x int DEFAULT (f())", "f", "?"},
		// A parenthesised expression after a type is no modifier.
		{pg, `CREATE TABLE t (a numeric(f()))`, "numeric,f", "?"},
		// Ordered-set aggregates.
		{pg, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) AS m FROM orders", "percentile_cont", "m<orders.amount>+"},
		// EXISTS yields whether a row exists, none of the subquery's values.
		{pg, `SELECT EXISTS (SELECT "a"."id", "a"."email" FROM "accounts" AS "a" WHERE (name = 'x'))`, "", "<>+"},
		{pg, "SELECT NOT EXISTS (SELECT ssn FROM people) AS none, (SELECT ssn FROM people LIMIT 1) AS s", "", "none<>+ s<people.ssn>+"},
		// Upserts: excluded is the row proposed for insertion.
		{pg, `INSERT INTO "orders" ("customer_id","amount") VALUES ($1,$2),($3,$4) ON CONFLICT ("id") DO UPDATE SET "customer_id"="excluded"."customer_id" RETURNING "id"`, "", "id<orders.id>"},
		{lt, "INSERT INTO t (a, b) SELECT email, 1 FROM people ON CONFLICT (b) DO UPDATE SET a = excluded.a RETURNING a", "", "a<t.a,people.email>+"},
		{my, "INSERT INTO `orders` (`customer_id`) VALUES (?) ON DUPLICATE KEY UPDATE `customer_id`=VALUES(`customer_id`) RETURNING `id`", "", "id<orders.id>"},
		// Recursive CTEs.
		{pg, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT i FROM n", "", "i<i>+"},
		{my, "WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT i FROM n", "", "i<i>+"},
		{pg, "WITH RECURSIVE r(e) AS (SELECT email FROM people UNION ALL SELECT lower(e) FROM r) SELECT e FROM r", "lower", "e<people.email,e>+"},
		{pg, "WITH RECURSIVE r(a, b) AS (SELECT 1, ssn FROM people UNION ALL SELECT b, a FROM r) SELECT a, b FROM r", "", "a<people.ssn,b,a>+ b<people.ssn,a,b>+"},
		{pg, "WITH RECURSIVE r(a) AS (SELECT 1 UNION ALL SELECT f(a) FROM r) SELECT a FROM r", "f", "?"},
	}
	for _, tt := range tests {
		s := sqlparse.Analyze(tt.d, tt.give)
		if !s.Complete {
			t.Errorf("%v %q: incomplete: %s", tt.d, tt.give, s.Reason)
			continue
		}
		st := s.Statements[0]
		if got := strings.Join(st.Functions, ","); got != tt.funcs {
			t.Errorf("%v %q: functions %q, want %q", tt.d, tt.give, got, tt.funcs)
		}
		if st.StoresUnknown {
			t.Errorf("%v %q: stores unknown, want known", tt.d, tt.give)
		}
		if got := lineage(st.Columns); got != tt.want {
			t.Errorf("%v %q: columns %q, want %q", tt.d, tt.give, got, tt.want)
		}
	}
}
