package audit_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/sqlvigil/sqlvigil/audit"
)

// A black box file that rotates past 1,000 bytes, a second writer refused,
// and the rotated set verified as one chain.
func ExampleOpenBlackBox() {
	dir, err := os.MkdirTemp("", "blackbox")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.jsonl")

	bb, err := audit.OpenBlackBox(path, audit.BlackBoxConfig{MaxBytes: 1000, MaxAge: 24 * time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	_, err = audit.OpenBlackBox(path, audit.BlackBoxConfig{})
	fmt.Println(errors.Is(err, audit.ErrLocked))

	for i := range 10 {
		e := &audit.Entry{Kind: audit.KindStatement, ID: fmt.Sprint(i), Time: time.Now().UTC(), RowsAffected: -1}
		if err := bb.Write(context.Background(), e); err != nil {
			log.Fatal(err)
		}
	}
	if err := bb.Close(); err != nil {
		log.Fatal(err)
	}

	files, err := audit.BlackBoxFiles(path)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := audit.VerifyConfig{RequireSeal: true}.VerifyFiles(files)
	fmt.Println(rep.Files > 1, rep.FirstSeq, rep.Sealed, err)
	// Output:
	// true
	// true 1 true <nil>
}
