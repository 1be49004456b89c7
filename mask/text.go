package mask

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

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

func (p partialStrategy) maskString(s string, c *cursor) string {
	if isASCII(s) {
		b := c.alloc(len(s))
		partialASCII(b, s, p.first, p.last)
		return c.str(b)
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
	partialASCII(out, b, p.first, p.last)
	return out
}

// partialASCII writes into dst, as long as the ASCII src, src with every
// character but the first and last ones replaced by '*' (all of them when
// src is no longer than first+last).
func partialASCII[T string | []byte](dst []byte, src T, first, last int) {
	keep := len(src) > first+last
	for i := range dst {
		if keep && (i < first || i >= len(src)-last) {
			dst[i] = src[i]
		} else {
			dst[i] = '*'
		}
	}
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

func (e emailStrategy) maskString(s string, c *cursor) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || !plainDomain(s[at+1:]) {
		return e.token
	}
	b := c.alloc(len(e.token) + len(s) - at)
	n := copy(b, e.token)
	copy(b[n:], s[at:])
	return c.str(b)
}

// plainDomain reports whether the part of an address after its last '@'
// holds none of the characters that end an address in running text.
func plainDomain[T string | []byte](d T) bool {
	for i := range len(d) {
		switch d[i] {
		case ' ', '\t', '\r', '\n', '<', '>', ',', ';':
			return false
		}
	}
	return true
}

func (e emailStrategy) maskBytes(b []byte, c *cursor) []byte {
	at := bytes.LastIndexByte(b, '@')
	if at <= 0 || at == len(b)-1 || !plainDomain(b[at+1:]) {
		return []byte(e.token)
	}
	out := c.bytes(len(e.token) + len(b) - at)
	n := copy(out, e.token)
	copy(out[n:], b[at:])
	return out
}
