package guard_test

import "github.com/sqlvigil/sqlvigil/internal/guardtest"

// The hand-built models and helpers shared by guard's tests.
type stmtOpt = guardtest.StmtOpt

var (
	stmt        = guardtest.Stmt
	effect      = guardtest.Effect
	object      = guardtest.Object
	reads       = guardtest.Reads
	writes      = guardtest.Writes
	funcs       = guardtest.Funcs
	where       = guardtest.Where
	inner       = guardtest.Inner
	with        = guardtest.With
	privSetting = guardtest.PrivSetting
	lexSetting  = guardtest.LexSetting
	script      = guardtest.Script
	alice       = guardtest.Alice
	bob         = guardtest.Bob
	agent       = guardtest.Agent
	request     = guardtest.Request
	mustPolicy  = guardtest.MustPolicy
	decide      = guardtest.Decide
	namedValue  = guardtest.NamedValue
)
