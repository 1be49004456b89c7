package mask

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultToken is the text [Redact] puts in place of a string value.
const DefaultToken = "****"

// Strategy is how a selected value is replaced. Build one with [Redact],
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
}

const arenaSize = 8 << 10

// bytes returns a new zeroed slice of length and capacity n, carved from a
// chunk shared by the values of one result set: one allocation per many
// masked values. Capacity is n, so appending to one value never writes into
// another; memory is never reused.
func (c *cursor) bytes(n int) []byte {
	if n > arenaSize/16 {
		return make([]byte, n)
	}
	if len(c.arena) < n {
		c.arena = make([]byte, arenaSize)
	}
	b := c.arena[:n:n]
	c.arena = c.arena[n:]
	return b
}

// keyed returns HMAC-SHA256(key, tag || b).
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

// Partial keeps the first and last characters of a string and replaces
// every other character with '*', keeping the length: Partial(0, 4) turns
// "4111111111111111" into "************1111". A string no longer than
// first+last characters is replaced entirely. On an integer it keeps the
// first and last decimal digits and zeroes the others (the number of digits
// and the sign are kept); other types are redacted as [Redact] does.
//
// Preserves: the length and the kept characters. Leaks: exactly those; keep
// them few (the last four digits of a card are customary, the first six
// name its issuer).
func Partial(first, last int) Strategy {
	return partialStrategy{redactBase: defaultBase, first: max(first, 0), last: max(last, 0)}
}

type partialStrategy struct {
	redactBase
	first, last int
}

func (p partialStrategy) String() string { return "partial" }

func (p partialStrategy) maskString(s string, _ *cursor) string {
	if isASCII(s) {
		var b strings.Builder
		b.Grow(len(s))
		if len(s) <= p.first+p.last {
			for range len(s) {
				b.WriteByte('*')
			}
			return b.String()
		}
		b.WriteString(s[:p.first])
		for range len(s) - p.first - p.last {
			b.WriteByte('*')
		}
		b.WriteString(s[len(s)-p.last:])
		return b.String()
	}
	n := utf8.RuneCountInString(s)
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for _, r := range s {
		if n > p.first+p.last && (i < p.first || i >= n-p.last) {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

func (p partialStrategy) maskBytes(b []byte, c *cursor) []byte {
	if !isASCII(b) {
		return []byte(p.maskString(string(b), c))
	}
	out := c.bytes(len(b))
	keep := len(b) > p.first+p.last
	for i := range out {
		if keep && (i < p.first || i >= len(b)-p.last) {
			out[i] = b[i]
		} else {
			out[i] = '*'
		}
	}
	return out
}

func (p partialStrategy) maskInt(v int64, _ *cursor) int64 {
	return mapDigits(v, func(i, n int, d byte) byte {
		if n > p.first+p.last && (i < p.first || i >= n-p.last) {
			return d
		}
		if i == 0 {
			return '1' // keep the number of digits
		}
		return '0'
	})
}

// mapDigits rewrites the decimal digits of v's magnitude with f, keeping the
// sign. It returns 0 if the result does not fit.
func mapDigits(v int64, f func(i, n int, d byte) byte) int64 {
	var buf [24]byte
	digits := strconv.AppendInt(buf[:0], v, 10)
	neg := len(digits) > 0 && digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	n := len(digits)
	for i := range digits {
		digits[i] = f(i, n, digits[i])
	}
	out, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return 0
	}
	if neg {
		out = -out
	}
	return out
}

// Email keeps the domain of an e-mail address and replaces its local part:
// "alice@example.com" becomes "****@example.com". A string that is not an
// address is replaced by [DefaultToken]; other types are redacted as
// [Redact] does.
//
// Preserves: the domain. Leaks: the domain, which identifies the person on a
// small or personal domain.
func Email() Strategy { return emailStrategy{defaultBase} }

type emailStrategy struct{ redactBase }

func (emailStrategy) String() string { return "email" }

func (e emailStrategy) maskString(s string, _ *cursor) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s[at+1:], " \t\r\n<>,;") {
		return e.token
	}
	return e.token + s[at:]
}

func (e emailStrategy) maskBytes(b []byte, c *cursor) []byte {
	at := bytes.LastIndexByte(b, '@')
	if at <= 0 || at == len(b)-1 || bytes.ContainsAny(b[at+1:], " \t\r\n<>,;") {
		return []byte(e.token)
	}
	out := c.bytes(len(e.token) + len(b) - at)
	n := copy(out, e.token)
	copy(out[n:], b[at:])
	return out
}

