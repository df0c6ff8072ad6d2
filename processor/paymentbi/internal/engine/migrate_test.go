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

// updateV1 and updateV2 rewrite testdata/state_v1.json and state_v2.json;
// only a build that still writes that format (snapshot version 1, resp.
// 2) may do it.
var (
	updateV1 = flag.Bool("update-state-v1", false, "rewrite testdata/state_v1.json with this build's formats")
	updateV2 = flag.Bool("update-state-v2", false, "rewrite testdata/state_v2.json with this build's formats")
)

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
// never stopped. The segment counters did not exist in format 1: they
// count from the migration on.
func TestStateFormatV1Migrates(t *testing.T) {
	testStateFormatMigrates(t, "testdata/state_v1.json", 1, *updateV1, "segment.")
}

// State saved by snapshot format 2 (before the series bound's fold
// counter) still loads, every figure continuing.
func TestStateFormatV2Migrates(t *testing.T) {
	testStateFormatMigrates(t, "testdata/state_v2.json", 2, *updateV2, "")
}

// testStateFormatMigrates loads the state in file, saved in snapshot format
// version, and checks that every metric but those named without* continues
// ("" for none) as in a collector that never stopped, and that the state
// saved after it loads back.
func testStateFormatMigrates(t *testing.T, file string, version byte, update bool, without string) {
	if update {
		clock := migrationClock()
		client := newMemClient()
		e := restartedEngine(t, clock, client)
		feedMigration(t, clock, client, 0, 6, e)
		data, err := json.MarshalIndent(storedAll(t, client), "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(file)
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
	if v := stored(t, client, keyState)[4]; v != version {
		t.Fatalf("%s holds snapshot version %d, want the old format %d", file, v, version)
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
	emit := func(e *Engine) string {
		if without == "" {
			return metricsJSON(t, e)
		}
		return metricsJSONWithout(t, e, without)
	}
	for round := 0; round < 2; round++ {
		if a, b := emit(reference), emit(migrated); a != b {
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
