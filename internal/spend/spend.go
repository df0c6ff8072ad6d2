// Package spend counts what the collector sends to each paid destination
// (GA4, Sentry, the tracing backend, alert webhooks) against what its
// receivers accepted, so an operator sees what each backend costs in volume:
// events and bytes per hour, and the share of the received telemetry each
// destination gets.
//
// A Meter is one exporter's destination, named by its kind and host, never
// by a URL (URLs carry API secrets, DSN keys and webhook tokens). Meters are
// bounded (MaxDestinations; beyond it one "overflow" meter takes the rest)
// and each keeps totals since start plus 60 one-minute buckets for the last
// hour: fixed memory, and atomic adds per send.
package spend // import "github.com/otelcol-payments/otelcol-payments/internal/spend"

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Signal is one kind of telemetry a receiver accepts.
type Signal uint8

// Signals, also used as bits of a destination's Signals.
const (
	Traces Signal = 1 << iota
	Logs
	Metrics
)

var signalNames = []struct {
	s    Signal
	name string
}{{Traces, "traces"}, {Logs, "logs"}, {Metrics, "metrics"}}

func (s Signal) index() int {
	switch s {
	case Traces:
		return 0
	case Logs:
		return 1
	}
	return 2
}

// MaxDestinations bounds the meters of a registry: destinations come from
// configuration, so a real collector has a handful.
const MaxDestinations = 64

// Overflow is the exporter name of the meter that takes every destination
// beyond MaxDestinations.
const Overflow = "overflow"

// minutes is how many one-minute buckets a window keeps: the last hour.
const minutes = 60

// Registry holds the meters and the received counts of a process.
type Registry struct {
	// now is the clock of the hourly windows.
	now func() time.Time

	mu       sync.Mutex
	meters   map[Key]*Meter
	overflow *Meter
	received [3]counter
}

// Default is the registry the components report to and the dashboard reads.
var Default = NewRegistry(time.Now)

// NewRegistry returns an empty registry on clock now.
func NewRegistry(now func() time.Time) *Registry {
	r := &Registry{now: now, meters: map[Key]*Meter{}}
	for i := range r.received {
		r.received[i].reg = r
	}
	return r
}

// Key names a destination: the exporter's component ID, the destination
// kind (ga4, sentry, otlp_grpc, slack, ...) and its host (host[:port]).
type Key struct {
	Exporter string
	Kind     string
	Host     string
}

// Meter counts what one exporter delivered to one destination. A nil
// Meter counts nothing, so senders need no check.
type Meter struct {
	key Key
	// signals are the received signals the destination is fed from: the
	// denominator of its share.
	signals Signal
	sent    counter
	failed  atomic.Int64
	// users and observed: the components using the meter and its report
	// as telemetry (Use).
	users    int
	observed metric.Registration
}

// counter is a total since start and the last hour by minute.
type counter struct {
	reg                     *Registry
	requests, events, bytes atomic.Int64
	rotate                  sync.Mutex
	slots                   [minutes]slot
}

type slot struct {
	minute                  atomic.Int64
	requests, events, bytes atomic.Int64
}

// Meter returns the meter of key, fed from signals, creating it on first
// use. Beyond MaxDestinations it returns the shared overflow meter.
func (r *Registry) Meter(key Key, signals Signal) *Meter {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.meters[key]; ok {
		m.signals |= signals
		return m
	}
	if len(r.meters) >= MaxDestinations {
		if r.overflow == nil {
			r.overflow = &Meter{key: Key{Exporter: Overflow, Kind: Overflow}}
			r.overflow.sent.reg = r
		}
		return r.overflow
	}
	m := &Meter{key: key, signals: signals}
	m.sent.reg = r
	r.meters[key] = m
	return m
}

// Use returns the meter of key, fed from signals, reported on mp (the
// using component's MeterProvider, see Observe) until the last user calls
// the returned release: the logs and traces exporters of one component
// share a meter and report it once.
func (r *Registry) Use(mp metric.MeterProvider, key Key, signals Signal) (*Meter, func(), error) {
	m := r.Meter(key, signals)
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.users == 0 {
		reg, err := Observe(mp, m)
		if err != nil {
			return nil, nil, err
		}
		m.observed = reg
	}
	m.users++
	var once sync.Once
	return m, func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if m.users--; m.users == 0 && m.observed != nil {
				_ = m.observed.Unregister()
				m.observed = nil
			}
		})
	}, nil
}

// Key is the destination the meter counts.
func (m *Meter) Key() Key { return m.key }

// Sent counts one request the destination accepted, carrying events
// events in bytes bytes of body.
func (m *Meter) Sent(events, bytes int) {
	if m == nil {
		return
	}
	m.sent.add(1, int64(events), int64(bytes))
}

// Failed counts one request the destination did not accept (an error
// status or no answer); its events are not counted as sent.
func (m *Meter) Failed() {
	if m == nil {
		return
	}
	m.failed.Add(1)
}

// Received counts items (spans, log records or metric data points) of
// signal that a receiver accepted.
func (r *Registry) Received(signal Signal, items int) {
	r.received[signal.index()].add(1, int64(items), 0)
}

