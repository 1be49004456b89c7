package redteam_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
)

// Attacks that succeed today. Each test states what sqlvigil must do and
// is skipped with "known bypass: …"; run them with
//
//	SQLVIGIL_REDTEAM_BYPASS=1 go test ./internal/redteam -run KnownBypass -v
//
// to reproduce: each then fails, naming what the engine did. When a bypass
// is mended, move its case to the passing tests.

func knownBypass(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("SQLVIGIL_REDTEAM_BYPASS") == "" {
		t.Skip("known bypass: " + what)
	}
}

// bypass is a sequence of statements sent on one wrapped connection. The
// library holds when one of them is refused (guard.ErrBlocked) and the
// engine is unharmed: the victim intact, and no seeded secret returned.
type bypass struct {
	name   string
	family string
	what   string // the one-line description
	who    identity.Identity
	steps  []string
}

func destructiveBypasses() []bypass {
	return []bypass{
		// Tautologies MissingWhere does not recognise.
		{name: "where-in-own-table", what: "DELETE … WHERE id IN (SELECT id FROM victim) deletes every row",
			steps: []string{"DELETE FROM victim WHERE id IN (SELECT id FROM victim)"}},
		{name: "where-or-complement", what: "UPDATE … WHERE id = 1 OR id <> 1 changes every row",
			steps: []string{"UPDATE victim SET name = 'x' WHERE id = 1 OR id <> 1"}},
		{name: "my-where-column", family: my, what: "MariaDB DELETE … WHERE id deletes every row with a non-zero id",
			steps: []string{"DELETE FROM victim WHERE id"}},
		{name: "lite-where-column", family: lite, what: "SQLite DELETE … WHERE id deletes every row with a non-zero id",
			steps: []string{"DELETE FROM victim WHERE id"}},
		{name: "lite-where-rowid", family: lite, what: "SQLite DELETE … WHERE rowid deletes every row",
			steps: []string{"DELETE FROM victim WHERE rowid"}},

		// Writes that rewrite every row without UPDATE or DELETE.
		{name: "my-replace-select", family: my, what: "MariaDB REPLACE INTO victim SELECT … FROM victim rewrites every row",
			steps: []string{"REPLACE INTO victim SELECT id, 'x' FROM victim"}},
		{name: "lite-insert-or-replace-select", family: lite, what: "SQLite INSERT OR REPLACE INTO victim SELECT … FROM victim rewrites every row",
			steps: []string{"INSERT OR REPLACE INTO victim SELECT id, 'x' FROM victim"}},

		// Data loss through DDL other than DROP and TRUNCATE.
		{name: "my-create-or-replace-table", family: my, what: "MariaDB CREATE OR REPLACE TABLE victim drops the table and its rows",
			steps: []string{"CREATE OR REPLACE TABLE victim (id INT PRIMARY KEY, name VARCHAR(20))"}},
		{name: "my-rename-table", family: my, what: "MariaDB RENAME TABLE victim TO … makes the table disappear",
			steps: []string{"RENAME TABLE victim TO victim_gone"}},
		{name: "rename-table", what: "ALTER TABLE victim RENAME TO … makes the table disappear",
			steps: []string{"ALTER TABLE victim RENAME TO victim_gone"}},
		{name: "pg-alter-column-type", family: pg, what: "PostgreSQL ALTER TABLE … ALTER COLUMN … TYPE … USING overwrites every value",
			steps: []string{"ALTER TABLE victim ALTER COLUMN name TYPE varchar(20) USING 'x'"}},

		// Dangerous calls hidden in DDL, and code loading.
		{name: "pg-default-read-file", family: pg, what: "PostgreSQL CREATE TABLE … (x text DEFAULT pg_read_file(…)) then INSERT … DEFAULT VALUES reads a server file past DangerousCalls",
			steps: []string{"CREATE TABLE loot (x text DEFAULT pg_read_file('/etc/hostname'))", "INSERT INTO loot DEFAULT VALUES"}},
		{name: "pg-load-library", family: pg, what: "PostgreSQL LOAD 'auto_explain' loads a shared library into the server process (not a dangerous call)",
			steps: []string{"LOAD 'auto_explain'"}},

		// Server administration MariaDB runs for anyone with the privilege.
		{name: "my-kill", family: my, what: "MariaDB KILL <id> is not a dangerous call (a harmless id here: the server answers 'Unknown thread id')",
			steps: []string{"KILL 999999999"}},

		// A lexing setting changed through a catalog view.
		{name: "pg-settings-update", family: pg, what: "PostgreSQL UPDATE pg_settings … standard_conforming_strings changes lexing past LexingSettings",
			steps: []string{"UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'"}},
	}
}

