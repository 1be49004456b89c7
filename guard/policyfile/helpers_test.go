package policyfile_test

import "github.com/sqlvigil/sqlvigil/internal/guardtest"

// The hand-built models and helpers shared by guard's tests.
var (
	stmt       = guardtest.Stmt
	object     = guardtest.Object
	reads      = guardtest.Reads
	writes     = guardtest.Writes
	funcs      = guardtest.Funcs
	where      = guardtest.Where
	script     = guardtest.Script
	alice      = guardtest.Alice
	bob        = guardtest.Bob
	agent      = guardtest.Agent
	request    = guardtest.Request
	decide     = guardtest.Decide
	namedValue = guardtest.NamedValue
)
