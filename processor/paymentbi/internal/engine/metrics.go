package engine

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Metric attribute keys that are not contract keys.
const (
	AttrReason = contract.MetricLabelReason
	AttrPeriod = contract.MetricLabelPeriod
)

// Metric names: the engine's short names for internal/contract's, which
// is the one list rules and dashboards are checked against.
const (
	MetricRevenue            = contract.MetricPaymentRevenue
	MetricRevenueReporting   = contract.MetricPaymentRevenueReporting
	MetricOrders             = contract.MetricPaymentOrders
	MetricAttempts           = contract.MetricPaymentAttempts
	MetricFailures           = contract.MetricPaymentFailures
	MetricRefunds            = contract.MetricPaymentRefunds
	MetricRefundsAmount      = contract.MetricPaymentRefundsAmount
	MetricDuration           = contract.MetricPaymentDuration
	MetricFunnelEvents       = contract.MetricCheckoutFunnelEvents
	MetricConversionRatio    = contract.MetricCheckoutConversionRatio
	MetricAbandonmentRatio   = contract.MetricCheckoutAbandonmentRatio
	MetricSuccessRatio       = contract.MetricPaymentSuccessRatio
	MetricOrderValueAverage  = contract.MetricOrderValueAverage
	MetricCustomerOrders     = contract.MetricCustomerOrders
	MetricCustomerDistinct   = contract.MetricCustomerDistinct
	MetricLifetimeValue      = contract.MetricCustomerLifetimeValue
	MetricInventoryAvailable = contract.MetricInventoryAvailable
	MetricInventoryReserved  = contract.MetricInventoryReserved
	MetricRevenueDaily       = contract.MetricRevenueDaily
	MetricRevenueMonthly     = contract.MetricRevenueMonthly
	MetricInvalidEvents      = contract.MetricInvalidEvents
	MetricDuplicateEvents    = contract.MetricDuplicateEvents
	MetricLatePurchases      = contract.MetricLatePurchases
	MetricLateInventory      = contract.MetricLateInventory
)

// StepName is the checkout.step attribute value of a funnel step:
// the event name without its namespace ("add_to_cart").
func StepName(step int) string {
	return strings.TrimPrefix(contract.FunnelSteps[step], "ecommerce.")
}

type emitter struct {
	sm         pmetric.ScopeMetrics
	start, now pcommon.Timestamp
}

func (m *emitter) metric(name, unit, desc string) pmetric.Metric {
	mt := m.sm.Metrics().AppendEmpty()
	mt.SetName(name)
	mt.SetUnit(unit)
	mt.SetDescription(desc)
	return mt
}

func (m *emitter) sum(name, unit, desc string) pmetric.NumberDataPointSlice {
	s := m.metric(name, unit, desc).SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	return s.DataPoints()
}

func (m *emitter) gauge(name, unit, desc string) pmetric.NumberDataPointSlice {
	return m.metric(name, unit, desc).SetEmptyGauge().DataPoints()
}

func (m *emitter) point(dps pmetric.NumberDataPointSlice, cumulative bool, attrs ...string) pmetric.NumberDataPoint {
	dp := dps.AppendEmpty()
	if cumulative {
		dp.SetStartTimestamp(m.start)
	}
	dp.SetTimestamp(m.now)
	for i := 0; i+1 < len(attrs); i += 2 {
		dp.Attributes().PutStr(attrs[i], attrs[i+1])
	}
	return dp
}

func sortedKeys[K comparable, V any](m map[K]V, less func(a, b K) int) []K {
	return slices.SortedFunc(maps.Keys(m), less)
}

func cmpMoney(a, b moneyKey) int {
	return cmp.Or(cmp.Compare(a.currency, b.currency), cmp.Compare(a.method, b.method), cmp.Compare(a.provider, b.provider))
}

func moneyAttrs(k moneyKey) []string {
	return []string{contract.PaymentCurrency, k.currency, contract.PaymentMethod, k.method, contract.PaymentProvider, k.provider}
}

// AppendMetrics appends the business metrics as of now to sm.
func (e *Engine) AppendMetrics(sm pmetric.ScopeMetrics) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.agg.roll(now, e.loc)
	e.advanceStages(now)
	m := &emitter{sm: sm, start: pcommon.NewTimestampFromTime(e.start), now: pcommon.NewTimestampFromTime(now)}
	e.emitMoney(m)
	e.emitAttempts(m)
	e.emitFailures(m)
	e.emitFunnel(m)
	e.emitCustomers(m)
	e.emitInventory(m)
	e.emitForecast(m, now)
	e.emitExperiments(m)
	e.emitGrowth(m, now)
	e.emitSegments(m)
	e.emitPeriods(m, now)
	e.emitQuality(m)
	sm.Metrics().RemoveIf(func(mt pmetric.Metric) bool { return dataPoints(mt) == 0 })
}

