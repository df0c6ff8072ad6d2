package ga4exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/ga4test"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current output")

const (
	clientA   = "1234567890.1764300000"
	pseudonym = "pii_9f86d081884c7d65"
	rawEmail  = "jane.doe@example.com"
	rawIP     = "203.0.113.7"
)

// identity attributes every golden event carries, including raw personal
// data that must never reach GA4.
func identityAttrs(extra map[string]any) map[string]any {
	m := map[string]any{
		contract.GAClientID:           clientA,
		contract.GASessionID:          "1764327600",
		contract.GAEngagementTimeMsec: 1200,
		contract.CustomerID:           pseudonym,
		contract.CustomerEmail:        rawEmail,
		contract.ClientAddress:        rawIP,
		contract.CheckoutSessionID:    "cs_live_1",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func mug(qty int) map[string]any {
	return map[string]any{contract.ItemID: "sku-mug", contract.ItemName: "Enamel mug", contract.ItemCategory: "kitchen", contract.ItemPrice: "12.50", contract.ItemQuantity: qty}
}

func goldenEvents() map[string]rec {
	return map[string]rec{
		mapping.GAViewItem: {name: contract.EventViewItem, attrs: identityAttrs(map[string]any{
			contract.PaymentCurrency: "EUR", contract.OrderItems: []any{mug(1)},
		})},
		mapping.GAAddToCart: {name: contract.EventAddToCart, attrs: identityAttrs(map[string]any{
			contract.PaymentCurrency: "EUR", contract.PaymentAmountMinor: 2500, contract.OrderItems: []any{mug(2)},
		})},
		mapping.GABeginCheckout: {name: contract.EventBeginCheckout, attrs: identityAttrs(map[string]any{
			contract.PaymentCurrency: "EUR", contract.PaymentAmount: 0.1 + 0.2 + 24.7, contract.OrderCoupon: "WELCOME10",
			contract.OrderItems: []any{mug(2)},
		})},
		mapping.GAAddPaymentInfo: {name: contract.EventAddPaymentInfo, attrs: identityAttrs(map[string]any{
			contract.PaymentCurrency: "EUR", contract.PaymentAmount: "25.00", contract.PaymentMethod: "card",
		})},
		mapping.GAPurchase: {name: contract.EventPurchase, attrs: identityAttrs(map[string]any{
			contract.OrderID: "ord-1001", contract.PaymentCurrency: "EUR", contract.PaymentAmountMinor: 3245,
			contract.OrderTax: "4.95", contract.OrderShipping: 2.5, contract.OrderCoupon: "WELCOME10",
			contract.PaymentMethod: "card", contract.PaymentProvider: "stripe",
			contract.GAConsentAdUserData: "granted", contract.GAConsentAdPersonal: "denied",
			contract.OrderItems: []any{mug(2), map[string]any{contract.ItemID: "sku-coaster", contract.ItemName: "Cork coaster", contract.ItemPriceMinor: 0}},
		})},
		mapping.GARefund: {name: contract.EventRefund, attrs: identityAttrs(map[string]any{
			contract.OrderID: "ord-1001", contract.PaymentCurrency: "EUR", contract.PaymentAmountMinor: 1250,
			contract.PaymentRefundFull: false, contract.PaymentRefundReason: "damaged", contract.OrderItems: []any{mug(1)},
		})},
		mapping.GAPaymentFailed: {name: contract.EventPaymentFailed, attrs: identityAttrs(map[string]any{
			contract.PaymentCurrency: "KWD", contract.PaymentAmount: "12.345", contract.PaymentMethod: "card",
			contract.PaymentProvider: "adyen", contract.PaymentErrorType: contract.ErrInsufficientFunds,
		})},
	}
}

func indent(t *testing.T, body []byte) []byte {
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, body, "", "  "))
	buf.WriteByte('\n')
	return buf.Bytes()
}

func compareGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".json")
	got := indent(t, body)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o600))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestGolden -update to create it")
	assert.Equal(t, string(want), string(got), "request body differs from %s", path)
}

