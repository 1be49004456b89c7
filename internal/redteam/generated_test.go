package redteam_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/sqlvigil/sqlvigil/identity"
)

// A generator in the manner of SQLancer: random statements over the lab's
// schema (nested subqueries, CTEs, derived tables, set operations, function
// wrappers, stores), run through sqlvigil on the real servers as a masked
// reader; the oracle is that no seeded value, nor a reversible transform of
// it, appears in any row, error, span or audit record, nor in the notes
// table a store may have written. It finds the families nobody listed.

// transformedSecrets are the seeded values and what a statement can turn
// them into and back: reversed, hex, base64.
func transformedSecrets() []string {
	var out []string
	for _, s := range secrets() {
		if len(s) < 8 {
			continue
		}
		out = append(out, s, reverse(s), hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s))),
			base64.StdEncoding.EncodeToString([]byte(s)))
	}
	return out
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func leakedTransformed(s string, all []string) string {
	for _, x := range all {
		if strings.Contains(s, x) {
			return x
		}
	}
	return ""
}

// gen builds random statements for one dialect family.
type gen struct {
	r      *rand.Rand
	family string
	alias  int
}

var genColumns = map[string][]string{
	"people":   {"id", "name", "email", "ssn", "card"},
	"notes":    {"id", "body"},
	"contacts": {"id", "contact"}, // a view over people.email
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) newAlias() string {
	g.alias++
	return "a" + strconv.Itoa(g.alias)
}

// expr returns a value expression over the relations in scope (alias →
// table), qualified or not, possibly wrapped or a scalar subquery.
func (g *gen) expr(scope map[string]string, depth int) string {
	var col string
	if len(scope) > 0 && g.r.IntN(4) > 0 {
		var aliases []string
		for a := range scope {
			aliases = append(aliases, a)
		}
		a := aliases[g.r.IntN(len(aliases))]
		cols := genColumns[scope[a]]
		c := cols[g.r.IntN(len(cols))]
		if g.r.IntN(2) == 0 {
			col = a + "." + c
		} else {
			col = c
		}
	} else {
		col = g.pick("email", "ssn", "card", "name", "body", "id")
	}
	if depth < 2 && g.r.IntN(5) == 0 {
		col = "(" + g.query(scope, depth+1, true) + ")"
	}
	if len(scope) > 0 && g.r.IntN(12) == 0 {
		// A whole row of a relation in scope.
		for a := range scope {
			switch g.family {
			case pg:
				return "row_to_json(" + a + ")::text"
			case my:
				return "JSON_OBJECT('k', " + col + ")"
			default:
				return "json_object('k', " + col + ")"
			}
		}
	}
	switch g.r.IntN(9) {
	case 0:
		return "lower(" + col + ")"
	case 1:
		return "upper(" + col + ")"
	case 2:
		return "replace(" + col + ", '@', '#')"
	case 3:
		return "substr(" + col + ", 2, 40)"
	case 4:
		return "coalesce(" + col + ", " + col + ")"
	case 5:
		return "CASE WHEN 1 = 1 THEN " + col + " END"
	case 6:
		if g.family == my {
			return "concat(" + col + ", '')"
		}
		return col + " || ''"
	case 7:
		switch g.family {
		case pg:
			return "reverse(" + col + "::text)"
		case my:
			return "reverse(" + col + ")"
		default:
			return "hex(" + col + ")"
		}
	}
	return col
}

// from returns a FROM clause and the scope it opens.
func (g *gen) from(outer map[string]string, depth int) (string, map[string]string) {
	scope := map[string]string{}
	for k, v := range outer {
		scope[k] = v // correlated references
	}
	n := 1 + g.r.IntN(2)
	var parts []string
	for range n {
		a := g.newAlias()
		t := g.pick("people", "notes", "contacts")
		if depth < 2 && g.r.IntN(5) == 0 {
			// A derived table returning a renamed column of t.
			inner := g.newAlias()
			col := genColumns[t][g.r.IntN(len(genColumns[t]))]
			parts = append(parts, "(SELECT "+inner+"."+col+" AS id, "+inner+"."+col+" AS body FROM "+t+" "+inner+") "+a)
			scope[a] = "notes"
			continue
		}
		parts = append(parts, t+" "+a)
		scope[a] = t
	}
	return strings.Join(parts, ", "), scope
}