// advanceStages moves new series to zeroed and zeroed ones to live (see
// stages), journaling the step first; if the journal write fails the
// stages stay, so this emission shows what the last one did. e.mu must be
// held.
func (e *Engine) advanceStages(now time.Time) {
	st := &e.agg.stages
	if !st.pending(&e.agg) {
		return
	}
	e.pending = e.pending[:0]
	if err := e.commit(context.Background(), recordEmit, now); err != nil {
		e.logger.Warn("paymentbi: new series stay at 0 this emission", zap.Error(err))
		return
	}
	st.advance(&e.agg)
}

func dataPoints(mt pmetric.Metric) int {
	switch mt.Type() {
	case pmetric.MetricTypeSum:
		return mt.Sum().DataPoints().Len()
	case pmetric.MetricTypeGauge:
		return mt.Gauge().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return mt.Histogram().DataPoints().Len()
	}
	return 0
}

func (e *Engine) emitMoney(m *emitter) {
	a, st := &e.agg, &e.agg.stages
	rep := e.conv.Reporting()
	keys := sortedKeys(a.revenue, cmpMoney)
	revenue := m.sum(MetricRevenue, "{payment.currency}", "Revenue of purchases, in major units of payment.currency.")
	for _, k := range keys {
		m.point(revenue, true, moneyAttrs(k)...).SetDoubleValue(contract.MinorToMajorFloat(shown(st.money[k], a.revenue[k]), k.currency))
	}
	reporting := m.sum(MetricRevenueReporting, "{payment.reporting.currency}", "Revenue of purchases converted to the reporting currency, per original currency.")
	for _, k := range keys {
		conv, err := e.conv.Convert(contract.Money{Minor: shown(st.money[k], a.revenue[k]), Currency: k.currency})
		if err != nil {
			continue
		}
		attrs := append(moneyAttrs(k), contract.PaymentReportingCurrency, rep)
		m.point(reporting, true, attrs...).SetDoubleValue(contract.MinorToMajorFloat(conv, rep))
	}
	orders := m.sum(MetricOrders, "{order}", "Purchases counted once per order id.")
	for _, k := range keys {
		m.point(orders, true, moneyAttrs(k)...).SetIntValue(shown(st.money[k], a.orders[k]))
	}
	avg := m.gauge(MetricOrderValueAverage, "{payment.currency}", "Average purchase value since start, in major units of payment.currency.")
	perCurrency := map[string][2]int64{}
	for _, k := range keys {
		s := perCurrency[k.currency]
		perCurrency[k.currency] = [2]int64{s[0] + a.revenue[k], s[1] + a.orders[k]}
	}
	for _, cur := range slices.Sorted(maps.Keys(perCurrency)) {
		s := perCurrency[cur]
		if s[1] > 0 {
			m.point(avg, false, contract.PaymentCurrency, cur).SetDoubleValue(contract.MinorToMajorFloat(s[0], cur) / float64(s[1]))
		}
	}
	rkeys := sortedKeys(a.refunds, cmpMoney)
	refunds := m.sum(MetricRefunds, "{refund}", "Refunds.")
	amounts := m.sum(MetricRefundsAmount, "{payment.currency}", "Refunded amount, in major units of payment.currency.")
	for _, k := range rkeys {
		m.point(refunds, true, moneyAttrs(k)...).SetIntValue(shown(st.refund[k], a.refunds[k]))
		m.point(amounts, true, moneyAttrs(k)...).SetDoubleValue(contract.MinorToMajorFloat(shown(st.refund[k], a.refundAmount[k]), k.currency))
	}
}

