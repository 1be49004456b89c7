package frameworks_test

import (
	"strings"
	"testing"

	"github.com/lib/pq"
)

// sqlcQueries are statements in the form sqlc's generated code sends them:
// each text starts with its "-- name: Name :kind" comment line and keeps
// the query's line breaks; a slice argument of MySQL and SQLite is
// expanded in the text at run time (one "?" per element). Per dialect
// family: the schema, then the queries by name.
type sqlcSet struct {
	schema  []string
	queries map[string]string
}

func sqlcText(name, kind, body string) string {
	return "-- name: " + name + " :" + kind + "\n" + body + "\n"
}

var sqlcSets = map[string]sqlcSet{
	drvPQ: {
		schema: []string{
			"CREATE TABLE authors (\n  id BIGSERIAL PRIMARY KEY,\n  name text NOT NULL,\n  email text,\n  ssn text,\n  created_at timestamptz NOT NULL DEFAULT now()\n)",
			"CREATE TABLE books (\n  id BIGSERIAL PRIMARY KEY,\n  author_id bigint NOT NULL REFERENCES authors (id),\n  title text NOT NULL,\n  pages int\n)",
			"CREATE TABLE settings (\n  key text PRIMARY KEY,\n  value text NOT NULL\n)",
		},
		queries: map[string]string{
			"create":  sqlcText("CreateAuthor", "one", "INSERT INTO authors (\n  name, email, ssn\n) VALUES (\n  $1, $2, $3\n)\nRETURNING id, name, email, ssn, created_at"),
			"get":     sqlcText("GetAuthor", "one", "SELECT id, name, email, ssn, created_at FROM authors\nWHERE id = $1 LIMIT 1"),
			"list":    sqlcText("ListAuthors", "many", "SELECT id, name, email, ssn, created_at FROM authors\nORDER BY name"),
			"byIDs":   sqlcText("ListAuthorsByIDs", "many", "SELECT id, name FROM authors\nWHERE id = ANY($1::bigint[])"),
			"filter":  sqlcText("FilterAuthors", "many", "SELECT id, name FROM authors\nWHERE ($1::text IS NULL OR name = $1)\nORDER BY id"),
			"search":  sqlcText("SearchAuthors", "many", "SELECT id, name FROM authors\nWHERE name ILIKE '%' || $1 || '%'"),
			"rename":  sqlcText("RenameAuthor", "exec", "UPDATE authors SET name = $2\nWHERE id = $1"),
			"book":    sqlcText("CreateBook", "exec", "INSERT INTO books (author_id, title, pages) VALUES ($1, $2, $3)"),
			"join":    sqlcText("ListBooksWithAuthor", "many", "SELECT books.id, books.title, authors.name\nFROM books\nJOIN authors ON authors.id = books.author_id\nWHERE books.pages > $1"),
			"count":   sqlcText("CountBooksByAuthor", "many", "SELECT author_id, count(*) AS books\nFROM books\nGROUP BY author_id"),
			"upsert":  sqlcText("UpsertSetting", "exec", "INSERT INTO settings (key, value) VALUES ($1, $2)\nON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"),
			"setting": sqlcText("GetSetting", "one", "SELECT value FROM settings\nWHERE key = $1"),
			"delete":  sqlcText("DeleteBook", "execrows", "DELETE FROM books\nWHERE id = $1"),
		},
	},
	drvMySQL: {
		schema: []string{
			"CREATE TABLE authors (\n  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n  name VARCHAR(100) NOT NULL,\n  email VARCHAR(200),\n  ssn VARCHAR(20),\n  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)\n)",
			"CREATE TABLE books (\n  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n  author_id BIGINT NOT NULL,\n  title VARCHAR(200) NOT NULL,\n  pages INT,\n  CONSTRAINT books_author_fk FOREIGN KEY (author_id) REFERENCES authors (id)\n)",
			"CREATE TABLE settings (\n  `key` VARCHAR(100) PRIMARY KEY,\n  value TEXT NOT NULL\n)",
		},
		queries: map[string]string{
			"create":  sqlcText("CreateAuthor", "execresult", "INSERT INTO authors (\n  name, email, ssn\n) VALUES (\n  ?, ?, ?\n)"),
			"get":     sqlcText("GetAuthor", "one", "SELECT id, name, email, ssn, created_at FROM authors\nWHERE id = ? LIMIT 1"),
			"list":    sqlcText("ListAuthors", "many", "SELECT id, name, email, ssn, created_at FROM authors\nORDER BY name"),
			"byIDs":   sqlcText("ListAuthorsByIDs", "many", "SELECT id, name FROM authors\nWHERE id IN (/*SLICE:ids*/?)"),
			"filter":  sqlcText("FilterAuthors", "many", "SELECT id, name FROM authors\nWHERE (? IS NULL OR name = ?)\nORDER BY id"),
			"search":  sqlcText("SearchAuthors", "many", "SELECT id, name FROM authors\nWHERE name LIKE CONCAT('%', ?, '%')"),
			"rename":  sqlcText("RenameAuthor", "exec", "UPDATE authors SET name = ?\nWHERE id = ?"),
			"book":    sqlcText("CreateBook", "exec", "INSERT INTO books (author_id, title, pages) VALUES (?, ?, ?)"),
			"join":    sqlcText("ListBooksWithAuthor", "many", "SELECT books.id, books.title, authors.name\nFROM books\nJOIN authors ON authors.id = books.author_id\nWHERE books.pages > ?"),
			"count":   sqlcText("CountBooksByAuthor", "many", "SELECT author_id, COUNT(*) AS books\nFROM books\nGROUP BY author_id"),
			"upsert":  sqlcText("UpsertSetting", "exec", "INSERT INTO settings (`key`, value) VALUES (?, ?)\nON DUPLICATE KEY UPDATE value = VALUES(value)"),
			"setting": sqlcText("GetSetting", "one", "SELECT value FROM settings\nWHERE `key` = ?"),
			"delete":  sqlcText("DeleteBook", "execrows", "DELETE FROM books\nWHERE id = ?"),
		},
	},
	drvSQLite: {
		schema: []string{
			"CREATE TABLE authors (\n  id INTEGER PRIMARY KEY,\n  name text NOT NULL,\n  email text,\n  ssn text,\n  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP\n)",
			"CREATE TABLE books (\n  id INTEGER PRIMARY KEY,\n  author_id INTEGER NOT NULL REFERENCES authors (id),\n  title text NOT NULL,\n  pages INTEGER\n)",
			"CREATE TABLE settings (\n  key text PRIMARY KEY,\n  value text NOT NULL\n)",
		},
		queries: map[string]string{
			"create":  sqlcText("CreateAuthor", "one", "INSERT INTO authors (\n  name, email, ssn\n) VALUES (\n  ?, ?, ?\n)\nRETURNING id, name, email, ssn, created_at"),
			"get":     sqlcText("GetAuthor", "one", "SELECT id, name, email, ssn, created_at FROM authors\nWHERE id = ? LIMIT 1"),
			"list":    sqlcText("ListAuthors", "many", "SELECT id, name, email, ssn, created_at FROM authors\nORDER BY name"),
			"byIDs":   sqlcText("ListAuthorsByIDs", "many", "SELECT id, name FROM authors\nWHERE id IN (/*SLICE:ids*/?)"),
			"filter":  sqlcText("FilterAuthors", "many", "SELECT id, name FROM authors\nWHERE (CAST(?1 AS TEXT) IS NULL OR name = ?1)\nORDER BY id"),
			"search":  sqlcText("SearchAuthors", "many", "SELECT id, name FROM authors\nWHERE name LIKE '%' || ? || '%'"),
			"rename":  sqlcText("RenameAuthor", "exec", "UPDATE authors SET name = ?\nWHERE id = ?"),
			"book":    sqlcText("CreateBook", "exec", "INSERT INTO books (author_id, title, pages) VALUES (?, ?, ?)"),
			"join":    sqlcText("ListBooksWithAuthor", "many", "SELECT books.id, books.title, authors.name\nFROM books\nJOIN authors ON authors.id = books.author_id\nWHERE books.pages > ?"),
			"count":   sqlcText("CountBooksByAuthor", "many", "SELECT author_id, count(*) AS books\nFROM books\nGROUP BY author_id"),
			"upsert":  sqlcText("UpsertSetting", "exec", "INSERT INTO settings (key, value) VALUES (?, ?)\nON CONFLICT (key) DO UPDATE SET value = excluded.value"),
			"setting": sqlcText("GetSetting", "one", "SELECT value FROM settings\nWHERE key = ?"),
			"delete":  sqlcText("DeleteBook", "execrows", "DELETE FROM books\nWHERE id = ?"),
		},
	},
}