func TestGoldenRequestBodies(t *testing.T) {
	for gaName, r := range goldenEvents() {
		t.Run(gaName, func(t *testing.T) {
			h := newHarness(t)
			require.NoError(t, h.pushLogs(r))
			reqs := h.srv.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, http.StatusNoContent, reqs[0].Status)
			assert.Equal(t, testMeasurementID, reqs[0].MeasurementID)
			compareGolden(t, gaName, reqs[0].Body)
			assert.NotContains(t, string(reqs[0].Body), rawEmail)
			assert.NotContains(t, string(reqs[0].Body), rawIP)
			assert.EqualValues(t, 1, h.counter(metadata.MetricEventsSent))
		})
	}
}

// A purchase recorded as a span event (items as a JSON string, order id on
// the span) produces the same body as the log record form.
func TestSpanEventMatchesLogRecord(t *testing.T) {
	h := newHarness(t)
	r := goldenEvents()[mapping.GAPurchase]
	items, err := json.Marshal(r.attrs[contract.OrderItems])
	require.NoError(t, err)
	r.attrs[contract.OrderItems] = string(items)
	delete(r.attrs, contract.OrderID)
	spanAttrs := map[string]any{contract.OrderID: "ord-1001"}
	require.NoError(t, h.te.ConsumeTraces(context.Background(), tracesOf(t, spanAttrs, r)))
	reqs := h.srv.Requests()
	require.Len(t, reqs, 1)
	compareGolden(t, mapping.GAPurchase, reqs[0].Body)
}

// A .NET service serialises order.items with its long product ids as JSON
// numbers; read as float64 they reached GA4 changed (…456789 as …456800),
// so the purchase's items matched no product.
func TestSpanEventItemIDsPast2To53StayExact(t *testing.T) {
	h := newHarness(t)
	r := rec{name: contract.EventPurchase, attrs: identityAttrs(map[string]any{
		contract.PaymentCurrency: "EUR",
		contract.OrderItems:      `[{"item_id":1234567890123456789,"item_name":"Enamel mug","price":12.50,"quantity":2}]`,
	})}
	require.NoError(t, h.te.ConsumeTraces(context.Background(), tracesOf(t, map[string]any{contract.OrderID: "ord-1002"}, r)))
	ev := h.srv.Events()
	require.Len(t, ev, 1)
	items := ev[0].Params[mapping.ParamItems].([]any)
	require.Len(t, items, 1)
	assert.Equal(t, "1234567890123456789", items[0].(map[string]any)["item_id"])
	assert.Equal(t, json.Number("25.00"), ev[0].Params[mapping.ParamValue])
}

func TestBatchingByClientID(t *testing.T) {
	h := newHarness(t)
	var recs []rec
	for i := 0; i < 60; i++ {
		cid := []string{"111.1", "222.2", "333.3"}[i%3]
		recs = append(recs, rec{
			name: contract.EventBeginCheckout, age: time.Duration(i) * time.Second,
			attrs: map[string]any{contract.GAClientID: cid, contract.OrderCoupon: fmt.Sprint(i)},
		})
	}
	// a fourth client that differs only in consent gets its own requests
	recs = append(recs, rec{name: contract.EventViewItem, attrs: map[string]any{contract.GAClientID: "111.1", contract.GAConsentAdUserData: "denied"}})
	require.NoError(t, h.pushLogs(recs...))

	reqs := h.srv.Requests()
	require.Len(t, reqs, 4)
	perClient := map[string][]string{}
	for _, r := range reqs {
		require.NotNil(t, r.Payload)
		assert.LessOrEqual(t, len(r.Payload.Events), 25)
		for _, e := range r.Payload.Events {
			if c, ok := e.Params[mapping.ParamCoupon]; ok {
				perClient[r.Payload.ClientID] = append(perClient[r.Payload.ClientID], c.(string))
			}
		}
	}
	assert.Len(t, perClient["111.1"], 20)
	assert.Len(t, perClient["222.2"], 20)
	assert.Len(t, perClient["333.3"], 20)
	assert.Equal(t, "0", perClient["111.1"][0], "order kept within a client")
	assert.Equal(t, "57", perClient["111.1"][19])
	assert.Len(t, h.srv.Events(), 61)
	assert.EqualValues(t, 61, h.counter(metadata.MetricEventsSent))
}

