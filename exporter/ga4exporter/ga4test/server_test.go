package ga4test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func ts(d time.Duration) int64 { return now.Add(-d).UnixMicro() }

func validPayload() map[string]any {
	return map[string]any{
		"client_id":        "123.456",
		"user_id":          "pii_abcdef0123",
		"timestamp_micros": ts(time.Hour),
		"consent":          map[string]any{"ad_user_data": "GRANTED"},
		"events": []any{map[string]any{
			"name": "purchase", "timestamp_micros": ts(time.Hour),
			"params": map[string]any{
				"transaction_id": "T1", "currency": "USD", "value": 1.5,
				"items": []any{map[string]any{"item_id": "a", "price": 1.5, "quantity": 1}},
			},
		}},
	}
}

func event(p map[string]any) map[string]any {
	return p["events"].([]any)[0].(map[string]any)
}

func params(p map[string]any) map[string]any { return event(p)["params"].(map[string]any) }

func manyParams(n int) map[string]any {
	m := map[string]any{}
	for i := 0; i < n; i++ {
		m[fmt.Sprintf("p%d", i)] = "v"
	}
	return m
}

func TestValidateAcceptsValidPayload(t *testing.T) {
	body, err := json.Marshal(validPayload())
	require.NoError(t, err)
	_, vs := Validate(body, now)
	assert.Empty(t, vs)
}

