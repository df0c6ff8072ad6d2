package store

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// promQuantile is the oracle: Prometheus' own histogram_quantile for classic
// histograms, on the same per-bucket counts made cumulative.
func promQuantile(q float64, bounds []float64, counts []float64) float64 {
	var buckets promql.Buckets
	var cum float64
	for i, c := range counts {
		cum += c
		ub := math.Inf(1)
		if i < len(bounds) {
			ub = bounds[i]
		}
		buckets = append(buckets, promql.Bucket{UpperBound: ub, Count: cum})
	}
	v, _, _, _, _, _ := promql.BucketQuantile(q, buckets)
	return v
}

// The dashboard's quantile equals histogram_quantile on the same buckets,
// including empty buckets (which must still move the lower bound), the +Inf
// bucket, a rank exactly on a bucket boundary and non-positive bounds.
func TestQuantileEqualsPrometheusHistogramQuantile(t *testing.T) {
	latency := []float64{2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000}
	for _, tc := range []struct {
		name   string
		bounds []float64
		counts []float64 // per bucket, the last one is +Inf
	}{
		// The reported route: most requests fast, the slow tail in
		// (5000, 10000] with the buckets between empty. Prometheus says
		// 10000 ms; skipping empty buckets said 5000.
		{"slow tail behind empty buckets", latency, []float64{0, 0, 0, 0, 0, 60, 30, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0}},
		{"all in one bucket after empty ones", latency, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0}},
		{"empty bucket inside the distribution", []float64{100, 200, 400, 800}, []float64{10, 0, 50, 40, 0}},
		{"rank on a bucket boundary", []float64{100, 200, 400}, []float64{50, 45, 5, 0}},
		{"rank in +Inf", []float64{10, 100}, []float64{1, 0, 99}},
		{"rank in +Inf after empty buckets", latency, []float64{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 99}},
		{"only +Inf", []float64{10, 100}, []float64{0, 0, 5}},
		{"negative and zero bounds", []float64{-10, 0, 10}, []float64{5, 5, 5, 0}},
		{"first bucket", []float64{100, 200}, []float64{100, 0, 0}},
		{"fractional counts", []float64{0.005, 0.01, 0.025, 0.05}, []float64{0.5, 1.25, 0, 3.75, 0.5}},
	} {
		for _, q := range []float64{0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1} {
			buckets := map[float64]float64{}
			for i, c := range tc.counts {
				ub := math.Inf(1)
				if i < len(tc.bounds) {
					ub = tc.bounds[i]
				}
				buckets[ub] += c
			}
			got, _ := quantile(q, buckets)
			want := promQuantile(q, tc.bounds, tc.counts)
			if math.IsNaN(want) {
				assert.True(t, math.IsNaN(got), "%s q=%v: got %v, want NaN", tc.name, q, got)
				continue
			}
			assert.Equal(t, want, got, "%s q=%v", tc.name, q)
		}
	}
	for _, q := range []float64{math.NaN(), -0.5, 1.5} {
		got, _ := quantile(q, map[float64]float64{1: 1, math.Inf(1): 0})
		want := promQuantile(q, []float64{1}, []float64{1, 0})
		assert.Equal(t, math.IsNaN(want), math.IsNaN(got))
		if !math.IsNaN(want) {
			assert.Equal(t, want, got)
		}
	}
}

// Through the store: minutes whose data points have empty buckets keep those
// buckets, so p95 of the reported route is 10000 ms, as in Prometheus.
func TestStoreQuantileKeepsEmptyBuckets(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s, clk := newTestStore(t, start, time.UTC, 100)
	bounds := []float64{100, 1000, 5000, 10000}
	route := map[string]string{"http.route": "/checkout"}
	delta := pmetric.AggregationTemporalityDelta
	s.AddMetrics(histogram("http.server.request.duration", delta, start, clk.Now(), bounds, []uint64{90, 0, 0, 10, 0}, route))
	q := s.Quantiles("http.server.request.duration", 0.95, 5*time.Minute, nil, "http.route")["/checkout"]
	require.Equal(t, 100.0, q.Count)
	want := promQuantile(0.95, bounds, []float64{90, 0, 0, 10, 0})
	assert.Equal(t, 7500.0, want, "rank 95: 5 of 10 into (5000, 10000]")
	assert.Equal(t, want, q.Value)
}
