// Package e2e runs whole collectors in-process for end-to-end tests: a
// collector built from real factories and a YAML config, a "capture"
// exporter whose output tests read and wait on, and free loopback ports.
package e2e
