package ga4exporter

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	pdatareq "go.opentelemetry.io/collector/pdata/xpdata/request"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/queueitem"
)

// appLogs are records GA4 has no use for: request logs with a few attributes.
func appLogs(n int) []rec {
	var out []rec
	for i := range n {
		out = append(out, rec{attrs: map[string]any{
			"http.route": "/api/products/{id}", "http.request.method": "GET", "http.response.status_code": 200,
			contract.CheckoutSessionID: fmt.Sprintf("cs_%d", i), "message": "GET /api/products/sku-1 200 in 12ms",
		}})
	}
	return out
}

// The queue holds the GA4 events of a batch, not the batch: one purchase in
// a hundred records is one queued event, and the item is a fraction of the
// batch's size.
func TestQueueItemHoldsOnlyGA4Events(t *testing.T) {
	h := newHarness(t)
	e := h.exporter()
	ld := logsOf(t, append(appLogs(99), goldenEvents()[mapping.GAPurchase])...)
	req, err := e.convertLogs(context.Background(), ld)
	require.NoError(t, err)
	assert.Equal(t, 1, req.ItemsCount())
	item, err := e.queueEncoding(false).Marshal(context.Background(), req)
	require.NoError(t, err)
	batch, err := pdatareq.MarshalLogs(context.Background(), ld)
	require.NoError(t, err)
	assert.Less(t, len(item)*10, len(batch), "queue item %d bytes, batch %d bytes", len(item), len(batch))

	_, back, err := e.queueEncoding(false).Unmarshal(item)
	require.NoError(t, err)
	assert.Equal(t, req, back)
}

// An upgrade keeps what the previous version queued: whole OTLP batches,
// with or without their request context, are mapped when read.
func TestQueueItemFromEarlierVersionIsMapped(t *testing.T) {
	h := newHarness(t)
	e := h.exporter()
	ctx := context.Background()
	ld := logsOf(t, append(appLogs(3), goldenEvents()[mapping.GAPurchase], goldenEvents()[mapping.GAAddToCart])...)
	withCtx, err := pdatareq.MarshalLogs(ctx, ld)
	require.NoError(t, err)
	bare, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	for _, item := range [][]byte{withCtx, bare} {
		_, req, err := e.queueEncoding(false).Unmarshal(item)
		require.NoError(t, err)
		assert.Equal(t, 2, req.ItemsCount())
	}

	td := tracesOf(t, nil, goldenEvents()[mapping.GAPurchase])
	tWithCtx, err := pdatareq.MarshalTraces(ctx, td)
	require.NoError(t, err)
	tBare, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	for _, item := range [][]byte{tWithCtx, tBare} {
		_, req, err := e.queueEncoding(true).Unmarshal(item)
		require.NoError(t, err)
		assert.Equal(t, 1, req.ItemsCount())
	}
}

// A truncated item is an error for exporterhelper to report, not a panic
// or a silently short request.
func TestCorruptQueueItemIsAnError(t *testing.T) {
	h := newHarness(t)
	e := h.exporter()
	req, err := e.convertLogs(context.Background(), logsOf(t, goldenEvents()[mapping.GAPurchase], goldenEvents()[mapping.GAAddToCart]))
	require.NoError(t, err)
	item, err := e.queueEncoding(false).Marshal(context.Background(), req)
	require.NoError(t, err)
	for _, cut := range []int{len(queueMagic) + 1, len(item) / 2, len(item) - 1} {
		_, _, err := e.queueEncoding(false).Unmarshal(item[:cut])
		assert.Error(t, err, "cut at %d of %d", cut, len(item))
	}
}

// When one of a request's GA4 posts fails, the retry carries only the
// events of that post.
func TestRetryCarriesOnlyUndeliveredEvents(t *testing.T) {
	h := newHarness(t)
	e := h.exporter()
	other := rec{name: contract.EventAddToCart, attrs: map[string]any{contract.GAClientID: "7.7", contract.PaymentCurrency: "EUR", contract.PaymentAmountMinor: 100}}
	req, err := e.convertLogs(context.Background(), logsOf(t, goldenEvents()[mapping.GAPurchase], other))
	require.NoError(t, err)
	require.Equal(t, 2, req.ItemsCount())
	h.srv.FailNext(http.StatusOK, http.StatusServiceUnavailable) // one request per client id
	err = e.push(context.Background(), req)
	require.Error(t, err)
	retry := req.(*ga4Request).OnError(err)
	require.Equal(t, 1, retry.ItemsCount())
	assert.Equal(t, "7.7", retry.(*ga4Request).Items[0].header.ClientID)
}

// Events in the persistent queue survive a kill -9 while GA4 is being
// called (the storage as it was then is restarted from), and are sent
// after the restart: the queue item is read back through file_storage.
func TestPersistentQueueSurvivesKill(t *testing.T) {
	dir, snapshot := t.TempDir(), t.TempDir()
	host, id := newFileStorageHostIn(t, dir)
	persistent := func(c *Config) {
		q := exporterhelper.NewDefaultQueueConfig()
		q.StorageID = &id
		c.QueueConfig = configoptional.Some(q)
	}
	killed := make(chan struct{})
	freeze := freezeBefore(t, dir, snapshot, 1)
	signal := func(next http.RoundTripper) http.RoundTripper {
		frozen := freeze(next)
		var once sync.Once
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			defer once.Do(func() { close(killed) })
			return frozen.RoundTrip(r)
		})
	}
	before := newHarness(t, withConfig(persistent), withHost(host), withTransport(signal))
	require.NoError(t, before.pushLogs(append(appLogs(20), goldenEvents()[mapping.GAPurchase], goldenEvents()[mapping.GAAddToCart])...))
	<-killed // the queue consumer took the item and the "kill" happened
	before.stop()

	host2, _ := newFileStorageHostIn(t, snapshot)
	after := newHarness(t, withConfig(persistent), withHost(host2), withSettings(before.set))
	// The restarted queue sends on its own; the check polls the test server.
	require.Eventually(t, func() bool { return len(after.srv.Events()) >= 2 }, 30*time.Second, 10*time.Millisecond)
	after.stop()
	names := map[string]int{}
	for _, ev := range after.srv.Events() {
		names[ev.Name]++
	}
	assert.Equal(t, map[string]int{mapping.GAPurchase: 1, mapping.GAAddToCart: 1}, names)
}

// A damaged queue item (a bit flip or partial write in file_storage) must
// be refused as corrupt, not posted: an empty event makes the body invalid
// JSON ("events":[,{…}]), which GA4 answers with 2xx and drops silently
// with the good events beside it.
func TestDamagedQueueItemIsRefused(t *testing.T) {
	h := newHarness(t)
	e := h.exporter()
	ld := logsOf(t, goldenEvents()[mapping.GAViewItem], goldenEvents()[mapping.GAAddToCart])
	good, err := e.convertLogs(context.Background(), ld)
	require.NoError(t, err)
	items := good.(*ga4Request).Items
	require.Len(t, items, 2)
	noJSON := items[1]
	noJSON.event.JSON = nil
	noClient := items[1]
	noClient.header.ClientID = ""
	for name, damaged := range map[string]queuedEvent{"empty event": noJSON, "empty client_id": noClient} {
		item, err := e.queueEncoding(false).Marshal(context.Background(), eventKind.New([]queuedEvent{items[0], damaged}))
		require.NoError(t, err)
		_, req, err := e.queueEncoding(false).Unmarshal(item)
		if err == nil {
			_ = e.push(context.Background(), req)
		}
		require.ErrorIs(t, err, queueitem.ErrCorrupt, name)
	}
}
