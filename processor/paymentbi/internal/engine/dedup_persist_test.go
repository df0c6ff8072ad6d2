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
// the collector shut down cleanly or was killed after its last sync.
func TestDedupSurvivesRestart(t *testing.T) {
	for _, clean := range []bool{true, false} {
		t.Run(fmt.Sprintf("clean_shutdown=%v", clean), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			client, closeStore := fileStore(t, dir)
			e1, clock := newTestEngine(t)
			e1.ObserveLogs(logs(purchase("o1", "USD", 10.0, contract.CustomerID, "h:alice")))
			if err := e1.SaveState(ctx, client); err != nil { // the periodic sync
				t.Fatal(err)
			}
			// after the sync: saved at a clean shutdown, lost by a kill -9
			e1.ObserveLogs(logs(purchase("o2", "USD", 20.0, contract.CustomerID, "h:bob")))
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
			e2.ObserveLogs(logs(
				purchase("o1", "USD", 10.0, contract.CustomerID, "h:alice"),
				purchase("o2", "USD", 20.0, contract.CustomerID, "h:bob"),
			))
			ms := collect(e2)
			wantOrders, wantDaily := 1.0, 30.0 // o2 is new to e2 after a kill -9
			if clean {
				wantOrders = 0 // both were counted before the restart
			}
			if got := orders(t, e2); got != wantOrders {
				t.Errorf("orders after restart = %v, want %v", got, wantOrders)
			}
			if got := value(t, ms, MetricRevenueDaily, contract.PaymentReportingCurrency, "USD"); got != wantDaily {
				t.Errorf("daily revenue after restart = %v, want %v: each purchase once", got, wantDaily)
			}
			if got, _ := lookup(ms, MetricCustomerOrders, contract.CustomerSegment, "returning"); got != 0 {
				t.Errorf("the redelivered first purchase made bob returning")
			}
			if wantDup := 2 - wantOrders; value(t, ms, MetricDuplicateEvents, contract.EventName, contract.EventPurchase) != wantDup {
				t.Errorf("duplicates = %v, want %v", dump(ms, MetricDuplicateEvents), wantDup)
			}

			// past the window the order id is forgotten: counted again
			clock.Advance(time.Hour)
			e2.ObserveLogs(logs(purchase("o1", "USD", 10.0, contract.CustomerID, "h:alice")))
			if got := orders(t, e2); got != wantOrders+1 {
				t.Errorf("orders after the window = %v, want %v", got, wantOrders+1)
			}
		})
	}
}

// Entries that expire while the collector is down are not restored.
func TestDedupExpiresAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	client, closeStore := fileStore(t, dir)
	e1, clock := newTestEngine(t)
	e1.ObserveLogs(logs(purchase("o1", "USD", 10.0)))
	if err := e1.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	closeStore()
	clock.Advance(time.Hour + time.Second)
	client, closeStore = fileStore(t, dir)
	defer closeStore()
	e2 := restartedEngine(t, clock, client)
	if n := e2.dedup.len(); n != 0 {
		t.Fatalf("%d expired entries restored", n)
	}
	e2.ObserveLogs(logs(purchase("o1", "USD", 10.0)))
	if got := orders(t, e2); got != 1 {
		t.Errorf("orders = %v, want 1: the window had passed", got)
	}
}

// The persisted set is as bounded as the one in memory: the newest
// dedup_max_entries ids, also when the bound shrank between runs.
func TestDedupPersistedBounded(t *testing.T) {
	ctx := context.Background()
	client := newMemClient()
	e1, clock := newTestEngine(t, func(s *Settings) { s.DedupMaxEntries = 100 })
	for i := 0; i < 250; i++ {
		e1.ObserveLogs(logs(purchase(fmt.Sprintf("o%d", i), "USD", 1.0)))
		clock.Advance(time.Second)
	}
	if err := e1.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	saved := len(client.data[keyDedup])
	if saved == 0 || saved > 100*dedupEntryBytes+dedupHeaderBytes {
		t.Fatalf("persisted dedup set is %d bytes, want 1…%d", saved, 100*dedupEntryBytes+dedupHeaderBytes)
	}
	e2 := restartedEngine(t, clock, client, func(s *Settings) { s.DedupMaxEntries = 40 })
	if n := e2.dedup.len(); n != 40 {
		t.Fatalf("restored %d entries, want the bound 40", n)
	}
	// the newest 40 (o210…o249) are remembered, older ones are not
	e2.ObserveLogs(logs(purchase("o249", "USD", 1.0), purchase("o210", "USD", 1.0), purchase("o209", "USD", 1.0)))
	if got := orders(t, e2); got != 1 {
		t.Errorf("orders = %v, want 1 (only o209, evicted)", got)
	}
}

// State saved before the dedup set was persisted still loads.
func TestStateWithoutDedupLoads(t *testing.T) {
	ctx := context.Background()
	client := newMemClient()
	e1, clock := newTestEngine(t)
	e1.ObserveLogs(logs(purchase("o1", "USD", 10.0, contract.CustomerID, "h:alice")))
	if err := e1.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	delete(client.data, keyDedup)
	e2 := restartedEngine(t, clock, client)
	if got := value(t, collect(e2), MetricCustomerDistinct); got != 1 {
		t.Errorf("customer state not loaded: distinct = %v", got)
	}
	client.data[keyDedup] = []byte("garbage")
	e3 := restartedEngine(t, clock, client)
	if got := value(t, collect(e3), MetricRevenueDaily, contract.PaymentReportingCurrency, "USD"); got != 10 {
		t.Errorf("a bad dedup record stopped the rest loading: daily = %v", got)
	}
}
