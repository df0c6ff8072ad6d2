package view

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/store"
	"github.com/otelcol-payments/otelcol-payments/internal/channelhealth"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// Threshold is the latency limit of the operations whose span name matches.
type Threshold struct {
	Category  string
	Match     *regexp.Regexp
	Threshold time.Duration
}

// Options configure the documents.
type Options struct {
	// Currency is the reporting currency shown when the metrics do not name it.
	Currency string
	// DailyTarget and MonthlyTarget are used when paymentbi sends no target
	// gauges; 0 means none.
	DailyTarget, MonthlyTarget float64
	// Thresholds are tried in order; the first match sets an operation's limit.
	Thresholds           []Threshold
	LowStock             float64
	LatencyWindow        time.Duration
	SpanMetricsNamespace string
	Refresh              time.Duration
	// StaleAfter is how long without data before the dashboard says data is
	// not flowing.
	StaleAfter    time.Duration
	MaxOperations int
	MaxLowStock   int
	// Channels reports the delivery health of the collector's outbound
	// channels (alert channels, the digest); nil for none.
	Channels func() []channelhealth.State
	// Spend reads the monitoring spend figures (internal/spend); nil for
	// none.
	Spend func() spend.Snapshot
}

// Builder computes the documents from the store and the alert book.
type Builder struct {
	opts   Options
	store  *store.Store
	alerts *store.Alerts
}

// NewBuilder returns a Builder.
func NewBuilder(opts Options, st *store.Store, alerts *store.Alerts) *Builder {
	if opts.MaxOperations <= 0 {
		opts.MaxOperations = 20
	}
	if opts.MaxLowStock <= 0 {
		opts.MaxLowStock = 10
	}
	return &Builder{opts: opts, store: st, alerts: alerts}
}

// group sums counters of name grouped by dimensions, each dimension given as
// candidate label keys of which the first present one wins.
func (b *Builder) group(name string, window time.Duration, dims ...[]string) map[string]store.Totals {
	var by []string
	for _, d := range dims {
		by = append(by, d...)
	}
	out := map[string]store.Totals{}
	for key, t := range b.store.Counters(name, nil, window, by...) {
		vals := store.SplitKey(key)
		resolved := make([]string, len(dims))
		off := 0
		for i, d := range dims {
			for _, v := range vals[off : off+len(d)] {
				if v != "" {
					resolved[i] = v
					break
				}
			}
			off += len(d)
		}
		k := store.GroupKey(resolved...)
		acc := out[k]
		acc.Today += t.Today
		acc.Yesterday += t.Yesterday
		acc.Month += t.Month
		acc.LastMonth += t.LastMonth
		acc.Window += t.Window
		out[k] = acc
	}
	return out
}

func total(m map[string]store.Totals) store.Totals {
	var t store.Totals
	for _, v := range m {
		t.Today += v.Today
		t.Yesterday += v.Yesterday
		t.Month += v.Month
		t.LastMonth += v.LastMonth
		t.Window += v.Window
	}
	return t
}

func ptr[T any](v T) *T { return &v }

// ratio is num/den, or nil when it has no finite value: a denominator as
// small as a subnormal gauge (a target of 1e-320) overflows, and one ±Inf
// would make the whole document fail to encode as JSON.
func ratio(num, den float64) *float64 {
	if den <= 0 {
		return nil
	}
	r := num / den
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return nil
	}
	return &r
}

// latestGauge is the sum over series of the newest value of gauge name, and
// the time of the newest point; zero time when there is none.
func (b *Builder) latestGauge(name string) (float64, time.Time) {
	var v float64
	var at time.Time
	for _, g := range b.store.Gauges(name, nil) {
		v += g.Value
		if g.At.After(at) {
			at = g.At
		}
	}
	return v, at
}

