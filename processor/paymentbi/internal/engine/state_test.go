package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// memClient is an in-memory storage.Client, as file_storage behaves.
type memClient struct {
	mu   sync.Mutex
	data map[string][]byte
}

func newMemClient() *memClient { return &memClient{data: map[string][]byte{}} }

func (c *memClient) Get(_ context.Context, k string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.data[k], nil
}

func (c *memClient) Set(_ context.Context, k string, v []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data[k] = append([]byte(nil), v...)
	return nil
}

func (c *memClient) Delete(_ context.Context, k string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.data, k)
	return nil
}

func (c *memClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			op.Value, _ = c.Get(ctx, op.Key)
		case storage.Set:
			_ = c.Set(ctx, op.Key, op.Value)
		case storage.Delete:
			_ = c.Delete(ctx, op.Key)
		}
	}
	return nil
}

func (c *memClient) Close(context.Context) error { return nil }

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
	client.data[keyCustomers] = []byte("garbage")
	if err := e2.LoadState(ctx, client); err != nil {
		t.Fatalf("garbage state must be ignored, got %v", err)
	}
}

func TestCustomerStateMemoryAt10Million(t *testing.T) {
	c := newCustomers(10_000_000, 0.001, "USD")
	if got := c.memoryBytes(); got > 32<<20 {
		t.Fatalf("filter for 10M customers at 0.1%% = %d bytes, over 32 MiB", got)
	}
}