func (e *Engine) emitAttempts(m *emitter) {
	a, st := &e.agg, &e.agg.stages
	keys := sortedKeys(a.attempts, func(x, y attemptKey) int {
		return cmp.Or(cmp.Compare(x.status, y.status), cmp.Compare(x.errorType, y.errorType),
			cmp.Compare(x.method, y.method), cmp.Compare(x.provider, y.provider))
	})
	attempts := m.sum(MetricAttempts, "{attempt}", "Payment charge attempts by outcome (payment.status) and error type.")
	perMethod := map[string][2]int64{} // succeeded, failed
	for _, k := range keys {
		attrs := []string{contract.PaymentStatus, k.status, contract.PaymentMethod, k.method, contract.PaymentProvider, k.provider}
		if k.errorType != "" {
			attrs = append(attrs, contract.PaymentErrorType, k.errorType)
		}
		n := a.attempts[k]
		m.point(attempts, true, attrs...).SetIntValue(shown(st.attempt[k], n))
		s := perMethod[k.method]
		switch k.status {
		case contract.StatusSucceeded:
			s[0] += n
		case contract.StatusFailed:
			s[1] += n
		}
		perMethod[k.method] = s
	}
	ratio := m.gauge(MetricSuccessRatio, "1", "Succeeded attempts over succeeded plus failed, since start, per method.")
	for _, method := range slices.Sorted(maps.Keys(perMethod)) {
		s := perMethod[method]
		if s[0]+s[1] > 0 {
			m.point(ratio, false, contract.PaymentMethod, method).SetDoubleValue(float64(s[0]) / float64(s[0]+s[1]))
		}
	}
	dkeys := sortedKeys(a.durations, func(x, y durationKey) int {
		return cmp.Or(cmp.Compare(x.status, y.status), cmp.Compare(x.method, y.method), cmp.Compare(x.provider, y.provider))
	})
	hist := m.metric(MetricDuration, "s", "Duration of payment charge spans.").SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for _, k := range dkeys {
		h := a.durations[k]
		dp := hist.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(m.start)
		dp.SetTimestamp(m.now)
		dp.Attributes().PutStr(contract.PaymentStatus, k.status)
		dp.Attributes().PutStr(contract.PaymentMethod, k.method)
		dp.Attributes().PutStr(contract.PaymentProvider, k.provider)
		dp.ExplicitBounds().FromRaw(e.bounds)
		if st.duration[k] == stageLive {
			dp.BucketCounts().FromRaw(h.counts)
		} else {
			dp.BucketCounts().FromRaw(make([]uint64, len(h.counts)))
		}
		dp.SetCount(shown(st.duration[k], h.count))
		dp.SetSum(shown(st.duration[k], h.sum))
	}
}

func (e *Engine) emitFailures(m *emitter) {
	a, st := &e.agg, &e.agg.stages
	keys := sortedKeys(a.failures, func(x, y failureKey) int {
		return cmp.Or(cmp.Compare(x.errorType, y.errorType), cmp.Compare(x.method, y.method), cmp.Compare(x.provider, y.provider))
	})
	failures := m.sum(MetricFailures, "{failure}", "payment.failed events by error type (attempts and the success ratio come from payment.charge spans).")
	for _, k := range keys {
		m.point(failures, true, contract.PaymentErrorType, k.errorType, contract.PaymentMethod, k.method,
			contract.PaymentProvider, k.provider).SetIntValue(shown(st.failure[k], a.failures[k]))
	}
}

func (e *Engine) emitFunnel(m *emitter) {
	f := e.agg.funnel
	events := m.sum(MetricFunnelEvents, "{event}", "Checkout funnel events per step (purchases counted once per order id).")
	for step, n := range f {
		m.point(events, true, contract.CheckoutStep, StepName(step)).SetIntValue(shown(e.agg.stages.funnel[step], n))
	}
	conv := m.gauge(MetricConversionRatio, "1", "Share of the first funnel step's events that reached this step, since start.")
	if f[0] > 0 {
		for step, n := range f {
			m.point(conv, false, contract.CheckoutStep, StepName(step)).SetDoubleValue(float64(n) / float64(f[0]))
		}
	}
	abandon := m.gauge(MetricAbandonmentRatio, "1", "Share of this step's events not followed by the next step, since start (0..1).")
	for step := 0; step+1 < len(f); step++ {
		if f[step] == 0 {
			continue
		}
		r := 1 - float64(f[step+1])/float64(f[step])
		m.point(abandon, false, contract.CheckoutStep, StepName(step)).SetDoubleValue(min(max(r, 0), 1))
	}
}

func (e *Engine) emitCustomers(m *emitter) {
	a := &e.agg
	orders := m.sum(MetricCustomerOrders, "{order}", "Purchases by customer segment (new, returning, unknown when no customer id).")
	for _, seg := range slices.Sorted(maps.Keys(a.segmentOrders)) {
		m.point(orders, true, contract.CustomerSegment, seg).SetIntValue(shown(a.stages.segment[seg], a.segmentOrders[seg]))
	}
	m.point(m.gauge(MetricCustomerDistinct, "{customer}", "Estimated distinct purchasing customers (persisted with the customer state)."), false).
		SetIntValue(int64(e.cust.distinct))
	if e.cust.distinct > 0 {
		rep := e.conv.Reporting()
		ltv := m.gauge(MetricLifetimeValue, "{payment.reporting.currency}", "Revenue per distinct customer in the reporting currency (lifetime value estimate).")
		m.point(ltv, false, contract.PaymentReportingCurrency, rep).
			SetDoubleValue(contract.MinorToMajorFloat(e.cust.lifetimeMinor, rep) / float64(e.cust.distinct))
	}
}

