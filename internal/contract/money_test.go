package contract

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestParseMajorValue(t *testing.T) {
	tests := []struct {
		name     string
		v        pcommon.Value
		currency string
		want     int64
		err      error
	}{
		{"double usd", pcommon.NewValueDouble(49.99), "USD", 4999, nil},
		{"double binary drift", pcommon.NewValueDouble(0.1 + 0.2), "USD", 30, nil},
		{"double 0.29", pcommon.NewValueDouble(0.29), "USD", 29, nil},
		{"double half rounds away", pcommon.NewValueDouble(1.005), "USD", 101, nil},
		{"int major usd", pcommon.NewValueInt(100), "USD", 10000, nil},
		{"jpy zero decimals", pcommon.NewValueDouble(500), "JPY", 500, nil},
		{"kwd three decimals", pcommon.NewValueStr("1.250"), "KWD", 1250, nil},
		{"string exact", pcommon.NewValueStr("1,234.50"), "EUR", 123450, nil},
		{"string trailing zeros", pcommon.NewValueStr("10.500"), "USD", 1050, nil},
		{"string too precise", pcommon.NewValueStr("10.505"), "USD", 0, ErrAmountPrecision},
		{"nan", pcommon.NewValueDouble(math.NaN()), "USD", 0, ErrAmountNaN},
		{"inf", pcommon.NewValueDouble(math.Inf(1)), "USD", 0, ErrAmountInfinite},
		{"negative", pcommon.NewValueDouble(-1), "USD", 0, ErrAmountNegative},
		{"negative string", pcommon.NewValueStr("-3"), "USD", 0, ErrAmountNegative},
		{"garbage", pcommon.NewValueStr("12abc"), "USD", 0, ErrAmountNotNumeric},
		{"bool", pcommon.NewValueBool(true), "USD", 0, ErrAmountNotNumeric},
		{"overflow int", pcommon.NewValueInt(math.MaxInt64 / 10), "USD", 0, ErrAmountOverflow},
		{"overflow double", pcommon.NewValueDouble(1e300), "USD", 0, ErrAmountOverflow},
		{"overflow string", pcommon.NewValueStr("99999999999999999999"), "USD", 0, ErrAmountOverflow},
		{"unknown currency", pcommon.NewValueDouble(1), "XXX", 0, ErrCurrencyUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMajorValue(tt.v, tt.currency)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAmountFromPrefersMinorUnits(t *testing.T) {
	m := pcommon.NewMap()
	m.PutStr(PaymentCurrency, "usd")
	m.PutDouble(PaymentAmount, 10)
	m.PutInt(PaymentAmountMinor, 1234)
	got, err := AmountFrom(m)
	require.NoError(t, err)
	assert.Equal(t, Money{Minor: 1234, Currency: "USD"}, got)
	assert.Equal(t, "12.34 USD", got.String())

	m.Remove(PaymentAmountMinor)
	got, err = AmountFrom(m)
	require.NoError(t, err)
	assert.Equal(t, int64(1000), got.Minor)

	m.Remove(PaymentCurrency)
	_, err = AmountFrom(m)
	require.ErrorIs(t, err, ErrCurrencyMissing)
}

func TestFormatMinorRoundTrips(t *testing.T) {
	cases := map[string]string{"USD": "0.05", "JPY": "500", "KWD": "1.250", "CLF": "0.0001"}
	for cur, s := range cases {
		exp, ok := CurrencyExponent(cur)
		require.True(t, ok)
		minor, err := ParseMajorString(s, exp)
		require.NoError(t, err)
		assert.Equal(t, s, FormatMinor(minor, cur), cur)
		f := MinorToMajorFloat(minor, cur)
		back, err := MajorFloatToMinor(f, exp)
		require.NoError(t, err)
		assert.Equal(t, minor, back, cur)
	}
	assert.Equal(t, "-0.07", FormatMinor(-7, "USD"))
}

func TestParseItems(t *testing.T) {
	s := pcommon.NewValueStr(`[{"item_id":"sku-1","item_name":"Ticket","price":19.99,"quantity":2},{"item_id":"sku-2","price_minor":500}]`)
	items, err := ParseItems(s, "USD")
	require.NoError(t, err)
	require.Equal(t, []Item{
		{ID: "sku-1", Name: "Ticket", PriceMinor: 1999, Quantity: 2},
		{ID: "sku-2", PriceMinor: 500, Quantity: 1},
	}, items)

	sl := pcommon.NewValueSlice()
	im := sl.Slice().AppendEmpty().SetEmptyMap()
	im.PutStr(ItemID, "sku-3")
	im.PutStr(ItemPrice, "1000")
	items, err = ParseItems(sl, "JPY")
	require.NoError(t, err)
	assert.Equal(t, int64(1000), items[0].PriceMinor)

	_, err = ParseItems(pcommon.NewValueStr(`{"not":"a list"}`), "USD")
	require.ErrorIs(t, err, ErrItemsMalformed)
	_, err = ParseItems(pcommon.NewValueStr(`[{"price":1}]`), "USD")
	require.ErrorIs(t, err, ErrItemsMalformed)
}
