package frameworks_test

import (
	"context"
	"database/sql"
	"testing"
)

// Reporting queries as an analyst writes them, over customers (masked
// columns email and ssn), orders and products (no masked column). setup
// runs first, as the same identity.
type reportSet struct {
	setup   []string
	queries []string
}

var pgReports = reportSet{
	setup: []string{
		`CREATE TABLE customers (id SERIAL PRIMARY KEY, name TEXT NOT NULL, email TEXT, ssn TEXT, region TEXT, created_at TIMESTAMPTZ NOT NULL)`,
		`CREATE TABLE orders (id SERIAL PRIMARY KEY, customer_id INT REFERENCES customers (id), amount NUMERIC(10, 2) NOT NULL, status TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL, meta JSONB)`,
		`CREATE TABLE products (id SERIAL PRIMARY KEY, sku TEXT UNIQUE NOT NULL, title TEXT, price NUMERIC(10, 2), tags TEXT[])`,
		`INSERT INTO customers (name, email, ssn, region, created_at) VALUES ('ada', 'ada@example.com', '123-45-6789', 'eu', '2026-01-03'), ('alan', 'alan@example.org', '987-65-4321', 'eu', '2026-01-05'), ('grace', 'grace@example.net', '555-12-3456', 'us', '2026-02-01')`,
		`INSERT INTO orders (customer_id, amount, status, created_at, meta) VALUES (1, 120.50, 'paid', '2026-01-04', '{"channel": "web", "sku": "A-1"}'), (1, 30, 'refunded', '2026-01-20', '{"channel": "app", "sku": "B-2"}'), (2, 75, 'paid', '2026-02-02', '{"channel": "web", "sku": "A-1"}'), (3, 990, 'new', '2026-02-14', NULL)`,
		`INSERT INTO products (sku, title, price, tags) VALUES ('A-1', 'lamp', 19.99, ARRAY['home', 'sale']), ('B-2', 'desk', 240, ARRAY['office'])`,
	},
	queries: []string{
		`SELECT status, count(*), sum(amount) FROM orders GROUP BY status ORDER BY 2 DESC`,
		`SELECT date_trunc('month', created_at) AS month, sum(amount) AS revenue FROM orders GROUP BY 1 ORDER BY 1`,
		`SELECT customer_id, amount, sum(amount) OVER (PARTITION BY customer_id ORDER BY created_at) AS running FROM orders`,
		`SELECT id, amount, rank() OVER (ORDER BY amount DESC) AS r FROM orders`,
		`WITH monthly AS (SELECT date_trunc('month', created_at) AS m, sum(amount) AS s FROM orders GROUP BY 1) SELECT m, s, s - lag(s) OVER (ORDER BY m) AS delta FROM monthly ORDER BY m`,
		`SELECT d::date AS day, count(o.id) AS orders FROM generate_series(date '2026-01-01', date '2026-01-31', interval '1 day') AS d LEFT JOIN orders o ON o.created_at::date = d::date GROUP BY 1 ORDER BY 1`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT i FROM n`,
		`SELECT json_agg(p) FROM products p`,
		`SELECT json_agg(json_build_object('sku', sku, 'price', price)) FROM products`,
		`SHOW search_path`,
		`SHOW timezone`,
		`EXPLAIN SELECT * FROM orders WHERE status = 'paid'`,
		`EXPLAIN (FORMAT JSON) SELECT count(*) FROM orders`,
		`SELECT c.region, count(DISTINCT o.customer_id) AS buyers FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.region`,
		`SELECT c.name, c.email, t.total FROM customers c JOIN (SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id) t ON t.customer_id = c.id ORDER BY t.total DESC LIMIT 10`,
		`SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) AS median FROM orders`,
		`SELECT status, count(*) FILTER (WHERE amount > 50) AS large FROM orders GROUP BY status`,
		`SELECT extract(dow FROM created_at) AS dow, avg(amount) FROM orders GROUP BY 1 ORDER BY 1`,
		`SELECT sku, title FROM products WHERE tags @> ARRAY['sale']`,
		`SELECT unnest(tags) AS tag, count(*) FROM products GROUP BY 1 ORDER BY 1`,
		`SELECT meta->>'channel' AS channel, count(*) FROM orders GROUP BY 1`,
		`SELECT CASE WHEN amount >= 100 THEN 'large' ELSE 'small' END AS size, count(*) FROM orders GROUP BY 1`,
		`SELECT to_char(created_at, 'YYYY-MM') AS ym, round(avg(amount), 2) FROM orders GROUP BY ym ORDER BY ym`,
		`SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) > 1`,
		`SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE status = 'refunded')`,
		`SELECT EXISTS (SELECT 1 FROM orders WHERE amount > 1000)`,
		`SELECT current_database(), current_user, version()`,
		`SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
		`SELECT o.id, o.amount, c.region FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.created_at >= now() - interval '3650 days'`,
		`SELECT sku, price, ntile(4) OVER (ORDER BY price) AS quartile FROM products`,
		`SELECT count(*) FROM customers WHERE email LIKE '%@example.com'`,
		`SELECT date_part('year', created_at)::int AS y, count(*) FROM customers GROUP BY y`,
		`SELECT coalesce(sum(amount), 0) FROM orders WHERE customer_id = 1`,
		`SELECT generate_series(1, 5) AS n`,
		`SELECT string_agg(sku, ', ' ORDER BY sku) FROM products`,
		`SELECT jsonb_build_object('orders', count(*), 'total', sum(amount)) FROM orders`,
		`SELECT array_agg(DISTINCT status) FROM orders`,
		`SELECT p.sku, x.cnt FROM products p CROSS JOIN LATERAL (SELECT count(*) AS cnt FROM orders o WHERE o.meta->>'sku' = p.sku) x`,
		`SELECT region, name, amount FROM (SELECT c.region, c.name, o.amount, row_number() OVER (PARTITION BY c.region ORDER BY o.amount DESC) AS rn FROM customers c JOIN orders o ON o.customer_id = c.id) t WHERE rn = 1`,
		`SELECT relname, n_live_tup FROM pg_stat_user_tables ORDER BY relname`,
	},
}

