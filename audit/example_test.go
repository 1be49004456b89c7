package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/sqlvigil/sqlvigil/audit"
	"github.com/sqlvigil/sqlvigil/identity"
)

// An auditor with a black box: every statement is recorded there whatever
// the trace sampler decides, and Verify proves the file intact.
func Example() {
	var file bytes.Buffer // an *os.File from audit.OpenBlackBox in real use
	bb := audit.NewBlackBox(&file, audit.BlackBoxConfig{})
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
		log.Fatal(err) // only with WithMandatory, when a sink fails
	}
	rec.End(audit.Outcome{RowsAffected: -1})
	if err := bb.Close(); err != nil {
		log.Fatal(err)
	}

	rep, err := audit.VerifyConfig{RequireSeal: true}.Verify(bytes.NewReader(file.Bytes()))
	fmt.Println(rep.Records, rep.Sealed, err)

	// Any edit breaks the chain.
	edited := strings.Replace(file.String(), `"decision":"deny"`, `"decision":"allow"`, 1)
	_, err = audit.Verify(strings.NewReader(edited))
	fmt.Println(err)
	// Output:
	// 2 true <nil>
	// audit: black box chain broken at line 1 (seq 1): hash mismatch
}
