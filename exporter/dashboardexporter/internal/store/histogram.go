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
// upper bound (+Inf for the overflow bucket). Every bucket of the series gets
// a key, empty ones too: histogram_quantile interpolates from the previous
// bucket's bound, so leaving an empty bucket out moves the lower bound down.
func (h *histWindow) addWindow(acc map[float64]float64, now int64, n int) {
	for i := range len(h.bounds) + 1 {
		acc[h.upperBound(i)] += 0
	}
	w := int64(len(h.minutes))
	for k := now - int64(n) + 1; k <= now; k++ {
		if k > h.head || k <= h.head-w {
			continue
		}
		for i, c := range h.slot(k) {
			if c != 0 {
				acc[h.upperBound(i)] += c
			}
		}
	}
}

func (h *histWindow) upperBound(i int) float64 {
	if i < len(h.bounds) {
		return h.bounds[i]
	}
	return math.Inf(1)
}

// quantile computes the q-quantile from bucket counts keyed by upper bound
// exactly as Prometheus' histogram_quantile does for classic histograms
// (promql.BucketQuantile): on the cumulative counts, the first bucket whose
// cumulative count reaches q × total is interpolated linearly from the
// previous bucket's upper bound (0 below the first bucket when its bound is
// positive, else that bound); a rank in the +Inf bucket answers the highest
// finite bound. It also returns the number of observations; the value is NaN
// without observations or without a +Inf bucket.
func quantile(q float64, buckets map[float64]float64) (float64, float64) {
	bounds := make([]float64, 0, len(buckets))
	for ub := range buckets {
		bounds = append(bounds, ub)
	}
	sort.Float64s(bounds)
	cum := make([]float64, len(bounds))
	var total float64
	for i, ub := range bounds {
		total += buckets[ub]
		cum[i] = total
	}
	switch {
	case math.IsNaN(q):
		return math.NaN(), total
	case q < 0:
		return math.Inf(-1), total
	case q > 1:
		return math.Inf(1), total
	case len(bounds) < 2 || !math.IsInf(bounds[len(bounds)-1], 1) || total == 0:
		return math.NaN(), total
	}
	rank := q * total
	b := sort.Search(len(bounds)-1, func(i int) bool { return cum[i] >= rank })
	switch {
	case b == len(bounds)-1:
		return bounds[len(bounds)-2], total
	case b == 0 && bounds[0] <= 0:
		return bounds[0], total
	}
	start, end, count := 0.0, bounds[b], cum[b]
	if b > 0 {
		start = bounds[b-1]
		count -= cum[b-1]
		rank -= cum[b-1]
	}
	return start + (end-start)*(rank/count), total
}
