package threshold

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

var storageID = component.MustNewIDWithName("file_storage", "alerts")

// newDisk is contrib's file-backed test storage extension in a new
// directory: what a client wrote outlives the client, as file_storage's
// file outlives a process. Unlike file_storage, which commits each write,
// a client writes its data to the directory on Close.
func newDisk(t *testing.T) *storagetest.TestStorage {
	return storagetest.NewFileBackedStorageExtension("alerts", t.TempDir())
}

// hostWith is a host whose extension storageID is disk.
func hostWith(disk extension.Extension) component.Host {
	return storagetest.NewStorageHost().WithExtension(storageID, disk)
}

// clientOf opens the threshold connector's client of disk, as the next
// process would.
func clientOf(t *testing.T, disk *storagetest.TestStorage) storage.Client {
	t.Helper()
	client, err := disk.GetClient(context.Background(), component.KindConnector, componentID(), "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close(context.Background()) })
	return client
}

// killed stands for the end of a process killed with -9: file_storage has
// committed each write when Set returns, storagetest's file-backed client
// writes them when closed. The dead engine can write nothing after.
func killed(t *testing.T, h *harness) {
	t.Helper()
	require.NoError(t, h.e.client.Close(context.Background()))
}

const persistedRules = `
evaluation_interval: 1h  # the test drives ticks itself
storage: file_storage/alerts
rules:
  - name: payment_failure_rate
    group_by: [payment.provider]
    ratio:
      of: {span_names: [payment.charge]}
      where: {attributes: [{key: payment.status, values: [failed]}]}
      window: 5m
      min_samples: 20
      op: ">"
      threshold: 0.2
`

// restartable runs engines one after another over the same storage.
type restartable struct {
	t     *testing.T
	text  string
	clock *fakeClock
	sink  *consumertest.LogsSink
	// host returns the host of the next run and a func stopping it.
	host func() (component.Host, func())
	done func()
}

func (r *restartable) start() *harness {
	r.t.Helper()
	h := newHarnessWith(r.t, parseConfig(r.t, r.text), r.clock, r.sink)
	host, done := r.host()
	r.done = done
	require.NoError(r.t, h.e.Start(context.Background(), host))
	return h
}

// fireAndStop runs until the failure-rate alert fires, then shuts down.
func (r *restartable) fireAndStop() (*harness, []contract.Alert) {
	r.t.Helper()
	h := r.start()
	h.traces(makeTraces(r.t, h.clock.now, "payment-service", attempts(10, 20)...))
	h.tick()
	fired := h.newAlerts()
	require.Len(r.t, fired, 1)
	r.stop(h)
	return h, fired
}

func (r *restartable) stop(h *harness) {
	r.t.Helper()
	require.NoError(r.t, h.e.Shutdown(context.Background()))
	r.done()
}

func TestRestartNeitherRefiresNorForgets(t *testing.T) {
	disk := newDisk(t)
	testRestart(t, func() (component.Host, func()) { return hostWith(disk), func() {} })
	state, err := clientOf(t, disk).Get(context.Background(), seriesKey)
	require.NoError(t, err)
	assert.NotEmpty(t, state, "kept under the connector's own id")
}

func TestRestartWithFileStorage(t *testing.T) {
	dir := t.TempDir()
	testRestart(t, func() (component.Host, func()) {
		ext := e2e.StartFileStorage(t, dir)
		return hostWith(ext), func() { require.NoError(t, ext.Shutdown(context.Background())) }
	})
}

func TestRemovedRuleResolvesOnStart(t *testing.T) {
	disk := newDisk(t)
	host := func() (component.Host, func()) { return hostWith(disk), func() {} }
	r := &restartable{t: t, text: persistedRules, host: host, clock: &fakeClock{now: t0}, sink: new(consumertest.LogsSink)}
	h, fired := r.fireAndStop()

	r.text = stockRules + "storage: file_storage/alerts\n"
	h2 := r.start()
	h2.seen = h.seen
	got := h2.newAlerts()
	require.Len(t, got, 1, "the orphaned alert is resolved at start, not forgotten")
	assert.Equal(t, contract.AlertResolved, got[0].Status)
	assert.Equal(t, fired[0].Fingerprint, got[0].Fingerprint)
	assert.Equal(t, fired[0].Labels, got[0].Labels)
	r.stop(h2)
}

func TestStartFailsOnMissingStorage(t *testing.T) {
	h := newHarness(t, persistedRules)
	err := h.e.Start(context.Background(), storagetest.NewStorageHost())
	require.ErrorContains(t, err, `storage: extension "file_storage/alerts" not found`)
	assert.NoError(t, h.e.Shutdown(context.Background()), "shutdown after a failed start")
}

func TestCorruptStateIsCountedNotFatal(t *testing.T) {
	disk := newDisk(t)
	corrupt := clientOf(t, disk)
	require.NoError(t, corrupt.Set(context.Background(), stateKey, []byte("{not json")))
	require.NoError(t, corrupt.Close(context.Background()))
	h := newHarness(t, persistedRules)
	require.NoError(t, h.e.Start(context.Background(), hostWith(disk)))
	assert.Equal(t, int64(1), counterValue(t, h, "otelcol_connector_threshold_state_errors"))
	require.NoError(t, h.e.Shutdown(context.Background()))
}

func testRestart(t *testing.T, host func() (component.Host, func())) {
	r := &restartable{t: t, text: persistedRules, host: host, clock: &fakeClock{now: t0}, sink: new(consumertest.LogsSink)}
	h, fired := r.fireAndStop()

	// Restart a minute later; the outage goes on.
	r.clock.Advance(time.Minute)
	h2 := r.start()
	h2.seen = h.seen
	h2.traces(makeTraces(t, h2.clock.now, "payment-service", attempts(10, 20)...))
	h2.advance(2*time.Minute, 15*time.Second)
	assert.Empty(t, h2.newAlerts(), "a restart must not fire the alert again")

	// The outage ends; the restored alert resolves with its original start.
	var resolved []contract.Alert
	for i := 0; i < 40 && len(resolved) == 0; i++ {
		h2.traces(makeTraces(t, h2.clock.now, "payment-service", attempts(30, 0)...))
		h2.advance(15*time.Second, 15*time.Second)
		resolved = h2.newAlerts()
	}
	require.Len(t, resolved, 1)
	assert.Equal(t, contract.AlertResolved, resolved[0].Status)
	assert.Equal(t, fired[0].Fingerprint, resolved[0].Fingerprint)
	assert.Equal(t, fired[0].StartsAt, resolved[0].StartsAt)
	r.stop(h2)

	// Nothing firing any more: a third start restores nothing.
	h3 := r.start()
	h3.seen = h2.seen
	h3.advance(20*time.Minute, time.Minute)
	assert.Empty(t, h3.newAlerts())
	r.stop(h3)
}

// An event alert fires while its batch is consumed; a kill -9 before the
// next tick must not forget that it fires: after the restart the same event
// within the cooldown notifies nobody again, and the alert still resolves
// keep_firing_for after its last event.
func TestKillBeforeTickKeepsAlertFiredOnConsume(t *testing.T) {
	disk := newDisk(t)
	text := "storage: file_storage/alerts\n" + eventRules
	clock := &fakeClock{now: t0}
	sink := new(consumertest.LogsSink)

	h := newHarnessWith(t, parseConfig(t, text), clock, sink)
	require.NoError(t, h.e.Start(context.Background(), hostWith(disk)))
	h.logs(makeEventLogs(t, contract.EventPaymentFailed, 2, failed(contract.ErrProcessingError)))
	require.Len(t, h.newAlerts(), 1)
	// kill -9: no tick, no shutdown; only the storage survives. The dead
	// engine's ticker goroutine is stopped at the end.
	killed(t, h)
	t.Cleanup(func() { close(h.e.stop) })

	after := newHarnessWith(t, parseConfig(t, text), clock, new(consumertest.LogsSink))
	require.NoError(t, after.e.Start(context.Background(), hostWith(disk)))
	defer func() { require.NoError(t, after.e.Shutdown(context.Background())) }()
	clock.Advance(time.Minute)
	after.logs(makeEventLogs(t, contract.EventPaymentFailed, 3, failed(contract.ErrProcessingError)))
	after.tick()
	assert.Empty(t, statuses(after.newAlerts()), "within the cooldown of the alert fired before the kill")
	after.advance(6*time.Minute, 15*time.Second)
	assert.Equal(t, []string{"critical_payment_failure:resolved"}, statuses(after.newAlerts()))
}

// failingWrites fails every Set while fail is set, as a full disk would.
type failingWrites struct {
	storage.Client
	fail bool
}

var errDiskFull = errors.New("disk full")

func (c *failingWrites) Set(ctx context.Context, key string, value []byte) error {
	if c.fail {
		return errDiskFull
	}
	return c.Client.Set(ctx, key, value)
}

// A firing state whose save failed is saved again at the next tick, not
// only at the next alert change: otherwise a kill -9 after the disk
// recovered forgets the alert, which then never resolves.
func TestFailedAlertStateSaveIsRetried(t *testing.T) {
	disk := newDisk(t)
	h := newHarnessWith(t, parseConfig(t, persistedRules), &fakeClock{now: t0}, new(consumertest.LogsSink))
	require.NoError(t, h.e.Start(context.Background(), hostWith(disk)))
	flaky := &failingWrites{Client: h.e.client, fail: true}
	h.e.client = flaky
	h.traces(makeTraces(t, h.clock.now, "payment-service", attempts(10, 20)...))
	h.tick()
	require.Len(t, h.newAlerts(), 1)
	assert.NotZero(t, counterValue(t, h, "otelcol_connector_threshold_state_errors"))

	flaky.fail = false
	h.advance(15*time.Second, 15*time.Second)
	require.Empty(t, h.newAlerts())
	killed(t, h)
	t.Cleanup(func() { close(h.e.stop) })

	b, err := clientOf(t, disk).Get(context.Background(), stateKey)
	require.NoError(t, err)
	snap, err := state.DecodeSnapshot(b)
	require.NoError(t, err)
	assert.Len(t, snap.Alerts, 1, "the firing alert is on disk once writes succeed again")
}

// unreadable is disk whose clients fail every read, as a disk returning
// an I/O error would.
type unreadable struct{ *storagetest.TestStorage }

type failingReads struct{ storage.Client }

var errReadIO = errors.New("input/output error")

func (failingReads) Get(context.Context, string) ([]byte, error) { return nil, errReadIO }

func (u unreadable) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	client, err := u.TestStorage.GetClient(ctx, kind, id, name)
	return failingReads{client}, err
}

