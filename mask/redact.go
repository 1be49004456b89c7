package mask

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"slices"
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

// MarshalJSON encodes the redacted copy of the original error (its code
// and fields, values redacted), or the redacted text: code that reads a
// driver error through JSON (GORM's PostgreSQL dialector does, for
// lib/pq) finds the SQLSTATE as with the raw driver.
func (e *RedactedError) MarshalJSON() ([]byte, error) {
	if e.err != nil {
		if b, err := json.Marshal(e.err); err == nil {
			return b, nil
		}
	}
	return json.Marshal(struct{ Message string }{e.msg})
}

// Unredacted returns the original error, values included. Never show it to
// the reader the values were masked from.
func (e *RedactedError) Unredacted() error { return e.orig }

// RedactErrorFor returns err, or a *[RedactedError] when err may quote a
// value that is masked for id (with unmask saying whether the guard granted
// clear values). [Masker.RedactError] is RedactErrorFor with an identity that
// no rule exempts: it redacts whenever a rule could mask the value.
//
// While any rule is in force for id, it redacts every quoted span of the
// error's text, whatever the message: everything from the first to the last
// single quote, and from the first to the last double quote (to the end of
// the text when a quote is unmatched), so that a value holding quotes of
// its own is covered too; the values of a PostgreSQL `Key (…)=(…)` and of
// `Failing row contains (…)`, which are not quoted; and everything after a
// "Detail:" label. The structured fields of the error get the same
// treatment, and the free-form ones that PostgreSQL fills with unquoted input
// (Detail, other than a key or failing-row detail, Where and
// InternalQuery) are replaced whole. When no rule is in force for id, and
// when there is nothing to redact, err itself is returned (so identity
// comparisons such as err == driver.ErrBadConn still hold). See the package
// documentation for what this cannot catch.
//
// Names are not values: a quoted span that holds only names — those the
// statement wrote (keep: its tables, columns, aliases and functions, as
// the caller spelled them) and those the error's own name fields carry
// (pq's Constraint, Table, Column; pgconn's ConstraintName…) — is kept,
// with those fields, so `column "emial" does not exist` and a unique
// violation's constraint stay readable and errors.As(&pq.Error{}) and
// SQLSTATE checks keep working. A span is kept whole or redacted whole:
// one value anywhere in it redacts it all. keep may also hold the
// statement's text: a value the caller wrote is no secret from it, and an
// error that keeps the text (lib/pq does) can then still be unwrapped.
//
// In a Message field, everything after the first ": " is redacted too, where
// PostgreSQL and MySQL put the variable part of a message, quoted or not.
// What it cannot catch is a value the engine prints without quotes outside
// a Message field, a known field and the forms above: an error of an
// unknown type that writes a value bare (SQLite's "no such column: x"
// writes an identifier that way) passes as it is, and so does a message a
// routine raises with the value bare (PostgreSQL's RAISE EXCEPTION 'no %',
// email; MariaDB's SIGNAL … SET MESSAGE_TEXT = email) when it holds no
// colon and no quote. A reader who can make the engine fail on chosen
// input has a side channel no redaction closes entirely (whether a
// statement failed at all says something about a value): where that
// matters, have the guard refuse such readers statements that compute over
// masked columns.
func (m *Masker) RedactErrorFor(id identity.Identity, unmask bool, err error, keep ...string) error {
	if m == nil || err == nil || m.RuleInForce(id, unmask) == "" {
		return err
	}
	r := redactor{names: errorNames(err, keep), written: keep}
	msg, secrets := r.text(err.Error(), nil)
	walkErrors(err, 0, func(e error) {
		eachStringField(e, func(name, s string) { _, secrets = r.field(name, s, secrets) })
	})
	if r.allWritten(secrets) {
		// Nothing but what the caller wrote or bound (the value of its
		// own INSERT in a unique violation): the error as it is, type
		// and all.
		return err
	}
	clean := r.sanitize(err, secrets)
	if clean != nil {
		msg = clean.Error()
	} else {
		msg = replaceSecrets(msg, secrets)
	}
	return &RedactedError{msg: msg, err: clean, orig: err}
}

