package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// shopBatch is batch i of a varied stream: purchases in several currencies
// (some redelivered), refunds, failures, funnel steps, inventory, bad input.
func shopBatch(i int) plog.Logs {
	cur := []string{"USD", "EUR", "JPY", "KWD"}[i%4]
	amount := map[string]any{"USD": "19.99", "EUR": 10.5, "JPY": int64(1500), "KWD": "1.250"}[cur]
	// more countries than the test engine's limit of 10 (and an invalid
	// code), so the country limiter's state matters after a restart
	countries := []string{"US", "de", "FR", "JP", "KW", "BR", "UK", "IT", "ES", "NL", "se", "PL", "MX", "CA", "AU"}
	recs := []map[string]any{
		purchase(fmt.Sprintf("o%d", i), cur, amount, contract.CustomerID, fmt.Sprintf("h:c%d", i%7),
			contract.PaymentMethod, []string{"card", "paypal", "sepa"}[i%3], contract.GeoCountry, countries[i%len(countries)]),
		{contract.EventName: contract.EventViewItem, contract.GeoCountry: countries[(i*7)%len(countries)]},
		{contract.EventName: contract.EventAddToCart, contract.CustomerID: fmt.Sprintf("h:c%d", i%5)},
		{contract.EventName: contract.EventPaymentFailed, contract.PaymentErrorType: []string{"card_declined", "timeout"}[i%2]},
		{contract.EventName: contract.EventInventory, contract.InventoryItemID: fmt.Sprintf("sku%d", i%3), contract.InventoryAvailable: int64(100 - i)},
	}
	if i%3 == 0 && i > 0 { // a redelivery of an earlier purchase
		recs = append(recs, purchase(fmt.Sprintf("o%d", i-1), "USD", "19.99"))
	}
	if i%4 == 1 {
		recs = append(recs, map[string]any{
			contract.EventName: contract.EventRefund, contract.PaymentCurrency: cur,
			contract.PaymentAmount: amount, contract.PaymentMethod: "card",
		})
	}
	if i%5 == 2 {
		recs = append(recs, purchase(fmt.Sprintf("bad%d", i), "USD", -1.0))
	}
	return logs(recs...)
}

// chargeBatch is payment.charge spans with durations and outcomes.
func chargeBatch(i int) span {
	return span{name: contract.SpanPaymentCharge, dur: time.Duration(50+i*37) * time.Millisecond, attrs: map[string]any{
		contract.PaymentStatus: []string{"succeeded", "failed"}[i%2], contract.PaymentErrorType: "card_declined",
		contract.PaymentMethod: "card", contract.PaymentProvider: []string{"stripe", "adyen"}[i%2],
	}}
}

