package mask

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql/driver"
	"fmt"
	"hash"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// DefaultToken is the text [Redact] puts in place of a string value.
const DefaultToken = "****"

// Strategy is how a selected value is replaced. What each one preserves
// and leaks:
//
//	Redact            type only                 fixed token, 0, false, epoch
//	Partial(f, l)     length, f first + l last characters / digits
//	Email             the domain                "****@example.com"
//	Tokenize          equality (joins, GROUP BY work); frequencies; keyed HMAC
//	Null              nothing; needs a nullable destination
//	Fixed(v)          type only
//	Digits(n)         format, length, last n digits, equality; keyed
//	GeneralizeDate    year (and month)
//	GeneralizeNumber  magnitude to within the bucket width
//	JSON(fields…)     every field not listed, and the document's shape
//
// Tokenize and Digits need a key ([WithKey]); [New] refuses them without
// one. Unkeyed, a token of a nine-digit number could be reversed by hashing
// all of them.
//
// Build one with [Redact],
// [RedactWith], [Partial], [Email], [Tokenize], [Null], [Fixed], [Digits],
// [GeneralizeDate], [GeneralizeNumber] or [JSON]; the set is closed.
//
// Every strategy keeps the value's Go type, so that the masked value still
// scans into the caller's variable: a string stays a string, a []byte becomes
// a new []byte (never memory the driver owns: Redact and Fixed give every row
// of a result set the same new slice, the others carve each value from a
// chunk of their own), an int64 stays an int64, a float64 a float64, a bool
// a bool, a time.Time a time.Time. NULL stays NULL under every strategy (so the
// presence of a value is never hidden). A value of another type (a driver
// returning uint64 or a named type) is masked as its reflect kind when it is
// a number, a string or a byte slice, and otherwise replaced by the masked
// form of its fmt.Sprint text. Where a strategy has no meaning for a type
// (an e-mail strategy on a number), the value is redacted as [Redact] does.
type Strategy interface {
	// String names the strategy in reports and audit records.
	String() string
	valueMasker
	// needsKey reports whether the strategy needs the Masker's key.
	needsKey() bool
}

// valueMasker masks one value of each type a driver returns.
type valueMasker interface {
	maskString(s string, c *cursor) string
	maskInt(i int64, c *cursor) int64
	maskFloat(f float64, c *cursor) float64
	maskBool(b bool, c *cursor) bool
	maskTime(t time.Time, c *cursor) time.Time
}

// bytesMasker is implemented by strategies that mask a []byte without
// converting it to a string first. maskBytes returns a new slice.
type bytesMasker interface {
	maskBytes(b []byte, c *cursor) []byte
}

// isASCII reports whether s holds only ASCII bytes.
func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// cursor is the per-plan state strategies may use: the keyed hash and a
// scratch buffer. It is used by one goroutine at a time.
type cursor struct {
	key   []byte
	mac   hash.Hash
	sum   []byte
	tag   [1]byte
	arena []byte
	next  int // the size of the next chunk
}

// Arena chunks start small, as most result sets are a row or a few, and
// double up to arenaSize.
const (
	firstChunk = 128
	arenaSize  = 8 << 10
)

// bytes returns a new zeroed slice of length and capacity n, carved from a
// chunk shared by the values of one result set: one allocation per many
// masked values. Capacity is n, so appending to one value never writes into
// another; memory is never reused.
func (c *cursor) bytes(n int) []byte {
	if n > arenaSize/16 {
		return make([]byte, n)
	}
	if len(c.arena) < n {
		size := max(c.next, firstChunk)
		for size < n {
			size *= 2
		}
		c.arena = make([]byte, size)
		c.next = min(2*size, arenaSize)
	}
	b := c.arena[:n:n]
	c.arena = c.arena[n:]
	return b
}