// redactor removes quoted values from error text, keeping names.
type redactor struct {
	// names are the lowercase names a quoted span may hold and be kept.
	names map[string]bool
	// written is what the caller wrote (see RedactErrorFor's keep).
	written []string
}

// allWritten reports whether every secret is, exactly, something the
// caller wrote or bound (a whole argument, a name of its text). Exact:
// a value merely contained in the caller's text (one of many guesses in
// an IN list) is still redacted.
func (r redactor) allWritten(secrets []string) bool {
	for _, x := range secrets {
		if x == Redacted || x == "" {
			continue
		}
		if !slices.Contains(r.written, x) {
			return false
		}
	}
	return true
}

// knownToCaller reports whether x appears in what the caller wrote.
func (r redactor) knownToCaller(x string) bool {
	for _, w := range r.written {
		if strings.Contains(w, x) {
			return true
		}
	}
	return false
}

// nameFields are the structured fields of driver errors that hold the
// names of database objects, or codes, never values: kept as they are.
var nameFields = map[string]bool{
	"Schema": true, "Table": true, "Column": true, "DataTypeName": true, "Constraint": true,
	"SchemaName": true, "TableName": true, "ColumnName": true, "ConstraintName": true,
	"Code": true, "SQLState": true, "Severity": true, "SeverityUnlocalized": true,
	"Routine": true, "File": true, "Line": true, "Position": true, "InternalPosition": true,
}

// errorNames collects the names a quoted span of err may hold: keep, and
// the name fields of err and of every error it wraps.
func errorNames(err error, keep []string) map[string]bool {
	names := make(map[string]bool, len(keep)+4)
	add := func(s string) {
		if s == "" || len(s) > 128 {
			return
		}
		names[strings.ToLower(s)] = true
		// A qualified name is quoted whole or by its parts.
		if i := strings.LastIndexByte(s, '.'); i >= 0 {
			names[strings.ToLower(s[i+1:])] = true
		}
	}
	for _, k := range keep {
		add(k)
	}
	walkErrors(err, 0, func(e error) {
		eachStringField(e, func(name, s string) {
			if nameFields[name] && name != "Code" && name != "SQLState" {
				add(s)
			}
		})
	})
	// Phrases MySQL quotes beside a name: where the name was read.
	for _, p := range [...]string{"field list", "where clause", "on clause", "order clause", "group statement", "having clause", "IN/ALL/ANY subquery"} {
		names[strings.ToLower(p)] = true
	}
	return names
}

// onlyNames reports whether the text of a quoted span (between its first
// and last quote q) holds names only: every piece between quotes q is a
// name of r, and the text between pieces is glue (" in ", ".", ", ").
// name reports whether p is a name: one the error or the caller names,
// or a qualified name (MariaDB's 'db.table') each of whose parts is one.
func (r redactor) name(p string) bool {
	p = strings.ToLower(p)
	if r.names[p] {
		return true
	}
	if !strings.Contains(p, ".") {
		return false
	}
	for part := range strings.SplitSeq(p, ".") {
		if !r.names[part] {
			return false
		}
	}
	return true
}

// contraction reports whether the apostrophe at s[i] is that of an
// engine's "doesn't", "can't", "isn't": n't at the end of a word. Only
// that form: an apostrophe elsewhere (O'Brien) may be part of a value.
func contraction(s string, i int) bool {
	letter := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	return i > 1 && i+1 < len(s) && s[i-1] == 'n' && letter(s[i-2]) && s[i+1] == 't' &&
		(i+2 == len(s) || !letter(s[i+2]))
}