func TestKnownBypassDestructive(t *testing.T) {
	for _, b := range backends() {
		for _, bp := range destructiveBypasses() {
			if bp.family != "" && bp.family != b.family {
				continue
			}
			t.Run(b.name+"/"+bp.name, func(t *testing.T) {
				knownBypass(t, bp.what)
				t.Parallel()
				l := newLab(t, b)
				refused, errs := l.sequence(t, bp)
				switch {
				case bp.name == "pg-settings-update":
					var v string
					c, err := l.db.Conn(as(dev))
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					_, err = c.ExecContext(as(dev), bp.steps[0])
					if err == nil {
						err = c.QueryRowContext(as(dev), "SELECT current_setting('standard_conforming_strings')").Scan(&v)
					}
					if v == "off" {
						t.Errorf("allowed: standard_conforming_strings is now %q on the connection", v)
					} else {
						t.Logf("standard_conforming_strings %q (%v)", v, err)
					}
				case bp.name == "my-kill", bp.name == "pg-load-library":
					if !refused {
						t.Errorf("reached the server: %v", errs)
					}
				case bp.name == "pg-default-read-file":
					var n int
					if err := l.raw.QueryRow("SELECT count(*) FROM loot WHERE x <> ''").Scan(&n); err == nil && n > 0 {
						t.Errorf("a server file was read into the table (step errors %v)", errs)
					}
				default:
					if h := l.victim(); h != "" || !refused {
						t.Errorf("refused=%v, the engine was harmed: victim %s (step errors %v)", refused, h, errs)
					}
				}
			})
		}
	}
}

// sequence sends the steps on one wrapped connection and reports whether
// one was refused by the guard, and each step's error.
func (l *lab) sequence(t *testing.T, bp bypass) (refused bool, errs []error) {
	t.Helper()
	who := bp.who
	if who.IsZero() {
		who = dev
	}
	ctx := as(who)
	c, err := l.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range bp.steps {
		_, err := c.ExecContext(ctx, q)
		errs = append(errs, err)
		if errors.Is(err, guard.ErrBlocked) {
			refused = true
		}
	}
	return refused, errs
}

// leakBypass is a read (after optional steps) that returns a seeded secret.
type leakBypass struct {
	leak
	what  string
	steps []string
	who   identity.Identity // the zero value means dev
}

