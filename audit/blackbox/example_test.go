package blackbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
	"github.com/sqlvigil/sqlvigil/identity"
)

// An auditor with a black box: every statement is recorded there whatever
// the trace sampler decides, and Verify proves the file intact.
func Example() {
	var file bytes.Buffer // an *os.File from blackbox.Open in real use
	bb := blackbox.New(&file, blackbox.Config{})
	a, err := audit.New(audit.WithSink(bb))
	if err != nil {
		log.Fatal(err)
	}

	// What the driver does for each statement.
	_, rec, err := a.Start(context.Background(), &audit.Event{
		Identity:  identity.Identity{Kind: identity.KindAgent, Subject: "agent-7"},
		System:    "postgresql",
		Method:    "exec",
		Operation: "DROP", Collection: "customers",
		QueryText: "DROP TABLE customers",
		Decision:  "deny", Rule: "destructive-ddl", Mode: "enforce",
	})
	if err != nil {
		log.Fatal(err)
	}
	rec.End(audit.Outcome{RowsAffected: -1})
	if err := bb.Close(); err != nil {
		log.Fatal(err)
	}

	rep, err := blackbox.VerifyConfig{RequireSeal: true}.Verify(bytes.NewReader(file.Bytes()))
	fmt.Println(rep.Records, rep.Sealed, err)

	// Any edit breaks the chain.
	edited := strings.Replace(file.String(), `"decision":"deny"`, `"decision":"allow"`, 1)
	_, err = blackbox.Verify(strings.NewReader(edited))
	fmt.Println(err)
	// Output:
	// 2 true <nil>
	// blackbox: chain broken at line 1 (seq 1): hash mismatch
}

// A black box file that rotates past 1,000 bytes, a second writer refused,
// and the rotated set verified as one chain.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "blackbox")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.jsonl")

	bb, err := blackbox.Open(path, blackbox.Config{MaxBytes: 1000, MaxAge: 24 * time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	_, err = blackbox.Open(path, blackbox.Config{})
	fmt.Println(errors.Is(err, blackbox.ErrLocked))

	for i := range 10 {
		e := &audit.Entry{Kind: audit.KindStatement, ID: fmt.Sprint(i), Time: time.Now().UTC(), RowsAffected: -1}
		if err := bb.Write(context.Background(), e); err != nil {
			log.Fatal(err)
		}
	}
	if err := bb.Close(); err != nil {
		log.Fatal(err)
	}

	files, err := blackbox.Files(path)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := blackbox.VerifyConfig{RequireSeal: true}.VerifyFiles(files)
	fmt.Println(rep.Files > 1, rep.FirstSeq, rep.Sealed, err)
	// Output:
	// true
	// true 1 true <nil>
}