// keyed returns HMAC-SHA256(key, tag || b).
// str returns b, which must have come from c.alloc and be written no more,
// as a string, without copying: a masked string costs no allocation of its
// own, only its share of the arena (and the boxing into driver.Value).
func (c *cursor) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// alloc returns a slice for a string of n bytes: from the arena when c is
// not nil, else a new one.
func (c *cursor) alloc(n int) []byte {
	if c == nil {
		return make([]byte, n)
	}
	return c.bytes(n)
}

func (c *cursor) keyed(tag byte, b []byte) []byte {
	if c.mac == nil {
		c.mac = hmac.New(sha256.New, c.key)
	}
	c.mac.Reset()
	c.tag[0] = tag
	c.mac.Write(c.tag[:])
	c.mac.Write(b)
	c.sum = c.mac.Sum(c.sum[:0])
	return c.sum
}

func (c *cursor) keyedString(tag byte, s string) []byte {
	return c.keyed(tag, []byte(s))
}

// maskValue applies s to v, keeping v's type. v == nil stays nil.
func maskValue(s Strategy, v driver.Value, c *cursor) driver.Value {
	if _, ok := s.(nullStrategy); ok {
		return nil
	}
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return s.maskString(x, c)
	case []byte:
		// A new slice: the driver may reuse x's memory for the next row.
		if bm, ok := s.(bytesMasker); ok {
			return bm.maskBytes(x, c)
		}
		return []byte(s.maskString(string(x), c))
	case int64:
		return s.maskInt(x, c)
	case float64:
		return s.maskFloat(x, c)
	case bool:
		return s.maskBool(x, c)
	case time.Time:
		return s.maskTime(x, c)
	}
	return maskOther(s, v, c)
}

// maskOther masks a value of a type outside driver.Value's set, keeping its
// type where its kind allows.
func maskOther(s Strategy, v driver.Value, c *cursor) driver.Value {
	rv := reflect.ValueOf(v)
	t := rv.Type()
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		m := s.maskInt(rv.Int(), c)
		out := reflect.New(t).Elem()
		if out.OverflowInt(m) {
			m = 0
		}
		out.SetInt(m)
		return out.Interface()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		var m int64
		if u <= math.MaxInt64 {
			m = s.maskInt(int64(u), c)
		}
		if m < 0 {
			m = -m
		}
		out := reflect.New(t).Elem()
		if m < 0 || out.OverflowUint(uint64(m)) {
			m = 0
		}
		out.SetUint(uint64(m))
		return out.Interface()
	case reflect.Float32, reflect.Float64:
		m := s.maskFloat(rv.Float(), c)
		out := reflect.New(t).Elem()
		if out.OverflowFloat(m) {
			m = 0
		}
		out.SetFloat(m)
		return out.Interface()
	case reflect.Bool:
		out := reflect.New(t).Elem()
		out.SetBool(s.maskBool(rv.Bool(), c))
		return out.Interface()
	case reflect.String:
		out := reflect.New(t).Elem()
		out.SetString(s.maskString(rv.String(), c))
		return out.Interface()
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			m := []byte(s.maskString(string(rv.Bytes()), c))
			return reflect.ValueOf(m).Convert(t).Interface()
		}
	}
	return s.maskString(fmt.Sprint(v), c)
}

// constant is implemented by strategies whose string result does not
// depend on the value.
type constant interface {
	constantString() (string, bool)
}

func (r redactStrategy) constantString() (string, bool) { return r.token, true }
func (f fixedStrategy) constantString() (string, bool)  { return f.token, true }

// redactBase masks every type to a fixed value; the other strategies embed
// it for the types they have no better answer for.
type redactBase struct{ token string }

var epoch = time.Unix(0, 0).UTC()

func (r redactBase) maskString(string, *cursor) string   { return r.token }
func (redactBase) maskInt(int64, *cursor) int64          { return 0 }
func (redactBase) maskFloat(float64, *cursor) float64    { return 0 }
func (redactBase) maskBool(bool, *cursor) bool           { return false }
func (redactBase) maskTime(time.Time, *cursor) time.Time { return epoch }
func (redactBase) needsKey() bool                        { return false }

