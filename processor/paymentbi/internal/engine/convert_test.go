package engine

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func TestConvert(t *testing.T) {
	c, err := NewConverter("usd", map[string]string{"EUR": "1.08", "jpy": "0.0067", "KWD": "3.25", "GBP": "1.265"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Reporting() != "USD" {
		t.Fatalf("reporting = %q", c.Reporting())
	}
	tests := []struct {
		in   contract.Money
		want int64
	}{
		{contract.Money{Minor: 4999, Currency: "USD"}, 4999},
		{contract.Money{Minor: 10000, Currency: "EUR"}, 10800},    // 100.00 EUR = 108.00 USD
		{contract.Money{Minor: 1, Currency: "EUR"}, 1},            // 0.0108 rounds to 0.01
		{contract.Money{Minor: 1000, Currency: "JPY"}, 670},       // 1000 JPY = 6.70 USD
		{contract.Money{Minor: 75, Currency: "JPY"}, 50},          // 0.5025 -> 0.50
		{contract.Money{Minor: 1250, Currency: "KWD"}, 406},       // 1.250 KWD = 4.0625 -> 4.06
		{contract.Money{Minor: 2, Currency: "GBP"}, 3},            // 0.0253 -> 0.03
		{contract.Money{Minor: 200, Currency: "GBP"}, 253},        // 2.53
		{contract.Money{Minor: 1000000, Currency: "JPY"}, 670000}, // no float drift
	}
	for _, tt := range tests {
		got, err := c.Convert(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Convert(%v) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	// exactly half a cent rounds away from zero: 0.5 JPY-cent needs rate with even denominator
	half, _ := NewConverter("USD", map[string]string{"EUR": "0.5"})
	if got, _ := half.Convert(contract.Money{Minor: 1, Currency: "EUR"}); got != 1 {
		t.Errorf("half cent rounded to %d, want 1", got)
	}
	if _, err := c.Convert(contract.Money{Minor: 1, Currency: "CHF"}); !errors.Is(err, ErrNoExchangeRate) {
		t.Errorf("missing rate: err = %v", err)
	}
	toYen, _ := NewConverter("JPY", map[string]string{"USD": "150"})
	if got, _ := toYen.Convert(contract.Money{Minor: 4999, Currency: "USD"}); got != 7499 {
		t.Errorf("49.99 USD = %d JPY, want 7499 (7498.5 rounded up)", got)
	}
	if _, err := toYen.Convert(contract.Money{Minor: math.MaxInt64, Currency: "USD"}); !errors.Is(err, contract.ErrAmountOverflow) {
		t.Errorf("overflow: err = %v", err)
	}
	if got, err := c.Convert(contract.Money{Minor: math.MaxInt64, Currency: "USD"}); err != nil || got != math.MaxInt64 {
		t.Errorf("max int64 USD: %d, %v", got, err)
	}
}

func TestNewConverterErrors(t *testing.T) {
	tests := []struct {
		reporting string
		rates     map[string]string
		want      string
	}{
		{"", nil, "reporting_currency"},
		{"XXX", nil, "reporting_currency"},
		{"USD", map[string]string{"EURO": "1.1"}, `currency "EURO"`},
		{"USD", map[string]string{"EUR": "abc"}, "positive decimal"},
		{"USD", map[string]string{"EUR": "-1"}, "positive decimal"},
		{"USD", map[string]string{"EUR": "0"}, "positive decimal"},
		{"USD", map[string]string{"USD": "1.1"}, "reporting currency"},
		{"USD", map[string]string{"EUR": "1." + strings.Repeat("3", 40)}, "too many digits"},
	}
	for _, tt := range tests {
		_, err := NewConverter(tt.reporting, tt.rates)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewConverter(%q, %v) error = %v, want it to mention %q", tt.reporting, tt.rates, err, tt.want)
		}
	}
}
