package mask

import (
	"slices"
	"strings"

	"github.com/hoophq/alcatraz"
)

// AnyEntity in Rule.Detect looks for every entity type the detector knows.
const AnyEntity = "*"

// Candidate is a value a [Detector] examines, with what to look for.
type Candidate struct {
	// Text is the value, as text.
	Text string
	// Entities are the entity types the rule looks for.
	Entities []string
	// MinScore is the confidence below which a finding does not count.
	MinScore float64
}

// Match is where a [Detector] found an entity: the bytes
// Text[Start:End] of the value.
type Match struct {
	Start, End int
}

// Detector finds sensitive content in a value. It must be safe for
// concurrent use, must not retain q.Text, and must never log it.
//
// Column rules cost almost nothing per value and never miss a column they
// name: prefer them whenever the schema is known. Detection (by default
// github.com/hoophq/alcatraz, pure Go) runs on every text value of the
// columns it applies to, costs microseconds per value (BenchmarkDetect),
// and errs both ways. Measured by TestDetectionFalsePositives on 2,000
// ordinary, PII-free values of each kind:
//
//	random nine-digit ids    US_SSN 88%  (also ABA routing, AU TFN/ACN, US ITIN)
//	"SKU-123-45-6789" codes  US_SSN 89%
//	ten-digit invoice numbers  PHONE_NUMBER 100%
//	dates (2024-03-15)       DATE_TIME 100%
//	16-digit order numbers   CREDIT_CARD 4% (those that pass Luhn)
//	UUIDs, prices            nothing at a score of 0.5
//
// MinScore does not help with the SSN case: alcatraz raises a bare number
// that passes its SSN validation to score 1. Use detection for free-text
// columns and schemas you do not control; name the entity types you expect
// rather than [AnyEntity]; keep it off columns of numbers and codes. A
// detected value is masked as a whole, or, with Rule.MaskSpans, only where
// the detector found something.
type Detector interface {
	// Detect returns where q.Text holds one of q.Entities; none when it
	// holds none.
	Detect(q Candidate) []Match
}

// DetectorFunc adapts a function to [Detector].
type DetectorFunc func(q Candidate) []Match

// Detect calls f(q).
func (f DetectorFunc) Detect(q Candidate) []Match { return f(q) }

// alcatrazDetector runs github.com/hoophq/alcatraz, whose engine is safe for
// concurrent use.
type alcatrazDetector struct {
	eng *alcatraz.Engine
}

func newAlcatraz() Detector {
	return alcatrazDetector{eng: alcatraz.NewEngine()}
}

func (a alcatrazDetector) Detect(q Candidate) []Match {
	opts := alcatraz.Options{Entities: q.Entities}
	if slices.Contains(q.Entities, AnyEntity) {
		opts.Entities = nil
	}
	if q.MinScore > 0 {
		min := q.MinScore
		opts.Threshold = &min
	}
	found := a.eng.Analyze(q.Text, opts)
	if len(found) == 0 {
		return nil
	}
	spans := make([]Match, len(found))
	for i, r := range found {
		spans[i] = Match{Start: r.Start, End: r.End}
	}
	return spans
}

// maskSpans returns text with each span replaced by its masked form under
// s, or ok false when a span is out of range (the caller then masks the
// whole value).
func maskSpans(text string, spans []Match, s Strategy, c *cursor) (out string, ok bool) {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b Match) int { return a.Start - b.Start })
	var b strings.Builder
	b.Grow(len(text))
	at := 0
	for i := 0; i < len(spans); i++ {
		sp := spans[i]
		if sp.Start < 0 || sp.End > len(text) || sp.Start >= sp.End {
			return "", false
		}
		// Merge overlapping and touching spans into one.
		for i+1 < len(spans) && spans[i+1].Start <= sp.End {
			i++
			if spans[i].End > len(text) || spans[i].Start >= spans[i].End {
				return "", false
			}
			sp.End = max(sp.End, spans[i].End)
		}
		if sp.Start < at {
			sp.Start = at
		}
		b.WriteString(text[at:sp.Start])
		b.WriteString(s.maskString(text[sp.Start:sp.End], c))
		at = sp.End
	}
	b.WriteString(text[at:])
	return b.String(), true
}
