package redteam_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
	"github.com/sqlvigil/sqlvigil/mask"
)

// leak is one attempt to read a masked column in clear.
type leak struct {
	name   string
	family string // pg, my, lite, or "" for every family
	sql    string
	// before runs first on the same connection.
	before []string
	// who reads; the zero value means dev, who may write but not see PII.
	who identity.Identity
	// refused, when set, is the error the read must match (errors.Is):
	// guard.ErrBlocked, or mask.ErrUnattributed for a column the masker
	// cannot trace to its source. Nil accepts a read that returns masked
	// values.
	refused error
}

func leakAttacks() []leak {
	return []leak{
		{name: "plain", sql: "SELECT email, ssn, card FROM people"},
		// PostgreSQL ends a "--" comment at a carriage return: the UNION is
		// code, and reads a table denied to everyone.
		{name: "pg-comment-carriage-return-union", family: pg, sql: "SELECT name FROM victim -- x\r UNION SELECT note FROM vault"},
		{name: "alias", sql: "SELECT email AS e, ssn AS s, card AS c FROM people"},
		{name: "qualified-alias", sql: "SELECT p.email AS contact, p.ssn AS x FROM people p"},
		{name: "lower", sql: "SELECT lower(email), upper(ssn) FROM people"},
		{name: "substr", sql: "SELECT substr(email, 1, 30), substr(ssn, 1, 20), substr(card, 1, 12) FROM people"},
		{name: "coalesce", sql: "SELECT coalesce(email, ''), coalesce(ssn, '') FROM people"},
		{name: "case", sql: "SELECT CASE WHEN id > 0 THEN email END, CASE WHEN id > 0 THEN ssn ELSE 'x' END FROM people"},
		{name: "cast", sql: "SELECT CAST(email AS CHAR(80)), CAST(ssn AS CHAR(20)) FROM people"},
		{name: "concat-pipes", family: pg, sql: "SELECT email || '', '' || ssn, card || '' FROM people"},
		{name: "concat-pipes", family: lite, sql: "SELECT email || '', '' || ssn, card || '' FROM people"},
		{name: "concat", family: pg, sql: "SELECT concat(email, ''), concat('', ssn) FROM people"},
		{name: "concat", family: my, sql: "SELECT concat(email, ''), concat_ws(',', ssn, name) FROM people"},
		{name: "pg-cast-text", family: pg, sql: "SELECT email::text, ssn::varchar, card::text FROM people"},
		{name: "scalar-subquery", sql: "SELECT (SELECT q.email FROM people q WHERE q.id = p.id) AS a, (SELECT q.ssn FROM people q WHERE q.id = p.id) AS b FROM people p"},
		{name: "derived-table", sql: "SELECT x, y FROM (SELECT email AS x, ssn AS y FROM people) s"},
		{name: "cte", sql: "WITH c AS (SELECT email AS x, ssn AS y FROM people) SELECT x, y FROM c"},
		{name: "union-other-table", sql: "SELECT id, body FROM notes UNION ALL SELECT id, email FROM people UNION ALL SELECT id, ssn FROM people"},
		{name: "union-first-names", sql: "SELECT name AS n FROM people WHERE id < 0 UNION SELECT email FROM people UNION SELECT ssn FROM people"},
		{name: "star", sql: "SELECT * FROM people"},
		{name: "qualified-star", sql: "SELECT p.* FROM people p"},
		{name: "star-join", sql: "SELECT * FROM people p JOIN notes n ON n.id = p.id"},
		{name: "pg-table", family: pg, sql: "TABLE people"},
		{name: "pg-json-agg-columns", family: pg, sql: "SELECT json_agg(email), json_agg(ssn) FROM people"},
		{name: "pg-json-build", family: pg, sql: "SELECT json_build_object('e', email, 's', ssn) FROM people"},
		{name: "pg-string-agg", family: pg, sql: "SELECT string_agg(email, ','), string_agg(ssn, ',') FROM people"},
		{name: "pg-array-agg", family: pg, sql: "SELECT array_agg(email), array_agg(ssn) FROM people"},
		{name: "pg-row-constructor", family: pg, sql: "SELECT ROW(email, ssn) FROM people"},
		{name: "pg-array", family: pg, sql: "SELECT ARRAY[email, ssn] FROM people"},
		{name: "pg-format", family: pg, sql: "SELECT format('%s %s', email, ssn) FROM people"},
		{name: "pg-encode", family: pg, sql: "SELECT encode(convert_to(email, 'UTF8'), 'escape') FROM people"},
		{name: "my-json-object", family: my, sql: "SELECT JSON_OBJECT('e', email, 's', ssn) FROM people"},
		{name: "my-json-arrayagg", family: my, sql: "SELECT JSON_ARRAYAGG(email), JSON_ARRAYAGG(ssn) FROM people"},
		{name: "my-group-concat", family: my, sql: "SELECT GROUP_CONCAT(email), GROUP_CONCAT(ssn SEPARATOR ';') FROM people"},
		{name: "my-hex", family: my, sql: "SELECT HEX(email), TO_BASE64(ssn) FROM people"},
		{name: "lite-json-object", family: lite, sql: "SELECT json_object('e', email, 's', ssn) FROM people"},
		{name: "lite-group-concat", family: lite, sql: "SELECT group_concat(email), group_concat(ssn, ';') FROM people"},
		{name: "lite-json-group-array", family: lite, sql: "SELECT json_group_array(email) FROM people"},
		{name: "lite-printf", family: lite, sql: "SELECT printf('%s', email), printf('%s', ssn) FROM people"},
		{name: "pg-returning", family: pg, sql: "UPDATE people SET name = name WHERE id = 1 RETURNING email, ssn AS s, upper(email) AS u"},
		{name: "lite-returning", family: lite, sql: "UPDATE people SET name = name WHERE id = 1 RETURNING email, ssn AS s, upper(email) AS u"},
		{name: "my-delete-returning", family: my, sql: "DELETE FROM people WHERE id = 999 RETURNING email"},
		{name: "second-result-set", family: pg, sql: "SELECT 1; SELECT email, ssn FROM people"},
		{name: "second-result-set", family: my, sql: "SELECT 1; SELECT email, ssn FROM people"},
		// Errors that quote the value.
		{name: "unique-violation", sql: "INSERT INTO people (id, name, email) SELECT id + 100, name, email FROM people WHERE id = 1"},
		{name: "pg-cast-int", family: pg, sql: "SELECT email::int FROM people"},
		{name: "pg-cast-int-ssn", family: pg, sql: "SELECT CAST(ssn AS integer) FROM people"},
		{name: "pg-cast-date", family: pg, sql: "SELECT email::date FROM people"},
		{name: "my-insert-int", family: my, sql: "INSERT INTO nums (n) SELECT email FROM people"},
		{name: "my-call-procedure-made-earlier", family: my, sql: "CALL list_people()"},
		{name: "pg-star-from-function-made-earlier", family: pg, sql: "SELECT * FROM people_fn()"},
		{name: "my-procedure-analyse", family: my, sql: "SELECT email, ssn FROM people PROCEDURE ANALYSE()"},
		{name: "derived-star", sql: "SELECT t.* FROM (SELECT email AS x, ssn AS y FROM people) t"},
		{name: "pg-collate", family: pg, sql: "SELECT email COLLATE \"C\", ssn COLLATE \"C\" FROM people"},
		{name: "pg-cursor", family: pg, before: []string{"DECLARE c CURSOR WITH HOLD FOR SELECT email AS x, ssn AS y FROM people"}, sql: "FETCH ALL FROM c"},
		{name: "pg-malformed-array", family: pg, sql: "SELECT ('{' || ssn || '\"}')::int[] FROM people"},
		{name: "pg-json-detail", family: pg, sql: "SELECT email::json FROM people"},
		{name: "pg-to-date", family: pg, sql: "SELECT to_date(email, 'YYYY') FROM people"},
		{name: "pg-uuid", family: pg, sql: "SELECT ssn::uuid FROM people"},
		{name: "my-extractvalue", family: my, sql: "SELECT ExtractValue(1, concat('~', email)) FROM people"},
		{name: "my-updatexml", family: my, sql: "SELECT UpdateXML(1, concat(0x7e, ssn), 1) FROM people"},
		{name: "my-group-by-rand", family: my, sql: "SELECT count(*), concat(email, floor(rand(0)*2)) x FROM people GROUP BY x"},
		{name: "my-name-const", family: my, sql: "SELECT * FROM (SELECT NAME_CONST(email, 1), NAME_CONST(email, 1)) x FROM people"},
		{name: "my-json-extract", family: my, sql: "SELECT JSON_EXTRACT('{}', email) FROM people"},
		{name: "lite-json-malformed", family: lite, sql: "SELECT json(ssn) FROM people"},
		// Errors in forms no pattern names: every quoted span is redacted
		// while a rule is in force.
		{name: "pg-regclass-error", family: pg, sql: "SELECT email::regclass FROM people"},
		{name: "pg-regproc-error", family: pg, sql: "SELECT ssn::regproc FROM people"},
		{name: "pg-current-setting-error", family: pg, sql: "SELECT current_setting(email) FROM people"},
		{name: "pg-xml-error-detail", family: pg, sql: "SELECT xmlparse(document email) FROM people"},
		{name: "lite-json-path-error", family: lite, sql: "SELECT json_extract('{}', email) FROM people"},

		// Column aliases in the FROM list, LATERAL over the outer alias,
		// composite field selection: the masker follows the column.
		{name: "pg-derived-column-aliases", family: pg, sql: "SELECT a, b FROM (SELECT email, ssn FROM people) AS s(a, b)"},
		{name: "pg-cte-column-aliases", family: pg, sql: "WITH c(a, b) AS (SELECT email, ssn FROM people) SELECT a, b FROM c"},
		{name: "lite-cte-column-aliases", family: lite, sql: "WITH c(a, b) AS (SELECT email, ssn FROM people) SELECT a, b FROM c"},
		{name: "pg-lateral-outer-alias", family: pg, sql: "SELECT t.e, t.s FROM people p, LATERAL (SELECT p.email AS e, p.ssn AS s) t"},
		{name: "pg-composite-field", family: pg, sql: "SELECT (p).email, (p).ssn FROM people p"},
		// Whole rows: every column of the table, through the catalog, in
		// one value, masked whole (Redact) when a column is masked.
		// Routines made earlier, arrays unnested, MariaDB user variables
		// filled by an earlier statement: the column cannot be traced to
		// its source, and the read is refused.
		{name: "pg-whole-row", family: pg, sql: "SELECT p FROM people p"},
		{name: "pg-whole-row-text", family: pg, sql: "SELECT p::text FROM people p"},
		{name: "pg-json-agg-row", family: pg, sql: "SELECT json_agg(p) FROM people p"},
		{name: "pg-row-to-json", family: pg, sql: "SELECT row_to_json(p) FROM people p"},
		{name: "pg-to-jsonb-star", family: pg, sql: "SELECT to_jsonb(p.*) FROM people p"},
		{name: "pg-function-made-earlier", family: pg, sql: "SELECT e, s FROM people_fn()", refused: mask.ErrUnattributed},
		{name: "pg-function-made-earlier-row", family: pg, sql: "SELECT people_fn()", refused: mask.ErrUnattributed},
		{name: "pg-unnest-column-alias", family: pg, sql: "SELECT x FROM people p CROSS JOIN LATERAL unnest(ARRAY[p.email, p.ssn]) AS u(x)", refused: mask.ErrUnattributed},
		{name: "my-user-variable", family: my, before: []string{"SELECT email, ssn INTO @x, @y FROM people LIMIT 1"}, sql: "SELECT @x, @y", refused: mask.ErrUnattributed},
		{name: "my-user-variable-agent", family: my, before: []string{"SELECT email, ssn INTO @x, @y FROM people LIMIT 1"}, sql: "SELECT @x, @y", who: bot, refused: mask.ErrUnattributed},
		// Functions that dump a table named in a literal, or run a query
		// given as text: dangerous calls, refused even to the exempt
		// reader and for the table the deny list names.
		{name: "pg-table-to-xml-vault", family: pg, sql: "SELECT table_to_xml('vault', true, false, '')", who: bot, refused: guard.ErrBlocked},
		{name: "pg-table-to-xml-people", family: pg, sql: "SELECT table_to_xml('people', true, false, '')", who: bot, refused: guard.ErrBlocked},
		{name: "pg-table-to-xml-and-xmlschema", family: pg, sql: "SELECT table_to_xml_and_xmlschema('people', true, false, '')", refused: guard.ErrBlocked},
		{name: "pg-schema-to-xml-and-xmlschema", family: pg, sql: "SELECT schema_to_xml_and_xmlschema(current_schema(), true, false, '')", who: bot, refused: guard.ErrBlocked},
		{name: "pg-ts-stat-vault", family: pg, sql: "SELECT string_agg(word, '-' ORDER BY word DESC) FROM ts_stat('SELECT to_tsvector(''simple'', note) FROM vault')", who: dpo, refused: guard.ErrBlocked},
	}
}