func metricsJSON(t *testing.T, e *Engine) string {
	t.Helper()
	ms := pmetric.NewMetrics()
	e.AppendMetrics(ms.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty())
	data, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(ms)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A kill -9 at any point between syncs loses nothing: the collector is
// killed (the storage closed with no final save) after batches that came
// after the last sync, restarted on the same file_storage directory, and
// then emits exactly what a collector that never stopped emits: every
// cumulative counter, its start time, the day and month revenue, the
// customers, the dedup set, and the series stages. Without the journal the
// batches after the sync are missing.
func TestKillNineLosesNoAcknowledgedBatch(t *testing.T) {
	for _, killAfter := range []int{1, 7, 19} {
		t.Run(fmt.Sprintf("kill_after_%d", killAfter), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			clock := &fakeClock{t: time.Date(2026, 3, 31, 23, 58, 0, 0, time.UTC)} // crosses day and month
			reference := newEngineAt(t, clock)
			client, closeStore := fileStore(t, dir)
			durable := restartedEngine(t, clock, client)
			feed := func(i int) {
				for _, e := range []*Engine{reference, durable} {
					if err := e.ObserveLogs(bg, shopBatch(i)); err != nil {
						t.Fatal(err)
					}
					if err := e.ObserveTraces(bg, traces(chargeBatch(i))); err != nil {
						t.Fatal(err)
					}
				}
				clock.Advance(13 * time.Second)
			}
			for i := 0; i < 20; i++ {
				feed(i)
				if i%4 == 3 { // an emission: series stages advance in both
					if a, b := metricsJSON(t, reference), metricsJSON(t, durable); a != b {
						t.Fatalf("emission %d differs before any restart", i)
					}
				}
				if i == 5 || i == 11 { // the periodic sync
					if err := durable.SaveState(ctx, client); err != nil {
						t.Fatal(err)
					}
				}
				if i == killAfter {
					break
				}
			}
			closeStore() // kill -9: no final save
			clock.Advance(3 * time.Second)

			client, closeStore = fileStore(t, dir)
			defer closeStore()
			restarted := restartedEngine(t, clock, client)
			// a zeroed series goes back to new after a restart (stages.go);
			// the reference does the same to compare the rest exactly
			reference.agg.stages.restarted()
			durable = restarted
			for i := killAfter + 1; i < killAfter+4; i++ {
				feed(i)
			}
			for round := 0; round < 2; round++ {
				if a, b := metricsJSON(t, reference), metricsJSON(t, restarted); a != b {
					t.Fatalf("emission %d after restart differs from a collector that never stopped:\n%s", round, firstDiff(a, b))
				}
			}
			if restarted.cust.distinct != reference.cust.distinct || restarted.dedup.len() != reference.dedup.len() {
				t.Errorf("customers %d/%d, dedup %d/%d (restarted/reference)",
					restarted.cust.distinct, reference.cust.distinct, restarted.dedup.len(), reference.dedup.len())
			}
		})
	}
}

// The processor's journal keeps the customer filter and the dedup set: a
// customer first seen after the last sync is returning after a kill -9,
// and a redelivered purchase keeps the segment of its first sight.
func TestProcessorJournalKeepsCustomersAndDedup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	client, closeStore := fileStore(t, dir)
	e1 := restartedEngine(t, clock, client)
	if err := e1.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	first := logs(purchase("o1", "USD", 10.0, contract.CustomerID, "h:carol"))
	if err := e1.EnrichLogs(bg, first); err != nil {
		t.Fatal(err)
	}
	closeStore() // kill -9 after the batch was acknowledged
	client, closeStore = fileStore(t, dir)
	defer closeStore()
	e2 := restartedEngine(t, clock, client)
	again := logs(purchase("o1", "USD", 10.0, contract.CustomerID, "h:carol"),
		purchase("o2", "USD", 10.0, contract.CustomerID, "h:carol"))
	if err := e2.EnrichLogs(bg, again); err != nil {
		t.Fatal(err)
	}
	lrs := again.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i, want := range []string{contract.SegmentNew, contract.SegmentReturning} {
		v, _ := lrs.At(i).Attributes().Get(contract.CustomerSegment)
		if v.Str() != want {
			t.Errorf("record %d segment = %q, want %q", i, v.Str(), want)
		}
	}
	if e2.cust.distinct != 1 {
		t.Errorf("distinct customers = %d, want 1", e2.cust.distinct)
	}
}

// failingClient fails every write, as a full disk would: the one thing
// storagetest's client cannot be made to do, so only Set is overridden.
type failingClient struct{ storage.Client }

var errDiskFull = errors.New("disk full")

func (failingClient) Set(context.Context, string, []byte) error { return errDiskFull }

// A batch whose journal write fails is refused and leaves no trace, so
// the sender's retry counts it once.
func TestJournalWriteFailureRefusesTheBatch(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	client := newMemClient()
	e := restartedEngine(t, clock, client)
	e.store = failingClient{client}
	if err := e.ObserveLogs(bg, logs(purchase("o1", "USD", 10.0))); !errors.Is(err, errDiskFull) {
		t.Fatalf("err = %v, want the storage error", err)
	}
	if err := e.EnrichLogs(bg, logs(purchase("o1", "USD", 10.0))); !errors.Is(err, errDiskFull) {
		t.Fatalf("processor err = %v, want the storage error", err)
	}
	e.store = client
	if err := e.ObserveLogs(bg, logs(purchase("o1", "USD", 10.0))); err != nil {
		t.Fatal(err)
	}
	if got := orders(t, e); got != 1 {
		t.Errorf("orders = %v, want 1: the refused batch was counted", got)
	}
}