var defaultBase = redactBase{token: DefaultToken}

// Redact replaces every value with a fixed one: strings with [DefaultToken],
// numbers with 0, booleans with false, times with the Unix epoch (UTC).
//
// Preserves: the type and whether the value is NULL. Leaks: nothing else.
func Redact() Strategy { return redactStrategy{defaultBase} }

// RedactWith is [Redact] with token in place of string values.
func RedactWith(token string) Strategy { return redactStrategy{redactBase{token: token}} }

type redactStrategy struct{ redactBase }

func (redactStrategy) String() string { return "redact" }

// Null replaces every value with NULL.
//
// Preserves: nothing. Leaks: nothing. The caller's variable must accept
// NULL (sql.NullString, *string, any): scanning NULL into a plain string or
// int64 fails, which is why [Redact] is usually the better choice.
func Null() Strategy { return nullStrategy{defaultBase} }

type nullStrategy struct{ redactBase }

func (nullStrategy) String() string { return "null" }

// Fixed replaces every value with v, converted to the type of the value it
// replaces: strings and []byte interchange, numbers convert between int64
// and float64 and to and from their decimal text. Where v cannot be
// converted (a word for an integer column), the value is redacted as
// [Redact] does. v must be a string, []byte, int, int64, float64, bool or
// time.Time; [New] refuses other types.
//
// Preserves: the type. Leaks: nothing.
func Fixed(v any) Strategy {
	f := fixedStrategy{redactBase: defaultBase}
	switch x := v.(type) {
	case string:
		f.s, f.hasS = x, true
	case []byte:
		f.s, f.hasS = string(x), true
	case int:
		f.i, f.hasI = int64(x), true
	case int64:
		f.i, f.hasI = x, true
	case float64:
		f.f, f.hasF = x, true
	case bool:
		f.b, f.hasB = x, true
	case time.Time:
		f.t, f.hasT = x, true
	default:
		f.bad = true
	}
	switch {
	case f.hasS:
		if i, err := strconv.ParseInt(f.s, 10, 64); err == nil {
			f.i, f.hasI = i, true
		}
		if fl, err := strconv.ParseFloat(f.s, 64); err == nil {
			f.f, f.hasF = fl, true
		}
		f.token = f.s
	case f.hasI:
		f.f, f.hasF = float64(f.i), true
		f.token, f.hasS = strconv.FormatInt(f.i, 10), true
	case f.hasF:
		if f.f == math.Trunc(f.f) && math.Abs(f.f) < 1<<62 {
			f.i, f.hasI = int64(f.f), true
		}
		f.token, f.hasS = strconv.FormatFloat(f.f, 'f', -1, 64), true
	case f.hasB:
		f.token, f.hasS = strconv.FormatBool(f.b), true
	case f.hasT:
		f.token, f.hasS = f.t.Format(time.RFC3339Nano), true
	}
	return f
}

type fixedStrategy struct {
	redactBase
	s                            string
	i                            int64
	f                            float64
	b                            bool
	t                            time.Time
	hasS, hasI, hasF, hasB, hasT bool
	bad                          bool
}

func (fixedStrategy) String() string { return "fixed" }

func (f fixedStrategy) maskInt(v int64, c *cursor) int64 {
	if f.hasI {
		return f.i
	}
	return 0
}

func (f fixedStrategy) maskFloat(v float64, c *cursor) float64 {
	if f.hasF {
		return f.f
	}
	return 0
}

func (f fixedStrategy) maskBool(v bool, c *cursor) bool { return f.hasB && f.b }

func (f fixedStrategy) maskTime(v time.Time, c *cursor) time.Time {
	if f.hasT {
		return f.t
	}
	return epoch
}
