package engine

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// timedLogs is logs with each record stamped, the first at at and each
// next one a millisecond later, as an SDK stamps them.
func timedLogs(at time.Time, records ...map[string]any) plog.Logs {
	ld := logs(records...)
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := 0; i < lrs.Len(); i++ {
		lrs.At(i).SetTimestamp(pcommon.NewTimestampFromTime(at.Add(time.Duration(i) * time.Millisecond)))
	}
	return ld
}

// total adds every data point of metric name.
func total(ms map[string]pmetric.Metric, name string) float64 {
	m, ok := ms[name]
	if !ok {
		return 0
	}
	var sum float64
	for _, dp := range numberPoints(m).All() {
		sum += pointValue(dp)
	}
	return sum
}

// resendTraffic is one logs batch (two funnel steps and a failure) and
// one traces batch (a charge), the events that carry no id of their own.
func resendTraffic(at time.Time) (send func(*Engine) error) {
	ld := timedLogs(at,
		map[string]any{contract.EventName: contract.EventViewItem, contract.CustomerID: "c1"},
		map[string]any{contract.EventName: contract.EventAddToCart, contract.CustomerID: "c1", contract.PaymentCurrency: "USD", contract.PaymentAmount: 12.5},
		map[string]any{contract.EventName: contract.EventPaymentFailed, contract.PaymentErrorType: "timeout", contract.PaymentCurrency: "USD", contract.PaymentAmount: 12.5},
	)
	td := traces(span{name: contract.SpanPaymentCharge, dur: time.Second, attrs: map[string]any{
		contract.PaymentStatus: "succeeded", contract.PaymentMethod: "card", contract.PaymentProvider: "stripe",
	}})
	return func(e *Engine) error {
		if err := e.ObserveLogs(bg, ld); err != nil {
			return err
		}
		return e.ObserveTraces(bg, td)
	}
}

// checkCountedOnce checks the figures of resendTraffic counted once, and
// dups events counted as duplicates.
func checkCountedOnce(t *testing.T, e *Engine, dups float64) {
	t.Helper()
	ms := collect(e)
	for _, c := range []struct {
		metric string
		want   float64
	}{
		{MetricFunnelEvents, 2}, {MetricFailures, 1}, {MetricAttempts, 1}, {MetricDuplicateEvents, dups},
	} {
		if got := total(ms, c.metric); got != c.want {
			t.Errorf("%s = %v, want %v", c.metric, got, c.want)
		}
	}
}

// A batch delivered again whole (its acknowledgement was lost) counts
// once; its events count as duplicates. A batch that differs in one
// timestamp is another batch.
func TestResentBatchCountsOnce(t *testing.T) {
	e, clock := newTestEngine(t)
	send := resendTraffic(clock.Now())
	for range 3 {
		if err := send(e); err != nil {
			t.Fatal(err)
		}
	}
	checkCountedOnce(t, e, 8)
	if got := value(t, collect(e), MetricDuplicateEvents, contract.EventName, contract.EventViewItem); got != 2 {
		t.Errorf("view_item duplicates = %v, want 2", got)
	}

	other := timedLogs(clock.Now(),
		map[string]any{contract.EventName: contract.EventViewItem, contract.CustomerID: "c1"},
		map[string]any{contract.EventName: contract.EventAddToCart, contract.CustomerID: "c1", contract.PaymentCurrency: "USD", contract.PaymentAmount: 12.5},
	)
	other.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1).SetTimestamp(pcommon.NewTimestampFromTime(clock.Now().Add(time.Minute)))
	if err := e.ObserveLogs(bg, other); err != nil {
		t.Fatal(err)
	}
	if got := total(collect(e), MetricFunnelEvents); got != 4 {
		t.Errorf("funnel after another batch = %v, want 4", got)
	}
}

// Without a timestamp on any record two batches of the same content may
// be two real ones: both count.
func TestUntimedBatchesCountEachTime(t *testing.T) {
	e, _ := newTestEngine(t)
	ld := logs(map[string]any{contract.EventName: contract.EventViewItem, contract.CustomerID: "c1"})
	for range 2 {
		if err := e.ObserveLogs(bg, ld); err != nil {
			t.Fatal(err)
		}
	}
	if got := total(collect(e), MetricFunnelEvents); got != 2 {
		t.Errorf("funnel = %v, want 2", got)
	}
}

