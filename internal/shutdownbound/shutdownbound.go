// Package shutdownbound bounds how long the distribution's components take
// to shut down, so that a failing backend cannot hold SIGTERM past the
// orchestrator's grace period (Kubernetes sends SIGKILL after
// terminationGracePeriodSeconds, 30 s by default).
//
// The collector shuts components down one after the other. Each of our
// components measures its bound from the moment the first of them began to
// shut down (the shutdown phase), not from its own turn, so the bounds do
// not add up along the pipeline: with every component at the default, the
// whole phase ends within DefaultTimeout plus the final storage writes.
package shutdownbound

import (
	"context"
	"sync"
	"time"
)

// DefaultTimeout is the default shutdown_timeout of our components: well
// under Kubernetes' 30 s grace period, leaving room for the receivers, the
// upstream exporters (their own per-request timeout) and the storage flush.
const DefaultTimeout = 10 * time.Second

var phase struct {
	sync.Mutex
	start time.Time
}

// now is replaced by tests.
var now = time.Now

// Begin marks the start of the shutdown phase (the first call after Reset
// wins) and returns the deadline of a component whose bound is timeout.
func Begin(timeout time.Duration) time.Time {
	phase.Lock()
	defer phase.Unlock()
	if phase.start.IsZero() {
		phase.start = now()
	}
	return phase.start.Add(timeout)
}

// Reset ends the shutdown phase; components call it from Start, so a
// collector that reloads its configuration gets a fresh phase.
func Reset() {
	phase.Lock()
	defer phase.Unlock()
	phase.start = time.Time{}
}

// Context returns a context that ends at the component's shutdown deadline
// (measured from the start of the phase, see Begin), or with parent.
func Context(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithDeadline(parent, Begin(timeout))
}
