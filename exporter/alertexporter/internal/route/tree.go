package route

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// GroupByAll as the only group_by entry groups by every label.
const GroupByAll = "..."

// Config is one node of the routing tree. Unset timing and grouping fields
// inherit from the parent; the root inherits the package defaults.
type Config struct {
	Receiver            string         `mapstructure:"receiver"`
	Matchers            []string       `mapstructure:"matchers"`
	Continue            bool           `mapstructure:"continue"`
	GroupBy             []string       `mapstructure:"group_by"`
	GroupWait           *time.Duration `mapstructure:"group_wait"`
	GroupInterval       *time.Duration `mapstructure:"group_interval"`
	RepeatInterval      *time.Duration `mapstructure:"repeat_interval"`
	MuteTimeIntervals   []string       `mapstructure:"mute_time_intervals"`
	ActiveTimeIntervals []string       `mapstructure:"active_time_intervals"`
	Routes              []Config       `mapstructure:"routes"`
}

// Alertmanager's defaults.
const (
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
)

// Route is a built routing tree node.
type Route struct {
	// ID is the node's path in the tree ("0", "0.1", ...), stable across
	// restarts as long as the config does not change.
	ID                  string
	Receiver            string
	Matchers            Matchers
	Continue            bool
	GroupBy             []string
	GroupByAll          bool
	GroupWait           time.Duration
	GroupInterval       time.Duration
	RepeatInterval      time.Duration
	MuteTimeIntervals   []string
	ActiveTimeIntervals []string
	Routes              []*Route
}

// Build validates cfg and builds the tree. receivers and intervals are the
// names that receiver and time interval references must resolve to.
func Build(cfg Config, receivers, intervals map[string]bool) (*Route, error) {
	if cfg.Receiver == "" {
		return nil, errors.New("route.receiver: the root route needs a receiver")
	}
	if len(cfg.Matchers) > 0 {
		return nil, errors.New("route.matchers: the root route matches every alert and takes no matchers")
	}
	root := &Route{
		GroupWait:      DefaultGroupWait,
		GroupInterval:  DefaultGroupInterval,
		RepeatInterval: DefaultRepeatInterval,
	}
	return build(cfg, root, "0", "route", receivers, intervals)
}

func build(cfg Config, parent *Route, id, path string, receivers, intervals map[string]bool) (*Route, error) {
	r := &Route{
		ID:                  id,
		Receiver:            parent.Receiver,
		Continue:            cfg.Continue,
		GroupBy:             parent.GroupBy,
		GroupByAll:          parent.GroupByAll,
		GroupWait:           parent.GroupWait,
		GroupInterval:       parent.GroupInterval,
		RepeatInterval:      parent.RepeatInterval,
		MuteTimeIntervals:   cfg.MuteTimeIntervals,
		ActiveTimeIntervals: cfg.ActiveTimeIntervals,
	}
	if cfg.Receiver != "" {
		r.Receiver = cfg.Receiver
	}
	if !receivers[r.Receiver] {
		return nil, fmt.Errorf("%s.receiver: unknown receiver %q", path, r.Receiver)
	}
	ms, err := ParseMatchers(cfg.Matchers)
	if err != nil {
		return nil, fmt.Errorf("%s.matchers: %w", path, err)
	}
	r.Matchers = ms
	if cfg.GroupBy != nil {
		r.GroupBy, r.GroupByAll = nil, false
		for _, l := range cfg.GroupBy {
			if l == GroupByAll {
				if len(cfg.GroupBy) > 1 {
					return nil, fmt.Errorf("%s.group_by: %q cannot be combined with other labels", path, GroupByAll)
				}
				r.GroupByAll = true
				continue
			}
			if strings.TrimSpace(l) == "" {
				return nil, fmt.Errorf("%s.group_by: empty label name", path)
			}
			r.GroupBy = append(r.GroupBy, l)
		}
		sort.Strings(r.GroupBy)
	}
	for name, d := range map[string]*time.Duration{"group_wait": cfg.GroupWait, "group_interval": cfg.GroupInterval, "repeat_interval": cfg.RepeatInterval} {
		if d != nil && *d < 0 {
			return nil, fmt.Errorf("%s.%s: must not be negative", path, name)
		}
	}
	if cfg.GroupWait != nil {
		r.GroupWait = *cfg.GroupWait
	}
	if cfg.GroupInterval != nil {
		if *cfg.GroupInterval == 0 {
			return nil, fmt.Errorf("%s.group_interval: must be positive", path)
		}
		r.GroupInterval = *cfg.GroupInterval
	}
	if cfg.RepeatInterval != nil {
		if *cfg.RepeatInterval == 0 {
			return nil, fmt.Errorf("%s.repeat_interval: must be positive", path)
		}
		r.RepeatInterval = *cfg.RepeatInterval
	}
	for _, n := range append(append([]string(nil), cfg.MuteTimeIntervals...), cfg.ActiveTimeIntervals...) {
		if !intervals[n] {
			return nil, fmt.Errorf("%s: unknown time interval %q", path, n)
		}
	}
	for i, c := range cfg.Routes {
		child, err := build(c, r, id+"."+strconv.Itoa(i), fmt.Sprintf("%s.routes[%d]", path, i), receivers, intervals)
		if err != nil {
			return nil, err
		}
		r.Routes = append(r.Routes, child)
	}
	return r, nil
}

// Match returns the routes an alert with label set lset goes to: the
// deepest matching nodes, continuing to later siblings only where a
// matching node sets continue (Alertmanager semantics).
func (r *Route) Match(lset map[string]string) []*Route {
	if !r.Matchers.Matches(lset) {
		return nil
	}
	var all []*Route
	for _, child := range r.Routes {
		matches := child.Match(lset)
		all = append(all, matches...)
		if matches != nil && !child.Continue {
			break
		}
	}
	if len(all) == 0 {
		all = append(all, r)
	}
	return all
}

// GroupLabels returns the labels of lset this route groups by.
func (r *Route) GroupLabels(lset map[string]string) map[string]string {
	out := map[string]string{}
	if r.GroupByAll {
		for k, v := range lset {
			out[k] = v
		}
		return out
	}
	for _, l := range r.GroupBy {
		if v, ok := lset[l]; ok {
			out[l] = v
		}
	}
	return out
}

// GroupKey identifies the aggregation group of an alert on this route.
func (r *Route) GroupKey(groupLabels map[string]string) string {
	var b strings.Builder
	b.WriteString(r.ID)
	b.WriteString(":{")
	for i, k := range sortedKeys(groupLabels) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(groupLabels[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// Walk calls fn for r and every descendant.
func (r *Route) Walk(fn func(*Route)) {
	fn(r)
	for _, c := range r.Routes {
		c.Walk(fn)
	}
}
