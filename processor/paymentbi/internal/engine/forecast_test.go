package engine

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func items(kv ...any) []any {
	var out []any
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]any{contract.ItemID: kv[i], contract.ItemPriceMinor: int64(1000), contract.ItemQuantity: int64(kv[i+1].(int))})
	}
	return out
}

func sale(order string, kv ...any) map[string]any {
	return purchase(order, "USD", "10.00", contract.OrderItems, items(kv...))
}

func stockLevel(item string, available int64) map[string]any {
	return map[string]any{contract.EventName: contract.EventInventory, contract.InventoryItemID: item, contract.InventoryAvailable: available}
}

func observe(t *testing.T, e *Engine, records ...map[string]any) {
	t.Helper()
	if err := e.ObserveLogs(context.Background(), logs(records...)); err != nil {
		t.Fatal(err)
	}
}

// sellSteadily sells one unit of item every 5 minutes for the given time,
// reporting the stock after each sale.
func sellSteadily(t *testing.T, e *Engine, clock *fakeClock, item string, stock *int64, d time.Duration, order *int) {
	t.Helper()
	for end := clock.t.Add(d); clock.t.Before(end); clock.Advance(5 * time.Minute) {
		*order++
		*stock--
		observe(t, e, sale(fmt.Sprintf("o%d", *order), item, 1), stockLevel(item, *stock))
	}
}

// A steady 12 units an hour is the depletion rate; the sell-out is the
// stock over it, and the event-date projection the stock left then.
func TestDepletionRateAndSellOut(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	event := clock.t.Add(5 * time.Hour)
	e := newEngineAt(t, clock, func(s *Settings) { s.Forecast.EventDates = map[string]time.Time{"pass": event} })
	stock, order := int64(200), 0
	sellSteadily(t, e, clock, "pass", &stock, 3*time.Hour, &order)
	ms := collect(e)
	rate := value(t, ms, MetricInventoryDepletionRate, contract.InventoryItemID, "pass")
	if math.Abs(rate-12) > 0.01 {
		t.Fatalf("depletion rate %v/h, want 12", rate)
	}
	hours := value(t, ms, MetricInventorySellOutHours, contract.InventoryItemID, "pass")
	if want := float64(stock) / 12; math.Abs(hours-want) > 0.01 {
		t.Errorf("sell-out in %v h, want %v (stock %d at 12/h)", hours, want, stock)
	}
	at := value(t, ms, MetricInventorySellOutTime, contract.InventoryItemID, "pass")
	if want := clock.t.Add(time.Duration(float64(stock) / 12 * float64(time.Hour))).Unix(); math.Abs(at-float64(want)) > 1 {
		t.Errorf("sell-out time %v, want %v", at, want)
	}
	unsold := value(t, ms, MetricInventoryUnsoldAtEvent, contract.InventoryItemID, "pass")
	if want := float64(stock) - 12*event.Sub(clock.t).Hours(); math.Abs(unsold-want) > 0.01 {
		t.Errorf("unsold at the event %v, want %v", unsold, want)
	}
	if fs := e.Forecasts(); len(fs) != 1 || fs[0].Item != "pass" || fs[0].Available != stock {
		t.Errorf("Forecasts() = %+v", fs)
	}
	// no sales for a while: the pace decays by half each half-life
	clock.Advance(time.Hour)
	if got := value(t, collect(e), MetricInventoryDepletionRate, contract.InventoryItemID, "pass"); math.Abs(got-6) > 0.6 {
		t.Errorf("after an idle half-life the rate is %v/h, want about 6", got)
	}
}

// Sales in an item's first, still open bucket give no pace yet: a rate of
// 0 would read "not selling" and project all stock unsold at the event.
// The pace is there once that bucket has closed.
func TestNoPaceBeforeTheFirstBucketCloses(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	e := newEngineAt(t, clock, func(s *Settings) { s.Forecast.EventDate = clock.t.Add(48 * time.Hour) })
	observe(t, e, sale("o1", "pass", 2), stockLevel("pass", 100))
	clock.Advance(4 * time.Minute)
	observe(t, e, sale("o2", "pass", 1), stockLevel("pass", 99))
	ms := collect(e)
	for _, name := range []string{MetricInventoryDepletionRate, MetricInventorySellOutHours, MetricInventorySellOutTime, MetricInventoryUnsoldAtEvent} {
		if v, ok := lookup(ms, name, contract.InventoryItemID, "pass"); ok {
			t.Errorf("%s = %v while the first bucket is open, want no point", name, v)
		}
	}
	if fs := e.Forecasts(); len(fs) != 1 || fs[0].Paced || !fs[0].SellOut.IsZero() {
		t.Errorf("Forecasts() = %+v, want pass without a pace", fs)
	}
	clock.Advance(time.Minute) // the first bucket (12:00–12:05) closes
	ms = collect(e)
	if got := value(t, ms, MetricInventoryDepletionRate, contract.InventoryItemID, "pass"); got != 36 {
		t.Errorf("rate %v/h after the first bucket, want 36 (3 units in 5 minutes)", got)
	}
	value(t, ms, MetricInventorySellOutTime, contract.InventoryItemID, "pass")
	if got := value(t, ms, MetricInventoryUnsoldAtEvent, contract.InventoryItemID, "pass"); got != 0 {
		t.Errorf("unsold at the event %v, want 0 (99 left at 36/h for 48 h)", got)
	}
}

