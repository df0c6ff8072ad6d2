package mp

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"purchase":              true,
		"payment_failed":        true,
		"a1":                    true,
		"":                      false,
		"1abc":                  false,
		"_private":              false,
		"with space":            false,
		"dotted.name":           false,
		"ümlaut":                false,
		strings.Repeat("a", 40): true,
		strings.Repeat("a", 41): false,
		"has-dash":              false,
		"UPPER_case_OK":         true,
	} {
		assert.Equal(t, want, ValidName(name), name)
	}
}

func TestReservedNames(t *testing.T) {
	for _, n := range []string{"session_start", "first_visit", "user_engagement", "page_view", "click", "error", "firebase_x", "ga_x", "google_x", "_x"} {
		assert.True(t, ReservedEventName(n), n)
	}
	for _, n := range []string{"purchase", "refund", "payment_failed", "view_item"} {
		assert.False(t, ReservedEventName(n), n)
	}
	assert.True(t, ReservedParamName("firebase_conversion"))
	assert.True(t, ReservedParamName("ga_session_number"))
	assert.True(t, ReservedParamName("gtag.x"))
	assert.False(t, ReservedParamName("session_id"))
}

func TestTruncateCountsRunesNotBytes(t *testing.T) {
	s := strings.Repeat("é", 100) // 200 bytes, 100 characters
	got, cut := Truncate(s, 100)
	assert.False(t, cut)
	assert.Equal(t, s, got)

	got, cut = Truncate(strings.Repeat("é", 101), 100)
	assert.True(t, cut)
	assert.Equal(t, strings.Repeat("é", 100), got)

	got, cut = Truncate(strings.Repeat("x", 150), 100)
	assert.True(t, cut)
	assert.Len(t, got, 100)
}

func TestSetParamLimits(t *testing.T) {
	var e Event
	for i := 0; i < MaxParamsPerEvent; i++ {
		require.Equal(t, ParamSet, e.SetParam(fmt.Sprintf("p%d", i), Int(int64(i))))
	}
	assert.Equal(t, ParamTooMany, e.SetParam("one_more", String("x")))
	assert.Equal(t, ParamSet, e.SetParam("p3", String("replacing an existing one is fine")))
	assert.Len(t, e.Params, MaxParamsPerEvent)

	var f Event
	assert.Equal(t, ParamReserved, f.SetParam("ga_x", String("v")))
	assert.Equal(t, ParamReserved, f.SetParam("firebase_conversion", String("v")))
	assert.Equal(t, ParamInvalidName, f.SetParam("bad name", String("v")))
	assert.Equal(t, ParamTruncated, f.SetParam("long", String(strings.Repeat("v", 101))))
	assert.Len(t, f.ParamMap()["long"], MaxParamValueLen)
	assert.Len(t, f.Params, 1)
}

func decode(t *testing.T, body []byte) map[string]any {
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	return m
}

func TestPackSplitsAtTwentyFiveEvents(t *testing.T) {
	events := make([]Event, 60)
	for i := range events {
		events[i] = Event{Name: "view_item", TimestampMicros: int64(1_800_000_000_000_000 + i)}
	}
	reqs, tooLarge, err := Pack(Header{ClientID: "1.2"}, events)
	require.NoError(t, err)
	assert.Empty(t, tooLarge)
	require.Len(t, reqs, 3)
	var seen []int
	for i, want := range []int{25, 25, 10} {
		assert.Len(t, reqs[i].Events, want)
		m := decode(t, reqs[i].Body)
		assert.Len(t, m["events"], want)
		assert.Equal(t, "1.2", m["client_id"])
		seen = append(seen, reqs[i].Events...)
	}
	for i := range seen {
		assert.Equal(t, i, seen[i], "order kept")
	}
	// request timestamp is the earliest event time of that request
	assert.EqualValues(t, 1_800_000_000_000_025, decode(t, reqs[1].Body)["timestamp_micros"])
}