// A new series is emitted at 0 once, then with its value; a live series
// continues with its value after a restart (never back to 0, which
// Prometheus would read as a reset), and the cumulative start is kept.
func TestNewSeriesStartAtZeroAndContinueAcrossRestart(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	client := newMemClient()
	e1 := restartedEngine(t, clock, client)
	e1.ObserveLogs(bg, logs(purchase("o1", "USD", 10.0)))
	usd := []string{contract.PaymentCurrency, "USD", contract.PaymentMethod, "card", contract.PaymentProvider, "stripe"}
	eur := []string{contract.PaymentCurrency, "EUR", contract.PaymentMethod, "card", contract.PaymentProvider, "stripe"}
	if got := value(t, emitOnce(e1), MetricRevenue, usd...); got != 0 {
		t.Fatalf("first emission of a new series = %v, want 0", got)
	}
	clock.Advance(15 * time.Second)
	ms := emitOnce(e1)
	if got := value(t, ms, MetricRevenue, usd...); got != 10 {
		t.Fatalf("second emission = %v, want 10", got)
	}
	start := ms[MetricRevenue].Sum().DataPoints().At(0).StartTimestamp()
	e1.ObserveLogs(bg, logs(purchase("o2", "EUR", 5.0)))
	if got := value(t, emitOnce(e1), MetricRevenue, eur...); got != 0 { // EUR zeroed, journaled
		t.Fatalf("new EUR series = %v, want 0", got)
	}
	// kill -9 and restart: USD is live, EUR zeroed goes back to new
	clock.Advance(time.Minute)
	e2 := restartedEngine(t, clock, client)
	ms = emitOnce(e2)
	if got := value(t, ms, MetricRevenue, usd...); got != 10 {
		t.Errorf("live series after restart = %v, want 10", got)
	}
	if got := value(t, ms, MetricRevenue, eur...); got != 0 {
		t.Errorf("zeroed series after restart = %v, want 0 once more", got)
	}
	if got := ms[MetricRevenue].Sum().DataPoints().At(0).StartTimestamp(); got != start {
		t.Errorf("start timestamp %v after restart, want %v", got, start)
	}
	if got := value(t, emitOnce(e2), MetricRevenue, eur...); got != 5 {
		t.Errorf("EUR on the next emission = %v, want 5", got)
	}
	if err := e2.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	for key := range storedAll(t, client) {
		if len(key) > 8 && key[:8] == "journal/" {
			t.Errorf("journal record %s left after the sync", key)
		}
	}
}

// A series whose 0 was emitted in one incarnation and again in the next,
// each killed before a second emission, has never been shown with its
// value: after the next restart it is still emitted at 0 first. Replaying
// the two incarnations' emissions back to back must not make it live (the
// value would then be Prometheus' first sample, which increase() cannot
// count), whether the first 0 was folded into a snapshot or only journaled.
func TestZeroedSeriesStayNewAcrossRepeatedKills(t *testing.T) {
	eur := []string{contract.PaymentCurrency, "EUR", contract.PaymentMethod, "card", contract.PaymentProvider, "stripe"}
	for _, synced := range []bool{false, true} {
		t.Run(fmt.Sprintf("snapshot_between_%v", synced), func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
			client := newMemClient()
			e := restartedEngine(t, clock, client)
			if err := e.ObserveLogs(bg, logs(purchase("o1", "EUR", 5.0))); err != nil {
				t.Fatal(err)
			}
			for incarnation := 1; incarnation <= 3; incarnation++ {
				if got := value(t, emitOnce(e), MetricRevenue, eur...); got != 0 {
					t.Fatalf("incarnation %d: first emission = %v, want 0 (the value was never shown)", incarnation, got)
				}
				if synced && incarnation == 1 {
					if err := e.SaveState(context.Background(), client); err != nil {
						t.Fatal(err)
					}
				}
				clock.Advance(5 * time.Second) // kill -9 before the next emission
				e = restartedEngine(t, clock, client)
			}
			emitOnce(e)
			if got := value(t, emitOnce(e), MetricRevenue, eur...); got != 5 {
				t.Errorf("second emission of one incarnation = %v, want 5", got)
			}
		})
	}
}

