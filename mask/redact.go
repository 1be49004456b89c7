package mask

import (
	"errors"
	"reflect"
	"regexp"
	"strings"

	"github.com/sqlvigil/sqlvigil/identity"
)

// ErrRedacted matches an error returned by [Masker.RedactError] whose text
// was redacted. Use errors.Is; use errors.As with *RedactedError for more.
var ErrRedacted = errors.New("mask: database error redacted")

// Redacted is the text that replaces a value quoted in a database error.
const Redacted = "[redacted]"

// RedactedError is a database error that quoted values of masked columns,
// with those values removed.
//
// Its text is the original's with each quoted value replaced by
// [Redacted]. It unwraps to a copy of the original error whose exported
// string fields (the PostgreSQL Detail, the MySQL Message) are redacted the
// same way, so errors.As(err, &pqErr), errors.Is with the driver's own
// matching and SQLSTATE checks keep working; when no such copy can be made
// that is free of the values (an error type holding them in unexported
// fields), it unwraps to nothing, and errors.Is still reports whether the
// original matched. The original error is kept, not printed, and returned
// only by [RedactedError.Unredacted], for code that deliberately asks for it.
type RedactedError struct {
	msg  string
	err  error
	orig error
}

// Error returns the redacted text.
func (e *RedactedError) Error() string { return e.msg }

// GoString keeps %#v from printing the original error.
func (e *RedactedError) GoString() string { return "&mask.RedactedError{" + e.msg + "}" }

// Unwrap returns the redacted copy of the original error, or nil.
func (e *RedactedError) Unwrap() error { return e.err }

// Is reports whether target is [ErrRedacted], or, when no redacted copy
// could be made, whether the original error matches target.
func (e *RedactedError) Is(target error) bool {
	if target == ErrRedacted {
		return true
	}
	return e.err == nil && errors.Is(e.orig, target)
}

// Unredacted returns the original error, values included. Never show it to
// the reader the values were masked from.
func (e *RedactedError) Unredacted() error { return e.orig }

// RedactErrorFor returns err, or a *[RedactedError] when err quotes a value
// that is masked for id (with unmask saying whether the guard granted clear
// values). [Masker.RedactError] is RedactErrorFor with an identity that no
// rule exempts: it redacts whenever a rule could mask the value.
//
// It recognises the value-quoting errors of PostgreSQL (`Key (email)=(…)`
// of unique, foreign-key and exclusion violations, `Failing row contains
// (…)`, `invalid input syntax for type …: "…"`, `value "…" is out of
// range`), MySQL/MariaDB (`Duplicate entry '…' for key …`, `Incorrect …
// value: '…'`) and leaves other errors, and every error when no rule is in
// force for id, untouched (the same value, so identity comparisons such as
// err == driver.ErrBadConn still hold). A PostgreSQL key value is redacted
// when a rule in force selects one of the key's columns by name; values the
// message does not attribute to a column are redacted whenever any rule is
// in force.
func (m *Masker) RedactErrorFor(id identity.Identity, unmask bool, err error) error {
	if m == nil || err == nil {
		return err
	}
	r := redactor{m: m, id: id, unmask: unmask}
	if !r.anyActive() {
		return err
	}
	msg, secrets := r.text(err.Error(), nil)
	walkErrors(err, 0, func(e error) {
		eachStringField(e, func(s string) { _, secrets = r.text(s, secrets) })
	})
	if len(secrets) == 0 {
		return err
	}
	return &RedactedError{msg: msg, err: r.sanitize(err, secrets), orig: err}
}

type redactor struct {
	m      *Masker
	id     identity.Identity
	unmask bool
}

func (r redactor) anyActive() bool {
	for i := range r.m.columns {
		if r.m.columns[i].active(r.id, r.unmask) {
			return true
		}
	}
	for i := range r.m.detection {
		if r.m.detection[i].active(r.id, r.unmask) {
			return true
		}
	}
	return false
}

var identRe = regexp.MustCompile(`"(?:[^"]|"")+"|[\pL_][\pL\pN_$]*`)

// keyMasked reports whether a PostgreSQL key column list ("email",
// "tenant, lower(email::text)") names a column masked for the reader.
func (r redactor) keyMasked(cols string) bool {
	idents := identRe.FindAllString(cols, -1)
	if len(idents) == 0 {
		return true
	}
	for _, id := range idents {
		name := strings.ToLower(strings.ReplaceAll(strings.Trim(id, `"`), `""`, `"`))
		for i := range r.m.columns {
			c := &r.m.columns[i]
			if c.active(r.id, r.unmask) && c.matchName(name, true) {
				return true
			}
		}
		for i := range r.m.detection {
			c := &r.m.detection[i]
			if c.active(r.id, r.unmask) && (!c.hasSelectors() || c.matchName(name, true)) {
				return true
			}
		}
	}
	return false
}

// quoted is a value-quoting error pattern: the value starts where open
// matches and ends at the last occurrence of one of the closers after it
// (the last quote, the end of the text, as a fallback: fail closed).
type quoted struct {
	open    *regexp.Regexp
	closers []string
	// needCloser: without a closer the text is not this message.
	needCloser bool
}

