package store

// Minutes is how many minute slots a counter keeps: the last 24 hours.
const Minutes = 24 * 60

// minuteRing holds per-minute sums for the last Minutes minutes. Slots are
// addressed by unix minute modulo Minutes; head is the newest minute written,
// and slots older than head-Minutes+1 are cleared lazily when head moves, so
// the ring never needs a per-slot timestamp.
type minuteRing struct {
	head  int64
	slots [Minutes]float64
}

// add adds v to minute m. It reports false when m is already out of the
// window (older than Minutes before head).
func (r *minuteRing) add(m int64, v float64) bool {
	if m > r.head {
		r.advance(m)
	}
	if m <= r.head-Minutes {
		return false
	}
	r.slots[slot(m)] += v
	return true
}

func (r *minuteRing) advance(m int64) {
	if m-r.head >= Minutes {
		clear(r.slots[:])
	} else {
		for k := r.head + 1; k <= m; k++ {
			r.slots[slot(k)] = 0
		}
	}
	r.head = m
}

// at returns the value of minute m, or 0 when m is outside the window.
func (r *minuteRing) at(m int64) float64 {
	if m > r.head || m <= r.head-Minutes {
		return 0
	}
	return r.slots[slot(m)]
}

// sum returns the total of minutes (now-n, now].
func (r *minuteRing) sum(now int64, n int) float64 {
	var t float64
	for k := now - int64(n) + 1; k <= now; k++ {
		t += r.at(k)
	}
	return t
}

func slot(m int64) int {
	s := int(m % Minutes)
	if s < 0 {
		s += Minutes
	}
	return s
}