// A start that cannot read the saved alerts fails rather than start empty:
// its first save would overwrite a firing alert, which then never
// resolves. The next start that can read them restores it.
func TestUnreadableStateRefusesTheStart(t *testing.T) {
	disk := newDisk(t)
	host := func() (component.Host, func()) { return hostWith(disk), func() {} }
	r := &restartable{t: t, text: persistedRules, host: host, clock: &fakeClock{now: t0}, sink: new(consumertest.LogsSink)}
	r.fireAndStop()

	h := newHarnessWith(t, parseConfig(t, persistedRules), r.clock, new(consumertest.LogsSink))
	require.ErrorIs(t, h.e.Start(context.Background(), hostWith(unreadable{disk})), errReadIO)
	require.NoError(t, h.e.Shutdown(context.Background()))

	b, err := clientOf(t, disk).Get(context.Background(), stateKey)
	require.NoError(t, err)
	snap, err := state.DecodeSnapshot(b)
	require.NoError(t, err)
	assert.Len(t, snap.Alerts, 1, "the firing alert is still on disk")
}

// gatedSend holds the first alert records sent on until released: the
// batch that fired them has taken its state snapshot and will save it
// after the send.
type gatedSend struct {
	consumer.Logs
	sends            atomic.Int32
	entered, release chan struct{}
}