func (e *Engine) emitInventory(m *emitter) {
	a := &e.agg
	items := slices.Sorted(maps.Keys(a.stock))
	avail := m.gauge(MetricInventoryAvailable, "{item}", "Last reported available stock per item.")
	reserved := m.gauge(MetricInventoryReserved, "{item}", "Last reported reserved stock per item.")
	for _, item := range items {
		s := a.stock[item]
		if s.hasAvailable {
			m.point(avail, false, contract.InventoryItemID, item).SetIntValue(s.available)
		}
		if s.hasReserved {
			m.point(reserved, false, contract.InventoryItemID, item).SetIntValue(s.reserved)
		}
	}
}

// reportingTotal converts per-currency sums to the reporting currency.
func (e *Engine) reportingTotal(sums map[string]int64) int64 {
	var total int64
	for cur, minor := range sums {
		if conv, err := e.conv.Convert(contract.Money{Minor: minor, Currency: cur}); err == nil {
			total, _ = addInt64(total, conv)
		}
	}
	return total
}

func (e *Engine) emitPeriods(m *emitter, now time.Time) {
	rep := e.conv.Reporting()
	for _, p := range []struct {
		name   string
		period period
		sums   map[string]int64
		target int64
		label  string
	}{
		{MetricRevenueDaily, e.agg.day, e.agg.dayRevenue, e.dailyTarget, "day"},
		{MetricRevenueMonthly, e.agg.month, e.agg.monthRevenue, e.monthlyTarget, "month"},
	} {
		total := e.reportingTotal(p.sums)
		m.point(m.gauge(p.name, "{payment.reporting.currency}", "Revenue of the current "+p.label+" in the reporting currency."), false,
			contract.PaymentReportingCurrency, rep).SetDoubleValue(contract.MinorToMajorFloat(total, rep))
		m.point(m.gauge(p.name+contract.RevenuePaceSuffix, "1", "Share of the current "+p.label+" elapsed: the progress expected at this time."), false).
			SetDoubleValue(p.period.elapsed(now))
		if p.target <= 0 {
			continue
		}
		m.point(m.gauge(p.name+contract.RevenueTargetSuffix, "{payment.reporting.currency}", "Revenue target of the "+p.label+"."), false,
			contract.PaymentReportingCurrency, rep).SetDoubleValue(contract.MinorToMajorFloat(p.target, rep))
		m.point(m.gauge(p.name+contract.RevenueProgressSuffix, "1", "Revenue of the current "+p.label+" over its target."), false).
			SetDoubleValue(float64(total) / float64(p.target))
	}
}

func (e *Engine) emitQuality(m *emitter) {
	a, st := &e.agg, &e.agg.stages
	invalid := m.sum(MetricInvalidEvents, "{event}", "Events not counted because of bad input, by reason.")
	for _, k := range sortedKeys(a.invalid, func(x, y invalidKey) int {
		return cmp.Or(cmp.Compare(x.reason, y.reason), cmp.Compare(x.event, y.event))
	}) {
		m.point(invalid, true, AttrReason, k.reason, contract.EventName, k.event).SetIntValue(shown(st.invalid[k], a.invalid[k]))
	}
	dups := m.sum(MetricDuplicateEvents, "{event}", "Re-deliveries not counted again: a purchase within the dedup window, every event of a re-sent batch.")
	for _, name := range slices.Sorted(maps.Keys(a.duplicates)) {
		m.point(dups, true, contract.EventName, name).SetIntValue(shown(st.duplicate[name], a.duplicates[name]))
	}
	folded := m.sum(MetricFoldedEvents, "{event}", "Events counted under the _other series of a metric at its series bound (max_series_per_metric): in the totals, not under their own labels.")
	for _, name := range slices.Sorted(maps.Keys(a.folded)) {
		m.point(folded, true, contract.EventName, name).SetIntValue(shown(st.folded[name], a.folded[name]))
	}
	late := m.sum(MetricLatePurchases, "{event}", "Purchases that happened in a day or month already closed when they arrived: in the revenue totals, not in that period's revenue.")
	for _, period := range slices.Sorted(maps.Keys(a.late)) {
		m.point(late, true, AttrPeriod, period).SetIntValue(shown(st.late[period], a.late[period]))
	}
	if a.lateInventory > 0 {
		m.point(m.sum(MetricLateInventory, "{event}", "Inventory levels older than the item's current one: not applied."), true).SetIntValue(a.lateInventory)
	}
}
