package rules

import (
	"math"
	"time"
)

// Window is a sliding count window split into Slots slots of SlotNanos each.
// A series keeps its counts in two flat slices (epochs: one per slot;
// counts: Width per slot) so that many series cost few allocations. The
// window at time t covers the slots whose epoch lies in (e-Slots, e], with
// e = t/SlotNanos: between (Slots-1)/Slots of the configured length and the
// whole of it.
type Window struct {
	SlotNanos int64
	Slots     int
	Width     int
}

// NewWindow splits length into slots of equal size.
func NewWindow(length time.Duration, slots, width int) Window {
	slot := int64(length) / int64(slots)
	if slot <= 0 {
		slot = 1
	}
	return Window{SlotNanos: slot, Slots: slots, Width: width}
}

// Alloc returns zeroed storage for one series.
func (w Window) Alloc() (epochs []int64, counts []uint32) {
	epochs = make([]int64, w.Slots)
	for i := range epochs {
		epochs[i] = math.MinInt64
	}
	return epochs, make([]uint32, w.Slots*w.Width)
}

// row returns the counts of the slot for now, clearing it when it held an
// older epoch.
func (w Window) row(epochs []int64, counts []uint32, now int64) []uint32 {
	e := now / w.SlotNanos
	s := int(e % int64(w.Slots))
	r := counts[s*w.Width : (s+1)*w.Width]
	if epochs[s] != e {
		epochs[s] = e
		clear(r)
	}
	return r
}

// Add adds delta to column col of the current slot.
func (w Window) Add(epochs []int64, counts []uint32, now int64, col int, delta uint32) {
	r := w.row(epochs, counts, now)
	r[col] += delta
}

// Max raises column col of the current slot to at least v.
func (w Window) Max(epochs []int64, counts []uint32, now int64, col int, v uint32) {
	r := w.row(epochs, counts, now)
	if v > r[col] {
		r[col] = v
	}
}

// Sum adds the live slots' columns into out (len Width); column maxCol (-1
// for none) is combined with max instead of sum. It reports whether any
// slot is live.
func (w Window) Sum(epochs []int64, counts []uint32, now int64, out []uint64, maxCol int) bool {
	clear(out)
	e := now / w.SlotNanos
	live := false
	for s, se := range epochs {
		if se <= e-int64(w.Slots) || se > e {
			continue
		}
		live = true
		r := counts[s*w.Width : (s+1)*w.Width]
		for c, v := range r {
			if c == maxCol {
				out[c] = max(out[c], uint64(v))
			} else {
				out[c] += uint64(v)
			}
		}
	}
	return live
}