// firstDiff shows where two long strings first differ.
func firstDiff(want, got string) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(0, i-300)
	return fmt.Sprintf("want …%s…\ngot  …%s…", want[from:min(len(want), i+100)], got[from:min(len(got), i+100)])
}

// What matches a refund's two forms and orders stock readings is state
// too: after a kill -9 — one refund and stock level folded into a
// snapshot, the other only journaled — the event form of each refund
// still counts once, and an older stock reading still does not win.
func TestRefundMatchesAndStockTimesSurviveKillNine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2026, 3, 10, 11, 50, 0, 0, time.UTC)}
	client, closeStore := fileStore(t, dir)
	e := restartedEngine(t, clock, client)
	refund := func(order string, minor int64) map[string]any {
		return map[string]any{
			contract.OrderID: order, contract.PaymentCurrency: "USD", contract.PaymentAmountMinor: minor,
			contract.PaymentMethod: "card", contract.PaymentProvider: "stripe", contract.PaymentStatus: contract.StatusSucceeded,
		}
	}
	stock := func(avail int64, ts time.Time) plog.Logs {
		return stampAll(logs(map[string]any{
			contract.EventName: contract.EventInventory, contract.InventoryItemID: "sku-1",
			contract.InventoryAvailable: avail,
		}), ts)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// trace {1}: refund of o1, folded into the snapshot with the 11:30 stock
	must(e.ObserveTraces(bg, traces(span{name: contract.SpanPaymentRefund, attrs: refund("o1", 1250)})))
	must(e.ObserveLogs(bg, stock(3, time.Date(2026, 3, 10, 11, 30, 0, 0, time.UTC))))
	must(e.SaveState(ctx, client))
	// trace {1} and {2} in one batch: o2's refund is only in the journal
	must(e.ObserveTraces(bg, traces(span{name: "unrelated"}, span{name: contract.SpanPaymentRefund, attrs: refund("o2", 300)})))
	closeStore() // kill -9

	client, closeStore = fileStore(t, dir)
	defer closeStore()
	e = restartedEngine(t, clock, client)
	for i, r := range []map[string]any{refund("o1", 1250), refund("o2", 300)} {
		r[contract.EventName] = contract.EventRefund
		ld := logs(r)
		ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetTraceID(pcommon.TraceID{byte(i + 1)})
		must(e.ObserveLogs(bg, ld))
	}
	must(e.ObserveLogs(bg, stock(40, time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC))))

	ms := collect(e)
	key := []string{contract.PaymentCurrency, "USD", contract.PaymentMethod, "card", contract.PaymentProvider, "stripe"}
	if got := value(t, ms, MetricRefunds, key...); got != 2 {
		t.Errorf("refunds = %v, want 2: each refund's event form matches its span from before the kill", got)
	}
	if got := value(t, ms, MetricInventoryAvailable, contract.InventoryItemID, "sku-1"); got != 3 {
		t.Errorf("available = %v, want 3: the 11:00 reading is older than the saved 11:30 one", got)
	}
	if got := value(t, ms, MetricLateInventory); got != 1 {
		t.Errorf("late inventory levels = %v, want 1", got)
	}
}