var mysqlReports = reportSet{
	setup: []string{
		`CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200), ssn VARCHAR(20), region VARCHAR(10), created_at DATETIME NOT NULL)`,
		`CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT, amount DECIMAL(10, 2) NOT NULL, status VARCHAR(20) NOT NULL, created_at DATETIME NOT NULL, meta JSON, FOREIGN KEY (customer_id) REFERENCES customers (id))`,
		`CREATE TABLE products (id INT AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(20) NOT NULL UNIQUE, title VARCHAR(100), price DECIMAL(10, 2))`,
		`INSERT INTO customers (name, email, ssn, region, created_at) VALUES ('ada', 'ada@example.com', '123-45-6789', 'eu', '2026-01-03'), ('alan', 'alan@example.org', '987-65-4321', 'eu', '2026-01-05'), ('grace', 'grace@example.net', '555-12-3456', 'us', '2026-02-01')`,
		`INSERT INTO orders (customer_id, amount, status, created_at, meta) VALUES (1, 120.50, 'paid', '2026-01-04', '{"channel": "web"}'), (1, 30, 'refunded', '2026-01-20', '{"channel": "app"}'), (2, 75, 'paid', '2026-02-02', '{"channel": "web"}'), (3, 990, 'new', '2026-02-14', NULL)`,
		`INSERT INTO products (sku, title, price) VALUES ('A-1', 'lamp', 19.99), ('B-2', 'desk', 240)`,
	},
	queries: []string{
		`SELECT status, COUNT(*), SUM(amount) FROM orders GROUP BY status ORDER BY 2 DESC`,
		`SELECT DATE_FORMAT(created_at, '%Y-%m') AS month, SUM(amount) AS revenue FROM orders GROUP BY month ORDER BY month`,
		`SELECT customer_id, amount, SUM(amount) OVER (PARTITION BY customer_id ORDER BY created_at) AS running FROM orders`,
		`SELECT id, amount, RANK() OVER (ORDER BY amount DESC) AS r FROM orders`,
		`WITH monthly AS (SELECT DATE_FORMAT(created_at, '%Y-%m') AS m, SUM(amount) AS s FROM orders GROUP BY m) SELECT m, s, s - LAG(s) OVER (ORDER BY m) AS delta FROM monthly ORDER BY m`,
		`WITH RECURSIVE days AS (SELECT DATE('2026-01-01') AS d UNION ALL SELECT d + INTERVAL 1 DAY FROM days WHERE d < '2026-01-31') SELECT days.d, COUNT(o.id) AS orders FROM days LEFT JOIN orders o ON DATE(o.created_at) = days.d GROUP BY days.d ORDER BY days.d`,
		`WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT i FROM n`,
		`SELECT JSON_ARRAYAGG(JSON_OBJECT('sku', sku, 'price', price)) FROM products`,
		`SHOW TABLES`,
		`SHOW COLUMNS FROM orders`,
		`SHOW INDEX FROM orders`,
		`DESCRIBE products`,
		`EXPLAIN SELECT * FROM orders WHERE status = 'paid'`,
		`SELECT DATABASE(), CURRENT_USER(), VERSION()`,
		`SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position`,
		`SELECT c.name, c.email, t.total FROM customers c JOIN (SELECT customer_id, SUM(amount) AS total FROM orders GROUP BY customer_id) t ON t.customer_id = c.id ORDER BY t.total DESC LIMIT 10`,
		`SELECT IF(amount >= 100, 'large', 'small') AS size, COUNT(*) FROM orders GROUP BY size`,
		`SELECT customer_id FROM orders GROUP BY customer_id HAVING COUNT(*) > 1`,
		`SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE status = 'refunded')`,
		`SELECT EXISTS (SELECT 1 FROM orders WHERE amount > 1000) AS big`,
		`SELECT JSON_UNQUOTE(JSON_EXTRACT(meta, '$.channel')) AS channel, COUNT(*) FROM orders GROUP BY channel`,
		`SELECT GROUP_CONCAT(sku ORDER BY sku SEPARATOR ', ') FROM products`,
		`SELECT YEAR(created_at) AS y, QUARTER(created_at) AS q, SUM(amount) FROM orders GROUP BY y, q WITH ROLLUP`,
		`SELECT TIMESTAMPDIFF(DAY, MIN(created_at), MAX(created_at)) AS span_days FROM orders`,
		`SELECT COUNT(*) FROM customers WHERE email LIKE '%@example.com'`,
		`SELECT region, name, amount FROM (SELECT c.region, c.name, o.amount, ROW_NUMBER() OVER (PARTITION BY c.region ORDER BY o.amount DESC) AS rn FROM customers c JOIN orders o ON o.customer_id = c.id) t WHERE rn = 1`,
		`SELECT c.region, COUNT(DISTINCT o.customer_id) AS buyers FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.region`,
		`SHOW VARIABLES LIKE 'max_connections'`,
	},
}

