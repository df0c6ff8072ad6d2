package route

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TimeIntervalConfig is one recurring window, e.g. Sunday 02:00-04:00 in
// Europe/Berlin. Empty fields do not restrict. A named time interval is a
// list of these; it is active when any of them is.
type TimeIntervalConfig struct {
	Location    string      `mapstructure:"location"`
	Times       []TimeRange `mapstructure:"times"`
	Weekdays    []string    `mapstructure:"weekdays"`
	DaysOfMonth []string    `mapstructure:"days_of_month"`
}

// TimeRange is a clock range "HH:MM" to "HH:MM" (end exclusive; 24:00 ok).
type TimeRange struct {
	StartTime string `mapstructure:"start_time"`
	EndTime   string `mapstructure:"end_time"`
}

// TimeInterval is a compiled TimeIntervalConfig.
type TimeInterval struct {
	loc      *time.Location
	minutes  [][2]int // [start,end) minutes of the day
	weekdays [][2]int // inclusive ranges, Sunday = 0
	days     [][2]int // inclusive ranges, negative counts from month end
}

var weekdayNames = map[string]int{"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6}

// CompileTimeInterval validates and compiles cfg.
func CompileTimeInterval(cfg TimeIntervalConfig) (*TimeInterval, error) {
	ti := &TimeInterval{loc: time.UTC}
	if cfg.Location != "" {
		loc, err := time.LoadLocation(cfg.Location)
		if err != nil {
			return nil, fmt.Errorf("location: %w", err)
		}
		ti.loc = loc
	}
	for _, tr := range cfg.Times {
		s, err := parseClock(tr.StartTime)
		if err != nil {
			return nil, fmt.Errorf("times.start_time: %w", err)
		}
		e, err := parseClock(tr.EndTime)
		if err != nil {
			return nil, fmt.Errorf("times.end_time: %w", err)
		}
		if e <= s {
			return nil, fmt.Errorf("times: end_time %s must be after start_time %s", tr.EndTime, tr.StartTime)
		}
		ti.minutes = append(ti.minutes, [2]int{s, e})
	}
	for _, w := range cfg.Weekdays {
		r, err := parseRange(strings.ToLower(w), func(s string) (int, error) {
			d, ok := weekdayNames[s]
			if !ok {
				return 0, fmt.Errorf("unknown weekday %q", s)
			}
			return d, nil
		})
		if err != nil {
			return nil, fmt.Errorf("weekdays: %w", err)
		}
		ti.weekdays = append(ti.weekdays, r)
	}
	for _, d := range cfg.DaysOfMonth {
		r, err := parseRange(d, func(s string) (int, error) {
			n, err := strconv.Atoi(s)
			if err != nil || n == 0 || n < -31 || n > 31 {
				return 0, fmt.Errorf("invalid day of month %q", s)
			}
			return n, nil
		})
		if err != nil {
			return nil, fmt.Errorf("days_of_month: %w", err)
		}
		ti.days = append(ti.days, r)
	}
	return ti, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("invalid time %q, want HH:MM", s)
	}
	return hh*60 + mm, nil
}

func parseRange(s string, parse func(string) (int, error)) ([2]int, error) {
	a, b, isRange := strings.Cut(s, ":")
	lo, err := parse(strings.TrimSpace(a))
	if err != nil {
		return [2]int{}, err
	}
	hi := lo
	if isRange {
		if hi, err = parse(strings.TrimSpace(b)); err != nil {
			return [2]int{}, err
		}
	}
	return [2]int{lo, hi}, nil
}

// Contains reports whether t falls inside the window, in its location.
func (ti *TimeInterval) Contains(t time.Time) bool {
	t = t.In(ti.loc)
	if len(ti.minutes) > 0 {
		m := t.Hour()*60 + t.Minute()
		if !anyRange(ti.minutes, func(r [2]int) bool { return m >= r[0] && m < r[1] }) {
			return false
		}
	}
	if len(ti.weekdays) > 0 {
		wd := int(t.Weekday())
		if !anyRange(ti.weekdays, func(r [2]int) bool { return wd >= r[0] && wd <= r[1] }) {
			return false
		}
	}
	if len(ti.days) > 0 {
		daysInMonth := time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, ti.loc).Day()
		d := t.Day()
		if !anyRange(ti.days, func(r [2]int) bool {
			lo, hi := r[0], r[1]
			if lo < 0 {
				lo += daysInMonth + 1
			}
			if hi < 0 {
				hi += daysInMonth + 1
			}
			return d >= lo && d <= hi
		}) {
			return false
		}
	}
	return true
}

func anyRange(rs [][2]int, fn func([2]int) bool) bool {
	for _, r := range rs {
		if fn(r) {
			return true
		}
	}
	return false
}

// Intervals is a set of named time intervals.
type Intervals map[string][]*TimeInterval

// CompileIntervals compiles named interval configs.
func CompileIntervals(cfg map[string][]TimeIntervalConfig) (Intervals, error) {
	out := Intervals{}
	for name, list := range cfg {
		if len(list) == 0 {
			return nil, fmt.Errorf("time_intervals.%s: needs at least one entry", name)
		}
		for i, c := range list {
			ti, err := CompileTimeInterval(c)
			if err != nil {
				return nil, fmt.Errorf("time_intervals.%s[%d].%w", name, i, err)
			}
			out[name] = append(out[name], ti)
		}
	}
	return out, nil
}

// Active reports whether the named interval contains t.
func (is Intervals) Active(name string, t time.Time) bool {
	for _, ti := range is[name] {
		if ti.Contains(t) {
			return true
		}
	}
	return false
}

// Muted reports whether a route's time intervals mute notifications at t:
// inside any mute interval, or outside all of its active intervals.
func (is Intervals) Muted(r *Route, t time.Time) bool {
	for _, n := range r.MuteTimeIntervals {
		if is.Active(n, t) {
			return true
		}
	}
	if len(r.ActiveTimeIntervals) == 0 {
		return false
	}
	for _, n := range r.ActiveTimeIntervals {
		if is.Active(n, t) {
			return false
		}
	}
	return true
}
