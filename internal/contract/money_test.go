package contract

import (
	"math"
	"math/rand/v2"
	"strconv"
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
		{"string trailing zeros", pcommon.NewValueStr("10.5000"), "USD", 1050, nil},
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

// TestParseMajorStringLocales pins the separator rule of ParseMajorString:
// every string is either its one sensible amount or an error, never an amount
// off by a power of ten (the old parser read "12,50" EUR as 1,250.00).
func TestParseMajorStringLocales(t *testing.T) {
	tests := []struct {
		in       string
		currency string
		want     int64
		err      error
	}{
		{"1,234.56", "USD", 123456, nil},
		{"1.234,56", "EUR", 123456, nil},
		{"12,50", "EUR", 1250, nil},
		{"12,5", "EUR", 1250, nil},
		{"0,99", "EUR", 99, nil},
		{",99", "EUR", 99, nil},
		{"12,500", "USD", 1250000, nil},
		{"12,500", "EUR", 1250000, nil},
		{"12,500", "KWD", 0, ErrAmountAmbiguous},
		{"12,5", "KWD", 12500, nil},
		{"12,50", "KWD", 12500, nil},
		{"1.250", "KWD", 1250, nil},
		{"1,234.567", "KWD", 1234567, nil},
		{"1.234,567", "KWD", 1234567, nil},
		{"12,5000", "EUR", 0, ErrAmountNotNumeric},
		{"12,50", "JPY", 0, ErrAmountNotNumeric},
		{"1 234,56", "EUR", 123456, nil},
		{"1\u00a0234,56", "EUR", 123456, nil},
		{"1\u202f234,56", "EUR", 123456, nil},
		{"1 234.56", "USD", 123456, nil},
		{"1'234.56", "CHF", 123456, nil},
		{"1 234 567", "JPY", 1234567, nil},
		{"1,000", "JPY", 1000, nil},
		{"1,234,567", "JPY", 1234567, nil},
		{"1.234.567", "JPY", 1234567, nil},
		{"1.234.567,89", "EUR", 123456789, nil},
		{"1.000", "JPY", 0, ErrAmountAmbiguous},
		{"10.500", "USD", 0, ErrAmountAmbiguous},
		{"1.234", "USD", 0, ErrAmountPrecision},
		{"500", "JPY", 500, nil},
		{"¥1,000", "JPY", 0, ErrAmountNotNumeric},
		{"$12.50", "USD", 0, ErrAmountNotNumeric},
		{"12.50 EUR", "EUR", 0, ErrAmountNotNumeric},
		{"-12,50", "EUR", 0, ErrAmountNegative},
		{"-1,234.56", "USD", 0, ErrAmountNegative},
		{"+12.50", "USD", 1250, nil},
		{"1,234,56", "EUR", 0, ErrAmountNotNumeric},
		{"12,34,567", "INR", 0, ErrAmountNotNumeric},
		{"1,234.567.89", "USD", 0, ErrAmountNotNumeric},
		{"1.234,56,7", "EUR", 0, ErrAmountNotNumeric},
		{"1,234 567", "USD", 0, ErrAmountNotNumeric},
		{"1,234'567.00", "USD", 0, ErrAmountNotNumeric},
		{"12 50", "EUR", 0, ErrAmountNotNumeric},
		{",", "EUR", 0, ErrAmountNotNumeric},
		{".", "USD", 0, ErrAmountNotNumeric},
		{"1.5e2", "USD", 15000, nil},
		{"1E3", "JPY", 1000, nil},
		{"2.5e-1", "USD", 25, nil},
		{"1.2345e2", "USD", 12345, nil},
		{"1.2345e1", "USD", 0, ErrAmountPrecision},
		{"1.2345e1", "KWD", 12345, nil},
		{"1e-3", "KWD", 1, nil},
		{"1e+2", "USD", 10000, nil},
		{"1e999999999", "USD", 0, ErrAmountOverflow},
		{"1e-999999999", "USD", 0, ErrAmountPrecision},
		{"0e999999999", "USD", 0, nil},
		{"1e20", "USD", 0, ErrAmountOverflow},
		{"1,5e2", "EUR", 0, ErrAmountNotNumeric},
		{"e2", "USD", 0, ErrAmountNotNumeric},
		{"1e", "USD", 0, ErrAmountNotNumeric},
		{"abce99", "USD", 0, ErrAmountNotNumeric},
		{"0x10", "USD", 0, ErrAmountNotNumeric},
	}
	for _, tt := range tests {
		t.Run(tt.in+" "+tt.currency, func(t *testing.T) {
			exp, ok := CurrencyExponent(tt.currency)
			require.True(t, ok)
			got, err := ParseMajorString(tt.in, exp)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err, "got %d", got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestAmountFromDecimalComma goes through the attribute entry point every
// component uses (paymentbi, GA4, Sentry).
func TestAmountFromDecimalComma(t *testing.T) {
	m := pcommon.NewMap()
	m.PutStr(PaymentCurrency, "EUR")
	m.PutStr(PaymentAmount, "12,50")
	got, err := AmountFrom(m)
	require.NoError(t, err)
	assert.Equal(t, Money{Minor: 1250, Currency: "EUR"}, got)
}

func FuzzParseMajorString(f *testing.F) {
	for _, s := range []string{"1,234.56", "1.234,56", "12,50", "1e3", "1 234,56", "-1"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, s string, exp int) {
		exp = []int{0, 2, 3, 4}[((exp%4)+4)%4]
		n, err := ParseMajorString(s, exp)
		if err == nil && n < 0 {
			t.Fatalf("%q parsed to negative %d", s, n)
		}
		if err == nil {
			// The canonical form parses back to the same amount.
			back, err := ParseMajorString(formatExp(n, exp), exp)
			if err != nil || back != n {
				t.Fatalf("%q -> %d -> %q -> %d, %v", s, n, formatExp(n, exp), back, err)
			}
		}
	})
}

func formatExp(minor int64, exp int) string {
	for cur, e := range iso4217Exponents {
		if e == exp {
			return FormatMinor(minor, cur)
		}
	}
	panic("no currency with that exponent")
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

func TestIsForbiddenMetricAttribute(t *testing.T) {
	for _, k := range []string{CustomerID, CustomerEmail, "customer.name", OrderID, PaymentID, ClientAddress, CheckoutSessionID, GAClientID, "user.id", "enduser.id"} {
		assert.True(t, IsForbiddenMetricAttribute(k), k)
	}
	for _, k := range []string{CustomerSegment, PaymentProvider, PaymentMethod, ServiceName, "customers", "order.item_count"} {
		assert.False(t, IsForbiddenMetricAttribute(k), k)
	}
}

func TestTimestampTimeNeverWraps(t *testing.T) {
	_, ok := TimestampTime(pcommon.Timestamp(math.MaxUint64))
	assert.False(t, ok, "2^64-1 is not 1969")
	_, ok = TimestampTime(pcommon.Timestamp(uint64(math.MaxInt64) + 1))
	assert.False(t, ok)
	_, ok = TimestampTime(0)
	assert.False(t, ok)
	got, ok := TimestampTime(pcommon.Timestamp(math.MaxInt64))
	assert.True(t, ok)
	assert.Equal(t, 2262, got.UTC().Year())
	got, ok = TimestampTime(pcommon.Timestamp(1))
	assert.True(t, ok)
	assert.Equal(t, 1970, got.UTC().Year())
}

// The integer fast path of MajorFloatToMinor agrees with the exact big.Rat
// conversion: on rounding edges, on amounts near the 18-digit limit and on
// random doubles of every magnitude.
func TestMajorFloatToMinorMatchesExactConversion(t *testing.T) {
	floats := []float64{
		0, math.Copysign(0, -1), 0.5, 1.5, 2.5, 0.005, 0.015, 0.125, 0.29, 19.99, 1e-9, 0.3 - 0.1,
		999999999999999.9, 12345678901234.5678, 99999999999999.995, 1e14, 1e15, 1e17, 9.2e18, 1e20, math.MaxFloat64, math.SmallestNonzeroFloat64,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		floats = append(floats, math.Float64frombits(rng.Uint64()&^(1<<63)), rng.Float64()*math.Pow(10, float64(rng.IntN(22)-4)),
			float64(rng.IntN(1_000_000))/100)
	}
	for _, f := range floats {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		for exp := range 5 {
			got, err := MajorFloatToMinor(f, exp)
			want, wantErr := decimalToMinorRat(strconv.FormatFloat(f, 'f', -1, 64), exp)
			require.Equal(t, wantErr, err, "%v exp %d", f, exp)
			require.Equal(t, want, got, "%v exp %d", f, exp)
		}
	}
}

// BenchmarkMajorFloatToMinor: "big_rat" is the conversion before the
// integer fast path (format, then big.Rat), "now" the function as it is.
func BenchmarkMajorFloatToMinor(b *testing.B) {
	prices := []float64{19.99, 4.99, 1299.5, 0.29, 250, 12.345}
	b.Run("big_rat", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_, _ = decimalToMinorRat(strconv.FormatFloat(prices[i%len(prices)], 'f', -1, 64), 2)
			i++
		}
	})
	b.Run("now", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_, _ = MajorFloatToMinor(prices[i%len(prices)], 2)
			i++
		}
	})
}
