// Package contract is the telemetry contract shared by every otelcol-payments
// component and by applications: attribute keys, event names, span names,
// money handling in integer minor units, and the alert record schema.
//
// docs/conventions.md is the prose form of this package. A key string is
// defined here once and nowhere else.
package contract
