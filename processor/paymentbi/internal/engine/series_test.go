package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// comboTruth is what a batch of comboBatch adds, per currency or status,
// whatever series it lands in.
type comboTruth struct {
	orders, revenue, refunds, refunded map[string]int64 // per currency, money in minor units
	attempts                           map[string]int64 // per status
	durations, failures                int64
}

func newComboTruth() *comboTruth {
	return &comboTruth{
		orders: map[string]int64{}, revenue: map[string]int64{}, refunds: map[string]int64{},
		refunded: map[string]int64{}, attempts: map[string]int64{},
	}
}

var comboCurrencies = []string{"USD", "EUR", "JPY"}

// comboBatch is the events of ids from..to-1, each its own method ×
// provider pair (47 × 43 = 2021 pairs, every id below 2500 a new
// currency × method × provider): a purchase each, a refund every fifth, a
// payment.failed and a payment.charge span each. truth (may be nil) gets
// what they add.
func comboBatch(from, to int, truth *comboTruth) (plog.Logs, ptrace.Traces) {
	var recs []map[string]any
	var spans []span
	statuses := []string{contract.StatusSucceeded, contract.StatusFailed, contract.StatusPending}
	for j := from; j < to; j++ {
		method, provider := fmt.Sprintf("m%d", j%47), fmt.Sprintf("p%d", (j/47)%43)
		cur := comboCurrencies[j%3]
		amount, minor := fmt.Sprintf("%d.%02d", 1+j%50, j%100), int64((1+j%50)*100+j%100)
		if cur == "JPY" {
			amount, minor = fmt.Sprint(100+j), int64(100+j)
		}
		errType := fmt.Sprintf("e%d", j%7)
		recs = append(recs,
			purchase(fmt.Sprintf("combo%d", j), cur, amount, contract.PaymentMethod, method, contract.PaymentProvider, provider),
			map[string]any{
				contract.EventName: contract.EventPaymentFailed, contract.PaymentErrorType: errType,
				contract.PaymentMethod: method, contract.PaymentProvider: provider,
			})
		status := statuses[j%3]
		spans = append(spans, span{name: contract.SpanPaymentCharge, dur: time.Duration(1+j%20) * 10 * time.Millisecond, attrs: map[string]any{
			contract.PaymentStatus: status, contract.PaymentErrorType: errType,
			contract.PaymentMethod: method, contract.PaymentProvider: provider,
		}})
		if j%5 == 0 {
			recs = append(recs, map[string]any{
				contract.EventName: contract.EventRefund, contract.PaymentCurrency: cur, contract.PaymentAmount: amount,
				contract.PaymentMethod: method, contract.PaymentProvider: provider,
			})
		}
		if truth != nil {
			truth.orders[cur]++
			truth.revenue[cur] += minor
			truth.attempts[status]++
			truth.durations++
			truth.failures++
			if j%5 == 0 {
				truth.refunds[cur]++
				truth.refunded[cur] += minor
			}
		}
	}
	return logs(recs...), traces(spans...)
}

func feedCombos(t *testing.T, from, to int, truth *comboTruth, engines ...*Engine) {
	t.Helper()
	ld, td := comboBatch(from, to, truth)
	for _, e := range engines {
		if err := e.ObserveLogs(context.Background(), ld); err != nil {
			t.Fatal(err)
		}
		if err := e.ObserveTraces(context.Background(), td); err != nil {
			t.Fatal(err)
		}
	}
}

func sumBy[K comparable, V any](m map[K]V, group func(K) string, val func(V) int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		out[group(k)] += val(v)
	}
	return out
}

func int64Value(v int64) int64 { return v }

// isOverflowMoney says whether k is a money overflow series.
func isOverflowMoney(k moneyKey) bool { return k.method == Overflow && k.provider == Overflow }

