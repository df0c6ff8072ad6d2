package engine

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/cespare/xxhash/v2"
)

// dedup remembers keys (order ids) for a time window, within a fixed
// number of entries: the oldest key goes first when the window or the bound
// is exceeded. Keys are stored as 64-bit hashes, so memory per entry is
// constant whatever the id length. The hash is seeded per state (random
// when fresh, restored with the saved set) and stable across processes, so
// a saved set still matches the ids redelivered after a restart.
type dedup struct {
	window time.Duration
	max    int
	seed   uint64
	digest xxhash.Digest // reused: hashing an id does not allocate
	// seen maps a live key to its memo; queue holds each live key exactly
	// once, in insertion order, oldest at head, with its time.
	seen  map[uint64]uint8
	queue []queued
	head  int
	// dirty is set by an addition since the last save; expiry and
	// eviction need no save since loading applies the window and bound.
	dirty bool
}

type queued struct {
	key uint64
	at  int64 // unix nanos of first sight
	val uint8 // caller's memo (the customer segment decided first time)
}

func newDedup(window time.Duration, maxEntries int) *dedup {
	return &dedup{
		window: window,
		max:    maxEntries,
		seed:   rand.Uint64(),
		seen:   make(map[uint64]uint8),
	}
}

func (d *dedup) enabled() bool { return d.max > 0 && d.window > 0 }

func (d *dedup) hash(key string) uint64 {
	d.digest.ResetWithSeed(d.seed)
	_, _ = d.digest.WriteString(key)
	return d.digest.Sum64()
}

// lookup reports whether key was seen within the window, with its memo.
func (d *dedup) lookup(key uint64, now time.Time) (uint8, bool) {
	d.expire(now.UnixNano())
	val, ok := d.seen[key]
	return val, ok
}

// add records key; the caller has checked it is not present.
func (d *dedup) add(key uint64, val uint8, now time.Time) {
	if !d.enabled() {
		return
	}
	d.insert(queued{key: key, at: now.UnixNano(), val: val})
	d.dirty = true
}

func (d *dedup) insert(q queued) {
	for len(d.seen) >= d.max {
		d.evictOldest()
	}
	d.seen[q.key] = q.val
	d.queue = append(d.queue, q)
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
	delete(d.seen, q.key)
	// reclaim the consumed prefix once it is half the slice
	if d.head > 1024 && d.head*2 >= len(d.queue) {
		n := copy(d.queue, d.queue[d.head:])
		d.queue = d.queue[:n]
		d.head = 0
	}
}

func (d *dedup) len() int { return len(d.seen) }

// The persisted form: magic, version, hash seed, entry count, then per
// live entry, oldest first, its hash, first-sight unix nanos and memo. At
// most dedup_max_entries entries: 17 B each, 4.25 MB at the default 250,000.
var dedupMagic = [4]byte{'P', 'B', 'I', 'D'}

const (
	dedupVersion     = 1
	dedupHeaderBytes = 4 + 1 + 8 + 4
	dedupEntryBytes  = 8 + 8 + 1
)

// marshal encodes the entries still within the window at now.
func (d *dedup) marshal(now time.Time) []byte {
	d.expire(now.UnixNano())
	buf := make([]byte, 0, dedupHeaderBytes+dedupEntryBytes*(len(d.queue)-d.head))
	buf = append(buf, dedupMagic[:]...)
	buf = append(buf, dedupVersion)
	buf = binary.BigEndian.AppendUint64(buf, d.seed)
	live := d.queue[d.head:]
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(live)))
	for _, q := range live {
		buf = binary.BigEndian.AppendUint64(buf, q.key)
		buf = binary.BigEndian.AppendUint64(buf, uint64(q.at))
		buf = append(buf, q.val)
	}
	return buf
}

var errDedupFormat = errors.New("saved dedup set has an unknown format")

// unmarshal replaces d's entries with the saved ones still within the
// window at now, the newest d.max of them if the bound shrank. The seed is
// restored even with deduplication disabled: refund matching and held
// stock key on the same hashes, in journal records and live alike.
func (d *dedup) unmarshal(data []byte, now time.Time) error {
	if len(data) < dedupHeaderBytes || [4]byte(data[:4]) != dedupMagic || data[4] != dedupVersion {
		return errDedupFormat
	}
	seed := binary.BigEndian.Uint64(data[5:13])
	n := int(binary.BigEndian.Uint32(data[13:17]))
	body := data[dedupHeaderBytes:]
	if len(body) != n*dedupEntryBytes {
		return errDedupFormat
	}
	d.seed = seed
	if !d.enabled() {
		return nil
	}
	limit := now.UnixNano() - int64(d.window)
	first := max(0, n-d.max) // the newest d.max entries
	d.seen = make(map[uint64]uint8, min(n, d.max))
	d.queue, d.head, d.dirty = d.queue[:0], 0, false
	for i := first; i < n; i++ {
		rec := body[i*dedupEntryBytes:]
		key := binary.BigEndian.Uint64(rec)
		q := queued{key: key, at: int64(binary.BigEndian.Uint64(rec[8:])), val: rec[16]}
		if _, dup := d.seen[key]; dup || q.at <= limit {
			continue // a key must have one queue slot
		}
		d.insert(q)
	}
	return nil
}