// Every name the decoders recognise has a journal code: a record with an
// unknown one would fail to replay and lose its batch.
func TestEveryRecognisedNameHasAJournalCode(t *testing.T) {
	for _, name := range []string{
		contract.EventPurchase, contract.EventRefund, contract.EventPaymentFailed, contract.EventInventory,
		contract.EventViewItem, contract.EventAddToCart, contract.EventBeginCheckout, contract.EventAddPaymentInfo,
		contract.SpanPaymentCharge, contract.SpanPaymentRefund, contract.SpanInventoryCheck, contract.EventInventoryRelease,
	} {
		if eventKind(name) == kindNone && spanKind(name) == kindNone {
			t.Errorf("%s is not recognised: update this list", name)
		}
		if nameCode(name) == 255 {
			t.Errorf("%s has no journal code: add it at the end of eventNames", name)
		}
	}
}

// nameCode is a switch for speed; the code it gives must stay the index
// in eventNames that readEvent maps back, or old journals would replay
// as other events.
func TestNameCodeMatchesEventNames(t *testing.T) {
	for i, name := range eventNames {
		if got := nameCode(name); int(got) != i {
			t.Errorf("nameCode(%q) = %d, eventNames has it at %d", name, got, i)
		}
	}
	if got := nameCode("checkout.completed"); got != 255 {
		t.Errorf("an unknown name got code %d", got)
	}
}

// A journal record that does not decode (a torn write, a record of another
// version) is skipped and counted at start; the acknowledged batches after
// it still count, and none of the old records outlives the next sync to be
// replayed a second time later.
func TestUndecodableJournalRecordIsSkippedAndCounted(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	client := newMemClient()
	durable := restartedEngine(t, clock, client)
	reference := newEngineAt(t, clock)
	for i := range 3 {
		if err := durable.ObserveLogs(bg, shopBatch(i)); err != nil {
			t.Fatal(err)
		}
		if i != 1 { // the reference never sees the batch whose record breaks
			if err := reference.ObserveLogs(bg, shopBatch(i)); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Second)
	}
	broken := journalKey(durable.seq - 1)
	if stored(t, client, broken) == nil {
		t.Fatalf("no journal record %s", broken)
	}
	store(t, client, broken, []byte{journalVersion, 99}) // unknown mode

	restarted := restartedEngine(t, clock, client) // kill -9 and restart
	if got := restarted.SkippedJournalRecords(); got != 1 {
		t.Errorf("skipped %d records, want 1", got)
	}
	if a, b := metricsJSON(t, reference), metricsJSON(t, restarted); a != b {
		t.Fatalf("after skipping one record the state differs from the batches around it:\n%s", firstDiff(a, b))
	}
	if err := restarted.ObserveLogs(bg, shopBatch(3)); err != nil {
		t.Fatal(err)
	}
	if err := restarted.SaveState(ctx, client); err != nil {
		t.Fatal(err)
	}
	for key := range storedAll(t, client) {
		if strings.HasPrefix(key, "journal/") {
			t.Errorf("journal record %s left after the sync", key)
		}
	}
}

// readFailingClient fails every read batch after the first, as a disk that
// returns an I/O error part way through the journal would.
type readFailingClient struct {
	storage.Client
	batches int
}

var errReadIO = errors.New("input/output error")

func (c *readFailingClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if c.batches++; c.batches > 1 {
		return errReadIO
	}
	return c.Client.Batch(ctx, ops...)
}

// A journal that cannot be read refuses the start instead of starting
// without the records not read: their keys would be reused by the next
// batches' records, losing acknowledged events for good. The next start
// that can read them replays everything.
func TestJournalReadFailureRefusesTheStart(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	client := newMemClient()
	durable := restartedEngine(t, clock, client)
	reference := newEngineAt(t, clock)
	for i := range 3 {
		for _, e := range []*Engine{durable, reference} {
			if err := e.ObserveLogs(bg, shopBatch(i)); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Second)
	}

	// kill -9, then a start whose journal read fails
	failing := newEngineAt(t, clock)
	if err := failing.LoadState(context.Background(), &readFailingClient{Client: client}); !errors.Is(err, errReadIO) {
		t.Fatalf("LoadState = %v, want the read error", err)
	}

	restarted := restartedEngine(t, clock, client)
	if a, b := metricsJSON(t, reference), metricsJSON(t, restarted); a != b {
		t.Fatalf("after a failed start the journal is not whole:\n%s", firstDiff(a, b))
	}
}

