// Package route implements Alertmanager-style routing: label matchers, the
// routing tree with continue, grouping keys, inhibition rules, silences and
// recurring time intervals (maintenance windows).
package route

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// MatchType is the operator of a matcher.
type MatchType int

const (
	MatchEqual MatchType = iota
	MatchNotEqual
	MatchRegexp
	MatchNotRegexp
)

func (t MatchType) String() string {
	return [...]string{"=", "!=", "=~", "!~"}[t]
}

// Matcher matches one label. A missing label matches as the empty string,
// as in Alertmanager.
type Matcher struct {
	Name  string
	Type  MatchType
	Value string
	re    *regexp.Regexp
}

// matcherRE accepts `name="value"`, `name=value`, and the !=, =~, !~ forms.
var matcherRE = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_.:/-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$`)

// ParseMatcher parses one matcher in Alertmanager's syntax.
func ParseMatcher(s string) (*Matcher, error) {
	m := matcherRE.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("invalid matcher %q: want name=\"value\", name!=\"value\", name=~\"regex\" or name!~\"regex\"", s)
	}
	value := m[3]
	if strings.HasPrefix(value, `"`) {
		unq, err := strconv.Unquote(value)
		if err != nil {
			return nil, fmt.Errorf("invalid matcher %q: bad quoted value: %w", s, err)
		}
		value = unq
	}
	mt := &Matcher{Name: m[1], Value: value}
	switch m[2] {
	case "=":
		mt.Type = MatchEqual
	case "!=":
		mt.Type = MatchNotEqual
	case "=~":
		mt.Type = MatchRegexp
	case "!~":
		mt.Type = MatchNotRegexp
	}
	if mt.Type == MatchRegexp || mt.Type == MatchNotRegexp {
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return nil, fmt.Errorf("invalid matcher %q: %w", s, err)
		}
		mt.re = re
	}
	return mt, nil
}

// ParseMatchers parses a list of matchers.
func ParseMatchers(ss []string) (Matchers, error) {
	out := make(Matchers, 0, len(ss))
	for _, s := range ss {
		m, err := ParseMatcher(s)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Matches reports whether the label set satisfies the matcher.
func (m *Matcher) Matches(lset map[string]string) bool {
	v := lset[m.Name]
	switch m.Type {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.re.MatchString(v)
	default:
		return !m.re.MatchString(v)
	}
}

func (m *Matcher) String() string {
	return m.Name + m.Type.String() + strconv.Quote(m.Value)
}

// Matchers is a conjunction of matchers.
type Matchers []*Matcher

// Matches reports whether every matcher matches; an empty list matches all.
func (ms Matchers) Matches(lset map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(lset) {
			return false
		}
	}
	return true
}

// LabelSet is the label set that matchers, grouping and inhibition see: the
// alert's labels plus its name and severity under the contract keys.
func LabelSet(a contract.Alert) map[string]string {
	out := make(map[string]string, len(a.Labels)+2)
	for k, v := range a.Labels {
		out[k] = v
	}
	out[contract.AlertName] = a.Name
	out[contract.AlertSeverity] = a.Severity
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
