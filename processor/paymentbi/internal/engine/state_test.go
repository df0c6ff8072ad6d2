package engine

import (
	"context"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// memClient is contrib's in-memory storage client, the one storage fake of
// the repository. It keeps values by reference, unlike file_storage: the
// restart tests fail if the engine hands storage a buffer it reuses.
type memClient = *storagetest.TestClient

func newMemClient() memClient {
	return storagetest.NewInMemoryClient(component.KindConnector, component.MustNewID("paymentbi"), "")
}

// stored is what client holds under key.
func stored(t *testing.T, client storage.Client, key string) []byte {
	t.Helper()
	v, err := client.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// storedAll is every key and value client holds.
func storedAll(t *testing.T, client storage.Walker) map[string][]byte {
	t.Helper()
	all := map[string][]byte{}
	err := client.Walk(context.Background(), func(key string, value []byte) ([]*storage.Operation, error) {
		all[key] = value
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// store writes value under key of client, as another build or a broken
// disk would have.
func store(t *testing.T, client storage.Client, key string, value []byte) {
	t.Helper()
	if err := client.Set(context.Background(), key, value); err != nil {
		t.Fatal(err)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	client := newMemClient()
	e1, clock := newTestEngine(t)
	e1.ObserveLogs(bg, logs(
		purchase("o1", "USD", 100.0, contract.CustomerID, "h:alice"),
		purchase("o2", "EUR", 10.0, contract.CustomerID, "h:bob"),
	))
	if err := e1.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}

	// a restart later the same day
	clock.Advance(time.Hour)
	e2, err := New(testSettings(clock))
	if err != nil {
		t.Fatal(err)
	}
	if err := e2.LoadState(ctx, client); err != nil {
		t.Fatal(err)
	}
	e2.ObserveLogs(bg, logs(purchase("o3", "USD", 1.0, contract.CustomerID, "h:alice")))
	ms := collect(e2)
	if got := value(t, ms, MetricCustomerOrders, contract.CustomerSegment, "returning"); got != 1 {
		t.Errorf("alice is not returning after restart")
	}
	if got := value(t, ms, MetricCustomerDistinct); got != 2 {
		t.Errorf("distinct after restart = %v", got)
	}
	if got := value(t, ms, MetricRevenueDaily, contract.PaymentReportingCurrency, "USD"); got != 111.8 {
		t.Errorf("daily revenue after restart = %v, want 100 + 10.80 + 1", got)
	}
	if got := value(t, ms, MetricLifetimeValue, contract.PaymentReportingCurrency, "USD"); got != 55.9 {
		t.Errorf("lifetime value = %v", got)
	}

	// the next day the saved day revenue is not restored
	clock.Advance(24 * time.Hour)
	if err := e2.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	clock.Advance(24 * time.Hour)
	e4, _ := New(testSettings(clock))
	if err := e4.LoadState(ctx, client); err != nil {
		t.Fatal(err)
	}
	if got := value(t, collect(e4), MetricRevenueDaily, contract.PaymentReportingCurrency, "USD"); got != 0 {
		t.Errorf("yesterday's revenue restored: %v", got)
	}
}

func TestMismatchedStateIsIgnored(t *testing.T) {
	ctx := context.Background()
	client := newMemClient()
	e1, clock := newTestEngine(t)
	e1.ObserveLogs(bg, logs(purchase("o1", "USD", 1.0, contract.CustomerID, "h:alice")))
	if err := e1.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	s := testSettings(clock)
	s.ExpectedCustomers *= 2
	e2, _ := New(s)
	if err := e2.LoadState(ctx, client); err != nil {
		t.Fatal(err)
	}
	if got := value(t, collect(e2), MetricCustomerDistinct); got != 0 {
		t.Errorf("state of another size was loaded")
	}
	store(t, client, keyCustomers, []byte("garbage"))
	if err := e2.LoadState(ctx, client); err != nil {
		t.Fatalf("garbage state must be ignored, got %v", err)
	}
}

func TestCustomerStateMemoryAt10Million(t *testing.T) {
	c := newCustomers(10_000_000, 0.001, "USD")
	if got := c.memoryBytes(); got > 256<<10 {
		t.Fatalf("filter for 10M customers at 0.1%% starts at %d bytes, over 256 KiB", got)
	}
	if got := CustomerFilterMaxBytes(10_000_000, 0.001); got > 32<<20 {
		t.Fatalf("filter for 10M customers at 0.1%% grows to %d bytes, over 32 MiB", got)
	}
}

// A restart with other duration buckets neither panics on the next charge
// beyond the old buckets nor exports histograms whose counts do not fit
// their bounds: the saved histograms start again on the new buckets.
func TestChangedDurationBucketsAfterRestart(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	client := newMemClient()
	charge := span{name: contract.SpanPaymentCharge, dur: 20 * time.Second, attrs: map[string]any{
		contract.PaymentStatus: "succeeded", contract.PaymentMethod: "card", contract.PaymentProvider: "stripe",
	}}
	e := restartedEngine(t, clock, client)
	if err := e.ObserveTraces(bg, traces(charge)); err != nil {
		t.Fatal(err)
	}
	if err := e.SaveState(context.Background(), client); err != nil {
		t.Fatal(err)
	}
	for _, bounds := range [][]float64{{0.1, 0.5, 1, 5, 10, 30}, {1}} {
		e = restartedEngine(t, clock, client, func(s *Settings) { s.DurationBounds = bounds })
		if err := e.ObserveTraces(bg, traces(charge)); err != nil {
			t.Fatal(err)
		}
		dps := collect(e)[MetricDuration].Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			if dp.BucketCounts().Len() != dp.ExplicitBounds().Len()+1 {
				t.Errorf("bounds %v: %d bucket counts for %d bounds", bounds, dp.BucketCounts().Len(), dp.ExplicitBounds().Len())
			}
		}
		if err := e.SaveState(context.Background(), client); err != nil {
			t.Fatal(err)
		}
	}
}
