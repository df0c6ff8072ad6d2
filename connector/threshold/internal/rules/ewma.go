package rules

import (
	"math"
	"time"
)

// EWMA is an exponentially weighted moving mean and variance (West's
// incremental form). The zero value is an empty baseline.
type EWMA struct {
	Mean, Var float64
	N         uint32
}

// Update folds v into the baseline with smoothing factor alpha. A positive
// clip limits how far from the mean v counts (winsorising), so one wild but
// not anomalous sample cannot inflate the variance at once.
func (e *EWMA) Update(v, alpha, clip float64) {
	if e.N == 0 {
		e.Mean, e.Var, e.N = v, 0, 1
		return
	}
	diff := v - e.Mean
	if clip > 0 {
		diff = max(-clip, min(clip, diff))
	}
	incr := alpha * diff
	e.Mean += incr
	e.Var = (1 - alpha) * (e.Var + diff*incr)
	if e.N < math.MaxUint32 {
		e.N++
	}
}

// Deviations returns how many standard deviations v is from the mean, with
// the deviation floored at minStd so a flat baseline does not turn every
// wiggle into an anomaly.
func (e *EWMA) Deviations(v, minStd float64) float64 {
	sd := max(math.Sqrt(e.Var), minStd)
	if sd == 0 {
		if v == e.Mean {
			return 0
		}
		return math.Copysign(math.Inf(1), v-e.Mean)
	}
	return (v - e.Mean) / sd
}

// Std is the current standard deviation.
func (e *EWMA) Std() float64 { return math.Sqrt(e.Var) }

// HourlyBaselines are EWMA baselines per hour of the day, for seasonal
// anomaly rules.
type HourlyBaselines struct {
	EWMA [24]EWMA
	// Since is when each hour's baseline got its first sample (Unix ns).
	Since [24]int64
}

// Update folds v into hour h's baseline at ts.
func (b *HourlyBaselines) Update(h int, ts int64, v, alpha, clip float64) {
	if b.EWMA[h].N == 0 {
		b.Since[h] = ts
	}
	b.EWMA[h].Update(v, alpha, clip)
}

// Trusted reports whether hour h's baseline judges samples at ts: it has
// its warm-up and was started on an earlier day, so it has seen this hour
// before rather than only the last minutes (which may be an outage).
func (b *HourlyBaselines) Trusted(h int, ts int64, warmup uint32) bool {
	return b.EWMA[h].N >= warmup && ts-b.Since[h] >= int64(23*time.Hour)
}