// redirect sends requests for the real endpoints to the local server and
// records the URLs the exporter asked for.
type redirect struct {
	next   http.RoundTripper
	target *url.URL
	mu     sync.Mutex
	seen   []url.URL
}

func (r *redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, *req.URL)
	r.mu.Unlock()
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.target.Scheme, r.target.Host
	return r.next.RoundTrip(req)
}

func TestRegionEndpoints(t *testing.T) {
	for region, host := range map[string]string{RegionEU: "region1.google-analytics.com", RegionGlobal: "www.google-analytics.com"} {
		t.Run(region, func(t *testing.T) {
			var rd *redirect
			h := newHarness(t,
				withConfig(func(c *Config) { c.Region = region; c.ClientConfig.Endpoint = "" }),
				withTransport(func(next http.RoundTripper) http.RoundTripper {
					rd = &redirect{next: next}
					return rd
				}))
			target, err := url.Parse(h.srv.URL)
			require.NoError(t, err)
			rd.target = target
			require.NoError(t, h.pushLogs(goldenEvents()[mapping.GAPurchase]))
			require.Len(t, rd.seen, 1)
			assert.Equal(t, "https", rd.seen[0].Scheme)
			assert.Equal(t, host, rd.seen[0].Host)
			assert.Equal(t, "/mp/collect", rd.seen[0].Path)
			assert.Equal(t, testSecret, rd.seen[0].Query().Get("api_secret"))
			assert.Len(t, h.srv.Events(), 1)
		})
	}
}

func TestValidationModeLogsEachMessage(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.ValidationMode = true }))
	h.srv.AddValidationMessages(
		ga4test.Violation{FieldPath: "events[0].params.items", ValidationCode: "VALUE_INVALID", Description: "Item param [price] has unsupported value."},
		ga4test.Violation{FieldPath: "events[0].name", ValidationCode: "NAME_RESERVED", Description: "Event name is reserved."},
	)
	purchase := goldenEvents()[mapping.GAPurchase]
	require.NoError(t, h.pushLogs(purchase))

	reqs := h.srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, ga4test.DebugCollectPath, reqs[0].Path)
	assert.Empty(t, h.srv.Events(), "the validation server records nothing")
	msgs := h.logs.FilterMessage("GA4 validation message").All()
	require.Len(t, msgs, 2)
	fields := msgs[0].ContextMap()
	assert.Equal(t, "events[0].params.items", fields["field_path"])
	assert.Equal(t, "VALUE_INVALID", fields["validation_code"])
	assert.Equal(t, "Item param [price] has unsupported value.", fields["description"])
	assert.Equal(t, "NAME_RESERVED", msgs[1].ContextMap()["validation_code"])
	assert.EqualValues(t, 2, h.counter(metadata.MetricValidationMessages))
	assert.EqualValues(t, 0, h.counter(metadata.MetricEventsSent))

	// Nothing was recorded, so the purchase is not marked as sent.
	require.NoError(t, h.pushLogs(purchase))
	assert.Len(t, h.srv.Requests(), 2)
}

func TestRetryAfter5xx(t *testing.T) {
	h := newHarness(t)
	h.srv.FailNext(http.StatusServiceUnavailable, http.StatusBadGateway)
	require.NoError(t, h.pushLogs(goldenEvents()[mapping.GAPurchase]))
	reqs := h.srv.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, []int{503, 502, 204}, []int{reqs[0].Status, reqs[1].Status, reqs[2].Status})
	assert.Len(t, h.srv.Events(), 1)
	assert.EqualValues(t, 2, h.counter(metadata.MetricRequests, attribute.String(metadata.AttrOutcome, "retryable")))
}

