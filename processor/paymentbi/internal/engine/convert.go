package engine

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strings"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// ErrNoExchangeRate is the invalid-event reason for a valid ISO 4217
// currency that has no configured rate to the reporting currency.
var ErrNoExchangeRate = errors.New("no_exchange_rate")

// rate converts minor units of one currency into minor units of the
// reporting currency: to = from * num / den, rounded half away from zero.
// Folding both exponents into num/den keeps conversion in integers.
type rate struct{ num, den uint64 }

// Converter converts amounts into the reporting currency with static rates.
type Converter struct {
	reporting string
	rates     map[string]rate
}

// NewConverter builds a converter to reporting from rates, given as decimal
// strings ("1.08" means one unit of the key currency is 1.08 reporting
// units). The reporting currency itself always converts at 1.
func NewConverter(reporting string, rates map[string]string) (*Converter, error) {
	rep, err := contract.NormalizeCurrency(reporting)
	if err != nil {
		return nil, fmt.Errorf("reporting_currency %q: %w", reporting, err)
	}
	c := &Converter{reporting: rep, rates: map[string]rate{}}
	for code, s := range rates {
		cur, err := contract.NormalizeCurrency(code)
		if err != nil {
			return nil, fmt.Errorf("exchange_rates: currency %q: %w", code, err)
		}
		r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
		if !ok || r.Sign() <= 0 {
			return nil, fmt.Errorf("exchange_rates: %s: rate %q must be a positive decimal", cur, s)
		}
		if cur == rep && r.Cmp(big.NewRat(1, 1)) != 0 {
			return nil, fmt.Errorf("exchange_rates: %s is the reporting currency, its rate must be 1", cur)
		}
		conv, err := newRate(r, cur, rep)
		if err != nil {
			return nil, fmt.Errorf("exchange_rates: %s: %w", cur, err)
		}
		c.rates[cur] = conv
	}
	c.rates[rep] = rate{num: 1, den: 1}
	return c, nil
}

func newRate(r *big.Rat, from, to string) (rate, error) {
	expFrom, _ := contract.CurrencyExponent(from)
	expTo, _ := contract.CurrencyExponent(to)
	ten := big.NewInt(10)
	num := new(big.Int).Mul(r.Num(), new(big.Int).Exp(ten, big.NewInt(int64(expTo)), nil))
	den := new(big.Int).Mul(r.Denom(), new(big.Int).Exp(ten, big.NewInt(int64(expFrom)), nil))
	g := new(big.Int).GCD(nil, nil, num, den)
	num.Quo(num, g)
	den.Quo(den, g)
	if !num.IsUint64() || !den.IsUint64() {
		return rate{}, errors.New("rate has too many digits to convert exactly")
	}
	return rate{num: num.Uint64(), den: den.Uint64()}, nil
}

// Reporting returns the reporting currency code.
func (c *Converter) Reporting() string { return c.reporting }

// Has reports whether currency has a rate.
func (c *Converter) Has(currency string) bool {
	_, ok := c.rates[currency]
	return ok
}

// Convert returns m in minor units of the reporting currency, rounded half
// away from zero. The 128-bit intermediate product cannot overflow; a result
// beyond int64 is contract.ErrAmountOverflow.
func (c *Converter) Convert(m contract.Money) (int64, error) {
	r, ok := c.rates[m.Currency]
	if !ok {
		return 0, ErrNoExchangeRate
	}
	if m.Minor < 0 {
		return 0, contract.ErrAmountNegative
	}
	hi, lo := bits.Mul64(uint64(m.Minor), r.num)
	var carry uint64
	lo, carry = bits.Add64(lo, r.den/2, 0)
	hi += carry
	if hi >= r.den {
		return 0, contract.ErrAmountOverflow
	}
	q, _ := bits.Div64(hi, lo, r.den)
	if q > math.MaxInt64 {
		return 0, contract.ErrAmountOverflow
	}
	return int64(q), nil
}
