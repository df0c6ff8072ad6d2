package rules

import "math"

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