func (r redactor) onlyNames(v string, q byte) bool {
	if len(r.names) == 0 || v == "" {
		return false
	}
	pieces := strings.Split(v, string(q))
	for k, p := range pieces {
		if k%2 == 0 {
			if !r.name(p) {
				return false
			}
			continue
		}
		switch strings.TrimSpace(p) {
		case "in", ".", ",", "", "for key", "at", "of relation", "of table":
		default:
			return false
		}
	}
	return true
}

// wholeFields are the structured fields of driver errors (lib/pq's
// pq.Error, pgx's pgconn.PgError) whose free-form text PostgreSQL builds from
// the input without quoting it: xmlparse's parser message and JSON's
// "Token … is invalid" in Detail, "JSON data, line 1: …" in Where, the
// query of a function in InternalQuery.
var wholeFields = map[string]bool{"Detail": true, "Where": true, "InternalQuery": true}

// field redacts the structured field name holding s, appending what it
// removed to secrets.
func (r redactor) field(name, s string, secrets []string) (string, []string) {
	if s == "" || s == Redacted || nameFields[name] {
		return s, secrets
	}
	if wholeFields[name] && !strings.HasPrefix(s, "Key (") && !strings.HasPrefix(s, failingRow) {
		return Redacted, append(secrets, s)
	}
	// A PostgreSQL or MySQL message puts its variable part after a colon,
	// quoted or not ("improper relation name (too many dotted names): a.b.c").
	if name == "Message" {
		if i := strings.Index(s, ": "); i >= 0 {
			if tail := s[i+2:]; strings.Trim(tail, "\"' ") != Redacted && !r.names[strings.ToLower(strings.Trim(tail, "\"' "))] {
				head, secrets := r.text(s[:i], secrets)
				return head + ": " + Redacted, append(secrets, tail)
			}
		}
	}
	return r.text(s, secrets)
}

// replaceSecrets replaces what the fields of an error gave up in msg, the
// error's text, which may print them unquoted (a message after a prefix).
func replaceSecrets(msg string, secrets []string) string {
	s := slices.Clone(secrets)
	slices.SortFunc(s, func(a, b string) int { return len(b) - len(a) })
	for _, x := range s {
		if len(x) > 2 && x != Redacted {
			msg = strings.ReplaceAll(msg, x, Redacted)
		}
	}
	return msg
}

const failingRow = "Failing row contains ("

// MySQL's duplicate key message: Duplicate entry '<value>' for key '<name>'.
const (
	dupEntry = "Duplicate entry '"
	dupKey   = "' for key '"
)

var detailLabel = regexp.MustCompile(`(?i)\bdetail:`)

// span is a half-open byte range of a text to redact.
type span struct{ start, end int }

