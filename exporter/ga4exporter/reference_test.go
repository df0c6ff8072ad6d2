package ga4exporter

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mp"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// reference is what the exporter sent before events were encoded in place
// (params in a map, json.Marshal's output, one header per request encoded
// by json.Marshal, 25 events a request): computed here from mapping.Map and
// encoding/json alone, to hold the fast path to it byte for byte.
type reference struct {
	events    []refEvent
	drops     map[string]int64
	truncated int64
	params    map[string]int64
}

type refEvent struct {
	header mp.Header
	txn    string
	json   string
	ts     int64
}

func newReference() *reference {
	return &reference{drops: map[string]int64{}, params: map[string]int64{}}
}

func (r *reference) add(m *mapping.Mapper, in mapping.Input, now time.Time) {
	res, drop, ok := m.Map(in, now)
	if !ok {
		return
	}
	if drop != "" {
		r.drops[drop]++
		return
	}
	r.truncated += int64(res.Truncated)
	for reason, n := range res.ParamsDropped {
		r.params[reason] += int64(n)
	}
	b, err := json.Marshal(struct {
		Name            string         `json:"name"`
		TimestampMicros int64          `json:"timestamp_micros,omitempty"`
		Params          map[string]any `json:"params,omitempty"`
	}{res.Event.Name, res.Event.TimestampMicros, res.Event.ParamMap()})
	if err != nil {
		panic(err)
	}
	r.events = append(r.events, refEvent{header: res.Header, txn: res.TransactionID, json: string(b), ts: res.Event.TimestampMicros})
}

func (r *reference) logs(m *mapping.Mapper, ld plog.Logs, now time.Time) []refEvent {
	start := len(r.events)
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				r.add(m, mapping.Input{Name: contract.LogEventName(lr), Attrs: mapping.Attrs{lr.Attributes()}, Time: logTime(lr)}, now)
			}
		}
	}
	return r.events[start:]
}

func (r *reference) traces(m *mapping.Mapper, td ptrace.Traces, now time.Time) []refEvent {
	start := len(r.events)
	forEachSpanEvent(td, func(span ptrace.Span, ev ptrace.SpanEvent) {
		t, _ := contract.TimestampTime(ev.Timestamp())
		r.add(m, mapping.Input{Name: ev.Name(), Attrs: mapping.Attrs{ev.Attributes(), span.Attributes()}, Time: t}, now)
	})
	return r.events[start:]
}

// bodies is the request bodies of one send of events: one client_id per
// request, groups in the order of their first event, at most 25 events
// per request (these events are far from the size limit).
func refBodies(t *testing.T, events []refEvent) []string {
	var headers []mp.Header
	groups := map[mp.Header][]refEvent{}
	for _, ev := range events {
		if _, ok := groups[ev.header]; !ok {
			headers = append(headers, ev.header)
		}
		groups[ev.header] = append(groups[ev.header], ev)
	}
	var bodies []string
	for _, h := range headers {
		for chunk := range slices.Chunk(groups[h], mp.MaxEventsPerRequest) {
			p := struct {
				ClientID        string            `json:"client_id"`
				UserID          string            `json:"user_id,omitempty"`
				TimestampMicros int64             `json:"timestamp_micros,omitempty"`
				Consent         *mp.Consent       `json:"consent,omitempty"`
				Events          []json.RawMessage `json:"events"`
			}{ClientID: h.ClientID, UserID: h.UserID, TimestampMicros: chunk[0].ts}
			if !h.Consent.IsZero() {
				c := h.Consent
				p.Consent = &c
			}
			for _, ev := range chunk {
				if ev.ts != 0 && ev.ts < p.TimestampMicros {
					p.TimestampMicros = ev.ts
				}
				p.Events = append(p.Events, json.RawMessage(ev.json))
			}
			b, err := json.Marshal(&p)
			require.NoError(t, err)
			bodies = append(bodies, string(b))
		}
	}
	return bodies
}