// Tokenize replaces a value with a token keyed by the Masker's key (see
// [WithKey]): HMAC-SHA256 of the value. Equal values give equal tokens, in
// every column and every statement, so joins, GROUP BY and DISTINCT on the
// masked column still work. Strings become "tok_" and 24 hexadecimal digits;
// integers a non-negative int64; floats an integral float64; booleans a
// keyed bit; times a keyed instant between 1970 and 2070. A Masker with a
// Tokenize rule and no key is refused by [New].
//
// Preserves: equality (and so cardinality and frequencies). Leaks: which
// rows share a value, and how often a value occurs; anyone holding the key
// can confirm a guessed value.
func Tokenize() Strategy { return tokenStrategy{} }

type tokenStrategy struct{}

const (
	tagString byte = 's'
	tagInt    byte = 'i'
	tagFloat  byte = 'f'
	tagBool   byte = 'b'
	tagTime   byte = 't'
)

func (tokenStrategy) String() string { return "tokenize" }
func (tokenStrategy) needsKey() bool { return true }

func (tokenStrategy) maskString(s string, c *cursor) string {
	sum := c.keyedString(tagString, s)
	var buf [4 + 24]byte
	copy(buf[:], "tok_")
	hex.Encode(buf[4:], sum[:12])
	return string(buf[:])
}

func (tokenStrategy) maskBytes(b []byte, c *cursor) []byte {
	sum := c.keyed(tagString, b)
	out := c.bytes(4 + 24)
	copy(out, "tok_")
	hex.Encode(out[4:], sum[:12])
	return out
}

func (tokenStrategy) maskInt(v int64, c *cursor) int64 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	return int64(binary.BigEndian.Uint64(c.keyed(tagInt, b[:])) >> 1)
}

func (tokenStrategy) maskFloat(v float64, c *cursor) float64 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], math.Float64bits(v))
	return float64(binary.BigEndian.Uint64(c.keyed(tagFloat, b[:])) >> 11)
}

func (tokenStrategy) maskBool(v bool, c *cursor) bool {
	b := [1]byte{0}
	if v {
		b[0] = 1
	}
	return c.keyed(tagBool, b[:])[0]&1 == 1
}

const century = 100 * 365 * 24 * 3600

func (tokenStrategy) maskTime(v time.Time, c *cursor) time.Time {
	b, _ := v.UTC().MarshalBinary()
	sec := binary.BigEndian.Uint64(c.keyed(tagTime, b)) % century
	return time.Unix(int64(sec), 0).In(v.Location())
}

// Digits replaces every decimal digit with a digit derived from the value
// and the Masker's key (see [WithKey]), except the last keepLast digits, and
// keeps every other character: "+1 (555) 123-4567" may become
// "+8 (302) 961-4567" with keepLast 4. Equal inputs give equal outputs. On an
// integer the number of digits and the sign are kept; on a float its decimal
// text is rewritten the same way. Other types are redacted as [Redact] does.
// A Masker with a Digits rule and no key is refused by [New]: unkeyed digits
// of a nine-digit number could be reversed by trying all of them.
//
// Preserves: the format, the length, the kept digits and equality. Leaks:
// those, and that the value has the shape of its kind (a phone, an id).
func Digits(keepLast int) Strategy {
	return digitsStrategy{redactBase: defaultBase, keep: max(keepLast, 0)}
}

type digitsStrategy struct {
	redactBase
	keep int
}

func (digitsStrategy) String() string { return "digits" }
func (digitsStrategy) needsKey() bool { return true }

func (d digitsStrategy) rewrite(tag byte, s string, c *cursor) string {
	total := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			total++
		}
	}
	if total == 0 {
		return s
	}
	sum := c.keyedString(tag, s)
	b := []byte(s)
	k := 0
	for i := range b {
		if b[i] < '0' || b[i] > '9' {
			continue
		}
		if k < total-d.keep {
			r := sum[k%len(sum)] + byte(k/len(sum))*7
			nd := byte('0' + r%10)
			if k == 0 && tag != tagString && nd == '0' {
				nd = '1' // keep the number of digits of a number
			}
			b[i] = nd
		}
		k++
	}
	return string(b)
}

func (d digitsStrategy) maskString(s string, c *cursor) string { return d.rewrite(tagString, s, c) }

func (d digitsStrategy) maskInt(v int64, c *cursor) int64 {
	out, err := strconv.ParseInt(d.rewrite(tagInt, strconv.FormatInt(v, 10), c), 10, 64)
	if err != nil {
		return 0
	}
	return out
}