// TestMaskingAttacks reads masked columns every way an attacker might, as a
// reader without pii:read (or as the exempt reader where the attack aims at
// the denied table), and checks that no seeded clear value comes back, in a
// value or in an error, and that the reads the library refuses are refused.
func TestMaskingAttacks(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			for _, a := range leakAttacks() {
				if a.family != "" && a.family != b.family {
					continue
				}
				t.Run(a.name, func(t *testing.T) {
					who := a.who
					if who.IsZero() {
						who = dev
					}
					ctx := as(who)
					c, err := l.db.Conn(ctx)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					for _, q := range a.before {
						if _, err := c.ExecContext(ctx, q); err != nil {
							t.Logf("step %q: %v", q, err)
						}
					}
					m := l.mark()
					got, err := readConn(ctx, c, a.sql)
					if x := leaked(got); x != "" {
						t.Errorf("masked value %q returned in clear: %s", x, got)
					}
					if x := leaked(errorText(err)); x != "" {
						t.Errorf("masked value %q in the error: %s", x, errorText(err))
					}
					if a.refused != nil && !errors.Is(err, a.refused) {
						t.Errorf("got error %v, want %v", err, a.refused)
					}
					if testing.Verbose() {
						t.Logf("err=%v rows=%.200s", err, got)
					}
					l.oneRecord(t, m)
				})
			}
			l.noLeakInTrail(t)
		})
	}
}