// query returns a SELECT (scalar when asked: one column, LIMIT 1).
func (g *gen) query(outer map[string]string, depth int, scalar bool) string {
	from, scope := g.from(outer, depth)
	items := 1
	if !scalar {
		items = 1 + g.r.IntN(3)
	}
	var sel []string
	for range items {
		sel = append(sel, g.expr(scope, depth)+" AS c"+strconv.Itoa(g.r.IntN(100)))
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + from
	if scalar {
		q += " LIMIT 1"
	}
	return q
}

// statement returns one top-level statement.
func (g *gen) statement() string {
	g.alias = 0
	switch g.r.IntN(10) {
	case 0:
		return "WITH w AS (" + g.query(nil, 1, false) + ") SELECT * FROM w"
	case 1:
		return "SELECT * FROM (" + g.query(nil, 1, true) + ") u1 UNION ALL SELECT * FROM (" + g.query(nil, 1, true) + ") u2"
	case 2:
		return "INSERT INTO notes (id, body) SELECT 1000 + " + strconv.Itoa(g.r.IntN(100000)) + ", " + g.expr(map[string]string{"p": "people"}, 1) + " FROM people p LIMIT 1"
	case 3:
		return "UPDATE notes SET body = (" + g.query(map[string]string{"notes": "notes"}, 1, true) + ") WHERE id = 1"
	case 4:
		return "SELECT x.* FROM (" + g.query(nil, 1, false) + ") x"
	case 5:
		// A computed value stored back into a masked column, read later.
		return "UPDATE people SET " + g.pick("email", "card", "name") + " = " + g.expr(map[string]string{"people": "people"}, 1) + " WHERE id = " + strconv.Itoa(1+g.r.IntN(3))
	}
	return g.query(nil, 0, false)
}

// TestGeneratedLeaks runs generated statements as a masked user and a
// read-only agent on every backend. SQLVIGIL_REDTEAM_GEN sets how many per
// backend (default 150) and SQLVIGIL_REDTEAM_SEED the seed.
func TestGeneratedLeaks(t *testing.T) {
	n := 150
	if v, err := strconv.Atoi(os.Getenv("SQLVIGIL_REDTEAM_GEN")); err == nil && v > 0 {
		n = v
	}
	seed := uint64(20261207)
	if v, err := strconv.ParseUint(os.Getenv("SQLVIGIL_REDTEAM_SEED"), 10, 64); err == nil {
		seed = v
	}
	all := transformedSecrets()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t, b)
			g := &gen{r: rand.New(rand.NewPCG(seed, uint64(len(b.name)))), family: b.family}
			ran, refused := 0, 0
			for k := range n {
				q := g.statement()
				for _, who := range []identity.Identity{dev, bot} {
					got, err := l.read(t, who, q)
					ran++
					if err != nil {
						refused++
						if os.Getenv("SQLVIGIL_REDTEAM_GEN_V") != "" {
							t.Logf("%s: %.160s << %s", who.Subject, errorText(err), q)
						}
					}
					if x := leakedTransformed(got+"\x00"+errorText(err), all); x != "" {
						t.Errorf("#%d as %s: %q leaked by %s: %.300s", k, who.Subject, x, q, got+" "+errorText(err))
					}
				}
			}
			// A store may have carried a value into notes or people: plain
			// reads.
			for _, q := range []string{"SELECT body FROM notes", "SELECT id, name, email, ssn, card FROM people"} {
				got, err := l.read(t, dev, q)
				if x := leakedTransformed(got+errorText(err), all); x != "" {
					t.Errorf("%s shows %q after the generated statements", q, x)
				}
			}
			rawBody := rawAll(t, l, "SELECT body FROM notes")
			if x := leakedTransformed(rawBody, all); x != "" {
				t.Errorf("a generated store put %q into notes (read raw)", x)
			}
			l.noLeakInTrail(t)
			t.Logf("%d statements run, %d refused or failed", ran, refused)
		})
	}
}

func rawAll(t *testing.T, l *lab, q string) string {
	rows, err := l.raw.Query(q)
	if err != nil {
		t.Fatalf("raw %s: %v", q, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var s *string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		if s != nil {
			fmt.Fprintln(&b, *s)
		}
	}
	return b.String()
}