func leakBypasses() []leakBypass {
	return []leakBypass{
		{leak{name: "pg-derived-column-aliases", family: pg, sql: "SELECT a, b FROM (SELECT email, ssn FROM people) AS s(a, b)"},
			"PostgreSQL column aliases on a derived table (AS s(a, b)) return email and ssn in clear", nil, identity.Identity{}},
		{leak{name: "pg-cte-column-aliases", family: pg, sql: "WITH c(a, b) AS (SELECT email, ssn FROM people) SELECT a, b FROM c"},
			"PostgreSQL CTE column aliases (WITH c(a, b)) return email and ssn in clear", nil, identity.Identity{}},
		{leak{name: "lite-cte-column-aliases", family: lite, sql: "WITH c(a, b) AS (SELECT email, ssn FROM people) SELECT a, b FROM c"},
			"SQLite CTE column aliases (WITH c(a, b)) return email and ssn in clear", nil, identity.Identity{}},
		{leak{name: "pg-lateral-outer-alias", family: pg, sql: "SELECT t.e, t.s FROM people p, LATERAL (SELECT p.email AS e, p.ssn AS s) t"},
			"PostgreSQL LATERAL subquery over the outer alias returns ssn (table-scoped rule) in clear", nil, identity.Identity{}},
		{leak{name: "pg-whole-row", family: pg, sql: "SELECT p FROM people p"},
			"PostgreSQL whole-row reference SELECT p FROM people p returns every column in clear", nil, identity.Identity{}},
		{leak{name: "pg-whole-row-text", family: pg, sql: "SELECT p::text FROM people p"},
			"PostgreSQL whole-row cast p::text returns every column in clear", nil, identity.Identity{}},
		{leak{name: "pg-json-agg-row", family: pg, sql: "SELECT json_agg(p) FROM people p"},
			"PostgreSQL json_agg(p) over a whole row returns every column in clear", nil, identity.Identity{}},
		{leak{name: "pg-row-to-json", family: pg, sql: "SELECT row_to_json(p) FROM people p"},
			"PostgreSQL row_to_json(p) returns every column in clear", nil, identity.Identity{}},
		{leak{name: "pg-to-jsonb-star", family: pg, sql: "SELECT to_jsonb(p.*) FROM people p"},
			"PostgreSQL to_jsonb(p.*) returns every column in clear", nil, identity.Identity{}},
		{leak{name: "view-made-earlier", family: "", sql: "SELECT contact FROM contacts"},
			"a view made earlier (contacts: email AS contact) returns email in clear", nil, identity.Identity{}},
		{leak{name: "view-made-by-caller", family: "", sql: "SELECT x FROM mine"},
			"a person who may write creates a view over people and reads email and ssn in clear through it",
			[]string{"CREATE VIEW mine AS SELECT email AS x, ssn AS y FROM people"}, identity.Identity{}},
		{leak{name: "copy-into-other-column", family: "", sql: "SELECT body FROM notes WHERE id = 1"},
			"a person who may write copies email into an unmasked column and reads it back",
			[]string{"UPDATE notes SET body = (SELECT email FROM people WHERE id = 1) WHERE id = 1"}, identity.Identity{}},
		{leak: leak{name: "pg-table-to-xml-vault", family: pg, sql: "SELECT table_to_xml('vault', true, false, '')"},
			what: "PostgreSQL table_to_xml('vault', …) reads the denied table (the table is named in a literal; the function is not a dangerous call)", who: bot},
		{leak: leak{name: "pg-table-to-xml-people", family: pg, sql: "SELECT table_to_xml('people', true, false, '')"},
			what: "PostgreSQL table_to_xml('people', …) returns every e-mail, ssn and card number in clear", who: bot},
		{leak: leak{name: "pg-table-to-xml-and-xmlschema", family: pg, sql: "SELECT table_to_xml_and_xmlschema('people', true, false, '')"},
			what: "PostgreSQL table_to_xml_and_xmlschema('people', …) returns every e-mail, ssn and card number in clear"},
		{leak: leak{name: "pg-schema-to-xml-and-xmlschema", family: pg, sql: "SELECT schema_to_xml_and_xmlschema(current_schema(), true, false, '')"},
			what: "PostgreSQL schema_to_xml_and_xmlschema(current_schema(), …) dumps every table, vault and people included, in clear (schema_to_xml is listed, this variant is not)", who: bot},
		{leak: leak{name: "pg-ts-stat-vault", family: pg, sql: "SELECT string_agg(word, '-' ORDER BY word DESC) FROM ts_stat('SELECT to_tsvector(''simple'', note) FROM vault')"},
			what: "PostgreSQL ts_stat('SELECT … FROM vault') runs a query given as text: the holder of pii:read reads the denied table", who: dpo},
		{leak: leak{name: "pg-function-made-earlier", family: pg, sql: "SELECT e, s FROM people_fn()"},
			what: "PostgreSQL set-returning function made earlier (people_fn: email, ssn AS e, s): SELECT e, s FROM people_fn() returns both in clear"},
		{leak: leak{name: "pg-function-made-earlier-row", family: pg, sql: "SELECT people_fn()"},
			what: "PostgreSQL SELECT people_fn() (a set-returning function in the select list) returns email and ssn in clear as a record"},
		{leak: leak{name: "pg-composite-field", family: pg, sql: "SELECT (p).email, (p).ssn FROM people p"},
			what: "PostgreSQL composite field selection (p).email, (p).ssn returns both in clear"},
		{leak: leak{name: "pg-unnest-column-alias", family: pg, sql: "SELECT x FROM people p CROSS JOIN LATERAL unnest(ARRAY[p.email, p.ssn]) AS u(x)"},
			what: "PostgreSQL unnest(ARRAY[p.email, p.ssn]) AS u(x) returns both in clear"},
		{leak: leak{name: "my-user-variable", family: my, sql: "SELECT @x, @y"},
			what:  "MariaDB SELECT email, ssn INTO @x, @y … then SELECT @x, @y returns both in clear",
			steps: []string{"SELECT email, ssn INTO @x, @y FROM people LIMIT 1"}},
		{leak: leak{name: "my-user-variable-agent", family: my, sql: "SELECT @x, @y"},
			what:  "MariaDB: a read-only AI agent reads email and ssn in clear through user variables (SELECT … INTO @x; SELECT @x)",
			steps: []string{"SELECT email, ssn INTO @x, @y FROM people LIMIT 1"}, who: bot},
		{leak: leak{name: "insert-select-returning", sql: "INSERT INTO notes SELECT 100 + id, email FROM people RETURNING body"},
			what: "INSERT INTO notes SELECT …, email FROM people RETURNING body returns the e-mails in clear in one statement"},
		{leak: leak{name: "pg-update-returning-subquery", family: pg, sql: "UPDATE notes SET body = (SELECT ssn FROM people WHERE id = 2) WHERE id = 1 RETURNING body"},
			what: "PostgreSQL UPDATE … SET body = (SELECT ssn …) RETURNING body returns the ssn in clear"},
	}
}

