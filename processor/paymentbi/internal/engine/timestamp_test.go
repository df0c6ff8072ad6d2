package engine

import (
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// A 2^64-1 timestamp is not 1969: the purchase counts today, like one
// without a time, not in a closed period of 1969.
func TestWrappedTimestampCountsAsNow(t *testing.T) {
	e, _ := newTestEngine(t, func(*Settings) {})
	ld := logs(purchase("far-future", "USD", 25.0))
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetTimestamp(pcommon.Timestamp(math.MaxUint64))
	e.ObserveLogs(bg, ld)
	ms := collect(e)
	if got := value(t, ms, MetricRevenueDaily, contract.PaymentReportingCurrency, "USD"); got != 25 {
		t.Errorf("today's revenue = %v, want 25", got)
	}
}
