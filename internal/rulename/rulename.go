// Package rulename holds the names of sqlvigil's built-in rules and of the
// driver's own refusals: the strings a policy file spells after "builtin:",
// and that verdicts, errors and audit records carry (guard.BlockedError.Rule,
// sqlvigil.rule). They are a compatibility promise, listed for users in the
// documentation of guard.Named; the library's tests spell them as users do.
package rulename

// Built-in rules of package guard.
const (
	DestructiveDDL    = "destructive-ddl"
	MissingWhere      = "missing-where"
	Stacked           = "stacked"
	Dangerous         = "dangerous"
	Privileges        = "privileges"
	LexingSettings    = "lexing-settings"
	ReadOnly          = "read-only"
	Tables            = "tables"
	RequireIdentity   = "require-identity"
	MaxRows           = "max-rows"
	UnmaskReview      = "unmask-review"
	CatalogWrites     = "catalog-writes"
	IntegritySettings = "integrity-settings"
	Maintenance       = "maintenance"
	Routines          = "routines"
	ReadBudget        = "read-budget"
	// Unknown names the policy's own treatment of statements the analyser
	// could not fully read (guard.WithUnknown).
	Unknown = "unknown"
)

// Refusals by the driver whenever a masker is set, whatever the policy's
// mode, before the statement runs. A policy file cannot name them.
const (
	// MaskCopy refuses a write that would store a value the masker masks
	// for the writer where it is not masked the same way: UPDATE notes SET
	// body = (SELECT email …), INSERT … SELECT, CREATE TABLE or VIEW … AS
	// SELECT.
	MaskCopy = "mask-copy"
	// MaskFlow refuses a statement that would carry a value the masker
	// masks for the reader out by another sink than a masked result column
	// or a store: a variable, a setting, a function with effects, a
	// message, a catalog that copies data, or a result or statement whose
	// lineage the analyser cannot follow.
	MaskFlow = "mask-flow"
)