// Only the requests that failed are retried: clients whose request went
// through are not sent twice.
func TestPartialFailureRetriesOnlyFailedRequests(t *testing.T) {
	h := newHarness(t)
	h.srv.FailNext(0, http.StatusInternalServerError)
	var recs []rec
	for _, cid := range []string{"1.1", "2.2", "3.3"} {
		recs = append(recs, rec{name: contract.EventAddToCart, attrs: map[string]any{contract.GAClientID: cid}})
	}
	require.NoError(t, h.pushLogs(recs...))
	got := map[string]int{}
	for _, e := range h.srv.Events() {
		got[e.ClientID]++
	}
	assert.Equal(t, map[string]int{"1.1": 1, "2.2": 1, "3.3": 1}, got)
	assert.Len(t, h.srv.Requests(), 4)
}

func TestClientErrorIsPermanent(t *testing.T) {
	h := newHarness(t)
	h.srv.FailNext(http.StatusForbidden)
	err := h.pushLogs(goldenEvents()[mapping.GAPurchase])
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	assert.Len(t, h.srv.Requests(), 1, "no retry")
	assert.EqualValues(t, 1, h.counter(metadata.MetricEventsDropped, attribute.String(metadata.AttrReason, "rejected")))
	assert.NotContains(t, err.Error(), testSecret)
	assert.NotContains(t, err.Error(), url.QueryEscape(testSecret))

	// The rejected purchase was not sent, so dedup lets it through next time.
	require.NoError(t, h.pushLogs(goldenEvents()[mapping.GAPurchase]))
	assert.Len(t, h.srv.Events(), 1)
}

func TestStatusClassification(t *testing.T) {
	for code, retryable := range map[int]bool{429: true, 408: true, 500: true, 503: true, 400: false, 401: false, 404: false} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(code)
		}))
		h := newHarness(t, withConfig(func(c *Config) { c.ClientConfig.Endpoint = srv.URL }))
		e := h.exporter()
		err := e.post(context.Background(), []byte(`{}`), 0)
		require.Error(t, err, code)
		assert.Equal(t, !retryable, consumererror.IsPermanent(err), code)
		assert.NotContains(t, err.Error(), "s3cr3t", code)
		if code == http.StatusTooManyRequests {
			assert.Contains(t, err.Error(), "Throttle (7s)", "the retry waits as long as GA4 asked")
		}
		srv.Close()
	}
}

func TestSecretRedactedFromNetworkErrors(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	h := newHarness(t, withConfig(func(c *Config) {
		c.ClientConfig.Endpoint = deadURL
		c.RetryConfig.MaxElapsedTime = 20 * time.Millisecond
	}))
	err := h.pushLogs(goldenEvents()[mapping.GAViewItem])
	require.Error(t, err)
	assert.Contains(t, err.Error(), "api_secret=REDACTED")
	for _, s := range []string{testSecret, url.QueryEscape(testSecret)} {
		assert.NotContains(t, err.Error(), s)
		for _, entry := range h.logs.All() {
			assert.NotContains(t, fmt.Sprint(entry.Message, entry.ContextMap()), s)
		}
	}
}

func TestPurchaseDedup(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.Dedup.Window = 24 * time.Hour }))
	purchase := goldenEvents()[mapping.GAPurchase]
	require.NoError(t, h.pushLogs(purchase, purchase))
	require.NoError(t, h.pushLogs(purchase))
	assert.Len(t, h.srv.Events(), 1)
	assert.EqualValues(t, 2, h.counter(metadata.MetricDeduplicated))

	// Shared with the traces pipeline of the same component.
	require.NoError(t, h.te.ConsumeTraces(context.Background(), tracesOf(t, nil, purchase)))
	assert.Len(t, h.srv.Events(), 1)

	// A different transaction and non-purchase events are not affected.
	other := goldenEvents()[mapping.GAPurchase]
	other.attrs[contract.OrderID] = "ord-1002"
	require.NoError(t, h.pushLogs(other, goldenEvents()[mapping.GARefund], goldenEvents()[mapping.GARefund]))
	assert.Len(t, h.srv.Events(), 4)

	// After the window the id may be sent again (a fresh event, within 72h).
	h.clock.Advance(24 * time.Hour)
	purchase.at = h.clock.Now().Add(-time.Minute)
	require.NoError(t, h.pushLogs(purchase))
	assert.Len(t, h.srv.Events(), 5)
}