// After a kill -9 the re-sent batch is recognised from the journal replay
// (the key is computed from the journaled fields), and after a snapshot
// from the saved set; past the window it counts again.
func TestResentBatchRecognisedAfterRestart(t *testing.T) {
	for _, snapshot := range []bool{false, true} {
		name := "journal replay"
		if snapshot {
			name = "snapshot"
		}
		t.Run(name, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
			client := newMemClient()
			send := resendTraffic(clock.Now())
			e := restartedEngine(t, clock, client)
			if err := send(e); err != nil {
				t.Fatal(err)
			}
			if snapshot {
				if err := e.SaveState(bg, client); err != nil {
					t.Fatal(err)
				}
				if stored(t, client, keyResent) == nil {
					t.Fatalf("no %q key saved", keyResent)
				}
			}
			clock.Advance(time.Minute)
			e = restartedEngine(t, clock, client) // the first one is dropped as by a kill
			if err := send(e); err != nil {
				t.Fatal(err)
			}
			checkCountedOnce(t, e, 4)

			clock.Advance(resendWindow)
			if err := send(e); err != nil {
				t.Fatal(err)
			}
			if got := total(collect(e), MetricFunnelEvents); got != 4 {
				t.Errorf("funnel after the window = %v, want 4", got)
			}
		})
	}
}

// keySink computes, for each batch of a simulator run, the key of the
// batch as decoded live and as read back from its journal record: they
// must be equal, or a re-send after a kill -9 would count again.
type keySink struct {
	t              *testing.T
	e              *Engine
	clock          *fakeClock
	batches, timed int
}

func (s *keySink) Advance(now time.Time) { s.clock.t = now }

func (s *keySink) ConsumeTraces(td ptrace.Traces) {
	s.compare(func(fn visit) { s.e.walkTraces(td, true, fn) })
}

func (s *keySink) ConsumeLogs(ld plog.Logs) {
	s.compare(func(fn visit) { s.e.walkLogs(ld, true, fn) })
}

func (s *keySink) compare(walk func(visit)) {
	e := s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pending, e.pendingAttrs = e.pending[:0], e.pendingAttrs[:0]
	e.collecting = true
	walk(e.collect)
	e.collecting = false
	if len(e.pending) == 0 {
		return
	}
	live, liveOK := e.batchKey()
	record := appendRecord(nil, recordObserve, s.clock.t, e.pending, len(e.pending))
	e.releasePending()
	if _, _, err := e.readRecord(record); err != nil {
		s.t.Fatal(err)
	}
	replayed, replayedOK := e.batchKey()
	s.batches++
	if liveOK {
		s.timed++
	}
	if live != replayed || liveOK != replayedOK {
		s.t.Errorf("batch %d: live key %x (%v), replayed %x (%v)", s.batches, live, liveOK, replayed, replayedOK)
	}
}

func TestReplayedBatchesHaveTheirLiveKeys(t *testing.T) {
	start := time.Date(2026, 7, 16, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	sink := &keySink{t: t, e: newEngineAt(t, clock, func(s *Settings) { s.CardinalityLimit = 100 }), clock: clock}
	_, err := sim.Replay(context.Background(), sim.Config{
		Seed: 5, Count: 300, Rate: 5,
		Currencies: []string{"USD", "EUR", "JPY", "KWD"}, Channels: []string{"newsletter"}, Countries: []string{"US", "DE"},
		DuplicateRate: 0.05, SpanEventShare: 0.3, RefundRate: 0.1, CardTestingRate: 0.01,
	}, start, sink)
	if err != nil {
		t.Fatal(err)
	}
	if sink.batches < 300 || sink.timed != sink.batches {
		t.Fatalf("%d batches, %d with a timestamp: the run did not exercise the keys", sink.batches, sink.timed)
	}
}
