package approval_test

import (
	"github.com/sqlvigil/sqlvigil/internal/guardtest"
	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// The hand-built models and helpers shared by guard's tests.
var (
	stmt       = guardtest.Stmt
	object     = guardtest.Object
	script     = guardtest.Script
	alice      = guardtest.Alice
	bob        = guardtest.Bob
	agent      = guardtest.Agent
	request    = guardtest.Request
	mustPolicy = guardtest.MustPolicy
	namedValue = guardtest.NamedValue
)

var dropT = script("DROP TABLE t", stmt(sqlparse.KindDrop, object(sqlparse.ObjectTable)))
