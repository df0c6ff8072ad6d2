// Package ga4exporter sends the ecommerce business events of the telemetry
// contract (log records or span events) to Google Analytics 4 through the
// Measurement Protocol, within every documented protocol limit.
package ga4exporter
