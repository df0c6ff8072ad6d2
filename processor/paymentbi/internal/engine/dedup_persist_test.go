package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// fileStore opens the real file_storage extension on dir and returns a
// client the way the connector gets one; closing it releases the database
// so the next "process" can open the same directory.
func fileStore(t *testing.T, dir string) (storage.Client, func()) {
	t.Helper()
	ctx := context.Background()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	ext, err := f.Create(ctx, extensiontest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	client, err := ext.(storage.Extension).GetClient(ctx, component.KindConnector, component.MustNewID("paymentbi"), "")
	if err != nil {
		t.Fatal(err)
	}
	return client, func() {
		if err := client.Close(ctx); err != nil {
			t.Error(err)
		}
		if err := ext.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}
}

// restartedEngine is a new engine (a new process) on the same storage, on
// the same clock.
func restartedEngine(t *testing.T, clock *fakeClock, client storage.Client, mutate ...func(*Settings)) *Engine {
	t.Helper()
	e := newEngineAt(t, clock, mutate...)
	if err := e.LoadState(context.Background(), client); err != nil {
		t.Fatal(err)
	}
	return e
}

func orders(t *testing.T, e *Engine) float64 {
	t.Helper()
	v, _ := lookup(collect(e), MetricOrders, contract.PaymentCurrency, "USD", contract.PaymentMethod, "card", contract.PaymentProvider, "stripe")
	return v
}

// A purchase delivered before a restart and redelivered after it (the
// sidecars' persistent queues deliver at least once) counts once, whether
// the collector shut down cleanly or was killed after its last sync: the
// journal holds what came after the sync, and counters continue.
func TestDedupSurvivesRestart(t *testing.T) {
	for _, clean := range []bool{true, false} {
		t.Run(fmt.Sprintf("clean_shutdown=%v", clean), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			client, closeStore := fileStore(t, dir)
			clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
			e1 := restartedEngine(t, clock, client)
			e1.ObserveLogs(bg, logs(purchase("o1", "USD", 10.0, contract.CustomerID, "h:alice")))
			if err := e1.SaveState(ctx, client); err != nil { // the periodic sync
				t.Fatal(err)
			}
			// after the sync: saved at a clean shutdown, journaled only before a kill -9
			e1.ObserveLogs(bg, logs(purchase("o2", "USD", 20.0, contract.CustomerID, "h:bob")))
			if clean {
				if err := e1.SaveState(ctx, client); err != nil {
					t.Fatal(err)
				}
			}
			closeStore()

			clock.Advance(10 * time.Minute) // within the 1h window
			client, closeStore = fileStore(t, dir)
			defer closeStore()
			e2 := restartedEngine(t, clock, client)
			e2.ObserveLogs(bg, logs(
				purchase("o1", "USD", 10.0, contract.CustomerID, "h:alice"),
				purchase("o2", "USD", 20.0, contract.CustomerID, "h:bob"),
			))
			ms := collect(e2)
			if got := orders(t, e2); got != 2 {
				t.Errorf("orders after restart = %v, want 2: both counted before, none again", got)
			}
			if got := value(t, ms, MetricRevenueDaily, contract.PaymentReportingCurrency, "USD"); got != 30 {
				t.Errorf("daily revenue after restart = %v, want 30: each purchase once", got)
			}
			if got, _ := lookup(ms, MetricCustomerOrders, contract.CustomerSegment, "returning"); got != 0 {
				t.Errorf("the redelivered first purchase made bob returning")
			}
			if got := value(t, ms, MetricDuplicateEvents, contract.EventName, contract.EventPurchase); got != 2 {
				t.Errorf("duplicates = %v, want 2", dump(ms, MetricDuplicateEvents))
			}

			// past the window the order id is forgotten: counted again
			clock.Advance(time.Hour)
			e2.ObserveLogs(bg, logs(purchase("o1", "USD", 10.0, contract.CustomerID, "h:alice")))
			if got := orders(t, e2); got != 3 {
				t.Errorf("orders after the window = %v, want 3", got)
			}
		})
	}
}

// Entries that expire while the collector is down are forgotten.
func TestDedupExpiresAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	client, closeStore := fileStore(t, dir)
	e1, clock := newTestEngine(t)
	e1.ObserveLogs(bg, logs(purchase("o1", "USD", 10.0)))
	if err := e1.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	closeStore()
	clock.Advance(time.Hour + time.Second)
	client, closeStore = fileStore(t, dir)
	defer closeStore()
	e2 := restartedEngine(t, clock, client)
	e2.ObserveLogs(bg, logs(purchase("o1", "USD", 10.0)))
	if n := e2.dedup.len(); n != 1 {
		t.Fatalf("%d dedup entries, want only the new o1", n)
	}
	if got := orders(t, e2); got != 2 {
		t.Errorf("orders = %v, want 2: the window had passed", got)
	}
}

// The persisted set is as bounded as the one in memory: the newest
// dedup_max_entries ids, also when the bound shrank between runs.
func TestDedupPersistedBounded(t *testing.T) {
	ctx := context.Background()
	client := newMemClient()
	e1, clock := newTestEngine(t, func(s *Settings) { s.DedupMaxEntries = 100 })
	for i := 0; i < 250; i++ {
		e1.ObserveLogs(bg, logs(purchase(fmt.Sprintf("o%d", i), "USD", 1.0)))
		clock.Advance(time.Second)
	}
	if err := e1.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	saved := len(stored(t, client, keyDedup))
	if saved == 0 || saved > 100*dedupEntryBytes+dedupHeaderBytes {
		t.Fatalf("persisted dedup set is %d bytes, want 1…%d", saved, 100*dedupEntryBytes+dedupHeaderBytes)
	}
	e2 := restartedEngine(t, clock, client, func(s *Settings) { s.DedupMaxEntries = 40 })
	if n := e2.dedup.len(); n != 40 {
		t.Fatalf("restored %d entries, want the bound 40", n)
	}
	// the newest 40 (o210…o249) are remembered, older ones are not
	e2.ObserveLogs(bg, logs(purchase("o249", "USD", 1.0), purchase("o210", "USD", 1.0), purchase("o209", "USD", 1.0)))
	if got := orders(t, e2); got != 251 {
		t.Errorf("orders = %v, want 250 + 1 (only o209, evicted)", got)
	}
}

// State saved before the dedup set was persisted still loads.
func TestStateWithoutDedupLoads(t *testing.T) {
	ctx := context.Background()
	client := newMemClient()
	e1, clock := newTestEngine(t)
	e1.ObserveLogs(bg, logs(purchase("o1", "USD", 10.0, contract.CustomerID, "h:alice")))
	if err := e1.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	if err := client.Delete(ctx, keyDedup); err != nil {
		t.Fatal(err)
	}
	e2 := restartedEngine(t, clock, client)
	if got := value(t, collect(e2), MetricCustomerDistinct); got != 1 {
		t.Errorf("customer state not loaded: distinct = %v", got)
	}
	store(t, client, keyDedup, []byte("garbage"))
	e3 := restartedEngine(t, clock, client)
	if got := value(t, collect(e3), MetricRevenueDaily, contract.PaymentReportingCurrency, "USD"); got != 10 {
		t.Errorf("a bad dedup record stopped the rest loading: daily = %v", got)
	}
}