// edgeEvents are golden events with values the fast path must leave to
// json.Marshal or count: escapes, non-ASCII, over-long strings and ids.
func edgeEvents() []rec {
	golden := goldenEvents()
	var recs []rec
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range golden {
			if !yield(k) {
				return
			}
		}
	}) {
		recs = append(recs, golden[name])
	}
	odd := goldenEvents()[mapping.GAPurchase]
	odd.attrs[contract.OrderID] = "ord-<&>\"née\"-" + strings.Repeat("x", 120)
	odd.attrs[contract.OrderCoupon] = "WELCOME\u2028" + strings.Repeat("é", 120)
	odd.attrs[contract.PaymentMethod] = "card\t\\"
	odd.attrs[contract.OrderItems] = []any{
		map[string]any{contract.ItemID: "sku-<1>", contract.ItemName: strings.Repeat("ü", 101), contract.ItemPriceMinor: 5, contract.ItemQuantity: 3},
		map[string]any{contract.ItemID: "sku-2", contract.ItemCategory: "a&b", contract.ItemPrice: "0.01"},
	}
	odd.attrs[contract.PaymentAmountMinor] = 3 * 5
	delete(odd.attrs, contract.OrderTax)
	delete(odd.attrs, contract.OrderShipping)
	jpy := goldenEvents()[mapping.GAAddToCart]
	jpy.attrs[contract.PaymentCurrency] = "JPY"
	jpy.attrs[contract.PaymentAmountMinor] = 500
	jpy.attrs[contract.OrderItems] = []any{map[string]any{contract.ItemID: "a", contract.ItemPriceMinor: 250, contract.ItemQuantity: 2}}
	noClient := goldenEvents()[mapping.GAViewItem]
	delete(noClient.attrs, contract.GAClientID)
	for _, k := range []string{contract.CustomerID, contract.CheckoutSessionID, contract.CustomerEmail, contract.ClientAddress, contract.GASessionID} {
		delete(noClient.attrs, k)
	}
	malformed := goldenEvents()[mapping.GAAddToCart]
	malformed.attrs[contract.OrderItems] = "[{"
	badAmount := goldenEvents()[mapping.GAPurchase]
	badAmount.attrs[contract.PaymentAmount] = "twelve"
	delete(badAmount.attrs, contract.PaymentAmountMinor)
	return append(recs, odd, jpy, noClient, malformed, badAmount)
}

// The exporter's events, request bodies and counters are exactly the
// reference's on the simulator's traffic and on the golden and edge events,
// as log records and as span events.
func TestSendsWhatTheReferenceEncodingSends(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.Dedup.Enabled = false }))
	e := h.exporter()
	traffic := replaySimTraffic(t, 300)
	edges := edgeEvents()
	ref := newReference()
	m := e.mapper
	now := h.clock.Now()
	var want []string

	logBatches := []plog.Logs{traffic.logs, logsOf(t, edges...)}
	traceBatches := []ptrace.Traces{traffic.traces, tracesOf(t, map[string]any{"span.attr": "x"}, edges...)}
	check := func(refs []refEvent, req *ga4Request) {
		require.Len(t, req.Items, len(refs))
		for i, got := range req.Items {
			assert.Equal(t, refs[i].json, string(got.event.JSON))
			assert.Equal(t, refs[i].ts, got.event.TimestampMicros)
			assert.Equal(t, refs[i].header, got.header)
			assert.Equal(t, refs[i].txn, got.transactionID)
		}
		want = append(want, refBodies(t, refs)...)
	}
	ctx := context.Background()
	for _, ld := range logBatches {
		req, err := e.convertLogs(ctx, ld)
		require.NoError(t, err)
		check(ref.logs(m, ld, now), req.(*ga4Request))
		require.NoError(t, h.le.ConsumeLogs(ctx, ld))
	}
	for _, td := range traceBatches {
		req, err := e.convertTraces(ctx, td)
		require.NoError(t, err)
		check(ref.traces(m, td, now), req.(*ga4Request))
		require.NoError(t, h.te.ConsumeTraces(ctx, td))
	}
	require.Greater(t, len(ref.events), 500, "the simulator traffic has business events")
	require.Positive(t, ref.truncated, "edge events are truncated")
	require.Len(t, ref.drops, 3, "edge events are dropped: %v", ref.drops)

	var got []string
	for _, r := range h.srv.Requests() {
		require.Empty(t, r.Violations)
		got = append(got, string(r.Body))
	}
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i], got[i], "request %d", i)
	}
	// Each event was converted twice above (convert, then consume).
	for reason, n := range ref.drops {
		assert.Equal(t, 2*n, h.counter(metadata.MetricEventsDropped, attribute.String(metadata.AttrReason, reason)), reason)
	}
	for reason, n := range ref.params {
		assert.Equal(t, 2*n, h.counter(metadata.MetricParamsDropped, attribute.String(metadata.AttrReason, reason)), reason)
	}
	assert.Equal(t, 2*ref.truncated, h.counter(metadata.MetricValuesTruncated))
	assert.Equal(t, int64(len(ref.events)), h.counter(metadata.MetricEventsSent))
}
