package engine

import (
	"context"
	"slices"
	"testing"
)

// Threshold rules are checked against MetricNames at start, so every name
// the engine emits must be listed there.
func TestMetricNamesListsEverythingEmitted(t *testing.T) {
	e, _ := newTestEngine(t)
	e.ObserveLogs(context.Background(), logs(purchase("o1", "USD", 10.0), purchase("o2", "EUR", "12,50"), purchase("o3", "USD", "not a number")))
	known := MetricNames()
	emitted := collect(e)
	if len(emitted) < 10 {
		t.Fatalf("only %d metrics emitted; the test no longer exercises the engine", len(emitted))
	}
	for name := range emitted {
		if !slices.Contains(known, name) {
			t.Errorf("metric %q is emitted but missing from MetricNames", name)
		}
	}
}
