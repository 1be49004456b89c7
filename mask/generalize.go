package mask

import (
	"math"
	"strconv"
	"strings"
	"time"
)

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
