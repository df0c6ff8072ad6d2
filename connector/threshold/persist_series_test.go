package threshold

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// killNine starts a second engine of text on disk after h "died": no final
// tick, no shutdown; only what h wrote to the storage survives. The dead
// engine's ticker goroutine is stopped at the end of the test.
func killNine(t *testing.T, h *harness, text string, disk *storagetest.TestStorage) *harness {
	t.Helper()
	killed(t, h)
	t.Cleanup(func() { close(h.e.stop) })
	after := newHarnessWith(t, parseConfig(t, text), h.clock, new(consumertest.LogsSink))
	require.NoError(t, after.e.Start(context.Background(), hostWith(disk)))
	t.Cleanup(func() { require.NoError(t, after.e.Shutdown(context.Background())) })
	return after
}

// pendingRules is persistedRules with a 2-minute hold.
var pendingRules = strings.Replace(persistedRules, "    group_by: [payment.provider]\n",
	"    group_by: [payment.provider]\n    for: 2m\n", 1)

// A condition pending its `for:` hold when the process is killed fires at
// its original deadline after the restart, with its original start: the
// hold and the window that made it pending are restored, not begun again.
func TestKillNineKeepsPendingHoldDeadline(t *testing.T) {
	disk := newDisk(t)
	clock := &fakeClock{now: t0}
	h := newHarnessWith(t, parseConfig(t, pendingRules), clock, new(consumertest.LogsSink))
	require.NoError(t, h.e.Start(context.Background(), hostWith(disk)))
	h.traces(makeTraces(t, clock.now, "payment-service", attempts(10, 20)...))
	h.tick() // pending since t0
	require.Empty(t, h.newAlerts())
	clock.Advance(time.Minute)

	after := killNine(t, h, pendingRules, disk)
	var fired []contract.Alert
	for len(fired) == 0 && clock.now.Before(t0.Add(5*time.Minute)) {
		clock.Advance(15 * time.Second)
		after.traces(makeTraces(t, clock.now, "payment-service", attempts(1, 2)...))
		after.tick()
		fired = after.newAlerts()
	}
	require.Len(t, fired, 1)
	assert.Equal(t, contract.AlertFiring, fired[0].Status)
	assert.Equal(t, t0.Add(2*time.Minute), clock.now, "fired at the deadline of the hold begun before the kill")
	assert.True(t, fired[0].StartsAt.Equal(t0), "starts at %v, want %v", fired[0].StartsAt, t0)
}

const absenceRules = "evaluation_interval: 1h\nstorage: file_storage/alerts\n" + revenueStoppedRule

// Purchases stop and the collector is killed: the restarted process still
// knows the arrival rate it learned, so the silence pages. Without the
// series state no purchase ever creates the series again and nothing
// fires.
func TestKillNineKeepsAbsenceExpectation(t *testing.T) {
	disk := newDisk(t)
	h := newHarnessWith(t, parseConfig(t, absenceRules), &fakeClock{now: t0}, new(consumertest.LogsSink))
	require.NoError(t, h.e.Start(context.Background(), hostWith(disk)))
	purchases(t, h, 45*time.Minute, 10*time.Second)
	require.Empty(t, h.newAlerts())

	after := killNine(t, h, absenceRules, disk)
	purchases(t, after, 30*time.Minute, 0)
	assert.Equal(t, []string{"revenue_stopped:firing"}, statuses(after.newAlerts()))
}

// An alert that resolved after the last series save comes back inactive:
// the alerts snapshot, written at each change, says it is not firing any
// more (here written last, as when a kill -9 falls between a tick's two
// writes), so the restored series neither notifies again nor resolves
// twice.
func TestSeriesStateDoesNotRefireAResolvedAlert(t *testing.T) {
	disk := newDisk(t)
	clock := &fakeClock{now: t0}
	h := newHarnessWith(t, parseConfig(t, persistedRules), clock, new(consumertest.LogsSink))
	require.NoError(t, h.e.Start(context.Background(), hostWith(disk)))
	h.traces(makeTraces(t, clock.now, "payment-service", attempts(10, 20)...))
	h.tick() // fires; both snapshots say firing
	require.Equal(t, []string{"payment_failure_rate:firing"}, statuses(h.newAlerts()))
	require.NoError(t, h.e.save(context.Background(), state.Snapshot{}, h.e.stateGen+1)) // resolved since

	after := killNine(t, h, persistedRules, disk)
	after.e.mu.Lock()
	var restored []state.Status
	after.e.store.Range(func(s *state.Series) { restored = append(restored, s.Status) })
	after.e.mu.Unlock()
	assert.Equal(t, []state.Status{state.Inactive}, restored, "the series and its window are back, not firing")
	clock.Advance(15 * time.Second)
	after.tick() // the window still holds the failures: it fires anew
	assert.Equal(t, []string{"payment_failure_rate:firing"}, statuses(after.newAlerts()))
}