func (c *counter) add(requests, events, bytes int64) {
	c.requests.Add(requests)
	c.events.Add(events)
	c.bytes.Add(bytes)
	minute := c.reg.now().Unix() / 60
	s := &c.slots[minute%minutes]
	if m := s.minute.Load(); m != minute {
		if m > minute || !c.turn(s, minute) {
			// A late add for a minute already reused: it stays in the
			// totals only.
			return
		}
	}
	s.requests.Add(requests)
	s.events.Add(events)
	s.bytes.Add(bytes)
}

// turn moves slot s on to minute, once, under the counter's lock. It
// reports false when s already holds a later minute.
func (c *counter) turn(s *slot, minute int64) bool {
	c.rotate.Lock()
	defer c.rotate.Unlock()
	switch m := s.minute.Load(); {
	case m == minute:
		return true
	case m > minute:
		return false
	}
	s.requests.Store(0)
	s.events.Store(0)
	s.bytes.Store(0)
	s.minute.Store(minute)
	return true
}

// Figures are counts since start and over the last hour.
type Figures struct {
	Requests         int64 `json:"requests"`
	Events           int64 `json:"events"`
	Bytes            int64 `json:"bytes"`
	RequestsLastHour int64 `json:"requests_last_hour"`
	EventsLastHour   int64 `json:"events_last_hour"`
	BytesLastHour    int64 `json:"bytes_last_hour"`
}

// figures reads c at minute now: the last hour is the current minute and
// the 59 before it.
func (c *counter) figures(now int64) Figures {
	f := Figures{Requests: c.requests.Load(), Events: c.events.Load(), Bytes: c.bytes.Load()}
	for i := range c.slots {
		s := &c.slots[i]
		if m := s.minute.Load(); m > now-minutes && m <= now {
			f.RequestsLastHour += s.requests.Load()
			f.EventsLastHour += s.events.Load()
			f.BytesLastHour += s.bytes.Load()
		}
	}
	return f
}

// Destination is one meter's figures.
type Destination struct {
	Exporter string `json:"exporter"`
	Kind     string `json:"kind"`
	Host     string `json:"host"`
	// Signals the destination is fed from (traces, logs, metrics).
	Signals []string `json:"signals"`
	Figures
	FailedRequests int64 `json:"failed_requests"`
	// ShareOfReceived is the events sent in the last hour over the items
	// of its signals received in the last hour; null when none were
	// received or the destination has no signal (alert channels).
	ShareOfReceived *float64 `json:"share_of_received"`
}

// Received is what the receivers accepted of one signal: items (spans,
// log records, metric data points) in batches.
type Received struct {
	Signal          string `json:"signal"`
	Batches         int64  `json:"batches"`
	Items           int64  `json:"items"`
	BatchesLastHour int64  `json:"batches_last_hour"`
	ItemsLastHour   int64  `json:"items_last_hour"`
}

// Snapshot is the registry's state at At.
type Snapshot struct {
	At           time.Time     `json:"at"`
	Received     []Received    `json:"received"`
	Destinations []Destination `json:"destinations"`
}

// Snapshot reads every meter, sorted by exporter, kind and host.
func (r *Registry) Snapshot() Snapshot {
	at := r.now()
	minute := at.Unix() / 60
	snap := Snapshot{At: at, Received: make([]Received, 0, len(signalNames))}
	var lastHour [3]int64
	for _, sn := range signalNames {
		f := r.received[sn.s.index()].figures(minute)
		lastHour[sn.s.index()] = f.EventsLastHour
		snap.Received = append(snap.Received, Received{
			Signal: sn.name, Batches: f.Requests, Items: f.Events,
			BatchesLastHour: f.RequestsLastHour, ItemsLastHour: f.EventsLastHour,
		})
	}
	r.mu.Lock()
	meters := make([]*Meter, 0, len(r.meters)+1)
	for _, m := range r.meters {
		meters = append(meters, m)
	}
	if r.overflow != nil {
		meters = append(meters, r.overflow)
	}
	signals := make([]Signal, len(meters))
	for i, m := range meters {
		signals[i] = m.signals
	}
	r.mu.Unlock()
	snap.Destinations = make([]Destination, 0, len(meters))
	for i, m := range meters {
		d := Destination{
			Exporter: m.key.Exporter, Kind: m.key.Kind, Host: m.key.Host,
			Signals: []string{}, Figures: m.sent.figures(minute), FailedRequests: m.failed.Load(),
		}
		var received int64
		for _, sn := range signalNames {
			if signals[i]&sn.s != 0 {
				d.Signals = append(d.Signals, sn.name)
				received += lastHour[sn.s.index()]
			}
		}
		if received > 0 {
			share := float64(d.EventsLastHour) / float64(received)
			d.ShareOfReceived = &share
		}
		snap.Destinations = append(snap.Destinations, d)
	}
	sort.Slice(snap.Destinations, func(i, j int) bool {
		a, b := snap.Destinations[i], snap.Destinations[j]
		if a.Exporter != b.Exporter {
			return a.Exporter < b.Exporter
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Host < b.Host
	})
	return snap
}
