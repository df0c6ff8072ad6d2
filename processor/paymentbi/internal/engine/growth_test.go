package engine

import (
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Revenue so far today is compared with the same span of the day
// yesterday and a week ago; a late purchase counts in the hour it
// happened; the hour-of-day pattern is the mean of the days seen.
func TestRevenueGrowthAndHourOfDay(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 7, 8, 0, 0, 0, 0, time.UTC)}
	e := newEngineAt(t, clock)
	buyAt := func(at time.Time, order, amount string) {
		clock.t = at
		observe(t, e, purchase(order, "USD", amount))
	}
	buyAt(time.Date(2026, 7, 8, 9, 10, 0, 0, time.UTC), "w1", "200.00")  // a week ago, 09h
	buyAt(time.Date(2026, 7, 14, 9, 15, 0, 0, time.UTC), "y1", "100.00") // yesterday morning
	buyAt(time.Date(2026, 7, 14, 11, 0, 0, 0, time.UTC), "y2", "500.00") // yesterday, after this time of day
	buyAt(time.Date(2026, 7, 14, 20, 0, 0, 0, time.UTC), "y0", "999.00") // yesterday evening
	buyAt(time.Date(2026, 7, 15, 9, 15, 0, 0, time.UTC), "t1", "150.00")
	// yesterday 09:45, delivered today: counts yesterday
	late := purchase("y3", "USD", "60.00")
	clock.t = time.Date(2026, 7, 15, 10, 0, 0, 0, time.UTC)
	ld := logs(late)
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetTimestamp(
		pcommon.NewTimestampFromTime(time.Date(2026, 7, 14, 9, 45, 0, 0, time.UTC)))
	if err := e.ObserveLogs(bg, ld); err != nil {
		t.Fatal(err)
	}
	clock.t = time.Date(2026, 7, 15, 10, 30, 0, 0, time.UTC)
	ms := collect(e)
	if got := value(t, ms, MetricRevenueSameTime, AttrPeriod, periodYesterday, contract.PaymentReportingCurrency, "USD"); got != 160 {
		t.Errorf("yesterday until 10:30: %v, want 160 (100 + the late 60, not the 11:00 sale)", got)
	}
	if got := value(t, ms, MetricRevenueGrowth, AttrPeriod, periodYesterday); math.Abs(got-(150.0/160-1)) > 1e-9 {
		t.Errorf("growth vs yesterday %v, want %v", got, 150.0/160-1)
	}
	if got := value(t, ms, MetricRevenueGrowth, AttrPeriod, periodLastWeek); math.Abs(got-(150.0/200-1)) > 1e-9 {
		t.Errorf("growth vs last week %v, want -0.25", got)
	}
	// 09h over the 7 days seen: 200 (a week ago is outside), 160, 150 → days 1..7 back
	if got := value(t, ms, MetricRevenueHourOfDay, AttrHour, "09", contract.PaymentReportingCurrency, "USD"); math.Abs(got-(160.0+150)/7) > 0.01 {
		t.Errorf("09h mean %v, want %v", got, (160.0+150)/7)
	}
}