// 2500 purchases, attempts and failures of distinct currency × method ×
// provider combinations, each label well under cardinality_limit, stay
// within the series bound plus one overflow series per currency or
// status; every total per currency and status is the ground truth to the
// cent, and the fold counter counts exactly the events of the overflow
// series. Without the bound every metric has 2500 series.
func TestSeriesBoundKeepsTotalsExact(t *testing.T) {
	for _, bound := range []int{0, 100} {
		t.Run(fmt.Sprintf("max_series_%d", bound), func(t *testing.T) {
			e, _ := newTestEngine(t, func(s *Settings) { s.CardinalityLimit, s.MaxSeriesPerMetric = 500, bound })
			limit := bound
			if limit == 0 {
				limit = DefaultMaxSeriesPerMetric
			}
			truth := newComboTruth()
			for from := 0; from < 2500; from += 250 {
				feedCombos(t, from, from+250, truth, e)
			}
			ms := collect(e)
			checkContract(t, ms) // paymentbi.folded_events and its label are listed
			a := &e.agg
			for name, n := range map[string]int{
				MetricOrders: pointCount(ms, MetricOrders), MetricRevenue: pointCount(ms, MetricRevenue),
				MetricRefunds: pointCount(ms, MetricRefunds), MetricAttempts: pointCount(ms, MetricAttempts),
				MetricFailures: pointCount(ms, MetricFailures), MetricDuration: ms[MetricDuration].Histogram().DataPoints().Len(),
			} {
				// one overflow series per currency (3) or status (3), one of failures
				if n > limit+3 {
					t.Errorf("%s has %d series, want at most %d + 3 overflow series", name, n, limit)
				}
			}
			byCurrency := func(k moneyKey) string { return k.currency }
			durations := sumBy(a.durations, func(durationKey) string { return "" }, func(h *histogram) int64 { return int64(h.count) })
			for _, c := range []struct {
				what      string
				got, want map[string]int64
			}{
				{"orders", sumBy(a.orders, byCurrency, int64Value), truth.orders},
				{"revenue", sumBy(a.revenue, byCurrency, int64Value), truth.revenue},
				{"refunds", sumBy(a.refunds, byCurrency, int64Value), truth.refunds},
				{"refunded", sumBy(a.refundAmount, byCurrency, int64Value), truth.refunded},
				{"attempts", sumBy(a.attempts, func(k attemptKey) string { return k.status }, int64Value), truth.attempts},
				{"durations", durations, map[string]int64{"": truth.durations}},
				{"failures", sumBy(a.failures, func(failureKey) string { return "" }, int64Value), map[string]int64{"": truth.failures}},
			} {
				if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
					t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
				}
			}
			// the emitted figures too: USD revenue to the cent, orders per currency
			usd := 0.0
			for k := range a.revenue {
				if k.currency == "USD" {
					usd += value(t, ms, MetricRevenue, moneyAttrs(k)...)
				}
			}
			if got, want := int64(usd*100+0.5), truth.revenue["USD"]; got != want {
				t.Errorf("emitted USD revenue %d cents, want %d", got, want)
			}
			if got, want := value(t, ms, MetricRevenueDaily, contract.PaymentReportingCurrency, "USD"),
				contract.MinorToMajorFloat(e.reportingTotal(truth.revenue), "USD"); got != want {
				t.Errorf("daily revenue %v, want %v", got, want)
			}

			overflowOrders := sumBy(a.orders, func(k moneyKey) string { return fmt.Sprint(isOverflowMoney(k)) }, int64Value)["true"]
			overflowRefunds := sumBy(a.refunds, func(k moneyKey) string { return fmt.Sprint(isOverflowMoney(k)) }, int64Value)["true"]
			overflowFailures := a.failures[failureKey{errorType: Overflow, method: Overflow, provider: Overflow}]
			overflowAttempts := sumBy(a.attempts, func(k attemptKey) string { return fmt.Sprint(k.method == Overflow) }, int64Value)["true"]
			if overflowOrders == 0 || overflowAttempts == 0 || overflowFailures == 0 {
				t.Fatalf("nothing folded (orders %d, attempts %d, failures %d): the test no longer reaches the bound",
					overflowOrders, overflowAttempts, overflowFailures)
			}
			folded := func(event string) int64 {
				v, _ := lookup(ms, MetricFoldedEvents, contract.EventName, event)
				return int64(v)
			}
			if got := folded(contract.EventPurchase); got != overflowOrders {
				t.Errorf("folded purchases %d, want the %d orders of the overflow series", got, overflowOrders)
			}
			if got := folded(contract.EventRefund); got != overflowRefunds {
				t.Errorf("folded refunds %d, want %d", got, overflowRefunds)
			}
			if got := folded(contract.EventPaymentFailed); got != overflowFailures {
				t.Errorf("folded payment.failed %d, want %d", got, overflowFailures)
			}
			// a charge folds in attempts, in the histogram or both, counted once
			if got := folded(contract.SpanPaymentCharge); got < overflowAttempts || got > truth.durations {
				t.Errorf("folded charges %d, want at least the %d attempts of the overflow series", got, overflowAttempts)
			}
		})
	}
}

