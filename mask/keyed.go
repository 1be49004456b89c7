package mask

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"time"
)

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
