package audit

// This file fixes the API the driver package calls. Fields and functions may
// be added; none of these may be renamed or change signature without changing
// the driver in the same commit.

import (
	"context"
	"database/sql/driver"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Event is what is known of a statement when its record starts.
type Event struct {
	Identity identity.Identity
	// System is db.system.name ("postgresql", "mysql", "sqlite").
	System string
	// Namespace is db.namespace (the database name), if known.
	Namespace     string
	ServerAddress string
	ServerPort    int
	// Method is how the statement was issued: "exec", "query", "prepare",
	// "stmt.exec", "stmt.query", "raw".
	Method string
	// Operation is db.operation.name ("SELECT"); Collection is
	// db.collection.name (the first table).
	Operation  string
	Collection string
	// Summary is db.query.summary; QueryText the literal-free text.
	Summary   string
	QueryText string
	Reads     []string
	Writes    []string
	Stacked   bool
	Complete  bool
	InTx      bool
	// Decision, Rule, Reason and Mode carry the guard's verdict ("allow",
	// "deny", "review"; "enforce", "monitor").
	Decision   string
	Rule       string
	Reason     string
	Mode       string
	ApprovalID string
	Reviewer   string
	// Args are the bound arguments: recorded only when the auditor is told
	// to, and then redacted.
	Args []driver.NamedValue
}

// MaskedColumn is one masked column of the result, for the record.
type MaskedColumn struct {
	Column   string
	Rule     string
	Strategy string
	Count    int64
}

// Outcome is what is known of a statement when its record ends.
type Outcome struct {
	RowsReturned int64
	RowsAffected int64 // -1 when unknown
	Masked       []MaskedColumn
	Err          error
	// TxEnd is "commit" or "rollback" when a transaction record ends.
	TxEnd string
}

// Auditor records statements. A nil *Auditor records nothing.
// An Auditor is safe for concurrent use.
type Auditor struct {
	_ struct{}
}

// Start opens the record of one statement. A non-nil error means the audit
// is mandatory and could not be written: the statement must not run.
func (a *Auditor) Start(ctx context.Context, ev *Event) (context.Context, *Record, error) {
	return ctx, nil, nil
}

// StartTx opens the record of a transaction; statements issued inside it
// are its children.
func (a *Auditor) StartTx(ctx context.Context, readOnly bool, isolation string) (context.Context, *Record, error) {
	return ctx, nil, nil
}

// Record is an open audit record. A nil *Record records nothing. End must be
// called exactly once.
type Record struct {
	_ struct{}
}

// End closes the record.
func (r *Record) End(out Outcome) {}
