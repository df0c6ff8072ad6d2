package engine

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// EnrichLogs adds the derived attributes to every business event record.
// With storage, the purchases' effect on the dedup set and the customer
// filter is journaled first; on an error nothing changed.
func (e *Engine) EnrichLogs(ctx context.Context, ld plog.Logs) error {
	return e.batch(ctx, recordEnrich, func(fn visit) { e.walkLogs(ld, false, fn) })
}

// EnrichTraces adds the derived attributes to payment spans and business
// span events, journaled like EnrichLogs.
func (e *Engine) EnrichTraces(ctx context.Context, td ptrace.Traces) error {
	return e.batch(ctx, recordEnrich, func(fn visit) { e.walkTraces(td, false, fn) })
}

// enrich writes the normalised amount (minor units, upper-case currency),
// its reporting currency value, the funnel step and the customer segment.
// Invalid money is left as sent, so nothing is lost for later stages.
func (e *Engine) enrich(ev *event, attrs pcommon.Map, now time.Time) {
	// at most one growth of the attribute slice, none if the derived keys
	// fit in its spare capacity
	attrs.EnsureCapacity(attrs.Len() + ev.newKeys())
	if ev.step >= 0 {
		attrs.PutInt(contract.CheckoutStep, int64(ev.step))
	}
	if ev.moneyErr != nil {
		e.logInvalid(ev)
		if ev.kind.moneyRequired() {
			return
		}
	}
	if ev.hasMoney {
		attrs.PutStr(contract.PaymentCurrency, ev.money.Currency)
		attrs.PutInt(contract.PaymentAmountMinor, ev.money.Minor)
		attrs.PutInt(contract.PaymentReportingAmountMinor, ev.reporting)
		attrs.PutStr(contract.PaymentReportingCurrency, e.conv.Reporting())
	}
	e.resolve(ev, now, false)
	if ev.segment != "" {
		attrs.PutStr(contract.CustomerSegment, ev.segment)
	}
}

// newKeys is how many attributes enrich may add to ev's record: the
// derived keys decode did not find on it. checkout.step and the reporting
// pair are not read by decode, so they count as new.
func (ev *event) newKeys() int {
	n := 0
	absent := func(slot int) int {
		if ev.found&(1<<slot) == 0 {
			return 1
		}
		return 0
	}
	if ev.step >= 0 {
		n++
	}
	if ev.hasMoney {
		n += 2 + absent(slotCurrency) + absent(slotAmountMinor)
	}
	return n + absent(slotSegment)
}