func (c *gatedSend) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if c.sends.Add(1) == 1 {
		close(c.entered)
		<-c.release
	}
	return c.Logs.ConsumeLogs(ctx, ld)
}

// Batches and ticks save the alert state concurrently, each after
// releasing the engine lock: a late save of an older state must not land
// over a newer one. Here the save of an alert fired by a batch is delayed
// while ticks resolve it; the resolution is what stays on disk, else a
// kill -9 brings the resolved alert back.
func TestOlderAlertStateNeverOverwritesNewer(t *testing.T) {
	disk := newDisk(t)
	text := "storage: file_storage/alerts\n" + eventRules
	h := newHarnessWith(t, parseConfig(t, text), &fakeClock{now: t0}, new(consumertest.LogsSink))
	require.NoError(t, h.e.Start(context.Background(), hostWith(disk)))
	defer func() { require.NoError(t, h.e.Shutdown(context.Background())) }()
	gated := &gatedSend{Logs: h.e.next, entered: make(chan struct{}), release: make(chan struct{})}
	h.e.next = gated

	batch := makeEventLogs(t, contract.EventPaymentFailed, 2, failed(contract.ErrProcessingError))
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.logs(batch)
	}()
	<-gated.entered // fired; its firing state is not saved yet
	h.advance(6*time.Minute, 15*time.Second)
	close(gated.release)
	<-done
	assert.Equal(t, []string{"critical_payment_failure:resolved", "critical_payment_failure:firing"}, statuses(h.newAlerts()))

	b, err := h.e.client.Get(context.Background(), stateKey)
	require.NoError(t, err)
	snap, err := state.DecodeSnapshot(b)
	require.NoError(t, err)
	assert.Empty(t, snap.Alerts, "the alert resolved after the delayed save")
}
