package sampledforward // import "github.com/otelcol-payments/otelcol-payments/connector/sampledforward"

import (
	"errors"
	"fmt"
	"math"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
)

// Config of the sampled_forward connector: the settings of contrib's
// probabilistic_sampler in proportional mode that apply to traces.
type Config struct {
	// SamplingPercentage of the spans to forward; above 100 means 100.
	SamplingPercentage float32 `mapstructure:"sampling_percentage"`
	// SamplingPrecision is the number of hex digits of the threshold
	// written to the tracestate (ot=th:…).
	SamplingPrecision int `mapstructure:"sampling_precision"`
	// FailClosed drops spans whose sampling randomness is missing or
	// inconsistent (an unparseable tracestate, an empty trace id, a
	// threshold the trace id contradicts) instead of forwarding them.
	FailClosed bool `mapstructure:"fail_closed"`
}

// Validate checks the percentage and precision as probabilistic_sampler
// does.
func (c *Config) Validate() error {
	pct := float64(c.SamplingPercentage)
	var errs []error
	switch {
	case math.IsNaN(pct) || math.IsInf(pct, 0):
		errs = append(errs, fmt.Errorf("sampling_percentage: %v is not a number", c.SamplingPercentage))
	case pct < 0:
		errs = append(errs, fmt.Errorf("sampling_percentage: %g is negative", c.SamplingPercentage))
	case pct > 0 && pct/100 < sampling.MinSamplingProbability:
		errs = append(errs, fmt.Errorf("sampling_percentage: %g%% is below the smallest expressible probability (2^-56)", c.SamplingPercentage))
	}
	if c.SamplingPrecision < 1 || c.SamplingPrecision > sampling.NumHexDigits {
		errs = append(errs, fmt.Errorf("sampling_precision: %d, want 1 to %d hex digits", c.SamplingPrecision, sampling.NumHexDigits))
	}
	return errors.Join(errs...)
}