// TestSQLCStyle runs statements as sqlc's generated code sends them
// (database/sql calls with the generated texts) through sqlvigil with the
// masking rules in force.
func TestSQLCStyle(t *testing.T) {
	for _, drv := range allDrivers {
		t.Run(drv, func(t *testing.T) {
			c := open(t, drv, "sqlc")
			set := sqlcSets[drv]
			if drv == drvPGX {
				set = sqlcSets[drvPQ]
			}
			ctx, db, q := c.ctx, c.db, set.queries
			for _, s := range set.schema {
				_, err := db.ExecContext(ctx, s)
				must(t, "schema", err)
			}
			for _, a := range [][]any{{"ada", "ada@example.com", "123-45-6789"}, {"alan", "alan@example.org", "987-65-4321"}} {
				if strings.Contains(q["create"], "RETURNING") {
					must(t, "CreateAuthor", queryAll(db, ctx, q["create"], a...))
				} else {
					_, err := db.ExecContext(ctx, q["create"], a...)
					must(t, "CreateAuthor", err)
				}
			}
			var name, email string
			must(t, "GetAuthor", db.QueryRowContext(ctx, q["get"], 1).Scan(new(int64), &name, &email, new(string), new(any)))
			if !*update && email == "ada@example.com" {
				t.Errorf("GetAuthor email = %q, want it masked", email)
			}
			must(t, "ListAuthors", queryAll(db, ctx, q["list"]))
			byIDs := q["byIDs"]
			args := []any{pq.Array([]int64{1, 2})}
			if drv == drvMySQL || drv == drvSQLite {
				byIDs = strings.Replace(byIDs, "/*SLICE:ids*/?", "?,?", 1)
				args = []any{int64(1), int64(2)}
			}
			must(t, "ListAuthorsByIDs", queryAll(db, ctx, byIDs, args...))
			filterArgs := []any{"ada"}
			if drv == drvMySQL {
				filterArgs = []any{"ada", "ada"}
			}
			must(t, "FilterAuthors", queryAll(db, ctx, q["filter"], filterArgs...))
			must(t, "SearchAuthors", queryAll(db, ctx, q["search"], "la"))
			renameArgs := []any{int64(1), "ada l."}
			if drv != drvPQ && drv != drvPGX {
				renameArgs = []any{"ada l.", int64(1)}
			}
			_, err := db.ExecContext(ctx, q["rename"], renameArgs...)
			must(t, "RenameAuthor", err)
			for _, b := range [][]any{{int64(1), "notes", int64(120)}, {int64(2), "machines", int64(300)}} {
				_, err := db.ExecContext(ctx, q["book"], b...)
				must(t, "CreateBook", err)
			}
			must(t, "ListBooksWithAuthor", queryAll(db, ctx, q["join"], 100))
			must(t, "CountBooksByAuthor", queryAll(db, ctx, q["count"]))
			for _, v := range []string{"light", "dark"} {
				_, err := db.ExecContext(ctx, q["upsert"], "theme", v)
				must(t, "UpsertSetting", err)
			}
			var theme string
			must(t, "GetSetting", db.QueryRowContext(ctx, q["setting"], "theme").Scan(&theme))
			if theme != "dark" {
				t.Errorf("GetSetting = %q, want dark", theme)
			}
			res, err := db.ExecContext(ctx, q["delete"], 1)
			must(t, "DeleteBook", err)
			if n, _ := res.RowsAffected(); n != 1 {
				t.Errorf("DeleteBook affected %d rows, want 1", n)
			}
			noDenials(t, c)
		})
	}
}
