package rules

import (
	"math"
	"slices"
)

// latencyFactors place histogram bounds around a latency threshold: fine
// near it, coarse far from it. The threshold and the resolve threshold are
// always exact bounds, so "percentile above threshold" is decided exactly
// from counts and only the reported value is an estimate.
var latencyFactors = []float64{0.25, 0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2, 3, 5, 10}

// Histogram describes bucket bounds (in ms); bucket i counts values in
// (Bounds[i-1], Bounds[i]], the last bucket everything above the last bound.
type Histogram struct {
	Bounds []float64
}

// NewLatencyHistogram builds bounds around threshold, adding extra (the
// resolve threshold) as an exact bound too.
func NewLatencyHistogram(threshold float64, extra ...float64) Histogram {
	b := make([]float64, 0, len(latencyFactors)+len(extra))
	for _, f := range latencyFactors {
		b = append(b, threshold*f)
	}
	b = append(b, extra...)
	slices.Sort(b)
	return Histogram{Bounds: slices.Compact(b)}
}

// Buckets is the number of buckets.
func (h Histogram) Buckets() int { return len(h.Bounds) + 1 }

// Bucket returns the bucket index of v.
func (h Histogram) Bucket(v float64) int {
	i, _ := slices.BinarySearch(h.Bounds, v)
	return i
}

// CountAtMost returns how many values are <= bound; bound must be one of the
// Bounds.
func (h Histogram) CountAtMost(counts []uint64, bound float64) uint64 {
	var n uint64
	for i, b := range h.Bounds {
		if b > bound {
			break
		}
		n += counts[i]
	}
	return n
}

// Rank is the nearest-rank position of percentile p (0-100] among n values.
func Rank(p float64, n uint64) uint64 {
	r := uint64(math.Ceil(p / 100 * float64(n)))
	return max(r, 1)
}

// PercentileAbove reports whether the nearest-rank p-th percentile of the
// counted values is above bound (exactly, since bound is a bucket bound).
func (h Histogram) PercentileAbove(counts []uint64, n uint64, p, bound float64) bool {
	return h.CountAtMost(counts, bound) < Rank(p, n)
}

// Estimate interpolates the p-th percentile inside its bucket. maxSeen caps
// the open last bucket.
func (h Histogram) Estimate(counts []uint64, n uint64, p, maxSeen float64) float64 {
	if n == 0 {
		return math.NaN()
	}
	r := Rank(p, n)
	var cum uint64
	for i, c := range counts[:h.Buckets()] {
		if cum+c < r {
			cum += c
			continue
		}
		lo := 0.0
		if i > 0 {
			lo = h.Bounds[i-1]
		}
		hi := maxSeen
		if i < len(h.Bounds) {
			hi = min(h.Bounds[i], max(maxSeen, lo))
		}
		if hi < lo {
			hi = lo
		}
		return lo + (hi-lo)*float64(r-cum)/float64(c)
	}
	return maxSeen
}
