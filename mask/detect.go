package mask

import (
	"slices"

	"github.com/hoophq/alcatraz"
)

// AnyEntity in Rule.Detect looks for every entity type the detector knows.
const AnyEntity = "*"

// Query is what a [Detector] is asked about one value.
type Query struct {
	// Text is the value, as text.
	Text string
	// Entities are the entity types the rule looks for.
	Entities []string
	// MinScore is the confidence below which a finding does not count.
	MinScore float64
}

// Detector finds sensitive content in a value. It must be safe for
// concurrent use, must not retain q.Text, and must never log it.
type Detector interface {
	// Detect reports whether q.Text holds one of q.Entities.
	Detect(q Query) bool
}

// DetectorFunc adapts a function to [Detector].
type DetectorFunc func(q Query) bool

// Detect calls f(q).
func (f DetectorFunc) Detect(q Query) bool { return f(q) }

// alcatrazDetector runs github.com/hoophq/alcatraz, whose engine is safe for
// concurrent use.
type alcatrazDetector struct {
	eng *alcatraz.Engine
}

func newAlcatraz() Detector {
	return alcatrazDetector{eng: alcatraz.NewEngine()}
}

func (a alcatrazDetector) Detect(q Query) bool {
	opts := alcatraz.Options{Entities: q.Entities}
	if slices.Contains(q.Entities, AnyEntity) {
		opts.Entities = nil
	}
	if q.MinScore > 0 {
		min := q.MinScore
		opts.Threshold = &min
	}
	return len(a.eng.Analyze(q.Text, opts)) > 0
}