func TestPackStaysUnderBodyLimit(t *testing.T) {
	big := strings.Repeat("x", MaxParamValueLen)
	mk := func() Event {
		e := Event{Name: "purchase", TimestampMicros: 1_800_000_000_000_000}
		items := make([]Item, MaxItemsPerEvent)
		for i := range items {
			items[i] = Item{ItemID: big, ItemName: big, ItemCategory: big, Price: "1.00", Quantity: 1}
		}
		e.SetParam("items", Items(items))
		return e
	}
	events := []Event{mk(), mk(), mk()}
	reqs, tooLarge, err := Pack(Header{ClientID: "1.2", Consent: Consent{AdUserData: Granted}}, events)
	require.NoError(t, err)
	assert.Empty(t, tooLarge)
	total := 0
	for _, r := range reqs {
		assert.Less(t, len(r.Body), MaxBodyBytes)
		total += len(r.Events)
	}
	assert.Equal(t, 3, total)
	assert.Greater(t, len(reqs), 1, "three ~64 kB events cannot share one request")
}

func TestPackReportsEventTooLargeAlone(t *testing.T) {
	e := Event{Name: "x"}
	for i := 0; i < 3; i++ {
		// bypasses SetParam to build an impossible event
		put(&e, fmt.Sprintf("p%d", i), String(strings.Repeat("y", MaxBodyBytes/2)))
	}
	ok := Event{Name: "ok"}
	reqs, tooLarge, err := Pack(Header{ClientID: "1.2"}, []Event{ok, e, ok})
	require.NoError(t, err)
	assert.Equal(t, []int{1}, tooLarge)
	require.Len(t, reqs, 1)
	assert.Equal(t, []int{0, 2}, reqs[0].Events)
}

// A packed body is exactly what json.Marshal makes of the whole payload.
func TestPackBodyIsThePayloadsJSON(t *testing.T) {
	for _, h := range []Header{
		{ClientID: "1.2"},
		{ClientID: "1.2", UserID: "pii_0123456789abcdef", Consent: Consent{AdUserData: Granted, AdPersonalization: Denied}},
		{ClientID: "1.2", Consent: Consent{AdPersonalization: Denied}},
		{ClientID: "1.2", Consent: Consent{AdUserData: Granted}},
		{ClientID: "1.2<3>", UserID: `pii_"&"`, Consent: Consent{AdUserData: "GRANTED\n"}}, // escapes: json.Marshal
		{ClientID: "1.2", UserID: "née", Consent: Consent{AdPersonalization: "<x>"}},
	} {
		events := []Event{
			withParams(Event{Name: "purchase", TimestampMicros: 1795863600000000}, map[string]any{"currency": "EUR", "value": json.Number("12.50"), "items": []Item{{ItemID: "sku-<1>", Price: "12.50", Quantity: 1}}}),
			withParams(Event{Name: "add_to_cart", TimestampMicros: 1795863500000000}, map[string]any{"note": "a & b"}),
			{Name: "view_item"},
		}
		reqs, tooLarge, err := Pack(h, events)
		require.NoError(t, err)
		require.Empty(t, tooLarge)
		require.Len(t, reqs, 1)
		want := payload{ClientID: h.ClientID, UserID: h.UserID, TimestampMicros: 1795863500000000}
		if !h.Consent.IsZero() {
			c := h.Consent
			want.Consent = &c
		}
		for i := range events {
			b, err := json.Marshal(&events[i])
			require.NoError(t, err)
			want.Events = append(want.Events, b)
		}
		wantBody, err := json.Marshal(&want)
		require.NoError(t, err)
		assert.Equal(t, string(wantBody), string(reqs[0].Body))
		assert.True(t, json.Valid(reqs[0].Body))
	}
}

// BenchmarkPack packs 25 encoded purchase events into one request body.
func BenchmarkPack(b *testing.B) {
	var encoded []Encoded
	for i := range 25 {
		e := withParams(Event{Name: "purchase", TimestampMicros: int64(1795863600000000 + i)}, map[string]any{
			"currency": "EUR", "value": json.Number("37.48"), "transaction_id": fmt.Sprintf("ord-%d", i),
			"items": []Item{{ItemID: "sku-1", ItemName: "Mug", Price: "12.99", Quantity: 2}, {ItemID: "sku-2", ItemName: "Tea", Price: "11.50", Quantity: 1}},
		})
		enc, err := Encode(&e)
		if err != nil {
			b.Fatal(err)
		}
		encoded = append(encoded, enc)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := PackEncoded(Header{ClientID: "1.2", UserID: "pii_0123456789abcdef"}, encoded); err != nil {
			b.Fatal(err)
		}
	}
}