// GA4 keeps 100 characters of a parameter value and dedups purchases by
// transaction_id: two long order ids with the same first 100 characters
// must still reach GA4 as two transaction ids, or the second purchase's
// revenue is lost. The refund of an order must name the purchase's id.
func TestLongTransactionIDsStayDistinct(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.Dedup.Window = 24 * time.Hour }))
	prefix := strings.Repeat("marketplace-order-", 6) // 108 characters
	first, second := goldenEvents()[mapping.GAPurchase], goldenEvents()[mapping.GAPurchase]
	first.attrs[contract.OrderID] = prefix + "1001"
	second.attrs[contract.OrderID] = prefix + "1002"
	short := goldenEvents()[mapping.GAPurchase]
	short.attrs[contract.OrderID] = strings.Repeat("x", 100)
	refund := goldenEvents()[mapping.GARefund]
	refund.attrs[contract.OrderID] = prefix + "1001"
	require.NoError(t, h.pushLogs(first, second, short, refund))

	ev := h.srv.Events()
	require.Len(t, ev, 4)
	ids := map[string]bool{}
	for _, e := range ev[:3] {
		id, _ := e.Params["transaction_id"].(string)
		assert.LessOrEqual(t, utf8.RuneCountInString(id), 100)
		ids[id] = true
	}
	assert.Len(t, ids, 3, "distinct order ids stay distinct transaction ids")
	assert.Equal(t, strings.Repeat("x", 100), ev[2].Params["transaction_id"], "an id within the limit is unchanged")
	assert.Equal(t, ev[0].Params["transaction_id"], ev[3].Params["transaction_id"], "the refund names the purchase")
	assert.True(t, strings.HasPrefix(ev[0].Params["transaction_id"].(string), prefix[:80]), "readable prefix kept")
}

func TestTooOldEventsDroppedAndCounted(t *testing.T) {
	h := newHarness(t)
	old := goldenEvents()[mapping.GAViewItem]
	old.at = baseTime.Add(-72*time.Hour - time.Second)
	recent := goldenEvents()[mapping.GAAddToCart]
	recent.at = baseTime.Add(-71 * time.Hour)
	require.NoError(t, h.pushLogs(old, recent))
	ev := h.srv.Events()
	require.Len(t, ev, 1)
	assert.Equal(t, "add_to_cart", ev[0].Name)
	assert.EqualValues(t, 1, h.counter(metadata.MetricEventsDropped, attribute.String(metadata.AttrReason, mapping.DropTooOld)))
}

// An event mapped while young enough can pass GA4's 72 h limit while it
// waits in the queue or between retries. It must be dropped at send time as
// too old: sent, it would make the whole request rejected, and with it the
// younger events of the same client.
func TestEventsThatAgeInTheQueueAreDroppedAtSendTime(t *testing.T) {
	var h *harness
	first := true
	h = newHarness(t, withTransport(func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := next.RoundTrip(r)
			if first {
				// The first attempt fails (FailNext) and the retry comes
				// two minutes later.
				first = false
				h.clock.Advance(2 * time.Minute)
			}
			return resp, err
		})
	}))
	h.srv.FailNext(http.StatusServiceUnavailable)
	sendsOnlyTheRecentOne(t, h, baseTime.Add(-72*time.Hour+time.Minute))
}

// sendsOnlyTheRecentOne pushes an event of time agingAt and a recent one
// of the same client, and checks that only the recent one reached GA4 and
// the other was dropped as too old.
func sendsOnlyTheRecentOne(t *testing.T, h *harness, agingAt time.Time) {
	t.Helper()
	aging := goldenEvents()[mapping.GAViewItem]
	aging.at = agingAt
	recent := goldenEvents()[mapping.GAAddToCart]
	recent.at = baseTime.Add(-time.Minute)
	require.NoError(t, h.pushLogs(aging, recent))

	ev := h.srv.Events()
	require.Len(t, ev, 1)
	assert.Equal(t, "add_to_cart", ev[0].Name)
	assert.EqualValues(t, 1, h.counter(metadata.MetricEventsDropped, attribute.String(metadata.AttrReason, mapping.DropTooOld)))
}

