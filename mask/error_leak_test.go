package mask_test

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/mask"
)

// quotingErrors are statements whose database error quotes a seeded value
// in a form no rule of the masker names: the redaction must hold for any
// quoted span, not a list of messages.
func quotingErrors(e engine) []string {
	switch e.name {
	case "postgresql", "postgresql-pgx":
		return []string{
			"SELECT email::regclass FROM people",
			"SELECT ssn::regproc FROM people",
			"SELECT current_setting(email) FROM people",
			"SELECT xmlparse(document email) FROM people",
		}
	case "sqlite":
		return []string{"SELECT json_extract('{}', email) FROM people"}
	}
	return nil
}

// TestLeakQuotingErrors: for a masked reader no seeded value reaches the
// caller through the error of a statement that makes the engine quote it,
// while the error still matches as the driver's own (errors.As, SQLSTATE);
// an exempt reader gets the database's error unchanged.
func TestLeakQuotingErrors(t *testing.T) {
	for _, e := range engines() {
		stmts := quotingErrors(e)
		if len(stmts) == 0 {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			raw, dsn, people := setup(t, e)
			m, err := mask.New(mask.WithRules(leakRules()...))
			if err != nil {
				t.Fatal(err)
			}
			db, err := sqlvigil.Open(e.driverName, dsn, sqlvigil.WithMasker(m))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			var secrets []string
			for _, p := range people {
				secrets = append(secrets, p.secrets()...)
			}
			for _, s := range stmts {
				_, werr := (&collector{}).rows(raw.Query(s))
				if werr == nil {
					t.Fatalf("%s: the driver returned no error; the test proves nothing", s)
				}
				if got := leakedIn(printed(werr), secrets); got == "" {
					t.Fatalf("%s: the driver's error quotes no seeded value (%v); the test proves nothing", s, werr)
				}
				c := &collector{label: s}
				_, err := c.rows(db.QueryContext(contextFor(maskedReader), s))
				if err == nil {
					t.Errorf("%s: no error", s)
					continue
				}
				if got := leakedIn(printed(err), secrets); got != "" {
					t.Errorf("%s: masked reader got %q in %s", s, got, printed(err))
				}
				if errors.Is(err, mask.ErrFlow) {
					// Refused before it ran: the value would have been
					// passed to a function not known to only compute one.
					continue
				}
				if !errors.Is(err, mask.ErrRedacted) {
					t.Errorf("%s: got %v; want mask.ErrRedacted or mask.ErrFlow", s, err)
				}
				if got, want := sqlState(err), sqlState(werr); got != want {
					t.Errorf("%s: SQLSTATE %q; want %q", s, got, want)
				}
				_, err = (&collector{}).rows(db.QueryContext(contextFor(exemptReader), s))
				if err == nil || err.Error() != werr.Error() || printed(err) != printed(werr) {
					t.Errorf("%s: exempt reader got %v; want the database's error %v", s, err, werr)
				}
			}
		})
	}
}

// TestLeakErrorPieces: PostgreSQL's to_date quotes up to four characters
// of its input; moving substr along a masked value would read it piece by
// piece, and a piece is too short to search for. The masked reader's error
// must hold no quoted span at all.
func TestLeakErrorPieces(t *testing.T) {
	for _, e := range engines() {
		if !strings.HasPrefix(e.name, "postgresql") {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			raw, dsn, people := setup(t, e)
			m, err := mask.New(mask.WithRules(leakRules()...))
			if err != nil {
				t.Fatal(err)
			}
			db, err := sqlvigil.Open(e.driverName, dsn, sqlvigil.WithMasker(m))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			email := people[0].email
			for k := 1; k <= len(email); k += 4 {
				q := "SELECT to_date(substr(email, " + strconv.Itoa(k) + ", 4), 'YYYY') FROM people WHERE id = 1"
				_, werr := (&collector{}).rows(raw.Query(q))
				if werr == nil || !strings.Contains(werr.Error(), `"`+email[k-1:min(k+3, len(email))]+`"`) {
					t.Fatalf("%s: the driver's error %v does not quote the piece; the test proves nothing", q, werr)
				}
				_, err := (&collector{}).rows(db.QueryContext(contextFor(maskedReader), q))
				if err == nil {
					t.Fatalf("%s: no error", q)
				}
				for _, s := range errorTexts(err) {
					if sp := quotedSpan(s); sp != "" {
						t.Errorf("%s: the error quotes %q: %q", q, sp, s)
					}
				}
			}
		})
	}
}

var quotedRe = regexp.MustCompile(`"[^"]*"|'[^']*'|"[^"]*$|'[^']*$`)

// quotedSpan returns the first quoted span of s that is not [mask.Redacted].
func quotedSpan(s string) string {
	for _, q := range quotedRe.FindAllString(s, -1) {
		if v := strings.Trim(q, `"'`); v != mask.Redacted {
			return q
		}
	}
	return ""
}

// errorTexts returns the text of err and of every field of the driver
// error it matches.
func errorTexts(err error) []string {
	out := []string{err.Error()}
	var pe *pq.Error
	if errors.As(err, &pe) {
		out = append(out, pe.Message, pe.Detail, pe.Hint, pe.Where, pe.InternalQuery)
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		out = append(out, pg.Message, pg.Detail, pg.Hint, pg.Where, pg.InternalQuery)
	}
	return out
}

func sqlState(err error) string {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return string(pe.Code)
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.SQLState()
	}
	return ""
}

func leakedIn(s string, secrets []string) string {
	for _, x := range secrets {
		if x != "" && strings.Contains(s, x) {
			return x
		}
	}
	return ""
}