func (d digitsStrategy) maskFloat(v float64, c *cursor) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	out, err := strconv.ParseFloat(d.rewrite(tagFloat, strconv.FormatFloat(v, 'f', -1, 64), c), 64)
	if err != nil {
		return 0
	}
	return out
}

func (d digitsStrategy) maskBool(v bool, c *cursor) bool { return tokenStrategy{}.maskBool(v, c) }

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

// DateUnit is the precision [GeneralizeDate] keeps. The zero value is
// [Year].
type DateUnit uint8

// Date units.
const (
	Year DateUnit = iota
	Month
)

// GeneralizeDate replaces a time with the first instant of its month or
// year, in the same location: 1984-07-23 becomes 1984-07-01 (Month) or
// 1984-01-01 (Year). A string or []byte holding a date or timestamp in a
// common layout (2006-01-02, RFC 3339, "2006-01-02 15:04:05") is rewritten
// in the same layout; one that does not parse is replaced by
// [DefaultToken]. Numbers are redacted as [Redact] does.
//
// Preserves: the year (and month). Leaks: those; a birth month and year
// narrow a person down considerably in a small population.
func GeneralizeDate(unit DateUnit) Strategy {
	return dateStrategy{redactBase: defaultBase, unit: unit}
}

type dateStrategy struct {
	redactBase
	unit DateUnit
}

func (dateStrategy) String() string { return "generalize_date" }

func (d dateStrategy) maskTime(t time.Time, _ *cursor) time.Time {
	m := t.Month()
	if d.unit == Year {
		m = time.January
	}
	return time.Date(t.Year(), m, 1, 0, 0, 0, 0, t.Location())
}

var dateLayouts = [...]string{
	"2006-01-02",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999-07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

func (d dateStrategy) maskString(s string, c *cursor) string {
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		out := d.maskTime(t, c)
		if layout == "2006-01-02" {
			return out.Format(layout)
		}
		// Keep the shape of the input: same separators, no fraction.
		switch {
		case strings.Contains(s, "T"):
			return out.Format("2006-01-02T15:04:05" + zoneLayout(s))
		default:
			return out.Format("2006-01-02 15:04:05" + zoneLayout(s))
		}
	}
	return d.token
}

// zoneLayout returns the zone suffix layout s appears to carry.
func zoneLayout(s string) string {
	if len(s) < 11 {
		return ""
	}
	tail := s[10:]
	switch {
	case strings.HasSuffix(tail, "Z"):
		return "Z07:00"
	case strings.LastIndexAny(tail, "+-") >= 0:
		z := tail[strings.LastIndexAny(tail, "+-"):]
		if strings.Contains(z, ":") {
			return "-07:00"
		}
		return "-07"
	}
	return ""
}

// GeneralizeNumber replaces a number with the lower bound of the bucket of
// width step it falls in: with step 10, 37 becomes 30 and -3 becomes -10.
// Integers stay int64 (step is rounded to a whole number, at least 1),
// floats stay float64; a string or []byte holding a number is rewritten as
// its bucket's decimal text, and one that does not parse is replaced by
// [DefaultToken]. Times are redacted as [Redact] does. [New] refuses a step
// that is not positive.
//
// Preserves: the magnitude, to within step. Leaks: that magnitude; a narrow
// bucket over a rare value (a salary of 1,250,000) still singles it out.
func GeneralizeNumber(step float64) Strategy {
	return numberStrategy{redactBase: defaultBase, step: step}
}

type numberStrategy struct {
	redactBase
	step float64
}

func (numberStrategy) String() string { return "generalize_number" }

func (n numberStrategy) intStep() int64 {
	s := int64(math.Round(n.step))
	if s < 1 {
		return 1
	}
	return s
}

func (n numberStrategy) maskInt(v int64, _ *cursor) int64 {
	s := n.intStep()
	q := v / s
	if v%s != 0 && v < 0 {
		q--
	}
	return q * s
}

func (n numberStrategy) maskFloat(v float64, _ *cursor) float64 {
	if !(n.step > 0) || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Floor(v/n.step) * n.step
}

func (n numberStrategy) maskString(s string, c *cursor) string {
	t := strings.TrimSpace(s)
	if i, err := strconv.ParseInt(t, 10, 64); err == nil {
		return strconv.FormatInt(n.maskInt(i, c), 10)
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return strconv.FormatFloat(n.maskFloat(f, c), 'f', -1, 64)
	}
	return n.token
}
