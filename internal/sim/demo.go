package sim

import "time"

// Demo is the scenario of `make demo` (paymentsim --demo), six minutes
// that tell the story of a payment provider outage:
//
//	00:00  healthy traffic: 5 checkout sessions/s, provider errors ~2 %
//	02:00  the provider fails 70 % of payment attempts, 3 s slower
//	03:30  the provider recovers
//	06:00  the traffic stops
//
// Items are restocked before they run low and there is no card-testing
// attack, so the only alerts are the outage's. config/overlays/demo.yaml
// sizes the revenue targets and the alert rules to this pace, and
// connector/threshold's TestDemoTellsTheStory replays it through them.
func Demo() Config {
	return Config{
		Seed:           1,
		Rate:           5,
		Duration:       6 * time.Minute,
		DuplicateRate:  0.02,
		SpanEventShare: DefaultSpanEventShare,
		RefundRate:     DefaultRefundRate,
		ReorderPoint:   20,
		Outage: &Outage{
			Start: 2 * time.Minute, Length: 90 * time.Second,
			FailureRate: 0.7, SlowPayments: 3 * time.Second,
		},
	}
}
