package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

type product struct {
	id, name, category string
	usdMinor           int64
	stock, initial     int64
	lowStock           int64
}

// catalogTemplate is the shop's assortment; prices in US cents.
var catalogTemplate = []struct {
	name, category string
	usdMinor       int64
}{
	{"Trail Running Shoes", "footwear", 12999},
	{"Merino Wool Socks", "apparel", 1899},
	{"Waterproof Jacket", "apparel", 21900},
	{"Insulated Bottle 750ml", "accessories", 3450},
	{"Ultralight Tent 2P", "camping", 42999},
	{"Down Sleeping Bag", "camping", 28900},
	{"Headlamp 400lm", "accessories", 4995},
	{"Trekking Poles", "accessories", 8900},
	{"Hiking Backpack 38L", "bags", 15900},
	{"Camp Stove", "camping", 6499},
	{"Rain Pants", "apparel", 9900},
	{"Fleece Pullover", "apparel", 7450},
	{"Trail Mix 1kg", "food", 1299},
	{"First Aid Kit", "accessories", 2999},
	{"GPS Watch", "electronics", 34999},
	{"Solar Charger", "electronics", 5999},
	{"Climbing Harness", "climbing", 7999},
	{"Chalk Bag", "climbing", 1999},
	{"Approach Shoes", "footwear", 14900},
	{"Gaiters", "accessories", 3900},
	{"Camping Chair", "camping", 5499},
	{"Water Filter", "camping", 4450},
	{"Bivy Sack", "camping", 18900},
	{"Sun Hoodie", "apparel", 5900},
	{"Sunglasses", "accessories", 11900},
	{"Dry Bag 20L", "bags", 2450},
	{"Carabiner Set", "climbing", 3599},
	{"Map Case", "accessories", 1550},
}

func newCatalog(rng *rand.Rand) []*product {
	ps := make([]*product, len(catalogTemplate))
	for i, t := range catalogTemplate {
		stock := int64(15 + rng.IntN(150))
		ps[i] = &product{
			id: fmt.Sprintf("SKU-%04d", 1001+i), name: t.name, category: t.category,
			usdMinor: t.usdMinor, stock: stock, initial: stock, lowStock: 10,
		}
	}
	return ps
}

// priceMilli is the price of 1 USD in each currency, times 1000. Unknown
// currencies are priced 1:1 in major units.
var priceMilli = map[string]int64{"USD": 1000, "EUR": 920, "GBP": 790, "JPY": 150000, "KWD": 307, "CHF": 880, "CAD": 1360, "AUD": 1520, "BHD": 377}

// priceIn converts a US-cent list price to minor units of currency, the way
// shops price: whole tens of yen, KWD to the fils.
func priceIn(usdMinor int64, currency string) int64 {
	exp, _ := contract.CurrencyExponent(currency)
	rate, ok := priceMilli[currency]
	if !ok {
		rate = 1000
	}
	scale := int64(1)
	for range exp {
		scale *= 10
	}
	// usdMinor/100 USD * rate/1000 * 10^exp minor units, rounded.
	minor := (usdMinor*rate*scale + 50000) / 100000
	if exp == 0 && minor > 100 {
		minor = (minor + 5) / 10 * 10
	}
	return max(minor, 1)
}

type customer struct {
	id, email, ip, gaClientID string
	purchases                 int
}

var (
	firstNames = []string{"olivia", "liam", "emma", "noah", "amelia", "oliver", "sophia", "elijah", "mia", "lucas", "yuki", "haruto", "fatima", "omar", "chloe", "mateo", "ingrid", "lars", "priya", "arjun", "zoe", "leon", "aisha", "kenji"}
	lastNames  = []string{"smith", "garcia", "mueller", "tanaka", "rossi", "nguyen", "kowalski", "johnson", "almutairi", "dubois", "silva", "jensen", "patel", "kim", "obrien", "novak", "sato", "haddad"}
	// Reserved example domains: realistic-looking addresses that belong to no one.
	emailDomains = []string{"example.com", "example.net", "example.org", "mail.example.com", "shop.example"}
)

// maxCustomers bounds the returning-customer pool.
const maxCustomers = 20000

type customerPool struct {
	all []*customer
}

// pick returns a returning customer with probability 0.4 once the pool has
// some, otherwise a new one.
func (p *customerPool) pick(rng *rand.Rand) *customer {
	if len(p.all) > 50 && rng.Float64() < 0.4 {
		return p.all[rng.IntN(len(p.all))]
	}
	c := newCustomer(rng)
	if len(p.all) < maxCustomers {
		p.all = append(p.all, c)
	} else {
		p.all[rng.IntN(len(p.all))] = c
	}
	return c
}