// Every documented limit is enforced.
func TestValidateRejectsEachViolation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(p map[string]any)
		path   string
	}{
		{"missing client_id", func(p map[string]any) { delete(p, "client_id") }, "client_id"},
		{"26 events", func(p map[string]any) {
			evs := make([]any, 26)
			for i := range evs {
				evs[i] = map[string]any{"name": "view_item"}
			}
			p["events"] = evs
		}, "events"},
		{"no events", func(p map[string]any) { p["events"] = []any{} }, "events"},
		{"name too long", func(p map[string]any) { event(p)["name"] = strings.Repeat("a", 41) }, "events[0].name"},
		{"name starts with digit", func(p map[string]any) { event(p)["name"] = "1buy" }, "events[0].name"},
		{"name with dot", func(p map[string]any) { event(p)["name"] = "ecommerce.purchase" }, "events[0].name"},
		{"reserved event", func(p map[string]any) { event(p)["name"] = "session_start" }, "events[0].name"},
		{"reserved event prefix", func(p map[string]any) { event(p)["name"] = "google_buy" }, "events[0].name"},
		{"26 params", func(p map[string]any) { event(p)["params"] = manyParams(26) }, "events[0].params"},
		{"param value 101 chars", func(p map[string]any) { params(p)["coupon"] = strings.Repeat("é", 101) }, "events[0].params.coupon"},
		{"reserved param prefix", func(p map[string]any) { params(p)["ga_x"] = "v" }, "events[0].params.ga_x"},
		{"reserved param", func(p map[string]any) { params(p)["firebase_conversion"] = "v" }, "events[0].params.firebase_conversion"},
		{"param name invalid", func(p map[string]any) { params(p)["bad name"] = "v" }, "events[0].params.bad name"},
		{"nested object param", func(p map[string]any) { params(p)["obj"] = map[string]any{"a": 1} }, "events[0].params.obj"},
		{"value without currency", func(p map[string]any) { delete(params(p), "currency") }, "events[0].params.currency"},
		{"purchase without transaction_id", func(p map[string]any) { params(p)["transaction_id"] = "" }, "events[0].params.transaction_id"},
		{"purchase with a blank transaction_id", func(p map[string]any) { params(p)["transaction_id"] = "  " }, "events[0].params.transaction_id"},
		{"value includes tax", func(p map[string]any) { params(p)["value"] = 1.75; params(p)["tax"] = 0.25 }, "events[0].params.value"},
		{"value ignores quantity", func(p map[string]any) {
			params(p)["items"] = []any{map[string]any{"item_id": "a", "price": 1.5, "quantity": 2}}
		}, "events[0].params.value"},
		{"value of begin_checkout off by a cent", func(p map[string]any) {
			event(p)["name"] = "begin_checkout"
			params(p)["value"] = json.Number("1.49")
		}, "events[0].params.value"},
		{"201 items", func(p map[string]any) {
			items := make([]any, 201)
			for i := range items {
				items[i] = map[string]any{"item_id": "a"}
			}
			params(p)["items"] = items
		}, "events[0].params.items"},
		{"item without id or name", func(p map[string]any) { params(p)["items"] = []any{map[string]any{"price": 1}} }, "events[0].params.items[0]"},
		{"item value too long", func(p map[string]any) {
			params(p)["items"] = []any{map[string]any{"item_id": strings.Repeat("x", 101)}}
		}, "events[0].params.items[0].item_id"},
		{"request timestamp older than 72h", func(p map[string]any) { p["timestamp_micros"] = ts(72*time.Hour + time.Second) }, "timestamp_micros"},
		{"event timestamp older than 72h", func(p map[string]any) { event(p)["timestamp_micros"] = ts(73 * time.Hour) }, "events[0].timestamp_micros"},
		{"timestamp in millis", func(p map[string]any) { p["timestamp_micros"] = now.UnixMilli() }, "timestamp_micros"},
		{"timestamp in the future", func(p map[string]any) { p["timestamp_micros"] = ts(-time.Hour) }, "timestamp_micros"},
		{"bad consent", func(p map[string]any) { p["consent"] = map[string]any{"ad_user_data": "yes"} }, "consent.ad_user_data"},
		{"26 user properties", func(p map[string]any) {
			ups := map[string]any{}
			for i := 0; i < 26; i++ {
				ups[fmt.Sprintf("u%d", i)] = map[string]any{"value": "v"}
			}
			p["user_properties"] = ups
		}, "user_properties"},
		{"user property name 25 chars", func(p map[string]any) {
			p["user_properties"] = map[string]any{strings.Repeat("u", 25): map[string]any{"value": "v"}}
		}, "user_properties." + strings.Repeat("u", 25)},
		{"user property value 37 chars", func(p map[string]any) {
			p["user_properties"] = map[string]any{"tier": map[string]any{"value": strings.Repeat("v", 37)}}
		}, "user_properties.tier"},
		{"reserved user property", func(p map[string]any) {
			p["user_properties"] = map[string]any{"first_visit_time": map[string]any{"value": "v"}}
		}, "user_properties.first_visit_time"},
		{"email in a param", func(p map[string]any) { params(p)["coupon"] = "jane@example.com" }, "events[0].params.coupon"},
		{"email as user_id", func(p map[string]any) { p["user_id"] = "jane@example.com" }, "user_id"},
		{"ip in a param", func(p map[string]any) { params(p)["coupon"] = "2001:db8::1" }, "events[0].params.coupon"},
		{"ip_override", func(p map[string]any) { p["ip_override"] = "203.0.113.7" }, ""},
		{"unknown field", func(p map[string]any) { p["clientId"] = "x" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validPayload()
			tc.mutate(p)
			body, err := json.Marshal(p)
			require.NoError(t, err)
			_, vs := Validate(body, now)
			require.NotEmpty(t, vs)
			var paths []string
			for _, v := range vs {
				paths = append(paths, v.FieldPath)
			}
			assert.Contains(t, paths, tc.path)
		})
	}
}

// value = Σ price × quantity is checked in exact decimals: 3 × 0.10 is 0.30
// although 0.1+0.1+0.1 is not 0.3 in binary floating point.
func TestValidateValueIsExactItemsSum(t *testing.T) {
	for _, name := range []string{"view_item", "add_to_cart", "begin_checkout", "add_payment_info", "purchase", "refund"} {
		p := validPayload()
		event(p)["name"] = name
		params(p)["value"] = json.Number("456.92")
		params(p)["tax"] = json.Number("36.52")
		params(p)["items"] = []any{
			map[string]any{"item_id": "a", "price": json.Number("228.31"), "quantity": 2},
			map[string]any{"item_id": "b", "price": json.Number("0.10"), "quantity": 3},
		}
		body, err := json.Marshal(p)
		require.NoError(t, err)
		_, vs := Validate(body, now)
		assert.Empty(t, vs, name)
	}
}