func TestKnownBypassLeaks(t *testing.T) {
	for _, b := range backends() {
		for _, bp := range leakBypasses() {
			if bp.family != "" && bp.family != b.family {
				continue
			}
			t.Run(b.name+"/"+bp.name, func(t *testing.T) {
				knownBypass(t, bp.what)
				t.Parallel()
				l := newLab(t, b)
				who := bp.who
				if who.IsZero() {
					who = dev
				}
				ctx := as(who)
				c, err := l.db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				for _, q := range bp.steps {
					if _, err := c.ExecContext(ctx, q); err != nil {
						t.Logf("step %q: %v", q, err)
					}
				}
				got, err := readConn(ctx, c, bp.sql)
				if x := leaked(got); x != "" {
					t.Errorf("masked value %q returned in clear: %.300s", x, got)
				}
				if x := leaked(errorText(err)); x != "" {
					t.Errorf("masked value %q in the error: %.300s", x, errorText(err))
				}
			})
		}
	}
}

// readConn is lab.read on one connection.
func readConn(ctx context.Context, c *sql.Conn, q string) (string, error) {
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return "", err
	}
	return readRows(rows)
}

// TestKnownBypassIdentifierInTrail: a quoted identifier is not a literal,
// so db.query.text and the sink record keep it: personal data written as
// an alias reaches the audit trail.
func TestKnownBypassIdentifierInTrail(t *testing.T) {
	for _, b := range backends() {
		q := `SELECT 1 AS "` + people[0].email + `"`
		switch b.name {
		case "mariadb", "mariadb-interpolate":
			q = "SELECT 1 AS `" + people[0].email + "`"
		case "mariadb-ansi":
			continue // the analyser reads "…" as a string there, and drops it
		}
		t.Run(b.name, func(t *testing.T) {
			knownBypass(t, "personal data in a quoted identifier (SELECT 1 AS \"<email>\") is kept in db.query.text and the sink record")
			l := newLab(t, b)
			if err := drain(l.db.QueryContext(as(dev), q)); err != nil {
				t.Fatal(err)
			}
			l.noLeakInTrail(t)
		})
	}
}

// TestKnownBypassReadOnlyWrites: functions that change state are not all
// on ReadOnly's list; a read-only AI agent calls them in a SELECT.
func TestKnownBypassReadOnlyWrites(t *testing.T) {
	for _, b := range backends() {
		switch b.name {
		case "pq":
			t.Run(b.name+"/lowrite", func(t *testing.T) {
				knownBypass(t, "PostgreSQL: a read-only AI agent overwrites a large object with SELECT lowrite(lo_open(oid, 131072), …)")
				l := newLab(t, b)
				var oid int64
				if err := l.raw.QueryRow("SELECT lo_from_bytea(0, 'original')").Scan(&oid); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _, _ = l.raw.Exec("SELECT lo_unlink($1)", oid) })
				q := "SELECT lowrite(lo_open(" + strconv.FormatInt(oid, 10) + ", 131072), 'pwned')"
				_, err := l.db.ExecContext(as(bot), q)
				var v string
				if e := l.raw.QueryRow("SELECT convert_from(lo_get($1), 'UTF8')", oid).Scan(&v); e != nil {
					t.Fatal(e)
				}
				if v != "original" {
					t.Errorf("large object now %q (agent's error %v), want it unchanged", v, err)
				}
			})
		case "mariadb":
			t.Run(b.name+"/next-value", func(t *testing.T) {
				knownBypass(t, "MariaDB: a read-only AI agent advances a sequence with SELECT NEXT VALUE FOR s")
				l := newLab(t, b)
				l.exec(t, "CREATE SEQUENCE s")
				_, err := l.db.ExecContext(as(bot), "SELECT NEXT VALUE FOR s")
				var n int
				if e := l.raw.QueryRow("SELECT NEXT VALUE FOR s").Scan(&n); e != nil {
					t.Fatal(e)
				}
				if n != 1 {
					t.Errorf("the sequence was advanced by the agent (error %v): next value %d, want 1", err, n)
				}
			})
		}
	}
}