// Dashboard builds the dashboard document.
func (b *Builder) Dashboard() Dashboard {
	now := b.store.Now()
	d := Dashboard{
		GeneratedAt:    now,
		Timezone:       b.store.Location().String(),
		RefreshSeconds: b.opts.Refresh.Seconds(),
	}
	d.Currency = b.currency()
	var revenueToday float64
	d.Revenue, revenueToday = b.revenue(now, d.Currency)
	b.growth(now, &d.Revenue, revenueToday, d.Currency)
	d.Orders = b.orders(revenueToday, d.Currency)
	d.Payments = b.payments()
	d.Funnel = b.funnel()
	d.Customers = b.customers(d.Funnel)
	d.Customers.LifetimeValue = b.lifetimeValue(d.Currency)
	d.Latency, d.Errors = b.latency()
	b.paymentErrors(&d.Errors)
	d.LowStock = b.lowStock()
	d.Forecasts = b.forecasts()
	d.Experiments = b.experiments()
	d.Recommendations = b.recommendations(d.Latency)
	d.Segments = b.segments(d.Currency)
	b.paymentbiGrowth(&d.Revenue.Growth, d.Currency)
	for _, a := range b.alerts.Active() {
		d.Alerts = append(d.Alerts, alertDoc(a))
	}
	for _, a := range b.alerts.Resolved() {
		d.RecentlyResolved = append(d.RecentlyResolved, alertDoc(a))
	}
	d.Series = Series{LastHour: b.seriesSet(60, 1, d.Currency), Last24h: b.seriesSet(store.Minutes, 15, d.Currency)}
	d.Data = b.DataStatus()
	d.Channels = []channelhealth.State{}
	if b.opts.Channels != nil {
		d.Channels = append(d.Channels, b.opts.Channels()...)
	}
	d.Spend = b.spendFigures()
	nonNil(&d)
	localize(&d, b.store.Location())
	return d
}

// nonNil turns empty lists into [] so the JSON never has null lists.
func nonNil(d *Dashboard) {
	if d.Revenue.ByMethod == nil {
		d.Revenue.ByMethod = []NamedAmount{}
	}
	if d.Payments.FailureReasons == nil {
		d.Payments.FailureReasons = []Named{}
	}
	if d.Revenue.ByCurrency == nil {
		d.Revenue.ByCurrency = []CurrencyAmount{}
	}
	if d.Payments.ByMethod == nil {
		d.Payments.ByMethod = []MethodRate{}
	}
	if d.Latency == nil {
		d.Latency = []Operation{}
	}
	if d.LowStock == nil {
		d.LowStock = []StockItem{}
	}
	if d.Alerts == nil {
		d.Alerts = []Alert{}
	}
	if d.RecentlyResolved == nil {
		d.RecentlyResolved = []Alert{}
	}
}

func (b *Builder) currency() string {
	for _, name := range []string{MetricRevenueReporting, MetricRevenueDaily} {
		for key := range b.group(name, 0, currencyKeys) {
			if key != "" {
				return key
			}
		}
		for _, g := range b.store.Gauges(name, nil) {
			for _, k := range currencyKeys {
				if v := g.Labels.Get(k); v != "" {
					return v
				}
			}
		}
	}
	return b.opts.Currency
}

// elapsed is the share of the period [start, end) that has passed at now.
func elapsed(start, end, now time.Time) float64 {
	total := end.Sub(start).Seconds()
	if total <= 0 {
		return 1
	}
	return math.Min(1, math.Max(now.Sub(start).Seconds(), 60)/total)
}

// revenue builds the revenue block in currency (the reporting currency) and
// returns today's revenue as a double for the ratios built on it.
func (b *Builder) revenue(now time.Time, currency string) (Revenue, float64) {
	loc := b.store.Location()
	y, m, dd := now.Date()
	dayStart := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	monthStart := time.Date(y, m, 1, 0, 0, 0, 0, loc)

	reporting := total(b.group(MetricRevenueReporting, 0))
	byCurrency := b.group(MetricRevenue, 0, currencyKeys)
	today, yesterday, month := reporting.Today, reporting.Yesterday, reporting.Month
	if len(b.store.Counters(MetricRevenueReporting, nil, 0)) == 0 {
		// Without converted revenue, only sales in the reporting currency add up.
		own := byCurrency[currency]
		today, yesterday, month = own.Today, own.Yesterday, own.Month
	}
	// paymentbi's period gauges are authoritative for the current period: they
	// survive restarts of this exporter.
	if v, at := b.latestGauge(MetricRevenueDaily); !at.Before(dayStart) {
		today = v
	}
	if v, at := b.latestGauge(MetricRevenueMonthly); !at.Before(monthStart) {
		month = v
	}
	r := Revenue{Today: moneyOf(today, currency), Yesterday: moneyOf(yesterday, currency), Month: moneyOf(month, currency)}
	dailyTarget := b.target(MetricRevenueDaily+targetSuffix, b.opts.DailyTarget)
	monthlyTarget := b.target(MetricRevenueMonthly+targetSuffix, b.opts.MonthlyTarget)
	r.DailyTarget, r.MonthlyTarget = moneyPtr(dailyTarget, currency), moneyPtr(monthlyTarget, currency)
	if dailyTarget != nil {
		r.DailyProgress = ratio(today, *dailyTarget)
	}
	if monthlyTarget != nil {
		r.MonthlyProgress = ratio(month, *monthlyTarget)
	}
	r.ProjectedToday = moneyOf(today/elapsed(dayStart, dayStart.AddDate(0, 0, 1), now), currency)
	r.ProjectedMonth = moneyOf(month/elapsed(monthStart, monthStart.AddDate(0, 1, 0), now), currency)

	for _, c := range store.SortedKeys(byCurrency) {
		if c == "" {
			continue
		}
		t := byCurrency[c]
		r.ByCurrency = append(r.ByCurrency, CurrencyAmount{Currency: c, Today: moneyOf(t.Today, c), Month: moneyOf(t.Month, c)})
	}
	var byMethod []Named
	for method, t := range b.group(MetricRevenueReporting, 0, methodKeys) {
		if method != "" && t.Today != 0 {
			byMethod = append(byMethod, Named{Name: method, Value: t.Today})
		}
	}
	sortNamed(byMethod)
	for _, n := range byMethod {
		r.ByMethod = append(r.ByMethod, NamedAmount{Name: n.Name, Value: moneyOf(n.Value, currency)})
	}
	return r, today
}

