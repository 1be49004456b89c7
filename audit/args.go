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
			out[i] = r(a.Ordinal, a.Name, a.Value)
		} else {
			out[i] = describeArg(a)
		}
	}
	return out
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
