package sentryexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"

import (
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// maxBookEntries bounds the failure book: at ~150 bytes an entry, about
// 8 MiB. Past it the oldest entries go first, so at worst a failure whose
// other form arrives after that many newer failures is sent twice.
const maxBookEntries = 50_000

// failureBook remembers, for a short window, the failures already sent, so
// one failure is one Sentry event whatever forms it arrives in: an
// exception span event, an ERROR log record with exception.* (each keyed by
// trace, span and exception identity), and the error status of spans of the
// same trace (a 5xx server span). One book serves the traces and the logs
// pipeline of an exporter. Memory is bounded by the window and
// maxBookEntries.
type failureBook struct {
	now    func() time.Time
	window time.Duration
	max    int

	mu      sync.Mutex
	entries map[string]bookEntry
	queue   []queued // in claim order, for expiry and the size bound
	head    int
}

type bookEntry struct {
	form string
	at   time.Time
}

type queued struct {
	key string
	at  time.Time
}

func newFailureBook(now func() time.Time, window time.Duration, maxEntries int) *failureBook {
	return &failureBook{now: now, window: window, max: maxEntries, entries: map[string]bookEntry{}}
}

// claim reports whether the record of form may send the failure key: the
// first form to claim it may, and so may the same form again (a retried or
// redelivered batch, which reuses the event id); another form may not.
func (b *failureBook) claim(key, form string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.expire(now)
	if e, ok := b.entries[key]; ok {
		return e.form == form
	}
	b.put(key, form, now)
	return true
}

func (b *failureBook) put(key, form string, now time.Time) {
	b.entries[key] = bookEntry{form: form, at: now}
	b.queue = append(b.queue, queued{key: key, at: now})
	for len(b.entries) > b.max {
		b.pop()
	}
}

func (b *failureBook) expire(now time.Time) {
	for b.head < len(b.queue) && now.Sub(b.queue[b.head].at) > b.window {
		b.pop()
	}
}

// pop drops the oldest queued key (unless it was claimed again later).
func (b *failureBook) pop() {
	q := b.queue[b.head]
	b.queue[b.head] = queued{}
	b.head++
	if e, ok := b.entries[q.key]; ok && e.at.Equal(q.at) {
		delete(b.entries, q.key)
	}
	if b.head > len(b.queue)/2 && b.head > 1024 {
		b.queue = append(b.queue[:0:0], b.queue[b.head:]...)
		b.head = 0
	}
}

func (b *failureBook) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.entries)
}

// dedupInfo is how an error event takes part in the book.
type dedupInfo struct {
	// key identifies the failure (trace, span, exception or incident); ""
	// when the record has no trace context to correlate on.
	key string
	// form identifies the record within its form, so its own retries pass.
	form string
	// traceID of the record; statusOnly marks a span whose only sign of
	// failure is its status (no exception): it is the same failure as any
	// exception already sent for its trace.
	traceID    pcommon.TraceID
	statusOnly bool
}

func traceKey(id pcommon.TraceID) string { return "trace|" + string(id[:]) }

// dedupe drops the events of failures another form already sent. Keyed
// events (exceptions, incidents) go first, so a 5xx span in the same batch
// as its exception is recognised whatever the order of the spans.
func (b *failureBook) dedupe(events []builtEvent) (kept []builtEvent, duplicates int) {
	if b == nil {
		return events, 0
	}
	keep := make([]bool, len(events))
	for i, be := range events {
		d := be.dedup
		switch {
		case d.statusOnly:
			continue
		case d.key == "":
			keep[i] = true
		default:
			keep[i] = b.claim(d.key, d.form)
			if keep[i] && !d.traceID.IsEmpty() {
				b.claim(traceKey(d.traceID), d.form)
			}
		}
	}
	for i, be := range events {
		if d := be.dedup; d.statusOnly {
			keep[i] = d.traceID.IsEmpty() || b.claim(traceKey(d.traceID), d.form)
		}
	}
	for i, be := range events {
		if keep[i] {
			kept = append(kept, be)
		} else {
			duplicates++
		}
	}
	return kept, duplicates
}

// sharedBooks gives the traces and the logs exporter of one component (one
// *Config, which the collector passes to both) the same book.
var sharedBooks = struct {
	sync.Mutex
	m map[*Config]*sharedBook
}{m: map[*Config]*sharedBook{}}

type sharedBook struct {
	book *failureBook
	refs int
}

func acquireBook(cfg *Config, now func() time.Time) *failureBook {
	if cfg.DedupWindow <= 0 {
		return nil
	}
	sharedBooks.Lock()
	defer sharedBooks.Unlock()
	sb := sharedBooks.m[cfg]
	if sb == nil {
		sb = &sharedBook{book: newFailureBook(now, cfg.DedupWindow, maxBookEntries)}
		sharedBooks.m[cfg] = sb
	}
	sb.refs++
	return sb.book
}

func releaseBook(cfg *Config) {
	sharedBooks.Lock()
	defer sharedBooks.Unlock()
	if sb := sharedBooks.m[cfg]; sb != nil {
		if sb.refs--; sb.refs <= 0 {
			delete(sharedBooks.m, cfg)
		}
	}
}
