package engine

import "time"

// period is a calendar day or month in the configured time zone.
type period struct {
	start, end time.Time
}

func dayOf(t time.Time, loc *time.Location) period {
	lt := t.In(loc)
	start := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	return period{start: start, end: start.AddDate(0, 0, 1)}
}

func monthOf(t time.Time, loc *time.Location) period {
	lt := t.In(loc)
	start := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, loc)
	return period{start: start, end: start.AddDate(0, 1, 0)}
}

func (p period) contains(t time.Time) bool { return !t.Before(p.start) && t.Before(p.end) }

// elapsed is the share of the period gone at t, 0..1; a day with a DST
// change has 23 or 25 hours and is measured as such.
func (p period) elapsed(t time.Time) float64 {
	total := p.end.Sub(p.start)
	done := t.Sub(p.start)
	switch {
	case done <= 0:
		return 0
	case done >= total:
		return 1
	}
	return float64(done) / float64(total)
}
