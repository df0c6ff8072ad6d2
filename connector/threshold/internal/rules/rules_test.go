package rules

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOperators(t *testing.T) {
	cases := []struct {
		op   string
		v    float64
		want bool
	}{
		{">", 11, true},
		{">", 10, false},
		{">=", 10, true},
		{"<", 9, true},
		{"<", 10, false},
		{"<=", 10, true},
		{"==", 10, true},
		{"==", 10.5, false},
		{"!=", 10.5, true},
		{"!=", 10, false},
	}
	for _, c := range cases {
		op, err := ParseOperator(c.op)
		require.NoError(t, err)
		assert.Equal(t, c.want, op.Holds(c.v, 10), "%v %s 10", c.v, c.op)
		assert.False(t, op.Holds(math.NaN(), 10), "NaN never holds")
		assert.Equal(t, c.op, op.String())
	}
	_, err := ParseOperator("=>")
	assert.ErrorContains(t, err, `unknown operator "=>"`)
}

// The percentile decision is exact at the threshold whatever the histogram
// resolution: compare with sorting the values.
func TestPercentileAboveIsExact(t *testing.T) {
	h := NewLatencyHistogram(1000, 800)
	for _, tc := range []struct {
		values []float64
		p      float64
	}{
		{[]float64{100, 200, 999, 1000, 1001}, 80},
		{[]float64{100, 200, 999, 1000, 1001}, 60},
		{append(slices.Repeat([]float64{500}, 95), 1200, 1200, 1200, 1200, 1200), 95},
		{append(slices.Repeat([]float64{500}, 94), 1200, 1200, 1200, 1200, 1200, 1200), 95},
		{[]float64{801, 802, 850}, 50},
	} {
		counts := make([]uint64, h.Buckets())
		for _, v := range tc.values {
			counts[h.Bucket(v)]++
		}
		n := uint64(len(tc.values))
		sorted := slices.Sorted(slices.Values(tc.values))
		want := sorted[Rank(tc.p, n)-1]
		for _, bound := range []float64{1000, 800} {
			assert.Equal(t, want > bound, h.PercentileAbove(counts, n, tc.p, bound), "p%v of %v above %v", tc.p, tc.values, bound)
		}
		est := h.Estimate(counts, n, tc.p, sorted[len(sorted)-1])
		if want > 1000 {
			assert.Greater(t, est, 1000.0, "estimate agrees with the decision")
		} else {
			assert.LessOrEqual(t, est, 1000.0)
		}
	}
}

func TestWindowSlides(t *testing.T) {
	w := NewWindow(5*time.Minute, 5, 2)
	ep, c := w.Alloc()
	base := int64(time.Hour)
	out := make([]uint64, 2)
	w.Add(ep, c, base, 0, 3)
	w.Add(ep, c, base+int64(2*time.Minute), 1, 4)
	require.True(t, w.Sum(ep, c, base+int64(4*time.Minute), out, -1))
	assert.Equal(t, []uint64{3, 4}, out)
	w.Sum(ep, c, base+int64(5*time.Minute), out, -1)
	assert.Equal(t, []uint64{0, 4}, out, "the first slot left the window")
	assert.False(t, w.Sum(ep, c, base+int64(7*time.Minute), out, -1))
	// A slot reused for a new epoch starts from zero.
	w.Add(ep, c, base+int64(10*time.Minute), 0, 1)
	w.Sum(ep, c, base+int64(10*time.Minute), out, -1)
	assert.Equal(t, []uint64{1, 0}, out)
}

func TestEWMA(t *testing.T) {
	var e EWMA
	for range 100 {
		e.Update(10, 0.1, 0)
	}
	assert.InDelta(t, 10, e.Mean, 1e-9)
	assert.Equal(t, 0.0, e.Deviations(10, 0))
	assert.True(t, math.IsInf(e.Deviations(9, 0), -1), "flat baseline without a floor")
	assert.InDelta(t, -2, e.Deviations(9, 0.5), 1e-9, "min deviation floors the spread")
}
