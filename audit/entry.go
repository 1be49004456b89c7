package audit

import (
	"time"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Entry kinds.
const (
	// KindStatement is the complete record of one statement, written when it
	// ends (or is refused).
	KindStatement = "statement"
	// KindTx is the complete record of one transaction, written when it
	// commits or rolls back.
	KindTx = "tx"
	// KindIntent is written before a statement or transaction starts when
	// the audit is mandatory; its complete record follows under the same ID.
	KindIntent = "intent"
)

// Entry is one audit record as sinks receive it. It never holds a masked
// value, nor an argument value unless [WithArgs] was given a [Redactor]
// that reveals one, nor the statement text with its literals unless
// [WithStatementText] was given.
//
// Seq, Prev and Hash are filled in by a sink that chains entries (the black
// box of package [github.com/sqlvigil/sqlvigil/audit/blackbox]); other sinks
// see them empty, as they see Records and CutBytes, which only the black
// box's own records use.
type Entry struct {
	Seq  uint64    `json:"seq,omitempty"`
	Kind string    `json:"kind"`
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Duration is how long the statement or transaction took.
	Duration time.Duration `json:"duration_ns,omitempty"`
	TraceID  string        `json:"trace_id,omitempty"`
	SpanID   string        `json:"span_id,omitempty"`
	// TxID is the ID of the enclosing transaction's record.
	TxID     string         `json:"tx_id,omitempty"`
	Identity *EntryIdentity `json:"identity,omitempty"`
	Caller   *Caller        `json:"caller,omitempty"`

	System        string   `json:"db_system,omitempty"`
	Namespace     string   `json:"db_namespace,omitempty"`
	ServerAddress string   `json:"server_address,omitempty"`
	ServerPort    int      `json:"server_port,omitempty"`
	Method        string   `json:"method,omitempty"`
	Operation     string   `json:"db_operation,omitempty"`
	Collection    string   `json:"db_collection,omitempty"`
	Summary       string   `json:"db_query_summary,omitempty"`
	QueryText     string   `json:"db_query_text,omitempty"`
	Text          string   `json:"statement,omitempty"`
	Reads         []string `json:"tables_read,omitempty"`
	Writes        []string `json:"tables_written,omitempty"`
	Stacked       bool     `json:"stacked,omitempty"`
	Complete      bool     `json:"complete,omitempty"`
	InTx          bool     `json:"in_tx,omitempty"`
	Args          []string `json:"args,omitempty"`
	ReadOnly      bool     `json:"read_only,omitempty"`
	Isolation     string   `json:"isolation,omitempty"`

	Decision   string `json:"decision,omitempty"`
	Rule       string `json:"rule,omitempty"`
	Reason     string `json:"reason,omitempty"`
	Mode       string `json:"mode,omitempty"`
	ApprovalID string `json:"approval_id,omitempty"`
	Reviewer   string `json:"reviewer,omitempty"`

	RowsReturned int64          `json:"rows_returned"`
	RowsAffected int64          `json:"rows_affected"`
	Masked       []MaskedColumn `json:"masked,omitempty"`
	ErrorType    string         `json:"error_type,omitempty"`
	StatusCode   string         `json:"status_code,omitempty"`
	Error        string         `json:"error,omitempty"`
	TxEnd        string         `json:"tx_end,omitempty"`
	// Statements counts the statements of a transaction record; Records
	// counts the entries a seal closes.
	Statements int64  `json:"statements,omitempty"`
	Records    uint64 `json:"records,omitempty"`
	// CutBytes is the length of the torn tail a cut record records.
	CutBytes int64 `json:"cut_bytes,omitempty"`

	Prev string `json:"prev,omitempty"`
	Hash string `json:"hash,omitempty"`
}

// EntryIdentity is the identity recorded in an [Entry].
type EntryIdentity struct {
	Kind      string   `json:"kind,omitempty"`
	Subject   string   `json:"subject,omitempty"`
	Name      string   `json:"name,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	Tenant    string   `json:"tenant,omitempty"`
	Service   string   `json:"service,omitempty"`
	Purpose   string   `json:"purpose,omitempty"`
	Ticket    string   `json:"ticket,omitempty"`
	Untrusted bool     `json:"untrusted,omitempty"`
	// Attributes holds the identity attributes named by
	// WithIdentityAttributes; others are not recorded.
	Attributes map[string]string `json:"attributes,omitempty"`
	Agent      *EntryAgent       `json:"agent,omitempty"`
}

// EntryAgent is the AI agent recorded in an [EntryIdentity].
type EntryAgent struct {
	Name       string `json:"name,omitempty"`
	Model      string `json:"model,omitempty"`
	Tool       string `json:"tool,omitempty"`
	ToolCallID string `json:"tool_call_id,omitempty"`
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
}

func entryIdentity(id identity.Identity, keys []string) *EntryIdentity {
	if id.IsZero() && !id.Untrusted {
		return nil
	}
	e := &EntryIdentity{
		Subject:   id.Subject,
		Name:      id.Name,
		Roles:     id.Roles,
		Tenant:    id.Tenant,
		Service:   id.Service,
		Purpose:   id.Purpose,
		Ticket:    id.Ticket,
		Untrusted: id.Untrusted,
	}
	for _, k := range keys {
		if v, ok := id.Attributes[k]; ok {
			if e.Attributes == nil {
				e.Attributes = make(map[string]string, len(keys))
			}
			e.Attributes[k] = v
		}
	}
	if a := id.Agent; a != nil {
		e.Agent = &EntryAgent{Name: a.Name, Model: a.Model, Tool: a.Tool, ToolCallID: a.ToolCallID, OnBehalfOf: a.OnBehalfOf}
	}
	if id.Kind != identity.KindUnspecified {
		e.Kind = id.Kind.String()
	}
	return e
}

// Identity returns the recorded identity as an [identity.Identity], for
// replaying a statement through a policy.
func (e *EntryIdentity) Identity() identity.Identity {
	if e == nil {
		return identity.Identity{}
	}
	id := identity.Identity{
		Subject:    e.Subject,
		Name:       e.Name,
		Roles:      e.Roles,
		Tenant:     e.Tenant,
		Service:    e.Service,
		Purpose:    e.Purpose,
		Ticket:     e.Ticket,
		Untrusted:  e.Untrusted,
		Attributes: e.Attributes,
	}
	if a := e.Agent; a != nil {
		id.Agent = &identity.Agent{Name: a.Name, Model: a.Model, Tool: a.Tool, ToolCallID: a.ToolCallID, OnBehalfOf: a.OnBehalfOf}
	}
	switch e.Kind {
	case "user":
		id.Kind = identity.KindUser
	case "service":
		id.Kind = identity.KindService
	case "agent":
		id.Kind = identity.KindAgent
	}
	return id.Clone()
}
