package rules

import (
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// ItemKind says what an Item was read from.
type ItemKind int

const (
	ItemSpan ItemKind = iota
	ItemSpanEvent
	ItemLogRecord
)

// Item is a read-only view of one span, span event or log record, so one
// matcher works on all three. Attribute lookups go from the most specific
// map (event, then span) to the resource.
type Item struct {
	Kind       ItemKind
	Name       string // span name, span event name or log event.name
	SpanKind   ptrace.SpanKind
	StatusCode ptrace.StatusCode
	TraceID    pcommon.TraceID
	SpanID     pcommon.SpanID
	// DurationMs is the span duration; zero for events and log records.
	DurationMs float64
	maps       [3]pcommon.Map
	nmaps      int
}

// SetMaps sets the attribute maps in lookup order (most specific first).
func (it *Item) SetMaps(maps ...pcommon.Map) {
	it.nmaps = copy(it.maps[:], maps)
}

// Get returns the first value of key in the item's maps.
func (it *Item) Get(key string) (pcommon.Value, bool) {
	for i := 0; i < it.nmaps; i++ {
		if v, ok := it.maps[i].Get(key); ok {
			return v, true
		}
	}
	return pcommon.Value{}, false
}

// AttributeMatch tests one attribute. With Values it holds when the value
// (as a string) is one of them; without, when the attribute exists. Not
// negates the result.
type AttributeMatch struct {
	Key    string
	Values []string
	Not    bool
}

func (a AttributeMatch) holds(it *Item) bool {
	v, ok := it.Get(a.Key)
	if ok && len(a.Values) > 0 {
		ok = false
		s := valueString(v)
		for _, want := range a.Values {
			if s == want {
				ok = true
				break
			}
		}
	}
	return ok != a.Not
}

func valueString(v pcommon.Value) string {
	if v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return v.AsString()
}

// Matcher selects spans, span events and log records.
type Matcher struct {
	SpanNames  map[string]struct{}
	EventNames map[string]struct{}
	// SpanKind and StatusCode are only checked when HasSpanKind/HasStatus.
	SpanKind    ptrace.SpanKind
	HasSpanKind bool
	StatusCode  ptrace.StatusCode
	HasStatus   bool
	Attributes  []AttributeMatch
}

// MatcherSpec is the configuration form of a Matcher.
type MatcherSpec struct {
	SpanNames  []string
	SpanKind   string
	SpanStatus string
	EventNames []string
	Attributes []AttributeMatch
}

// NewMatcher checks and compiles a MatcherSpec.
func NewMatcher(s MatcherSpec) (*Matcher, error) {
	m := &Matcher{Attributes: s.Attributes}
	if len(s.SpanNames) > 0 {
		m.SpanNames = toSet(s.SpanNames)
	}
	if len(s.EventNames) > 0 {
		m.EventNames = toSet(s.EventNames)
	}
	if s.SpanKind != "" {
		k, err := parseSpanKind(s.SpanKind)
		if err != nil {
			return nil, err
		}
		m.SpanKind, m.HasSpanKind = k, true
	}
	if s.SpanStatus != "" {
		switch strings.ToLower(s.SpanStatus) {
		case "error":
			m.StatusCode = ptrace.StatusCodeError
		case "ok":
			m.StatusCode = ptrace.StatusCodeOk
		case "unset":
			m.StatusCode = ptrace.StatusCodeUnset
		default:
			return nil, fmt.Errorf("span_status: unknown status %q (want error, ok or unset)", s.SpanStatus)
		}
		m.HasStatus = true
	}
	for i, a := range s.Attributes {
		if a.Key == "" {
			return nil, fmt.Errorf("attributes[%d]: key must not be empty", i)
		}
	}
	if len(s.SpanNames) > 0 && len(s.EventNames) > 0 {
		return nil, fmt.Errorf("span_names and event_names cannot be combined: a span is matched by its name, an event by its event name")
	}
	if len(s.EventNames) > 0 && (m.HasSpanKind || m.HasStatus) {
		return nil, fmt.Errorf("span_kind and span_status select spans and cannot be combined with event_names")
	}
	return m, nil
}

func parseSpanKind(s string) (ptrace.SpanKind, error) {
	switch strings.ToLower(s) {
	case "server":
		return ptrace.SpanKindServer, nil
	case "client":
		return ptrace.SpanKindClient, nil
	case "internal":
		return ptrace.SpanKindInternal, nil
	case "producer":
		return ptrace.SpanKindProducer, nil
	case "consumer":
		return ptrace.SpanKindConsumer, nil
	}
	return 0, fmt.Errorf("span_kind: unknown kind %q (want server, client, internal, producer or consumer)", s)
}

func toSet(names []string) map[string]struct{} {
	set := make(map[string]struct{}, len(names))
	for _, n := range names {
		set[n] = struct{}{}
	}
	return set
}

// SelectsSpans reports whether the matcher can match spans themselves.
func (m *Matcher) SelectsSpans() bool { return m.EventNames == nil }

// SelectsEvents reports whether the matcher can match span events and log
// records (it has no span-only criterion).
func (m *Matcher) SelectsEvents() bool {
	return m.SpanNames == nil && !m.HasSpanKind && !m.HasStatus
}

// Matches reports whether the item is selected.
func (m *Matcher) Matches(it *Item) bool {
	if it.Kind == ItemSpan {
		if !m.SelectsSpans() {
			return false
		}
		if m.SpanNames != nil {
			if _, ok := m.SpanNames[it.Name]; !ok {
				return false
			}
		}
		if m.HasSpanKind && it.SpanKind != m.SpanKind {
			return false
		}
		if m.HasStatus && it.StatusCode != m.StatusCode {
			return false
		}
	} else {
		if !m.SelectsEvents() {
			return false
		}
		if m.EventNames != nil {
			if _, ok := m.EventNames[it.Name]; !ok {
				return false
			}
		}
	}
	return AttributesHold(m.Attributes, it)
}

// AttributesHold tests attribute matchers against an item (for metric data
// points: an Item whose maps are the point's and the resource's attributes).
func AttributesHold(matchers []AttributeMatch, it *Item) bool {
	for _, a := range matchers {
		if !a.holds(it) {
			return false
		}
	}
	return true
}
