package blackbox_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/audit/blackbox"
)

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