// A kill -9 in the middle of an overflow changes nothing: the collector
// restored from its snapshot plus journal folds exactly the events the
// live one did, so every series (own and overflow) and the fold counter
// equal those of a collector that never stopped. One case takes the
// snapshot before the bound is reached (the replay crosses it), one after.
func TestSeriesBoundSurvivesKillNine(t *testing.T) {
	const bound, perBatch = 150, 40
	for _, c := range []struct{ syncAfter, killAfter int }{{1, 7}, {5, 9}} {
		t.Run(fmt.Sprintf("sync_%d_kill_%d", c.syncAfter, c.killAfter), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
			settings := func(s *Settings) { s.CardinalityLimit, s.MaxSeriesPerMetric = 500, bound }
			reference := newEngineAt(t, clock, settings)
			client, closeStore := fileStore(t, dir)
			durable := restartedEngine(t, clock, client, settings)
			for i := 0; i <= c.killAfter; i++ {
				feedCombos(t, i*perBatch, (i+1)*perBatch, nil, reference, durable)
				clock.Advance(7 * time.Second)
				if i%3 == 2 {
					if a, b := metricsJSON(t, reference), metricsJSON(t, durable); a != b {
						t.Fatalf("emission after batch %d differs before any restart:\n%s", i, firstDiff(a, b))
					}
				}
				if i == c.syncAfter {
					if err := durable.SaveState(ctx, client); err != nil {
						t.Fatal(err)
					}
				}
			}
			if len(reference.agg.folded) == 0 {
				t.Fatal("nothing folded before the kill: the test no longer reaches the bound")
			}
			closeStore() // kill -9: no final save
			client, closeStore = fileStore(t, dir)
			defer closeStore()
			restarted := restartedEngine(t, clock, client, settings)
			reference.agg.stages.restarted()
			for i := c.killAfter + 1; i < c.killAfter+5; i++ {
				feedCombos(t, i*perBatch, (i+1)*perBatch, nil, reference, restarted)
				clock.Advance(7 * time.Second)
			}
			for round := 0; round < 2; round++ {
				if a, b := metricsJSON(t, reference), metricsJSON(t, restarted); a != b {
					t.Fatalf("emission %d after restart differs from a collector that never stopped:\n%s", round, firstDiff(a, b))
				}
			}
			if fmt.Sprint(reference.agg.folded) != fmt.Sprint(restarted.agg.folded) {
				t.Errorf("folded %v after restart, %v without", restarted.agg.folded, reference.agg.folded)
			}
		})
	}
}

// The fold counts live under their own key, so the snapshot keeps the
// format the previous release reads (a rollback keeps its counters, where
// an unknown snapshot version would start them again). Counts saved with
// another snapshot than the one loaded — the rolled-back version wrote
// snapshots without them since — are ignored, not applied to it.
func TestFoldCountsKeepTheSnapshotReadableByTheLastRelease(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	settings := func(s *Settings) { s.CardinalityLimit, s.MaxSeriesPerMetric = 500, 20 }
	client, closeStore := fileStore(t, dir)
	e := restartedEngine(t, clock, client, settings)
	feedCombos(t, 0, 60, nil, e)
	if len(e.agg.folded) == 0 {
		t.Fatal("nothing folded: the test no longer reaches the bound")
	}
	if err := e.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	snap, err := client.Get(ctx, keyState)
	if err != nil || len(snap) < 5 {
		t.Fatalf("saved snapshot %d bytes, %v", len(snap), err)
	}
	if snap[4] != 2 {
		t.Fatalf("snapshot version %d: the last release reads 1 to 2, and a rollback would start its counters again", snap[4])
	}
	// the rolled-back release saves a later snapshot, leaving keyFolded as it was
	feedCombos(t, 60, 80, nil, e)
	e.mu.Lock()
	later := e.marshalSnapshot(clock.t)
	e.mu.Unlock()
	if err := client.Set(ctx, keyState, later); err != nil {
		t.Fatal(err)
	}
	closeStore()
	client, closeStore = fileStore(t, dir)
	defer closeStore()
	restarted := restartedEngine(t, clock, client, settings)
	if len(restarted.agg.folded) != 0 {
		t.Errorf("fold counts %v of an earlier snapshot applied to a later one", restarted.agg.folded)
	}
	if got, want := restarted.agg.orders, e.agg.orders; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("orders %v after loading the later snapshot, want %v", got, want)
	}
}
