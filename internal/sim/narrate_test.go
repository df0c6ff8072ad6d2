package sim

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// A person watching the run is told each phase at its simulated time, and
// sees a counter every period whose provider errors jump during the outage.
func TestNarrationAnnouncesPhasesAndCounts(t *testing.T) {
	var out bytes.Buffer
	cfg := Config{
		Seed: 5, Rate: 5, Duration: 3 * time.Minute, RefundRate: DefaultRefundRate,
		Outage:  &Outage{Start: time.Minute, Length: time.Minute, FailureRate: 0.9},
		Narrate: &out, NarrateEvery: 30 * time.Second,
	}
	sink := &countingSink{events: map[string]int{}}
	ledger, err := Replay(context.Background(), cfg, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), sink)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.NotEmpty(t, lines)
	assert.Equal(t, "paymentsim [00:00] BASELINE  healthy checkout traffic at 5 checkout sessions/s; provider outage planned at 01:00 for 1m0s", lines[0])
	var phases []string
	counters := map[string]string{}
	for _, l := range lines {
		at, rest, ok := strings.Cut(strings.TrimPrefix(l, "paymentsim ["), "] ")
		require.True(t, ok, l)
		if strings.HasPrefix(rest, "          ") {
			counters[at] = rest
			continue
		}
		phases = append(phases, at+" "+strings.Fields(rest)[0])
	}
	assert.Equal(t, []string{"00:00 BASELINE", "01:00 OUTAGE", "02:00 RECOVERED", "03:00 DONE"}, phases)
	assert.Contains(t, out.String(), "[01:00] OUTAGE    the payment provider fails 90 % of payment attempts until 02:00")
	for _, at := range []string{"00:30", "01:00", "01:30", "02:00", "02:30", "03:00"} {
		assert.Contains(t, counters, at, "a counter every 30 s and at the end")
	}
	// The counter of the outage's second half shows most attempts failing;
	// the healthy ones a few.
	assert.Regexp(t, `provider errors \((8\d|9\d|100) %\)$`, counters["01:30"])
	assert.Regexp(t, `provider errors \(\d %\)$`, counters["00:30"])
	assert.Contains(t, out.String(), "DONE      traffic stopped after "+groupThousands(int64(ledger.Sessions))+" sessions")
}

func TestGroupThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		assert.Equal(t, want, groupThousands(n))
	}
}

// stockSink records the lowest stock any inventory event reported.
type stockSink struct {
	countingSink
	lowest int64
}

func (s *stockSink) ConsumeLogs(ld plog.Logs) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				s.inventory(lr.EventName(), lr.Attributes())
			}
		}
	}
}

func (s *stockSink) ConsumeTraces(td ptrace.Traces) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				for _, ev := range sp.Events().All() {
					s.inventory(ev.Name(), ev.Attributes())
				}
			}
		}
	}
}

func (s *stockSink) inventory(name string, attrs pcommon.Map) {
	if name != contract.EventInventory {
		return
	}
	if v, ok := attrs.Get(contract.InventoryAvailable); ok && v.Int() < s.lowest {
		s.lowest = v.Int()
	}
}

// With a reorder point the warehouse restocks before an item runs low;
// without one, items run low and sell out (the default traffic).
func TestReorderPointKeepsStockUp(t *testing.T) {
	run := func(reorderAt int64) int64 {
		sink := &stockSink{lowest: 1 << 30}
		cfg := Config{Seed: 7, Rate: 20, Duration: 6 * time.Minute, ReorderPoint: reorderAt}
		_, err := Replay(context.Background(), cfg, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), sink)
		require.NoError(t, err)
		return sink.lowest
	}
	assert.Less(t, run(0), int64(10), "default traffic runs items low")
	assert.GreaterOrEqual(t, run(20), int64(10), "restocked at 20 before reaching the low-stock level")
}
