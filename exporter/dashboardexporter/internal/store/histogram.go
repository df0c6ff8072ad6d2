package store

import (
	"math"
	"slices"
	"sort"
)

// histWindow keeps per-minute bucket count deltas of one histogram series for
// the last len(minutes) minutes: enough for a recent percentile without
// keeping 24 hours of buckets per series.
type histWindow struct {
	bounds  []float64   // explicit upper bounds; the last bucket is +Inf
	head    int64       // newest minute written
	minutes [][]float64 // [slot][bucket]
}

func newHistWindow(bounds []float64, window int) *histWindow {
	h := &histWindow{bounds: slices.Clone(bounds), minutes: make([][]float64, window)}
	for i := range h.minutes {
		h.minutes[i] = make([]float64, len(bounds)+1)
	}
	return h
}

func (h *histWindow) slot(m int64) []float64 {
	n := int64(len(h.minutes))
	return h.minutes[((m%n)+n)%n]
}

func (h *histWindow) add(m int64, counts []float64) {
	n := int64(len(h.minutes))
	if m > h.head {
		for k := max(h.head+1, m-n+1); k <= m; k++ {
			clear(h.slot(k))
		}
		h.head = m
	}
	if m <= h.head-n {
		return
	}
	dst := h.slot(m)
	for i, c := range counts {
		dst[i] += c
	}
}

// addWindow adds the bucket counts of minutes (now-n, now] into acc, keyed by
// upper bound (+Inf for the overflow bucket).
func (h *histWindow) addWindow(acc map[float64]float64, now int64, n int) {
	w := int64(len(h.minutes))
	for k := now - int64(n) + 1; k <= now; k++ {
		if k > h.head || k <= h.head-w {
			continue
		}
		for i, c := range h.slot(k) {
			if c == 0 {
				continue
			}
			ub := math.Inf(1)
			if i < len(h.bounds) {
				ub = h.bounds[i]
			}
			acc[ub] += c
		}
	}
}

// quantile interpolates the q-quantile from bucket counts keyed by upper
// bound the way Prometheus' histogram_quantile does: linearly inside the
// bucket, the first bucket starting at 0, and the +Inf bucket answering its
// lower bound. It returns NaN without observations.
func quantile(q float64, buckets map[float64]float64) (float64, float64) {
	bounds := make([]float64, 0, len(buckets))
	var total float64
	for ub, c := range buckets {
		bounds = append(bounds, ub)
		total += c
	}
	if total == 0 {
		return math.NaN(), 0
	}
	sort.Float64s(bounds)
	rank := q * total
	var cum, lower float64
	for _, ub := range bounds {
		c := buckets[ub]
		if cum+c >= rank && c > 0 {
			if math.IsInf(ub, 1) {
				return lower, total
			}
			return lower + (ub-lower)*(rank-cum)/c, total
		}
		cum += c
		if !math.IsInf(ub, 1) {
			lower = ub
		}
	}
	return lower, total
}
