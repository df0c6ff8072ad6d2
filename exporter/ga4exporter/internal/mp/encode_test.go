package mp

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
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
	values := func(rng *rand.Rand) Value {
		switch rng.IntN(6) {
		case 0:
			return String(strs[rng.IntN(len(strs))])
		case 1:
			return Int(rng.Int64N(1e12) - 5e11)
		case 2:
			return Number(nums[rng.IntN(len(nums))])
		case 3:
			n := rng.IntN(4) - 1
			if n < 0 {
				return Items(nil)
			}
			items := make([]Item, n)
			for i := range items {
				items[i] = Item{
					ItemID: strs[rng.IntN(len(strs))], ItemName: strs[rng.IntN(len(strs))],
					ItemCategory: strs[rng.IntN(len(strs))], Price: nums[rng.IntN(len(nums))], Quantity: rng.Int64N(3),
				}
			}
			return Items(items)
		case 4:
			minor := rng.Int64N(1e9) - 5e8
			if rng.IntN(10) == 0 {
				minor = [...]int64{0, 1, -1, math.MinInt64, math.MaxInt64}[rng.IntN(5)]
			}
			return Decimal(minor, rng.IntN(5))
		default:
			return String("v" + strconv.Itoa(rng.IntN(100)))
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var arena Arena
	var encoded []Encoded
	var wants []string
	for range 20000 {
		e := Event{Name: strs[rng.IntN(len(strs))], TimestampMicros: rng.Int64N(3) * 1795863600000000}
		if n := rng.IntN(8); n > 0 {
			for range n {
				put(&e, strs[rng.IntN(len(strs))]+strconv.Itoa(rng.IntN(30)), values(rng))
			}
		}
		want, wantErr := json.Marshal(jsonEvent{Name: e.Name, TimestampMicros: e.TimestampMicros, Params: paramMap(e.Params)})
		got, err := Encode(&e)
		if wantErr != nil {
			require.Error(t, err, "%#v", e)
			continue
		}
		require.NoError(t, err, "%#v", e)
		require.Equal(t, string(want), string(got.JSON), "%#v", e)
		inArena, err := arena.Encode(&e)
		require.NoError(t, err)
		require.Equal(t, string(want), string(inArena.JSON), "%#v", e)
		encoded = append(encoded, inArena)
		wants = append(wants, string(want))
	}
	for i := range encoded {
		require.Equal(t, wants[i], string(encoded[i].JSON), "arena events are never overwritten")
	}
}

// paramMap is the old form of Event.Params, which json.Marshal wrote: a
// map of string, int64, json.Number and []Item values, independently of
// Value.Any.
func paramMap(params []Param) map[string]any {
	if len(params) == 0 {
		return nil
	}
	m := map[string]any{}
	for _, p := range params {
		v := p.Value
		switch v.kind {
		case kindString:
			m[p.Name] = v.str
		case kindInt:
			m[p.Name] = v.num
		case kindNumber:
			m[p.Name] = json.Number(v.str)
		case kindDecimal:
			m[p.Name] = decimalText(v.num, int(v.exp))
		case kindItems:
			m[p.Name] = v.item
		}
	}
	return m
}

// decimalText is contract.FormatMinor's rendering, computed with big.Rat.
func decimalText(minor int64, exp int) json.Number {
	r := new(big.Rat).SetFrac(big.NewInt(minor), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
	return json.Number(r.FloatString(exp))
}

// put sets a parameter without SetParam's name checks (the names here
// include ones needing escapes), replacing one of the same name.
func put(e *Event, name string, v Value) {
	for i := range e.Params {
		if e.Params[i].Name == name {
			e.Params[i].Value = v
			return
		}
	}
	e.Params = append(e.Params, Param{Name: name, Value: v})
}

// valueOf is the Value of a json.Marshal-able parameter value.
func valueOf(v any) Value {
	switch v := v.(type) {
	case string:
		return String(v)
	case int64:
		return Int(v)
	case json.Number:
		return Number(v)
	case []Item:
		return Items(v)
	}
	panic(fmt.Sprintf("no Value for %T", v))
}

// withParams is e with params set (in map order: Encode sorts them).
func withParams(e Event, params map[string]any) Event {
	for k, v := range params {
		put(&e, k, valueOf(v))
	}
	return e
}

// BenchmarkEncode: "json_marshal" is how events were encoded before,
// "encode" is Encode now.
func BenchmarkEncode(b *testing.B) {
	e := Event{Name: "purchase", TimestampMicros: 1795863600000000}
	for k, v := range map[string]Value{
		"currency": String("USD"), "value": Decimal(2500, 2), "transaction_id": String("ord-1001"), "session_id": String("1764327600"),
		"engagement_time_msec": Int(1), "shipping": Decimal(250, 2), "tax": Decimal(495, 2),
		"items": Items([]Item{{ItemID: "sku-1", ItemName: "Mug", Price: "12.99", Quantity: 2}, {ItemID: "sku-2", ItemName: "Coaster", Price: "4.99", Quantity: 1}}),
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
	b.Run("arena", func(b *testing.B) {
		b.ReportAllocs()
		var a Arena
		for b.Loop() {
			_, _ = a.Encode(&e)
		}
	})
}

// Events larger than an arena's room, and small first buffers, leave every
// earlier event as it was and take no more than their own bytes along.
func TestArenaKeepsEveryEvent(t *testing.T) {
	var a Arena
	a.Reserve(600)
	var got []Encoded
	var want []string
	for i := range 60 {
		e := Event{Name: "purchase", TimestampMicros: int64(i)}
		items := make([]Item, i%7*20)
		for j := range items {
			items[j] = Item{ItemID: "sku-" + strconv.Itoa(j), Price: "1.00", Quantity: int64(j + 1)}
		}
		e.SetParam("items", Items(items))
		e.SetParam("transaction_id", String("ord-"+strconv.Itoa(i)))
		enc, err := a.Encode(&e)
		require.NoError(t, err)
		ref, err := Encode(&e)
		require.NoError(t, err)
		require.LessOrEqual(t, cap(enc.JSON), len(enc.JSON), "capacity-limited")
		got = append(got, enc)
		want = append(want, string(ref.JSON))
	}
	for i := range got {
		require.Equal(t, want[i], string(got[i].JSON), "event %d", i)
	}
}
