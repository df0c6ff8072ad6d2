package mp

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// Encode writes exactly what json.Marshal writes, for the forms it writes
// itself and for those it leaves to json.Marshal (escapes, odd numbers,
// other types).
func TestEncodeMatchesJSONMarshal(t *testing.T) {
	strs := []string{"", "sku-1", "Mug", "a\"b", `back\slash`, "<b>&amp;</b>", "tab\there", "née", "\u2028", "\xff", "x"}
	nums := []json.Number{"0", "12.99", "1299", "0.05", "-1.5", "", "012", "1.", "1e3", "NaN", ".5"}
	values := func(rng *rand.Rand) any {
		switch rng.IntN(6) {
		case 0:
			return strs[rng.IntN(len(strs))]
		case 1:
			return rng.Int64N(1e12) - 5e11
		case 2:
			return nums[rng.IntN(len(nums))]
		case 3:
			n := rng.IntN(4) - 1
			if n < 0 {
				return []Item(nil)
			}
			items := make([]Item, n)
			for i := range items {
				items[i] = Item{
					ItemID: strs[rng.IntN(len(strs))], ItemName: strs[rng.IntN(len(strs))],
					ItemCategory: strs[rng.IntN(len(strs))], Price: nums[rng.IntN(len(nums))], Quantity: rng.Int64N(3),
				}
			}
			return items
		case 4:
			return 1.5 // not a type Event holds; json.Marshal decides
		default:
			return "v" + strconv.Itoa(rng.IntN(100))
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		e := Event{Name: strs[rng.IntN(len(strs))], TimestampMicros: rng.Int64N(3) * 1795863600000000}
		if n := rng.IntN(8); n > 0 {
			e.Params = map[string]any{}
			for range n {
				e.Params[strs[rng.IntN(len(strs))]+strconv.Itoa(rng.IntN(30))] = values(rng)
			}
		}
		want, wantErr := json.Marshal(&e)
		got, err := Encode(&e)
		if wantErr != nil {
			require.Error(t, err, "%#v", e)
			continue
		}
		require.NoError(t, err, "%#v", e)
		require.Equal(t, string(want), string(got.JSON), "%#v", e)
	}
}

// BenchmarkEncode: "json_marshal" is how events were encoded before,
// "encode" is Encode now.
func BenchmarkEncode(b *testing.B) {
	e := Event{Name: "purchase", TimestampMicros: 1795863600000000}
	for k, v := range map[string]any{
		"currency": "USD", "value": json.Number("25.00"), "transaction_id": "ord-1001", "session_id": "1764327600",
		"engagement_time_msec": int64(1), "shipping": json.Number("2.50"), "tax": json.Number("4.95"),
		"items": []Item{{ItemID: "sku-1", ItemName: "Mug", Price: "12.99", Quantity: 2}, {ItemID: "sku-2", ItemName: "Coaster", Price: "4.99", Quantity: 1}},
	} {
		e.SetParam(k, v)
	}
	b.Run("json_marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(&e)
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = Encode(&e)
		}
	})
}