// text redacts s and appends what it removed to secrets. It is idempotent:
// a span that is already [Redacted] is not counted again.
func (r redactor) text(s string, secrets []string) (string, []string) {
	if s == "" {
		return s, secrets
	}
	spans := r.spans(s)
	if len(spans) == 0 {
		return s, secrets
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	changed := false
	for _, sp := range spans {
		v := s[sp.start:sp.end]
		if v == "" || v == Redacted {
			continue
		}
		changed = true
		secrets = append(secrets, v)
		b.WriteString(s[last:sp.start])
		b.WriteString(Redacted)
		last = sp.end
	}
	if !changed {
		return s, secrets
	}
	b.WriteString(s[last:])
	return b.String(), secrets
}

// spans returns the ranges of s to redact, sorted and disjoint.
func (r redactor) spans(s string) []span {
	var out []span
	// Values the engines write without quotes, in forms whose end is known.
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
		vs := i + j + len(")=(")
		ve := keyValueEnd(s, vs)
		out = append(out, span{vs, ve})
		off = max(ve, vs+1)
	}
	if i := strings.Index(s, failingRow); i >= 0 {
		vs := i + len(failingRow)
		ve := len(s)
		if k := strings.LastIndexByte(s[vs:], ')'); k >= 0 {
			ve = vs + k
		}
		out = append(out, span{vs, ve})
	}
	if loc := detailLabel.FindStringIndex(s); loc != nil {
		vs := loc[1]
		for vs < len(s) && (s[vs] == ' ' || s[vs] == '\t') {
			vs++
		}
		out = append(out, span{vs, len(s)})
	}
	// MySQL's duplicate key: the value runs to the last "' for key '", and
	// what follows is the key's name, which the server writes.
	var skip []span
	if i := strings.Index(s, dupEntry); i >= 0 {
		vs := i + len(dupEntry)
		if j := strings.LastIndex(s, dupKey); j >= vs {
			end := len(s)
			if k := strings.LastIndexByte(s, '\''); k > j+len(dupKey)-1 {
				end = k + 1
			}
			out = append(out, span{vs, j})
			skip = append(skip, span{vs - 1, end})
		}
	}
	// Quoted spans: from the first quote to the last of each kind, outside
	// the ranges above (a key value may hold a quote of its own), each kind
	// on its own: a quote of one kind inside a span of the other still
	// counts, or a value holding both would be cut short.
	structural := len(out)
	for _, q := range [...]byte{'\'', '"'} {
		first, last := -1, -1
		for i := 0; i < len(s); i++ {
			if s[i] != q || inSpans(out[:structural], i) || inSpans(skip, i) || (q == '\'' && contraction(s, i)) {
				continue
			}
			if first < 0 {
				first = i
			}
			last = i
		}
		switch {
		case first < 0:
		case last == first:
			out = append(out, span{first + 1, len(s)})
		case r.onlyNames(s[first+1:last], q):
			// Names only (column "emial", constraint "items_sku_key"): kept.
		default:
			out = append(out, span{first + 1, last})
		}
	}
	return mergeSpans(out)
}

func inSpans(spans []span, i int) bool {
	for _, sp := range spans {
		if i >= sp.start && i < sp.end {
			return true
		}
	}
	return false
}

// mergeSpans sorts spans and joins those that overlap or touch.
func mergeSpans(spans []span) []span {
	if len(spans) < 2 {
		return spans
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	out := spans[:1]
	for _, sp := range spans[1:] {
		if top := &out[len(out)-1]; sp.start <= top.end {
			top.end = max(top.end, sp.end)
			continue
		}
		out = append(out, sp)
	}
	return out
}

var keyTails = []string{") already exists", ") is not present in table", ") is still referenced from table", ") conflicts with existing key"}

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
// or nil when the copy would still hold something to redact (an error type
// keeping text in unexported fields, or wrapping another error).
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
	// Each field must be clean by itself, and no text of the copy may hold
	// what was removed. The copy's Error() is not redacted again: it joins
	// the fields to other text (pq's " (SQLSTATE)"), which would move the
	// end of a span left open by an unmatched quote.
	var left []string
	walkErrors(out, 0, func(e error) {
		text := e.Error()
		eachStringField(e, func(name, s string) {
			text += "\x00" + s
			if s != "" && r.knownToCaller(s) {
				return // the caller's own text (lib/pq keeps the query)
			}
			_, left = r.field(name, s, left)
		})
		for _, x := range secrets {
			if len(x) > 2 && x != Redacted && strings.Contains(text, x) && !r.knownToCaller(x) {
				left = append(left, x)
			}
		}
	})
	if len(left) > 0 {
		return nil
	}
	return out
}

func (r redactor) redactFields(v reflect.Value) {
	t := v.Type()
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.String && f.CanSet() {
			s, _ := r.field(t.Field(i).Name, f.String(), nil)
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

// eachStringField calls f with the name and text of every string and
// []byte field of the struct err is or points to, exported or not.
func eachStringField(err error, f func(name, s string)) {
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
	t := v.Type()
	for i := range v.NumField() {
		fv := v.Field(i)
		switch {
		case fv.Kind() == reflect.String:
			f(t.Field(i).Name, fv.String())
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Uint8:
			f(t.Field(i).Name, string(fv.Bytes()))
		}
	}
}
