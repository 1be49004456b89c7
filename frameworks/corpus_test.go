package frameworks_test

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// maxRefused is the number of corpus statements sqlvigil may refuse to a
// masked reader on each driver today. The goal is at most 1%; the numbers
// may only go down. None is refused today (go test -run TestCorpus -v
// prints each statement and reason): SHOW, EXPLAIN, DESCRIBE, PRAGMA,
// catalog built-ins (format_type, pg_get_expr, obj_description, built-in
// current_setting, SQLite's pragma_* functions) and a generate_series
// spine read nothing a rule in force covers, by the catalog, and run.
var maxRefused = map[string]int{
	drvPQ:     0,
	drvPGX:    0,
	drvMySQL:  0,
	drvSQLite: 0,
}

// minCorpus is the least number of statements the corpus must hold across
// the four drivers.
const minCorpus = 150

// TestCorpus replays the statements the libraries sent (captured with
// -update into testdata/corpus/<driver>/<source>.jsonl) and the reporting
// queries, as a reader with the masking rules in force, each file in a
// fresh database in the order captured, and counts the statements sqlvigil
// refuses. Every refusal is printed with its rule and reason.
func TestCorpus(t *testing.T) {
	if *update {
		t.Skip("-update captures the corpus without masking; run again without -update to measure it")
	}
	total := 0
	for _, drv := range allDrivers {
		files, err := filepath.Glob(filepath.Join("testdata", "corpus", drv, "*.jsonl"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no corpus for %s (go test -run 'TestGORM|TestEnt|TestBun|TestGoose|TestSQLX|TestSQLC|TestReports|TestUnique' -update): %v", drv, err)
		}
		sort.Strings(files)
		var n, refusedN, failed int
		var refusals []string
		t.Run(drv, func(t *testing.T) {
			for _, file := range files {
				recs, err := readCorpus(file)
				if err != nil {
					t.Fatal(err)
				}
				source := strings.TrimSuffix(filepath.Base(file), ".jsonl")
				t.Run(source, func(t *testing.T) {
					c := open(t, drv, "")
					for _, r := range recs {
						n++
						err := replay(c, r)
						switch {
						case err == nil:
						case refused(err):
							refusedN++
							refusals = append(refusals, fmt.Sprintf("%s: %s\n\t-> %v", source, oneLine(r.Text), err))
							// Run it without sqlvigil, so that the statements
							// after it see the schema and rows the library
							// expected, and each is judged on its own.
							_ = replayOn(c.raw, c, r)
						default:
							failed++
							t.Logf("not refused, failed (%s): %s\n\t-> %v", source, oneLine(r.Text), err)
						}
					}
				})
			}
			for _, r := range refusals {
				t.Logf("refused %s", r)
			}
			t.Logf("%s: %d statements, %d refused (%.1f%%), %d failed at the database", drv, n, refusedN, 100*float64(refusedN)/float64(max(n, 1)), failed)
			if refusedN > maxRefused[drv] {
				t.Errorf("%d of %d statements refused on %s, more than the %d allowed (maxRefused)", refusedN, n, drv, maxRefused[drv])
			}
			if refusedN < maxRefused[drv] {
				t.Logf("fewer refusals than maxRefused[%s] = %d: lower it to %d", drv, maxRefused[drv], refusedN)
			}
		})
		total += n
	}
	if total < minCorpus {
		t.Errorf("corpus holds %d statements, want at least %d", total, minCorpus)
	}
}

func readCorpus(path string) ([]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		recs = append(recs, r)
	}
	return recs, sc.Err()
}

// replay runs one corpus statement as c's identity, reading every row of
// a query.
func replay(c *conn, r record) error { return replayOn(c.db, c, r) }

func replayOn(db *sql.DB, c *conn, r record) error {
	args := make([]any, len(r.Args))
	for i, a := range r.Args {
		v, err := decodeArg(a, c.dbName)
		if err != nil {
			return err
		}
		args[i] = v
	}
	text := strings.ReplaceAll(r.Text, dbToken, c.dbName)
	if r.Method == "query" {
		return queryAll(db, c.ctx, text, args...)
	}
	_, err := db.ExecContext(c.ctx, text, args...)
	return err
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