// An event just inside the 72 h limit when the send starts crosses it
// while its request is on the way (connection set-up, the requests of the
// batch before it): GA4 then refuses the request, and with it the younger
// events sharing it. Events that close to the limit are dropped before the
// send instead.
func TestEventsAtTheAgeLimitAreDroppedBeforeTheSend(t *testing.T) {
	var h *harness
	h = newHarness(t, withTransport(func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			h.clock.Advance(5 * time.Second) // the request takes its time
			return next.RoundTrip(r)
		})
	}))
	sendsOnlyTheRecentOne(t, h, baseTime.Add(-72*time.Hour+3*time.Second))
}

// ga.client_id passes piisanitizer verbatim (GA4 needs the cookie id), so
// an application that fills it with the client's address would send an IP
// address to Google as the client id. Such a value is unusable like one with
// '@': the id is derived from the pseudonym instead.
func TestClientIDThatIsAnIPAddressIsNotSent(t *testing.T) {
	h := newHarness(t)
	for _, ip := range []string{rawIP, "2001:db8::7", "::ffff:203.0.113.7"} {
		ev := goldenEvents()[mapping.GAViewItem]
		ev.attrs[contract.GAClientID] = ip
		require.NoError(t, h.pushLogs(ev))
	}
	evs := h.srv.Events()
	require.Len(t, evs, 3)
	for _, ev := range evs {
		assert.Equal(t, mapping.DeriveClientID(mapping.DerivedFromCustomer, pseudonym), ev.ClientID)
	}
}

// Many large events with over-long values: the strict server checks every
// request, and the exporter must have truncated, split and counted.
func TestLimitsUnderLoad(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) {
		c.ExtraParams = map[string]string{"app.note": "note", "app.kind": "kind"}
	}))
	long := strings.Repeat("ü", 250)
	items := func(s string) []any {
		out := make([]any, 200)
		for i := range out {
			out[i] = map[string]any{contract.ItemID: fmt.Sprintf("sku-%03d-%s", i, s), contract.ItemName: s, contract.ItemCategory: s, contract.ItemPriceMinor: 1}
		}
		return out
	}
	ascii := items(strings.Repeat("x", 150))
	var recs []rec
	for i := 0; i < 30; i++ {
		recs = append(recs, rec{name: contract.EventPurchase, attrs: map[string]any{
			contract.GAClientID: "9.9", contract.OrderID: fmt.Sprintf("ord-%d-%s", i, long), contract.PaymentCurrency: "USD",
			contract.OrderCoupon: long, "app.note": long, "app.kind": 3.25, contract.OrderItems: ascii,
		}})
	}
	// 200 items of 100 two-byte characters in three fields cannot fit 130 kB.
	recs = append(recs, rec{name: contract.EventPurchase, attrs: map[string]any{
		contract.GAClientID: "9.9", contract.OrderID: "huge", contract.PaymentCurrency: "USD", contract.OrderItems: items(long),
	}})
	require.NoError(t, h.pushLogs(recs...))
	assert.Len(t, h.srv.Events(), 30)
	for _, r := range h.srv.Requests() {
		assert.Less(t, len(r.Body), 130_000)
	}
	assert.Greater(t, len(h.srv.Requests()), 10, "75 kB events cannot share requests much")
	// per event: order id, coupon, note, and three fields of 200 items; the huge one: 600
	assert.EqualValues(t, 30*(3+600)+600, h.counter(metadata.MetricValuesTruncated))
	assert.EqualValues(t, 1, h.counter(metadata.MetricEventsDropped, attribute.String(metadata.AttrReason, "too_large")))
}