func (b *Builder) target(gauge string, fallback float64) *float64 {
	if v, at := b.latestGauge(gauge); !at.IsZero() && v > 0 {
		return ptr(v)
	}
	if fallback > 0 {
		return ptr(fallback)
	}
	return nil
}

func sortNamed(l []Named) {
	slices.SortFunc(l, func(a, b Named) int {
		if a.Value != b.Value {
			if a.Value > b.Value {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
}

func (b *Builder) orders(revenueToday float64, currency string) Orders {
	t := total(b.group(MetricOrders, time.Hour))
	o := Orders{Today: t.Today, Yesterday: t.Yesterday, Month: t.Month, LastHour: t.Window}
	o.AverageOrderValue = moneyPtr(ratio(revenueToday, o.Today), currency)
	o.RefundsToday = total(b.group(MetricRefunds, 0)).Today
	return o
}

func (b *Builder) payments() Payments {
	var p Payments
	var okHour, allHour float64
	for outcome, t := range b.group(MetricAttempts, time.Hour, outcomeKeys) {
		p.Attempts += t.Today
		allHour += t.Window
		switch {
		case isFailed(outcome):
			p.Failed += t.Today
		case isSucceeded(outcome):
			okHour += t.Window
		}
	}
	p.SuccessRate = ratio(p.Attempts-p.Failed, p.Attempts)
	if allHour > 0 {
		p.SuccessRateLastHour = ratio(okHour, allHour)
	}
	perMethod := map[string]*MethodRate{}
	for key, t := range b.group(MetricAttempts, 0, methodKeys, outcomeKeys) {
		kv := store.SplitKey(key)
		method, outcome := kv[0], kv[1]
		if method == "" {
			continue
		}
		mr := perMethod[method]
		if mr == nil {
			mr = &MethodRate{Method: method, SuccessRate: ptr(0.0)}
			perMethod[method] = mr
		}
		mr.Attempts += t.Today
		if isSucceeded(outcome) {
			*mr.SuccessRate += t.Today
		}
	}
	for _, method := range store.SortedKeys(perMethod) {
		mr := perMethod[method]
		mr.SuccessRate = ratio(*mr.SuccessRate, mr.Attempts)
		p.ByMethod = append(p.ByMethod, *mr)
	}
	if len(p.ByMethod) == 0 {
		// Fall back on paymentbi's per-method ratio gauges.
		for _, g := range b.store.Gauges(MetricSuccessRatio, nil) {
			for _, k := range methodKeys {
				if m := g.Labels.Get(k); m != "" {
					p.ByMethod = append(p.ByMethod, MethodRate{Method: m, SuccessRate: ptr(g.Value)})
					break
				}
			}
		}
		slices.SortFunc(p.ByMethod, func(a, b MethodRate) int { return strings.Compare(a.Method, b.Method) })
	}
	for key, t := range b.group(MetricAttempts, 0, outcomeKeys, errorTypeKeys) {
		kv := store.SplitKey(key)
		if isFailed(kv[0]) && t.Today > 0 {
			reason := kv[1]
			if reason == "" {
				reason = "unknown"
			}
			p.FailureReasons = append(p.FailureReasons, Named{Name: reason, Value: t.Today})
		}
	}
	sortNamed(p.FailureReasons)
	return p
}

// paymentErrors sets the failed and the provider-failed shares of the
// payment attempts in the latency window.
func (b *Builder) paymentErrors(e *ErrorRates) {
	var failed, provider, all float64
	for key, t := range b.group(MetricAttempts, b.opts.LatencyWindow, outcomeKeys, errorTypeKeys) {
		kv := store.SplitKey(key)
		all += t.Window
		if isFailed(kv[0]) {
			failed += t.Window
			if slices.Contains(contract.ProviderErrorTypes, kv[1]) {
				provider += t.Window
			}
		}
	}
	e.PaymentAttempts = all
	e.Payments, e.PaymentsProvider = ratio(failed, all), ratio(provider, all)
}

func (b *Builder) funnel() []Step {
	counts := make([]float64, len(contract.FunnelSteps))
	for v, t := range b.group(MetricFunnel, 0, stepKeys) {
		if i := funnelIndex(v); i >= 0 {
			counts[i] += t.Today
		}
	}
	steps := make([]Step, len(counts))
	for i, name := range contract.FunnelSteps {
		steps[i] = Step{Step: name, Label: stepLabels[name], Count: counts[i]}
		if i > 0 {
			if conv := ratio(counts[i], counts[i-1]); conv != nil {
				steps[i].ConversionFromPrevious = conv
				steps[i].DropOff = ptr(1 - *conv)
			}
		}
	}
	return steps
}

func (b *Builder) customers(funnel []Step) Customers {
	var c Customers
	for seg, t := range b.group(MetricCustomerOrders, 0, segmentKeys) {
		switch seg {
		case contract.SegmentNew:
			c.New += t.Today
		case contract.SegmentReturning:
			c.Returning += t.Today
		}
	}
	if v, at := b.latestGauge(MetricCustomerDistinct); !at.IsZero() {
		c.Distinct = ptr(v)
	} else if t := total(b.group(MetricCustomerDistinct, 0)); t.Today > 0 {
		c.Distinct = ptr(t.Today)
	}
	first, last := funnel[0].Count, funnel[len(funnel)-1].Count
	c.ConversionRate = ratio(last, first)
	if c.ConversionRate == nil {
		// paymentbi's ratio gauge per step: the purchase step is the whole funnel.
		for _, g := range b.store.Gauges(MetricConversion, nil) {
			if funnelIndex(firstLabel(g.Labels, stepKeys)) == len(contract.FunnelSteps)-1 {
				c.ConversionRate = ptr(g.Value)
			}
		}
	}
	return c
}

func (b *Builder) threshold(op string) (string, *float64) {
	for _, t := range b.opts.Thresholds {
		if t.Match.MatchString(op) {
			return t.Category, ptr(float64(t.Threshold) / float64(time.Millisecond))
		}
	}
	return "", nil
}

// toMillis converts a duration value in unit to milliseconds; span metrics
// default to ms.
func toMillis(v float64, unit string) float64 {
	switch unit {
	case "s":
		return v * 1000
	case "us", "µs":
		return v / 1000
	case "ns":
		return v / 1e6
	case "min":
		return v * 60000
	}
	return v
}

func (b *Builder) latency() ([]Operation, ErrorRates) {
	ns := b.opts.SpanMetricsNamespace
	w := b.opts.LatencyWindow
	errs := ErrorRates{WindowSeconds: w.Seconds()}
	calls := map[string]float64{}
	errCalls := map[string]float64{}
	var all, failed float64
	for key, t := range b.store.Counters(ns+spanCalls, nil, w, spanNameKey, statusKey) {
		kv := store.SplitKey(key)
		calls[kv[0]] += t.Window
		all += t.Window
		if kv[1] == statusError {
			errCalls[kv[0]] += t.Window
			failed += t.Window
		}
	}
	errs.Spans = ratio(failed, all)
	quantiles := b.store.Quantiles(ns+spanDuration, 0.95, w, nil, spanNameKey)
	names := map[string]bool{}
	for n := range calls {
		names[n] = true
	}
	for n := range quantiles {
		names[n] = true
	}
	ops := make([]Operation, 0, len(names))
	for name := range names {
		if name == "" {
			continue
		}
		op := Operation{Name: name, Calls: calls[name], ErrorRate: ratio(errCalls[name], calls[name])}
		op.Category, op.ThresholdMs = b.threshold(name)
		if q, ok := quantiles[name]; ok && !math.IsNaN(q.Value) {
			op.P95Ms = ptr(toMillis(q.Value, q.Unit))
			if op.Calls == 0 {
				op.Calls = q.Count
			}
		}
		op.Breach = op.P95Ms != nil && op.ThresholdMs != nil && *op.P95Ms > *op.ThresholdMs
		if op.Calls == 0 && op.P95Ms == nil {
			continue
		}
		ops = append(ops, op)
	}
	// Breaches first, then the busiest operations.
	slices.SortFunc(ops, func(a, b Operation) int {
		if a.Breach != b.Breach {
			if a.Breach {
				return -1
			}
			return 1
		}
		if a.Calls != b.Calls {
			if a.Calls > b.Calls {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	if len(ops) > b.opts.MaxOperations {
		ops = ops[:b.opts.MaxOperations]
	}
	return ops, errs
}

func firstLabel(l store.Labels, keys []string) string {
	for _, k := range keys {
		if v := l.Get(k); v != "" {
			return v
		}
	}
	return ""
}

func (b *Builder) lowStock() []StockItem {
	latest := map[string]store.GaugePoint{}
	for _, g := range b.store.Gauges(MetricInventoryAvail, nil) {
		id := firstLabel(g.Labels, itemKeys)
		if cur, ok := latest[id]; id != "" && (!ok || g.At.After(cur.At)) {
			latest[id] = g
		}
	}
	reserved := map[string]float64{}
	for _, g := range b.store.Gauges(MetricInventoryReserve, nil) {
		reserved[firstLabel(g.Labels, itemKeys)] = g.Value
	}
	var out []StockItem
	for id, g := range latest {
		if g.Value > b.opts.LowStock {
			continue
		}
		item := StockItem{ItemID: id, Available: g.Value, At: g.At}
		if r, ok := reserved[id]; ok {
			item.Reserved = ptr(r)
		}
		out = append(out, item)
	}
	slices.SortFunc(out, func(a, b StockItem) int {
		if a.Available != b.Available {
			if a.Available < b.Available {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ItemID, b.ItemID)
	})
	if len(out) > b.opts.MaxLowStock {
		out = out[:b.opts.MaxLowStock]
	}
	return out
}

func (b *Builder) seriesSet(minutes, step int, currency string) SeriesSet {
	revenue := MetricRevenueReporting
	if len(b.store.Counters(revenue, nil, 0)) == 0 {
		revenue = MetricRevenue
	}
	s := SeriesSet{
		StepSeconds: step * 60,
		Orders:      b.store.CounterMinutes(MetricOrders, nil, minutes, step),
		Attempts:    b.store.CounterMinutes(MetricAttempts, nil, minutes, step),
	}
	for _, v := range b.store.CounterMinutes(revenue, nil, minutes, step) {
		s.Revenue = append(s.Revenue, moneyOf(v, currency))
	}
	s.FailedAttempts = make([]float64, len(s.Attempts))
	for _, k := range outcomeKeys {
		for i, v := range b.store.CounterMinutes(MetricAttempts, store.Match{k: contract.StatusFailed}, minutes, step) {
			s.FailedAttempts[i] += v
		}
	}
	return s
}

// DataStatus tells when each input last delivered and whether data flows.
func (b *Builder) DataStatus() DataStatus {
	now := b.store.Now()
	ds := DataStatus{Sources: map[string]time.Time{}}
	for name, at := range b.store.Names() {
		src := "business_metrics"
		if strings.HasPrefix(name, b.opts.SpanMetricsNamespace+".") {
			src = "span_metrics"
		}
		if at.After(ds.Sources[src]) {
			ds.Sources[src] = at
		}
	}
	if at := b.alerts.LastApplied(); !at.IsZero() {
		ds.Sources["alerts"] = at
	}
	var last time.Time
	for _, at := range ds.Sources {
		if at.After(last) {
			last = at
		}
	}
	if !last.IsZero() {
		ds.LastDataAt = &last
		ds.Flowing = now.Sub(last) <= b.opts.StaleAfter
	}
	return ds
}

func alertDoc(e store.AlertEntry) Alert {
	a := Alert{
		Fingerprint: e.Fingerprint, Name: e.Name, Status: e.Status, Severity: e.Severity,
		Summary: e.Summary, Description: e.Description, Labels: e.Labels, StartsAt: e.StartsAt,
		Acked: !e.AckedAt.IsZero(), RunbookURL: e.RunbookURL,
	}
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	if !math.IsNaN(e.Value) {
		a.Value = ptr(e.Value)
	}
	if !math.IsNaN(e.Threshold) {
		a.Threshold = ptr(e.Threshold)
	}
	if !e.EndsAt.IsZero() {
		a.EndsAt = ptr(e.EndsAt)
	}
	if a.Acked {
		a.AckedAt = ptr(e.AckedAt)
	}
	if !e.TraceID.IsEmpty() {
		a.TraceID = e.TraceID.String()
	}
	return a
}