// One large group order moves the pace a little; a pace that really
// doubled is followed within an hour.
func TestDepletionRateIsRobustToBursts(t *testing.T) {
	e, clock := newTestEngine(t)
	stock, order := int64(10000), 0
	sellSteadily(t, e, clock, "pass", &stock, 3*time.Hour, &order)
	order++
	observe(t, e, sale("group", "pass", 60))
	clock.Advance(5 * time.Minute)
	sellSteadily(t, e, clock, "pass", &stock, 10*time.Minute, &order)
	if got := value(t, collect(e), MetricInventoryDepletionRate, contract.InventoryItemID, "pass"); got > 12*1.5 {
		t.Errorf("a single 60-unit order lifted the pace to %v/h (steady 12/h); unclipped it would be about %v", got, 12+0.056*59*12)
	}
	for end := clock.t.Add(90 * time.Minute); clock.t.Before(end); clock.Advance(150 * time.Second) {
		order++
		observe(t, e, sale(fmt.Sprintf("o%d", order), "pass", 1))
	}
	if got := value(t, collect(e), MetricInventoryDepletionRate, contract.InventoryItemID, "pass"); got < 24*0.75 {
		t.Errorf("90 minutes after the pace doubled to 24/h the rate is %v/h", got)
	}
}

// Units of a begin_checkout are held until its purchase, its release, or
// the reservation timeout; a redelivered purchase closes nothing twice.
func TestCheckoutsHoldStock(t *testing.T) {
	e, clock := newTestEngine(t)
	checkout := func(session string, kv ...any) map[string]any {
		return map[string]any{
			contract.EventName: contract.EventBeginCheckout, contract.CheckoutSessionID: session,
			contract.PaymentCurrency: "USD", contract.OrderItems: items(kv...),
		}
	}
	observe(t, e, checkout("cs1", "pass", 2, "camping", 1), checkout("cs2", "pass", 3), checkout("cs3", "pass", 1))
	ms := collect(e)
	if got := value(t, ms, MetricInventoryHeld, contract.InventoryItemID, "pass"); got != 6 {
		t.Fatalf("held %v, want 6", got)
	}
	paid := sale("o1", "pass", 2, "camping", 1)
	paid[contract.CheckoutSessionID] = "cs1"
	observe(t, e, paid, map[string]any{contract.EventName: contract.EventInventoryRelease, contract.CheckoutSessionID: "cs2"})
	ms = collect(e)
	if got := value(t, ms, MetricInventoryHeld, contract.InventoryItemID, "pass"); got != 1 {
		t.Errorf("held %v after cs1 paid and cs2 released, want 1", got)
	}
	if got := value(t, ms, MetricInventoryHeld, contract.InventoryItemID, "camping"); got != 0 {
		t.Errorf("camping held %v after its checkout paid, want 0", got)
	}
	clock.Advance(29 * time.Minute)
	if got := value(t, collect(e), MetricInventoryHeld, contract.InventoryItemID, "pass"); got != 1 {
		t.Errorf("held %v before the timeout, want 1", got)
	}
	clock.Advance(time.Minute)
	if got := value(t, collect(e), MetricInventoryHeld, contract.InventoryItemID, "pass"); got != 0 {
		t.Errorf("held %v after the 30m timeout, want 0: the checkout is abandoned", got)
	}
}

// Checkouts beyond max_open_checkouts are not tracked and are counted.
func TestOpenCheckoutsAreBounded(t *testing.T) {
	e, _ := newTestEngine(t, func(s *Settings) { s.Forecast.MaxOpenCheckouts = 2 })
	for i := 0; i < 5; i++ {
		observe(t, e, map[string]any{
			contract.EventName: contract.EventBeginCheckout, contract.OrderID: fmt.Sprintf("o%d", i),
			contract.PaymentCurrency: "USD", contract.OrderItems: items("pass", 1),
		})
	}
	ms := collect(e)
	if got := value(t, ms, MetricInventoryHeld, contract.InventoryItemID, "pass"); got != 2 {
		t.Errorf("held %v, want 2 (the bound)", got)
	}
	if got := value(t, ms, MetricDroppedCheckouts); got != 3 {
		t.Errorf("dropped checkouts %v, want 3", got)
	}
}

// The forecast state (pace and held stock) and the experiment counts survive a kill -9 through the
// journal and a clean restart through the snapshot.
func TestForecastSurvivesRestart(t *testing.T) {
	for _, clean := range []bool{false, true} {
		t.Run(fmt.Sprintf("clean=%v", clean), func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
			client := newMemClient()
			reference, durable := newEngineAt(t, clock), restartedEngine(t, clock, client)
			for i := 0; i < 30; i++ {
				paid := sale(fmt.Sprintf("o%d", i), "pass", 1+i%3)
				paid[contract.ExperimentID], paid[contract.ExperimentVariant] = "x", []string{"control", "B"}[i%2]
				recs := []map[string]any{
					paid, stockLevel("pass", int64(500-i)),
					{
						contract.EventName: contract.EventBeginCheckout, contract.CheckoutSessionID: fmt.Sprintf("cs%d", i),
						contract.PaymentCurrency: "USD", contract.OrderItems: items("pass", 2),
					},
				}
				observe(t, reference, recs...)
				observe(t, durable, recs...)
				clock.Advance(4 * time.Minute)
				if i == 10 {
					if err := durable.SaveState(bg, client); err != nil {
						t.Fatal(err)
					}
				}
			}
			if clean {
				if err := durable.SaveState(bg, client); err != nil {
					t.Fatal(err)
				}
			}
			restarted := restartedEngine(t, clock, client)
			reference.agg.stages.restarted()
			for round := 0; round < 2; round++ {
				if a, b := metricsJSON(t, reference), metricsJSON(t, restarted); a != b {
					t.Fatalf("emission %d after restart differs:\n%s", round, firstDiff(a, b))
				}
			}
			if got := value(t, collect(restarted), MetricInventoryHeld, contract.InventoryItemID, "pass"); got != 14 {
				t.Errorf("held %v after restart, want 14 (7 checkouts within 30m)", got)
			}
		})
	}
}
