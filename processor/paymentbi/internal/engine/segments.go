package engine

import (
	"cmp"
	"slices"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Segment dimensions (the segment.dimension attribute) and the channel of
// a visit without utm.source.
const (
	AttrSegmentDimension = contract.MetricLabelSegmentDimension
	AttrSegmentValue     = contract.MetricLabelSegmentValue
	DimensionCustomer    = "customer"
	DimensionChannel     = "channel"
	DimensionCategory    = "category"
	DimensionCurrency    = "currency"
	DimensionCountry     = "country"
	ChannelDirect        = "direct"
	// maxCountries bounds the country segment below the cardinality
	// limit: a country label is for the shop's main markets.
	maxCountries = 30
)

type segKey struct{ dim, value string }

// segStats are one segment's visits (product views), counted purchases
// and their revenue in minor units of the reporting currency.
type segStats struct{ visits, orders, revenue int64 }

func (e *Engine) segment(dim, value string) *segStats {
	k := segKey{dim, value}
	s := e.agg.segments[k]
	if s == nil {
		s = &segStats{}
		e.agg.segments[k] = s
	}
	return s
}

func (e *Engine) channelOf(ev *event) string {
	if ev.channel == "" {
		return ChannelDirect
	}
	return e.channels.value(ev.channel)
}

// countryOf is the country segment of ev: its ISO 3166-1 code (limited),
// Unknown for a value that is not one, and false without a country.
func (e *Engine) countryOf(ev *event) (string, bool) {
	if ev.country == "" {
		return "", false
	}
	code, ok := contract.CountryCode(ev.country)
	if !ok {
		return Unknown, true
	}
	return e.countries.value(code), true
}

func customerSegment(ev *event) string {
	if validSegment(ev.segment) {
		return ev.segment
	}
	return Unknown
}

// categories are the distinct (limited) item categories of ev.
func (e *Engine) categories(ev *event) []string {
	var out []string
	for _, it := range ev.items {
		if it.category == "" {
			continue
		}
		if c := e.categoriesLimit.value(it.category); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// observeSegmentVisit counts a product view per customer segment, channel
// and item category. e.mu must be held.
func (e *Engine) observeSegmentVisit(ev *event) {
	e.segment(DimensionCustomer, customerSegment(ev)).visits++
	e.segment(DimensionChannel, e.channelOf(ev)).visits++
	// a view's currency is known with its amount (the journal keeps both)
	if ev.hasMoney {
		e.segment(DimensionCurrency, ev.money.Currency).visits++
	}
	if c, ok := e.countryOf(ev); ok {
		e.segment(DimensionCountry, c).visits++
	}
	for _, c := range e.categories(ev) {
		e.segment(DimensionCategory, c).visits++
	}
}

// observeSegmentPurchase counts a counted purchase: the order and its
// revenue per customer segment and channel, and per category the order
// and the revenue of its lines in that category (without tax and
// shipping). e.mu must be held.
func (e *Engine) observeSegmentPurchase(ev *event) {
	count := func(s *segStats) {
		s.orders++
		s.revenue, _ = addInt64(s.revenue, ev.reporting)
	}
	count(e.segment(DimensionCustomer, customerSegment(ev)))
	count(e.segment(DimensionChannel, e.channelOf(ev)))
	count(e.segment(DimensionCurrency, ev.money.Currency))
	if c, ok := e.countryOf(ev); ok {
		count(e.segment(DimensionCountry, c))
	}
	for _, c := range e.categories(ev) {
		s := e.segment(DimensionCategory, c)
		s.orders++
		for _, it := range ev.items {
			if it.category == "" || e.categoriesLimit.value(it.category) != c {
				continue
			}
			if conv, err := e.conv.Convert(contract.Money{Minor: it.lineMinor, Currency: ev.money.Currency}); err == nil {
				s.revenue, _ = addInt64(s.revenue, conv)
			}
		}
	}
}

func (e *Engine) emitSegments(m *emitter) {
	a, st := &e.agg, &e.agg.stages
	if len(a.segments) == 0 {
		return
	}
	rep := e.conv.Reporting()
	keys := slices.SortedFunc(mapKeys(a.segments), func(x, y segKey) int {
		return cmp.Or(cmp.Compare(x.dim, y.dim), cmp.Compare(x.value, y.value))
	})
	revenue := m.sum(MetricSegmentRevenue, "{payment.reporting.currency}", "Revenue of counted purchases per segment, in the reporting currency (category: its lines, without tax and shipping).")
	orders := m.sum(MetricSegmentOrders, "{order}", "Counted purchases per segment.")
	visits := m.sum(MetricSegmentVisits, "{event}", "Product views (ecommerce.view_item) per segment.")
	conv := m.gauge(MetricSegmentConversion, "1", "Purchases over product views per segment, since start.")
	aov := m.gauge(MetricSegmentOrderValue, "{payment.reporting.currency}", "Average order value per segment since start, in the reporting currency.")
	for _, k := range keys {
		s, stage := a.segments[k], st.segments[k]
		attrs := []string{AttrSegmentDimension, k.dim, AttrSegmentValue, k.value}
		m.point(revenue, true, append(attrs, contract.PaymentReportingCurrency, rep)...).
			SetDoubleValue(contract.MinorToMajorFloat(shown(stage, s.revenue), rep))
		m.point(orders, true, attrs...).SetIntValue(shown(stage, s.orders))
		m.point(visits, true, attrs...).SetIntValue(shown(stage, s.visits))
		if s.visits > 0 {
			m.point(conv, false, attrs...).SetDoubleValue(float64(s.orders) / float64(s.visits))
		}
		if s.orders > 0 {
			m.point(aov, false, append(attrs, contract.PaymentReportingCurrency, rep)...).
				SetDoubleValue(contract.MinorToMajorFloat(s.revenue, rep) / float64(s.orders))
		}
	}
}
