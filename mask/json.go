package mask

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// JSONField masks the values found at Path inside a JSON document with
// Strategy. Build one with [Field].
type JSONField struct {
	// Path is a dot-separated list of object keys; "*" matches every key of
	// an object and every element of an array, and a number matches that
	// element of an array: "ssn", "contact.email", "cards.*.number". A
	// leading "$." is accepted and ignored.
	Path string
	// Strategy masks the value found. A value that is an object or an array
	// is replaced as a whole by the masked form of its JSON text, as a JSON
	// string.
	Strategy Strategy
}

// Field returns the JSONField masking path with s.
func Field(path string, s Strategy) JSONField { return JSONField{Path: path, Strategy: s} }

// JSON masks fields inside a JSON document held in a string or []byte
// (text, json and jsonb columns): each field's values are masked with its
// strategy, typed as JSON types are (a JSON string as a string, a JSON
// number as an int64 or float64, true/false as a bool). The document is
// re-encoded compactly, with object keys in sorted order. A value that is
// not valid JSON is replaced by the JSON text "null"; other types are
// redacted as [Redact] does. [New] refuses an empty or malformed path.
//
// Preserves: the document's structure and every field not listed. Leaks:
// every field not listed, and the shape (which keys exist, array lengths).
// List fields by what they are, not by where they happen to be today: a
// "*.email" path catches an e-mail added at a new place.
func JSON(fields ...JSONField) Strategy {
	j := jsonStrategy{redactBase: defaultBase}
	for _, f := range fields {
		p := strings.TrimPrefix(f.Path, "$.")
		var segs []string
		if p != "" {
			segs = strings.Split(p, ".")
		}
		j.fields = append(j.fields, jsonPath{raw: f.Path, segs: segs, s: f.Strategy})
	}
	return j
}

type jsonPath struct {
	raw  string
	segs []string
	s    Strategy
}

type jsonStrategy struct {
	redactBase
	fields []jsonPath
}

func (jsonStrategy) String() string { return "json" }

func (j jsonStrategy) needsKey() bool {
	for _, f := range j.fields {
		if f.s != nil && f.s.needsKey() {
			return true
		}
	}
	return false
}

// validate reports a malformed field list.
func (j jsonStrategy) validate() error {
	if len(j.fields) == 0 {
		return errors.New("JSON needs at least one field")
	}
	for _, f := range j.fields {
		if len(f.segs) == 0 {
			return fmt.Errorf("JSON field path %q is empty", f.raw)
		}
		for _, s := range f.segs {
			if s == "" {
				return fmt.Errorf("JSON field path %q has an empty segment", f.raw)
			}
		}
		if f.s == nil {
			return fmt.Errorf("JSON field %q has no strategy", f.raw)
		}
		if err := validateStrategy(f.s); err != nil {
			return fmt.Errorf("JSON field %q: %w", f.raw, err)
		}
	}
	return nil
}

const jsonNull = "null"

func (j jsonStrategy) maskString(s string, c *cursor) string {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return jsonNull
	}
	if _, err := dec.Token(); err != io.EOF {
		return jsonNull // trailing data
	}
	for _, f := range j.fields {
		doc = maskJSON(doc, f.segs, f.s, c)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return jsonNull
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// maskJSON returns v with the values at segs masked by s.
func maskJSON(v any, segs []string, s Strategy, c *cursor) any {
	if len(segs) == 0 {
		return maskJSONLeaf(v, s, c)
	}
	seg, rest := segs[0], segs[1:]
	switch x := v.(type) {
	case map[string]any:
		if seg == "*" {
			for k, e := range x {
				x[k] = maskJSON(e, rest, s, c)
			}
		} else if e, ok := x[seg]; ok {
			x[seg] = maskJSON(e, rest, s, c)
		}
	case []any:
		if seg == "*" {
			for i, e := range x {
				x[i] = maskJSON(e, rest, s, c)
			}
		} else if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(x) {
			x[i] = maskJSON(x[i], rest, s, c)
		}
	}
	return v
}

func maskJSONLeaf(v any, s Strategy, c *cursor) any {
	if _, ok := s.(nullStrategy); ok {
		return nil
	}
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return s.maskString(x, c)
	case bool:
		return s.maskBool(x, c)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return json.Number(strconv.FormatInt(s.maskInt(i, c), 10))
		}
		if f, err := x.Float64(); err == nil {
			return json.Number(strconv.FormatFloat(s.maskFloat(f, c), 'g', -1, 64))
		}
		return s.maskString(x.String(), c)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return DefaultToken
		}
		return s.maskString(string(b), c)
	}
}
