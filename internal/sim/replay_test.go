package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

type countingSink struct {
	now              time.Time
	spans, logs      int64
	earliest, latest time.Time
	events           map[string]int
}

func (s *countingSink) Advance(now time.Time) { s.now = now }

func (s *countingSink) seen(t time.Time) {
	if s.earliest.IsZero() || t.Before(s.earliest) {
		s.earliest = t
	}
	if t.After(s.latest) {
		s.latest = t
	}
}

func (s *countingSink) ConsumeTraces(td ptrace.Traces) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				s.spans++
				s.seen(sp.EndTimestamp().AsTime())
			}
		}
	}
}

func (s *countingSink) ConsumeLogs(ld plog.Logs) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				s.logs++
				s.events[lr.EventName()]++
				s.seen(lr.Timestamp().AsTime())
			}
		}
	}
}

// Replay delivers everything the ledger counts, on the simulated clock:
// an hour of traffic takes no hour, and its timestamps lie in that hour.
func TestReplayDeliversOnTheSimulatedClock(t *testing.T) {
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	sink := &countingSink{events: map[string]int{}}
	ledger, err := Replay(context.Background(), Config{Seed: 3, Rate: 2, Duration: time.Hour, RefundRate: DefaultRefundRate}, start, sink)
	require.NoError(t, err)
	assert.Equal(t, ledger.Spans, sink.spans)
	assert.Equal(t, ledger.LogRecords, sink.logs)
	assert.Positive(t, sink.events["ecommerce.purchase"])
	assert.False(t, sink.earliest.Before(start.Add(-sessionLookback)), "earliest %s", sink.earliest)
	assert.True(t, sink.latest.Before(start.Add(time.Hour+time.Minute)), "latest %s", sink.latest)
	assert.True(t, sink.now.After(start.Add(59*time.Minute)), "the sink saw the clock advance")

	_, err = Replay(context.Background(), Config{Count: 1}, start, sink)
	assert.ErrorContains(t, err, "positive rate")
}
