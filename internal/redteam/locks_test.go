package redteam_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
)

// TestLockDataNotRead: InnoDB lists the key of every index record a
// waiting transaction wants (information_schema.INNODB_LOCKS.lock_data),
// and the statement each open transaction runs (INNODB_TRX.trx_query). A
// developer who locks people's rows through the e-mail index — the
// masked column used only in a predicate, as allowed — and makes a second
// connection wait on them would read the clear e-mails there; a masked
// reader's read of those catalogs is refused.
func TestLockDataNotRead(t *testing.T) {
	for _, b := range backends() {
		if b.family != my {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			l := newLab(t, b)
			ctx := as(dev)
			const lock = "SELECT id FROM people FORCE INDEX (email) WHERE email > '' FOR UPDATE"
			holder, err := l.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Close()
			for _, q := range []string{"BEGIN", lock} {
				if _, err := readConn(ctx, holder, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			defer func() { _, _ = holder.ExecContext(ctx, "ROLLBACK") }()
			waiter, err := l.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer waiter.Close()
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _ = readConn(wctx, waiter, lock)
			}()
			// The engine lists the waited-for key, the clear e-mail, once
			// the second connection waits.
			var truth string
			// InnoDB refreshes these tables at most every 100 ms from
			// the last read: poll slower than that.
			for range 40 {
				if truth = rawString(l, "SELECT lock_data FROM information_schema.INNODB_LOCKS LIMIT 1"); strings.Contains(truth, people[0].email) {
					break
				}
				time.Sleep(150 * time.Millisecond)
			}
			if !strings.Contains(truth, people[0].email) {
				t.Fatalf("INNODB_LOCKS holds %q: the attack proves nothing", truth)
			}
			for _, q := range []string{
				"SELECT lock_data FROM information_schema.INNODB_LOCKS",
				"SELECT lock_data FROM information_schema.innodb_locks l JOIN information_schema.INNODB_LOCK_WAITS w ON w.requested_lock_id = l.lock_id",
				"SELECT trx_query FROM information_schema.INNODB_TRX",
			} {
				got, err := l.read(t, dev, q)
				if x := leaked(got + errorText(err)); x != "" {
					t.Errorf("%s: %q in clear: %s", q, x, got)
				}
				if !errors.Is(err, guard.ErrBlocked) {
					t.Errorf("%s: got %v, want a refusal", q, err)
				}
			}
			cancel()
			<-done
			l.noLeakInTrail(t)
		})
	}
}