var sqliteReports = reportSet{
	setup: []string{
		`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, ssn TEXT, region TEXT, created_at TEXT NOT NULL)`,
		`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), amount REAL NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, meta TEXT)`,
		`CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, title TEXT, price REAL)`,
		`INSERT INTO customers (name, email, ssn, region, created_at) VALUES ('ada', 'ada@example.com', '123-45-6789', 'eu', '2026-01-03'), ('alan', 'alan@example.org', '987-65-4321', 'eu', '2026-01-05'), ('grace', 'grace@example.net', '555-12-3456', 'us', '2026-02-01')`,
		`INSERT INTO orders (customer_id, amount, status, created_at, meta) VALUES (1, 120.50, 'paid', '2026-01-04', '{"channel": "web"}'), (1, 30, 'refunded', '2026-01-20', '{"channel": "app"}'), (2, 75, 'paid', '2026-02-02', '{"channel": "web"}'), (3, 990, 'new', '2026-02-14', NULL)`,
		`INSERT INTO products (sku, title, price) VALUES ('A-1', 'lamp', 19.99), ('B-2', 'desk', 240)`,
	},
	queries: []string{
		`SELECT status, count(*), sum(amount) FROM orders GROUP BY status ORDER BY 2 DESC`,
		`SELECT strftime('%Y-%m', created_at) AS month, sum(amount) AS revenue FROM orders GROUP BY month ORDER BY month`,
		`SELECT customer_id, amount, sum(amount) OVER (PARTITION BY customer_id ORDER BY created_at) AS running FROM orders`,
		`SELECT id, amount, rank() OVER (ORDER BY amount DESC) AS r FROM orders`,
		`WITH monthly AS (SELECT strftime('%Y-%m', created_at) AS m, sum(amount) AS s FROM orders GROUP BY m) SELECT m, s, s - lag(s) OVER (ORDER BY m) AS delta FROM monthly ORDER BY m`,
		`WITH RECURSIVE days(d) AS (SELECT date('2026-01-01') UNION ALL SELECT date(d, '+1 day') FROM days WHERE d < '2026-01-31') SELECT days.d, count(o.id) AS orders FROM days LEFT JOIN orders o ON date(o.created_at) = days.d GROUP BY days.d ORDER BY days.d`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT i FROM n`,
		`SELECT json_group_array(json_object('sku', sku, 'price', price)) FROM products`,
		`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`,
		`PRAGMA table_info(orders)`,
		`PRAGMA index_list(orders)`,
		`SELECT name, type FROM pragma_table_info('customers')`,
		`EXPLAIN QUERY PLAN SELECT * FROM orders WHERE status = 'paid'`,
		`SELECT sqlite_version()`,
		`SELECT c.name, c.email, t.total FROM customers c JOIN (SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id) t ON t.customer_id = c.id ORDER BY t.total DESC LIMIT 10`,
		`SELECT CASE WHEN amount >= 100 THEN 'large' ELSE 'small' END AS size, count(*) FROM orders GROUP BY 1`,
		`SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) > 1`,
		`SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE status = 'refunded')`,
		`SELECT EXISTS (SELECT 1 FROM orders WHERE amount > 1000) AS big`,
		`SELECT json_extract(meta, '$.channel') AS channel, count(*) FROM orders GROUP BY channel`,
		`SELECT group_concat(sku, ', ') FROM products`,
		`SELECT total(amount), avg(amount) FROM orders`,
		`SELECT count(*) FROM customers WHERE email LIKE '%@example.com'`,
		`SELECT region, name, amount FROM (SELECT c.region, c.name, o.amount, row_number() OVER (PARTITION BY c.region ORDER BY o.amount DESC) AS rn FROM customers c JOIN orders o ON o.customer_id = c.id) t WHERE rn = 1`,
		`SELECT c.region, count(DISTINCT o.customer_id) AS buyers FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.region`,
	},
}

// TestReports runs the reporting queries through sqlvigil as a masked
// reader. Refusals are measured by TestCorpus, which replays them; here a
// query that fails for any other reason is a mistake in the query.
func TestReports(t *testing.T) {
	sets := map[string]reportSet{drvPQ: pgReports, drvPGX: pgReports, drvMySQL: mysqlReports, drvSQLite: sqliteReports}
	for _, drv := range allDrivers {
		t.Run(drv, func(t *testing.T) {
			c := open(t, drv, "reports")
			set := sets[drv]
			for _, q := range set.setup {
				_, err := c.db.ExecContext(c.ctx, q)
				must(t, "setup", err)
			}
			for _, q := range set.queries {
				if err := queryAll(c.db, c.ctx, q); err != nil && !refused(err) {
					t.Errorf("%s: %v", q, err)
				}
			}
		})
	}
}

// queryAll runs q on db and reads every row of every result set.
func queryAll(db *sql.DB, ctx context.Context, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for {
		for rows.Next() {
		}
		if !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}