func TestIdentityWithoutGAClientID(t *testing.T) {
	h := newHarness(t)
	pseudonymous := rec{name: contract.EventBeginCheckout, attrs: map[string]any{contract.CustomerID: pseudonym, contract.CustomerEmail: rawEmail}}
	raw := rec{name: contract.EventBeginCheckout, attrs: map[string]any{contract.CustomerID: rawEmail, contract.CheckoutSessionID: "cs_9"}}
	none := rec{name: contract.EventBeginCheckout, attrs: map[string]any{contract.CustomerID: rawEmail, contract.ClientAddress: rawIP}}
	require.NoError(t, h.pushLogs(pseudonymous, raw, none))
	ev := h.srv.Events()
	require.Len(t, ev, 2)
	assert.Equal(t, mapping.DeriveClientID(mapping.DerivedFromCustomer, pseudonym), ev[0].ClientID)
	assert.Equal(t, pseudonym, ev[0].UserID)
	assert.Equal(t, mapping.DeriveClientID(mapping.DerivedFromCheckout, "cs_9"), ev[1].ClientID)
	assert.Empty(t, ev[1].UserID, "a raw customer id is never a user_id")
	assert.EqualValues(t, 1, h.counter(metadata.MetricEventsDropped, attribute.String(metadata.AttrReason, mapping.DropNoClientID)))
	for _, r := range h.srv.Requests() {
		assert.NotContains(t, string(r.Body), rawEmail)
		assert.NotContains(t, string(r.Body), rawIP)
	}
}

func TestNonBusinessRecordsAreIgnored(t *testing.T) {
	h := newHarness(t)
	require.NoError(t, h.pushLogs(
		rec{name: contract.EventInventory, attrs: map[string]any{contract.GAClientID: "1.1"}},
		rec{name: "http.request", attrs: map[string]any{contract.GAClientID: "1.1"}},
	))
	assert.Empty(t, h.srv.Requests())
	assert.EqualValues(t, 0, h.counter(metadata.MetricEventsDropped, attribute.String(metadata.AttrReason, mapping.DropNoClientID)))
}

func TestBadEventDoesNotLoseGoodOnes(t *testing.T) {
	h := newHarness(t)
	bad := rec{name: contract.EventPurchase, attrs: map[string]any{contract.GAClientID: "1.1", contract.OrderID: "o", contract.PaymentAmount: "NaN", contract.PaymentCurrency: "USD"}}
	require.NoError(t, h.pushLogs(bad, goldenEvents()[mapping.GAAddToCart]))
	assert.Len(t, h.srv.Events(), 1)
	assert.EqualValues(t, 1, h.counter(metadata.MetricEventsDropped, attribute.String(metadata.AttrReason, mapping.DropInvalidAmount)))
}

func TestFactoryCreatesBothSignals(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
	assert.Equal(t, metadata.TracesStability, f.TracesStability())
	cfg := f.CreateDefaultConfig().(*Config)
	assert.Error(t, cfg.Validate(), "measurement_id and api_secret have no defaults")
}

// The GA4 client is not wrapped in otelhttp (httpdelivery.Uninstrumented): with the
// collector's providers set, a send records the exporter's own request
// counter and no otelhttp client metric.
func TestClientNotOtelhttpInstrumented(t *testing.T) {
	h := newHarness(t)
	require.NoError(t, h.pushLogs(goldenEvents()[mapping.GAPurchase]))
	require.Len(t, h.srv.Requests(), 1)
	assert.EqualValues(t, 1, h.counter(metadata.MetricRequests, attribute.String(metadata.AttrOutcome, "success")))
	_, err := h.tel.GetMetric("http.client.request.duration")
	assert.Error(t, err, "otelhttp recorded the GA4 request")
}

// The logs and traces exporters of one component share one instance (one
// client, dedup set and spend meter): it keeps sending after the first of
// them shuts down and is released with the last.
func TestLogsAndTracesShareOneExporter(t *testing.T) {
	h := newHarness(t)
	h.once.Do(func() {}) // this test shuts the exporters down itself
	shared := h.exporter()
	before := exporters.Len()
	require.NoError(t, h.le.Shutdown(context.Background()))
	assert.Same(t, shared, h.exporter(), "the traces exporter still uses the instance")
	require.NoError(t, shared.post(context.Background(), []byte(`{"client_id":"1.2","events":[{"name":"tickets_viewed"}]}`), 1))
	require.NoError(t, h.te.Shutdown(context.Background()))
	assert.Equal(t, before-1, exporters.Len(), "released with the last user")
}