func TestServerRejectsPartialRefundWithoutItems(t *testing.T) {
	s := NewLenient(t, WithClock(func() time.Time { return now }))
	send := func(name string, value string, items []any) int {
		p := validPayload()
		event(p)["name"] = name
		params(p)["value"] = json.Number(value)
		params(p)["items"] = items
		if items == nil {
			delete(params(p), "items")
		}
		body, err := json.Marshal(p)
		require.NoError(t, err)
		return post(t, s, CollectPath, "?measurement_id=G-ABC1234&api_secret=sec", body).StatusCode
	}
	assert.Equal(t, http.StatusNoContent, send("purchase", "1.5", []any{map[string]any{"item_id": "a", "price": 0.5, "quantity": 3}}))
	assert.Equal(t, http.StatusNoContent, send("refund", "0.5", []any{map[string]any{"item_id": "a", "price": 0.5, "quantity": 1}}), "partial, with its item")
	assert.Equal(t, http.StatusBadRequest, send("refund", "0.5", nil), "partial without items")
	assert.Equal(t, http.StatusNoContent, send("refund", "1.5", nil), "full refund")
	vs := s.Violations()
	require.Len(t, vs, 1)
	assert.Equal(t, "events[0].params.items", vs[0].FieldPath)
}

func TestValidateBodySize(t *testing.T) {
	p := validPayload()
	params(p)["pad"] = strings.Repeat("x", 130_000)
	body, err := json.Marshal(p)
	require.NoError(t, err)
	_, vs := Validate(body, now)
	var codes []string
	for _, v := range vs {
		codes = append(codes, v.ValidationCode)
	}
	assert.Contains(t, codes, CodeBodyTooLarge)
}

func post(t *testing.T, s *Server, path, query string, body []byte) *http.Response {
	resp, err := http.Post(s.URL+path+query, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp
}

func TestServerRejectsAndRecords(t *testing.T) {
	s := NewLenient(t, WithClock(func() time.Time { return now }), WithCredentials("G-ABC1234", "sec"))
	good, err := json.Marshal(validPayload())
	require.NoError(t, err)

	assert.Equal(t, http.StatusNoContent, post(t, s, CollectPath, "?measurement_id=G-ABC1234&api_secret=sec", good).StatusCode)
	assert.Equal(t, http.StatusBadRequest, post(t, s, CollectPath, "?measurement_id=G-ABC1234&api_secret=wrong", good).StatusCode)
	assert.Equal(t, http.StatusBadRequest, post(t, s, CollectPath, "?measurement_id=UA-1&api_secret=sec", good).StatusCode)
	s.FailNext(http.StatusServiceUnavailable)
	assert.Equal(t, http.StatusServiceUnavailable, post(t, s, CollectPath, "?measurement_id=G-ABC1234&api_secret=sec", good).StatusCode)
	assert.Equal(t, http.StatusNotFound, post(t, s, "/collect", "", good).StatusCode)

	assert.Len(t, s.Events(), 1, "only the accepted request counts")
	assert.Equal(t, "123.456", s.Events()[0].ClientID)
	assert.Len(t, s.Requests(), 5)
	assert.Len(t, s.Violations(), 3)
}

func TestDebugEndpointAnswersValidationMessages(t *testing.T) {
	s := NewLenient(t, WithClock(func() time.Time { return now }))
	p := validPayload()
	event(p)["name"] = "session_start"
	body, err := json.Marshal(p)
	require.NoError(t, err)
	resp, err := http.Post(s.URL+DebugCollectPath+"?measurement_id=G-ABC1234&api_secret=sec", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	var got struct {
		ValidationMessages []Violation `json:"validationMessages"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	require.Len(t, got.ValidationMessages, 1)
	assert.Equal(t, CodeNameReserved, got.ValidationMessages[0].ValidationCode)
	assert.Empty(t, s.Events())
}

// fakeTB records what the strict server reports at cleanup.
type fakeTB struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func TestStrictServerFailsTheTestOnViolation(t *testing.T) {
	ftb := &fakeTB{TB: t}
	s := New(ftb, WithClock(func() time.Time { return now }))
	p := validPayload()
	params(p)["coupon"] = strings.Repeat("c", 101)
	body, err := json.Marshal(p)
	require.NoError(t, err)
	post(t, s, CollectPath, "?measurement_id=G-ABC1234&api_secret=sec", body)
	for _, fn := range ftb.cleanups {
		fn()
	}
	require.Len(t, ftb.errors, 1)
	assert.Contains(t, ftb.errors[0], "events[0].params.coupon")
}
