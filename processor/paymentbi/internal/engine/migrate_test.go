package engine

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// updateV1 rewrites testdata/state_v1.json; only a build that still writes
// format 1 (snapshot and journal version 1) may do it.
var updateV1 = flag.Bool("update-state-v1", false, "rewrite testdata/state_v1.json with this build's formats")

const stateV1File = "testdata/state_v1.json"

// migrationClock is where the saved state of the migration test was taken.
func migrationClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 31, 23, 58, 0, 0, time.UTC)}
}

// feedMigration is the traffic of the migration test: batches 0..5, a sync
// after batch 3, so the state holds a snapshot plus two journal records.
func feedMigration(t *testing.T, clock *fakeClock, client storage.Client, from, to int, engines ...*Engine) {
	t.Helper()
	for i := from; i < to; i++ {
		for _, e := range engines {
			if err := e.ObserveLogs(bg, shopBatch(i)); err != nil {
				t.Fatal(err)
			}
			if err := e.ObserveTraces(bg, traces(chargeBatch(i))); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(13 * time.Second)
		if i == 3 && client != nil {
			if err := engines[0].SaveState(bg, client); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// metricsJSONWithout is one emission without the metrics named prefix*.
func metricsJSONWithout(t *testing.T, e *Engine, prefix string) string {
	t.Helper()
	ms := pmetric.NewMetrics()
	sm := ms.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	e.AppendMetrics(sm)
	sm.Metrics().RemoveIf(func(m pmetric.Metric) bool { return strings.HasPrefix(m.Name(), prefix) })
	data, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(ms)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// State saved by the first persisted format (snapshot and journal version
// 1) still loads: every counter continues from it, as in a collector that
// never stopped.
func TestStateFormatV1Migrates(t *testing.T) {
	if *updateV1 {
		clock := migrationClock()
		client := newMemClient()
		e := restartedEngine(t, clock, client)
		feedMigration(t, clock, client, 0, 6, e)
		data, err := json.MarshalIndent(storedAll(t, client), "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(stateV1File, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(stateV1File)
	if err != nil {
		t.Fatal(err)
	}
	var saved map[string][]byte
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatal(err)
	}
	client := newMemClient()
	for key, value := range saved {
		store(t, client, key, value)
	}
	if v := stored(t, client, keyState)[4]; v != 1 {
		t.Fatalf("%s holds snapshot version %d, want the old format 1", stateV1File, v)
	}
	clock := migrationClock()
	reference := newEngineAt(t, clock)
	feedMigration(t, clock, nil, 0, 6, reference)
	migrated := restartedEngine(t, clock, client)
	if migrated.seq != 12 {
		t.Fatalf("journal position %d after loading, want 12 (two records a batch; a snapshot after batch 3, records of batches 4 and 5)", migrated.seq)
	}
	reference.agg.stages.restarted()
	feedMigration(t, clock, nil, 6, 9, reference, migrated)
	// the segment counters did not exist in format 1: they count from the
	// migration on, every other figure continues
	for round := 0; round < 2; round++ {
		if a, b := metricsJSONWithout(t, reference, "segment."), metricsJSONWithout(t, migrated, "segment."); a != b {
			t.Fatalf("emission %d after migrating differs from a collector that never stopped:\n%s", round, firstDiff(a, b))
		}
	}
	// the migrated state is saved in the current format and loads again
	if err := migrated.SaveState(bg, client); err != nil {
		t.Fatal(err)
	}
	if v := stored(t, client, keyState)[4]; v != snapshotVersion {
		t.Fatalf("saved snapshot version %d, want %d", v, snapshotVersion)
	}
	again := restartedEngine(t, clock, client)
	if a, b := metricsJSON(t, migrated), metricsJSON(t, again); a != b {
		t.Fatalf("state saved after the migration does not load back:\n%s", firstDiff(a, b))
	}
}
