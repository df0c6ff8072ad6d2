package engine

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// engineSink feeds a simulator replay to an engine on the simulated clock
// and calls everyMinute once a simulated minute.
type engineSink struct {
	t           testing.TB
	e           *Engine
	clock       *fakeClock
	last        time.Time
	everyMinute func(now time.Time)
}

func (s *engineSink) Advance(now time.Time) {
	s.clock.t = now
	if now.Sub(s.last) >= time.Minute {
		s.last = now
		s.everyMinute(now)
	}
}

func (s *engineSink) ConsumeTraces(td ptrace.Traces) {
	if err := s.e.ObserveTraces(context.Background(), td); err != nil {
		s.t.Fatal(err)
	}
}

func (s *engineSink) ConsumeLogs(ld plog.Logs) {
	if err := s.e.ObserveLogs(context.Background(), ld); err != nil {
		s.t.Fatal(err)
	}
}

type halfSold struct {
	at, sellOut time.Time
}

// forecastErrors replays one seeded simulator run without restocking and
// returns, per item that sold out, the error of the sell-out time
// projected at 50 % sold, absolute and relative to the time then left, and
// how many items sold out with no forecast at half stock (within their
// first bucket).
func forecastErrors(t testing.TB, seed int64) (abs []time.Duration, rel []float64, missed int) {
	start := time.Date(2026, 7, 16, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	e := newEngineAt(t, clock, func(s *Settings) { s.CardinalityLimit = 100 })
	// the catalogue is drawn from the seed: a replay of no session gives
	// the initial stock
	empty, err := sim.Replay(context.Background(), sim.Config{Seed: seed, Duration: time.Nanosecond, Rate: 1}, start,
		&engineSink{t: t, e: newEngineAt(t, &fakeClock{t: start}), clock: &fakeClock{}, everyMinute: func(time.Time) {}})
	if err != nil {
		t.Fatal(err)
	}
	// once a simulated minute, note each item's forecast the first time
	// its stock is at or below half of its initial stock
	atHalf := map[string]halfSold{}
	noteHalf := func(now time.Time) {
		for _, f := range e.Forecasts() {
			initial, ok := empty.InitialStock[f.Item]
			if _, done := atHalf[f.Item]; done || !ok || !f.HasAvailable || f.Available*2 > initial {
				continue
			}
			atHalf[f.Item] = halfSold{at: now, sellOut: f.SellOut}
		}
	}
	sink := &engineSink{t: t, e: e, clock: clock, everyMinute: noteHalf}
	ledger, err := sim.Replay(context.Background(), sim.Config{Seed: seed, Duration: 4 * time.Hour, Rate: 1, NoRestock: true}, start, sink)
	if err != nil {
		t.Fatal(err)
	}
	for item, soldOut := range ledger.SoldOut {
		half, ok := atHalf[item]
		if !ok || half.sellOut.IsZero() {
			missed++
			continue
		}
		diff := half.sellOut.Sub(soldOut).Abs()
		abs = append(abs, diff)
		rel = append(rel, diff.Seconds()/soldOut.Sub(half.at).Seconds())
	}
	return abs, rel, missed
}

// Back-test of the sell-out forecast on seeded simulator runs of a shop
// that never restocks (1 checkout session a second, 28 items of 15 to 164
// units, all sold out within 4 hours): the sell-out time projected when an
// item is half sold is compared with when it really sold out. The bounds
// are the ones documented in the README; the figures printed are the
// README's.
func TestSellOutForecastBacktest(t *testing.T) {
	if testing.Short() {
		t.Skip("replays 12 simulated hours")
	}
	var abs []time.Duration
	var rel []float64
	missed, items := 0, 0
	for seed := int64(1); seed <= 3; seed++ {
		a, r, m := forecastErrors(t, seed)
		abs, rel, missed, items = append(abs, a...), append(rel, r...), missed+m, items+len(a)+m
	}
	slices.Sort(abs)
	slices.Sort(rel)
	medAbs, medRel := abs[len(abs)/2], rel[len(rel)/2]
	t.Logf("%d items sold out, %d without a forecast at half stock; at 50 %% sold: median absolute error %s, median relative error %.0f %% of the time left",
		items, missed, medAbs.Round(time.Second), medRel*100)
	if items < 70 {
		t.Fatalf("only %d items sold out: the back-test no longer exercises sell-outs", items)
	}
	if medAbs > 20*time.Minute || medRel > 0.45 {
		t.Errorf("median absolute error %s (bound 20m), relative %.2f (bound 0.45)", medAbs, medRel)
	}
	if missed*10 > items {
		t.Errorf("%d of %d items had no forecast at half stock (bound 10 %%)", missed, items)
	}
}