// read runs q as who and returns every value of every row of every result
// set, as text.
func (l *lab) read(t *testing.T, who identity.Identity, q string) (string, error) {
	t.Helper()
	rows, err := l.db.QueryContext(as(who), q)
	if err != nil {
		return "", err
	}
	return readRows(rows)
}

// readArgs is read with bound arguments.
func (l *lab) readArgs(t *testing.T, who identity.Identity, q string, args ...any) (string, error) {
	t.Helper()
	rows, err := l.db.QueryContext(as(who), q, args...)
	if err != nil {
		return "", err
	}
	return readRows(rows)
}

// readConn is lab.read on one connection.
func readConn(ctx context.Context, c *sql.Conn, q string) (string, error) {
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return "", err
	}
	return readRows(rows)
}

// readRows reads and closes rows.
func readRows(rows *sql.Rows) (string, error) {
	defer rows.Close()
	var out string
	for {
		cols, err := rows.Columns()
		if err != nil {
			return out, err
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return out, err
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				out += fmt.Sprintf("%v|", v)
			}
			out += "\n"
		}
		if !rows.NextResultSet() {
			break
		}
	}
	return out, rows.Err()
}

// TestMaskingPathsAndRoles reads masked columns on every path, and checks
// who sees clear values: the exempt role sees e-mails and SSNs but never
// cards (NeverUnmask); an untrusted identity claiming the role, and a
// request for clear values that no rule grants, see masked values.
func TestMaskingPathsAndRoles(t *testing.T) {
	untrusted := dpo
	untrusted.Subject = "claims-dpo"
	untrusted.Untrusted = true
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			q := placeholders(b.family, "SELECT email, ssn, card FROM people WHERE id > $1 ORDER BY id")
			reads := map[string]func(ctx context.Context) (string, error){
				"Query": func(ctx context.Context) (string, error) {
					rows, err := l.db.QueryContext(ctx, q, 0)
					if err != nil {
						return "", err
					}
					return readRows(rows)
				},
				"Stmt": func(ctx context.Context) (string, error) {
					st, err := l.db.PrepareContext(ctx, q)
					if err != nil {
						return "", err
					}
					defer st.Close()
					rows, err := st.QueryContext(ctx, 0)
					if err != nil {
						return "", err
					}
					return readRows(rows)
				},
				"Tx": func(ctx context.Context) (string, error) {
					tx, err := l.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: b.family != lite})
					if err != nil {
						return "", err
					}
					defer tx.Rollback()
					rows, err := tx.QueryContext(ctx, q, 0)
					if err != nil {
						return "", err
					}
					return readRows(rows)
				},
				"QueryRow": func(ctx context.Context) (string, error) {
					var e, s, c string
					err := l.db.QueryRowContext(ctx, q, 0).Scan(&e, &s, &c)
					return e + "|" + s + "|" + c, err
				},
			}
			for name, read := range reads {
				t.Run(name, func(t *testing.T) {
					for _, r := range []struct {
						who        identity.Identity
						unmask     bool
						wantEmails bool
					}{
						{dev, false, false},
						{dev, true, false},
						{bot, true, false},
						{untrusted, false, false},
						{dpo, false, true},
					} {
						ctx := as(r.who)
						if r.unmask {
							ctx = mask.RequestUnmask(ctx)
						}
						got, err := read(ctx)
						if err != nil {
							t.Fatalf("%s: %v", r.who.Subject, err)
						}
						if strings.Contains(got, people[0].card[:12]) {
							t.Errorf("%s sees a card number in clear: %s", r.who.Subject, got)
						}
						clear := strings.Contains(got, people[0].email) && strings.Contains(got, people[0].ssn)
						if clear != r.wantEmails {
							t.Errorf("%s (unmask requested %v): clear e-mail and ssn %v, want %v: %s", r.who.Subject, r.unmask, clear, r.wantEmails, got)
						}
					}
				})
			}
		})
	}
}