var quotedPatterns = []quoted{
	{regexp.MustCompile(`Failing row contains \(`), []string{")"}, false},
	{regexp.MustCompile(`Duplicate entry '`), []string{"' for key", "'"}, false},
	{regexp.MustCompile(`(?i)incorrect [^:']{1,80} value: '`), []string{"' for column", "'"}, false},
	{regexp.MustCompile(`invalid input (?:syntax|value) for [^:"]{1,120}: "`), []string{`"`}, false},
	{regexp.MustCompile(`malformed [a-z ]{1,40} literal: "`), []string{`"`}, false},
	{regexp.MustCompile(`value "`), []string{`" is out of range`}, true},
	{regexp.MustCompile(`(?i)value too long for column '[^']*' \(value: '`), []string{"')", "'"}, false},
}

var keyTails = []string{") already exists", ") is not present in table", ") is still referenced from table", ") conflicts with existing key"}

// text redacts s and appends what it removed to secrets.
func (r redactor) text(s string, secrets []string) (string, []string) {
	if s == "" {
		return s, secrets
	}
	var b strings.Builder
	rest := s
	changed := false
	for {
		start, end, ok := r.nextValue(rest)
		if !ok {
			break
		}
		if !changed {
			b.Grow(len(s))
			changed = true
		}
		secrets = append(secrets, rest[start:end])
		b.WriteString(rest[:start])
		b.WriteString(Redacted)
		rest = rest[end:]
	}
	if !changed {
		return s, secrets
	}
	b.WriteString(rest)
	return b.String(), secrets
}

// nextValue finds the first value in s to redact.
func (r redactor) nextValue(s string) (start, end int, ok bool) {
	best := -1
	bestEnd := 0
	// PostgreSQL "Key (cols)=(values)".
	for off := 0; off < len(s); {
		i := indexKey(s[off:])
		if i < 0 {
			break
		}
		i += off
		j := strings.Index(s[i:], ")=(")
		if j < 0 {
			break
		}
		cols := s[i+len("key (") : i+j]
		vs := i + j + len(")=(")
		if r.keyMasked(cols) {
			best = vs
			bestEnd = keyValueEnd(s, vs)
			break
		}
		off = vs
	}
	for _, q := range quotedPatterns {
		loc := q.open.FindStringIndex(s)
		if loc == nil || (best >= 0 && loc[1] >= best) {
			continue
		}
		vs := loc[1]
		ve := -1
		for _, c := range q.closers {
			if k := strings.LastIndex(s[vs:], c); k >= 0 {
				ve = vs + k
				break
			}
		}
		if ve < 0 {
			if q.needCloser {
				continue
			}
			ve = len(s)
		}
		best, bestEnd = vs, ve
	}
	if best < 0 || bestEnd <= best {
		return 0, 0, false
	}
	return best, bestEnd, true
}

// indexKey returns the index of the first "Key (" or "key (" in s, or -1.
func indexKey(s string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], "ey (")
		if i < 0 {
			return -1
		}
		i += off
		if i > 0 && (s[i-1] == 'K' || s[i-1] == 'k') {
			return i - 1
		}
		off = i + 1
	}
}

// keyValueEnd returns where the key value starting at vs ends.
func keyValueEnd(s string, vs int) int {
	end := -1
	for _, t := range keyTails {
		if k := strings.LastIndex(s[vs:], t); k >= 0 && vs+k > end {
			end = vs + k
		}
	}
	if end >= 0 {
		return end
	}
	if k := strings.LastIndexByte(s[vs:], ')'); k >= 0 {
		return vs + k
	}
	return len(s)
}

// sanitize returns a copy of err with its exported string fields redacted,
// or nil when the copy would still hold a secret.
func (r redactor) sanitize(err error, secrets []string) error {
	v := reflect.ValueOf(err)
	var cp reflect.Value
	switch {
	case v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct:
		cp = reflect.New(v.Elem().Type())
		cp.Elem().Set(v.Elem())
		r.redactFields(cp.Elem())
	case v.Kind() == reflect.Struct:
		cp = reflect.New(v.Type()).Elem()
		cp.Set(v)
		r.redactFields(cp)
	default:
		return nil
	}
	out, ok := cp.Interface().(error)
	if !ok {
		return nil
	}
	clean := true
	check := func(s string) {
		for _, sec := range secrets {
			if len(sec) >= 4 && strings.Contains(s, sec) {
				clean = false
			}
		}
	}
	walkErrors(out, 0, func(e error) {
		check(e.Error())
		eachStringField(e, check)
	})
	if !clean {
		return nil
	}
	return out
}

func (r redactor) redactFields(v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.String && f.CanSet() {
			s, _ := r.text(f.String(), nil)
			f.SetString(s)
		}
	}
}

// walkErrors calls f on err and every error it wraps.
func walkErrors(err error, depth int, f func(error)) {
	if err == nil || depth > 32 {
		return
	}
	f(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walkErrors(u.Unwrap(), depth+1, f)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkErrors(e, depth+1, f)
		}
	}
}

// eachStringField calls f on every string and []byte field of the struct
// err is or points to, exported or not.
func eachStringField(err error, f func(string)) {
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	for i := range v.NumField() {
		fv := v.Field(i)
		switch {
		case fv.Kind() == reflect.String:
			f(fv.String())
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Uint8:
			f(string(fv.Bytes()))
		}
	}
}
