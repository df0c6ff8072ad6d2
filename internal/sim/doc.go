// Package sim simulates the telemetry of a payment service — checkout
// funnels, payment attempts and failures, refunds, stock, fraud bursts and
// outages — with the OpenTelemetry Go SDK over OTLP gRPC, following
// docs/conventions.md.
//
// Run returns a Ledger: the ground truth of what was sent (revenue per
// currency and method in integer minor units, orders, attempts, funnel
// counts, refunds, ...), counted the way a correct pipeline should count it,
// e.g. a purchase delivered twice counts once. Run fails when any span or
// log record did not reach the endpoint, so a ledger from a successful run
// describes exactly what the receiver got. The same Seed and Config produce
// the same telemetry apart from timestamps.
package sim
