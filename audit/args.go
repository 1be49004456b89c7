package audit

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"time"
)

func redactArgs(r Redactor, ev *Event) []string {
	out := make([]string, len(ev.Args))
	for i, a := range ev.Args {
		if r != nil {
			out[i] = redactOne(r, a)
		} else {
			out[i] = describeArg(a)
		}
	}
	return out
}

// redactOne passes a through r; a Redactor that panics gets a described by
// type and size, as without one: never the value, never a crash.
func redactOne(r Redactor, a driver.NamedValue) (s string) {
	defer func() {
		if recover() != nil {
			s = describeArg(a)
		}
	}()
	return r(a.Ordinal, a.Name, a.Value)
}

// describeArg returns the type and size of an argument, never its value.
func describeArg(a driver.NamedValue) string {
	switch v := a.Value.(type) {
	case nil:
		return "nil"
	case string:
		return "string(" + strconv.Itoa(len(v)) + ")"
	case []byte:
		return "[]byte(" + strconv.Itoa(len(v)) + ")"
	case int64:
		return "int64"
	case float64:
		return "float64"
	case bool:
		return "bool"
	case time.Time:
		return "time.Time"
	default:
		return fmt.Sprintf("%T", v)
	}
}
