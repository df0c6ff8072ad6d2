package engine

import (
	"hash/maphash"
	"time"
)

// dedup remembers keys (order ids) for a time window, within a fixed
// number of entries: the oldest key goes first when the window or the bound
// is exceeded. Keys are stored as 64-bit hashes, so memory per entry is
// constant whatever the id length.
type dedup struct {
	window time.Duration
	max    int
	seed   maphash.Seed
	seen   map[uint64]dedupEntry
	queue  []queued // insertion order, oldest at head
	head   int
}

type dedupEntry struct {
	at  int64 // unix nanos of first sight
	val uint8 // caller's memo (the customer segment decided first time)
}

type queued struct {
	key uint64
	at  int64
}

func newDedup(window time.Duration, maxEntries int) *dedup {
	return &dedup{
		window: window,
		max:    maxEntries,
		seed:   maphash.MakeSeed(),
		seen:   make(map[uint64]dedupEntry),
	}
}

func (d *dedup) hash(key string) uint64 { return maphash.String(d.seed, key) }

// lookup reports whether key was seen within the window, with its memo.
func (d *dedup) lookup(key uint64, now time.Time) (uint8, bool) {
	d.expire(now.UnixNano())
	e, ok := d.seen[key]
	return e.val, ok
}

// add records key; the caller has checked it is not present.
func (d *dedup) add(key uint64, val uint8, now time.Time) {
	if d.max <= 0 || d.window <= 0 {
		return
	}
	at := now.UnixNano()
	for len(d.seen) >= d.max {
		d.evictOldest()
	}
	d.seen[key] = dedupEntry{at: at, val: val}
	d.queue = append(d.queue, queued{key: key, at: at})
}

func (d *dedup) expire(now int64) {
	limit := now - int64(d.window)
	for d.head < len(d.queue) && d.queue[d.head].at <= limit {
		d.evictOldest()
	}
}

func (d *dedup) evictOldest() {
	q := d.queue[d.head]
	d.queue[d.head] = queued{}
	d.head++
	if e, ok := d.seen[q.key]; ok && e.at == q.at {
		delete(d.seen, q.key)
	}
	// reclaim the consumed prefix once it is half the slice
	if d.head > 1024 && d.head*2 >= len(d.queue) {
		n := copy(d.queue, d.queue[d.head:])
		d.queue = d.queue[:n]
		d.head = 0
	}
}

func (d *dedup) len() int { return len(d.seen) }