// TestMaskingSecondResultSet lifts the stacked-statement rule (a pool for
// trusted batch scripts) and reads masked columns in a second result set,
// in different positions from the first.
func TestMaskingSecondResultSet(t *testing.T) {
	for _, b := range backends() {
		if b.name != "pq" && b.name != "mariadb" {
			continue // pgx and modernc.org/sqlite return one result set per text
		}
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			p, err := guard.New(guard.WithEnvironment("production"))
			if err != nil {
				t.Fatal(err)
			}
			db, err := sqlvigil.Open(b.driver, l.dsn, sqlvigil.WithPolicy(p), sqlvigil.WithMasker(securityMasker(t)))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, q := range []string{
				"SELECT name, id FROM people; SELECT ssn, email, card FROM people",
				"SELECT email FROM people; SELECT name AS email, ssn AS name FROM people",
				"SELECT body FROM notes; SELECT email AS body FROM people",
			} {
				rows, err := db.QueryContext(as(dev), q)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				got, err := readRows(rows)
				if x := leaked(got + errorText(err)); x != "" {
					t.Errorf("%s: %q in clear: %s (%v)", q, x, got, err)
				}
				t.Logf("%s -> %v %.200q", q, err, got)
			}
		})
	}
}

// TestErrorExtraction: PostgreSQL's to_date quotes up to four characters of
// its input ("invalid value \"zq7l\" for \"YYYY\""); moving substr along a
// masked value would read all of it, a piece too short to search for. The
// reader's error holds no quoted span at all but the redaction token.
func TestErrorExtraction(t *testing.T) {
	for _, b := range backends() {
		if b.family != pg {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			for k := 1; k <= len(people[0].email); k += 4 {
				q := "SELECT to_date(substr(email, " + strconv.Itoa(k) + ", 4), 'YYYY') FROM people WHERE id = 1"
				_, err := l.read(t, dev, q)
				if err == nil {
					t.Fatalf("%s: no error; the test proves nothing", q)
				}
				// lib/pq's error keeps the caller's own text (the query):
				// not the engine's quoting.
				msg := strings.ReplaceAll(errorText(err), q, "")
				for _, r := range []string{`"` + mask.Redacted + `"`, `'` + mask.Redacted + `'`} {
					msg = strings.ReplaceAll(msg, r, "")
				}
				// errorText prints the driver's error with %+v: the field
				// values are bare, so any quote left is the engine's.
				if strings.ContainsAny(msg, `"'`) {
					t.Errorf("%s: the error quotes something: %s", q, errorText(err))
				}
			}
		})
	}
}