// A refund whose batch was journaled but whose acknowledgement a kill -9
// cut off is re-sent by the SDK after the restart: it counts once, like a
// purchase, because the refund matching set is rebuilt by the replay. It
// matches on the order's hash, so that holds with deduplication disabled
// too: the hash seed is kept without a dedup set.
func TestRefundResentAfterKillNineCountsOnce(t *testing.T) {
	for _, window := range []time.Duration{time.Hour, 0} {
		t.Run(fmt.Sprintf("dedup_window_%v", window), func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
			client := newMemClient()
			refund := func() plog.Logs {
				return logs(map[string]any{
					contract.EventName: contract.EventRefund, contract.OrderID: "o-77",
					contract.PaymentCurrency: "USD", contract.PaymentAmount: "12.50", contract.PaymentMethod: "card",
				})
			}
			dedupWindow := func(s *Settings) { s.DedupWindow = window }
			e := restartedEngine(t, clock, client, dedupWindow)
			if err := e.ObserveLogs(bg, refund()); err != nil {
				t.Fatal(err)
			}
			clock.Advance(5 * time.Second)
			e = restartedEngine(t, clock, client, dedupWindow) // kill -9: no sync
			if err := e.ObserveLogs(bg, refund()); err != nil {
				t.Fatal(err)
			}
			ms := collect(e)
			var refunds float64
			dps := ms[MetricRefunds].Sum().DataPoints()
			for i := 0; i < dps.Len(); i++ {
				refunds += float64(dps.At(i).IntValue())
			}
			if refunds != 1 {
				t.Errorf("refunds = %v after a re-send, want 1", refunds)
			}
		})
	}
}

// A snapshot that does not decode (corrupt, or written by a newer
// version before a rollback) loses what it held, but not the journal
// records written after it: they are acknowledged events, replayed at
// once. Left on disk, they were replayed later, when the new sequence
// happened to reach them at a restart, and counted a second time.
func TestJournalAfterUndecodableSnapshot(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	client := newMemClient()
	view := func(i int) plog.Logs {
		return timedLogs(clock.Now().Add(time.Duration(i)*time.Second),
			map[string]any{contract.EventName: contract.EventViewItem, contract.CustomerID: fmt.Sprint("c", i)})
	}
	e := restartedEngine(t, clock, client)
	for i := range 3 {
		if err := e.ObserveLogs(bg, view(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.SaveState(bg, client); err != nil {
		t.Fatal(err)
	}
	snapSeq := e.seq
	for i := 3; i < 5; i++ { // journaled after the snapshot, then a kill
		if err := e.ObserveLogs(bg, view(i)); err != nil {
			t.Fatal(err)
		}
	}
	store(t, client, keyState, []byte("PBIS\xffgarbage"))

	e = restartedEngine(t, clock, client)
	if got := total(collect(e), MetricFunnelEvents); got != 2 {
		t.Fatalf("funnel after the start = %v, want the 2 events journaled after the lost snapshot", got)
	}
	// Run on until the sequence passes where the old records were, with a
	// restart at every record.
	for i := 5; i < 5+int(snapSeq)+3; i++ {
		if err := e.ObserveLogs(bg, view(i)); err != nil {
			t.Fatal(err)
		}
		if err := e.SaveState(bg, client); err != nil {
			t.Fatal(err)
		}
		e = restartedEngine(t, clock, client)
		if got, want := total(collect(e), MetricFunnelEvents), float64(i-2); got != want {
			t.Fatalf("after event %d and a restart: funnel %v, want %v", i, got, want)
		}
	}
}