func newCustomer(rng *rand.Rand) *customer {
	first, last := pickOne(rng, firstNames), pickOne(rng, lastNames)
	domain := pickOne(rng, emailDomains)
	var local string
	switch rng.IntN(4) {
	case 0:
		local = first + "." + last
	case 1:
		local = fmt.Sprintf("%s%s%d", first, last, rng.IntN(99))
	case 2:
		local = fmt.Sprintf("%c.%s+shop", first[0], last)
	default:
		local = fmt.Sprintf("%s_%s%d", last, first, 1960+rng.IntN(45))
	}
	return &customer{
		id:         "cus_" + randID(rng, 14),
		email:      local + "@" + domain,
		ip:         randIP(rng),
		gaClientID: fmt.Sprintf("%d.%d", 100000000+rng.Int64N(900000000), 1700000000+rng.Int64N(90000000)),
	}
}

// randIP returns a client address from the documentation ranges (RFC 5737,
// RFC 3849); a third are IPv6.
func randIP(rng *rand.Rand) string {
	if rng.IntN(3) == 0 {
		return fmt.Sprintf("2001:db8:%x:%x::%x", rng.IntN(0xffff), rng.IntN(0xffff), 1+rng.IntN(0xfffe))
	}
	nets := []string{"192.0.2", "198.51.100", "203.0.113"}
	return fmt.Sprintf("%s.%d", pickOne(rng, nets), 1+rng.IntN(254))
}

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func randID(rng *rand.Rand, n int) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(idAlphabet[rng.IntN(len(idAlphabet))])
	}
	return b.String()
}

func pickOne[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

// Test card numbers published by payment providers; all pass the Luhn check,
// so PAN detectors recognise them.
var testPANs = []string{
	"4111111111111111", "4242424242424242", "4000000000000002", "4000000000009995",
	"5555555555554444", "5105105105105100", "378282246310005", "6011111111111117",
}

// randPAN returns a test card number, sometimes grouped in fours with spaces
// or dashes as customers type them.
func randPAN(rng *rand.Rand) string {
	pan := pickOne(rng, testPANs)
	switch rng.IntN(4) {
	case 0:
		return groupPAN(pan, " ")
	case 1:
		return groupPAN(pan, "-")
	}
	return pan
}

// luhnPAN builds a Luhn-valid 16-digit number on a test BIN, as card
// testers cycle through generated numbers.
func luhnPAN(rng *rand.Rand) string {
	digits := make([]byte, 16)
	copy(digits, "400000")
	for i := 6; i < 15; i++ {
		digits[i] = byte('0' + rng.IntN(10))
	}
	digits[15] = '0' + luhnCheckDigit(string(digits[:15]))
	return string(digits)
}

func luhnCheckDigit(payload string) byte {
	sum := 0
	double := true
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte((10 - sum%10) % 10)
}

func groupPAN(pan, sep string) string {
	var parts []string
	for i := 0; i < len(pan); i += 4 {
		parts = append(parts, pan[i:min(i+4, len(pan))])
	}
	return strings.Join(parts, sep)
}

type methodInfo struct {
	method, provider string
	weight           int
	card             bool
}

var methods = []methodInfo{
	{"card", "stripe", 62, true},
	{"apple_pay", "stripe", 12, true},
	{"google_pay", "stripe", 8, true},
	{"paypal", "paypal", 13, false},
	{"klarna", "klarna", 5, false},
}

func pickMethod(rng *rand.Rand) methodInfo {
	n := rng.IntN(100)
	for _, m := range methods {
		if n < m.weight {
			return m
		}
		n -= m.weight
	}
	return methods[0]
}

// currencyWeights favour USD and EUR when the default currencies are used.
var currencyWeights = map[string]int{"USD": 40, "EUR": 25, "GBP": 15, "JPY": 12, "KWD": 8}

func pickCurrency(rng *rand.Rand, currencies []string) string {
	total := 0
	for _, c := range currencies {
		total += weightOf(c)
	}
	n := rng.IntN(total)
	for _, c := range currencies {
		if n < weightOf(c) {
			return c
		}
		n -= weightOf(c)
	}
	return currencies[0]
}

func weightOf(c string) int {
	if w, ok := currencyWeights[c]; ok {
		return w
	}
	return 10
}
