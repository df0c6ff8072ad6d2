package detect

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// cleanCache remembers strings the scanner found nothing in. Telemetry
// repeats most of its text in every record (SQL statements, user agents,
// routes, host names, product names), and a clean string is clean whatever
// else the batch holds: the result depends on the string and the scanner's
// actions only. A hit costs a hash and a compare instead of a scan.
//
// It is two-way set-associative and lock-free: each set holds two
// strings; a string is admitted on its second sighting in a set (seen
// holds the hash of the last miss), so unique ids, which are most of the
// clean strings scanned, only store a hash and neither allocate nor evict
// the repeated ones. Each hit raises a string's score (up to maxScore) and
// every other attempt to admit another string into its set lowers the lower
// score; a string is replaced at 0 (a newcomer starts at 1), so repeated
// strings sharing a set do not evict (and copy) each other in turn: a string
// must repeat more often than those in place to replace one. Memory is
// bounded by cleanSets × 2 × maxCleanLen. Strings with findings are never
// stored.
type cleanCache struct {
	seed maphash.Seed
	sets [cleanSets]cleanSet
}

type cleanSet struct {
	ways [2]cleanWay
	seen atomic.Uint64
	// tries counts attempts to admit; every other one is ignored, so a
	// string must repeat more often than the ones in place to replace one.
	tries atomic.Uint32
}

type cleanWay struct {
	s atomic.Pointer[string]
	// score counts the string's recent hits less the attempts to replace
	// it (racy updates only blur it).
	score atomic.Uint32
}

const (
	cleanSets = 2048 // a power of two
	// Shorter strings scan faster than they hash; longer ones are rare
	// repeats (stack traces, bodies) and would pin memory.
	minCleanLen = 12
	maxCleanLen = 256
	maxScore    = 3
)

func newCleanCache() *cleanCache { return &cleanCache{seed: maphash.MakeSeed()} }

func cacheable(s string) bool { return len(s) >= minCleanLen && len(s) <= maxCleanLen }

// has reports whether s is known clean; h is its hash for a later note.
func (c *cleanCache) has(s string) (h uint64, ok bool) {
	h = maphash.String(c.seed, s)
	set := &c.sets[h&(cleanSets-1)]
	for i := range set.ways {
		w := &set.ways[i]
		if p := w.s.Load(); p != nil && *p == s {
			if n := w.score.Load(); n < maxScore {
				w.score.Store(n + 1)
			}
			return h, true
		}
	}
	return h, false
}

// noteClean records that s (with hash h) was scanned and found clean.
func (c *cleanCache) noteClean(s string, h uint64) {
	set := &c.sets[h&(cleanSets-1)]
	if set.seen.Load() != h {
		set.seen.Store(h)
		return
	}
	n := set.tries.Load() + 1
	set.tries.Store(n)
	if n%2 == 0 {
		return
	}
	w := &set.ways[0]
	if set.ways[1].score.Load() < w.score.Load() {
		w = &set.ways[1]
	}
	if n := w.score.Load(); n > 0 {
		w.score.Store(n - 1)
		return
	}
	v := strings.Clone(s) // s may point into pdata or a caller's buffer
	w.s.Store(&v)
	w.score.Store(1)
}
