package redteam_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"testing"
)

// TestDriverStatementNotHijacked: a PostgreSQL driver keeps statements it
// prepared under names a caller can compute — pgx's statement cache
// "stmtcache_" and the SHA-256 of the text, lib/pq's numbered statements.
// A developer who frees that name (DEALLOCATE) and prepares his own
// statement under it in SQL (PREPARE … AS SELECT email AS name …) would
// have the driver run it for the next harmless text that hits the cache or
// the *sql.Stmt, whose columns the analysis judged by that text: clear
// e-mails under the unmasked name. Both statements are refused to a
// masked reader, and the harmless read still answers what it says.
func TestDriverStatementNotHijacked(t *testing.T) {
	const q = "SELECT name FROM people WHERE id = 1"
	for _, b := range backends() {
		if b.family != pg {
			continue
		}
		t.Run(b.name+"/statement-cache", func(t *testing.T) {
			l := newLab(t, b)
			ctx := as(dev)
			c, err := l.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got, err := readConn(ctx, c, q); err != nil || got != "Alice|\n" {
				t.Fatalf("%s: %q (%v)", q, got, err)
			}
			d := sha256.Sum256([]byte(q))
			name := "stmtcache_" + hex.EncodeToString(d[:24])
			hijack(ctx, t, c, name, "")
			got, err := readConn(ctx, c, q)
			if x := leaked(got + errorText(err)); x != "" {
				t.Errorf("%s returned %q: the driver ran the developer's statement", q, x)
			}
			l.noLeakInTrail(t)
		})
		t.Run(b.name+"/prepared-stmt", func(t *testing.T) {
			l := newLab(t, b)
			ctx := as(dev)
			c, err := l.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			st, err := c.PrepareContext(ctx, "SELECT name FROM people WHERE id = $1")
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			// lib/pq numbers its statements from 1; pgx names them after
			// their text, as its cache does.
			d := sha256.Sum256([]byte("SELECT name FROM people WHERE id = $1"))
			for _, name := range []string{`"1"`, "stmtcache_" + hex.EncodeToString(d[:24]), "stmt_" + hex.EncodeToString(d[:24])} {
				hijack(ctx, t, c, name, "(int)")
			}
			var got string
			err = st.QueryRowContext(ctx, 1).Scan(&got)
			if x := leaked(got + errorText(err)); x != "" {
				t.Errorf("the prepared statement returned %q: the driver ran the developer's statement", x)
			}
			l.noLeakInTrail(t)
		})
	}
}

// hijack frees name and prepares a statement of the developer's under it.
func hijack(ctx context.Context, t *testing.T, c *sql.Conn, name, params string) {
	t.Helper()
	for _, s := range []string{
		"DEALLOCATE " + name,
		"PREPARE " + name + params + " AS SELECT email AS name FROM people WHERE id = 1",
	} {
		if _, err := c.ExecContext(ctx, s); err != nil {
			t.Logf("%s: %v", s, err)
		}
	}
}
