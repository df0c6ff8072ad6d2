package engine

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

var updateJournal = flag.Bool("update-journal", false, "write testdata/journal_v<current>.bin")

// formatEvents cover every field and flag of a journaled event: consecutive
// events sharing or not a customer, a trace and a time, and an unknown time.
func formatEvents() []event {
	at := pcommon.Timestamp(time.Date(2026, 12, 2, 3, 59, 0, 0, time.UTC).UnixNano())
	trace := pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	step := func(name string) int { return contract.FunnelStep(name) }
	return []event{
		{
			kind: kindFunnel, name: contract.EventViewItem, step: step(contract.EventViewItem), customer: "h:alice",
			at: at, traceID: trace, channel: "google", country: "US", expID: "exp1", expVariant: "b",
			items: []itemQty{{id: "sku1", qty: 1, category: "shoes", lineMinor: 995}},
		},
		{
			kind: kindFunnel, name: contract.EventBeginCheckout, step: step(contract.EventBeginCheckout), customer: "h:alice",
			at: at + 1500, traceID: trace, hasRes: true, resKey: 0xfeedface,
			items: []itemQty{{id: "sku1", qty: 1, category: "shoes", lineMinor: 995}, {id: "Item 2", qty: 3}},
		},
		{
			kind: kindPurchase, name: contract.EventPurchase, step: step(contract.EventPurchase), customer: "h:alice",
			hasMoney: true, money: contract.Money{Minor: 4999, Currency: "EUR"}, reporting: 5399,
			method: "card", provider: "stripe", hasOrder: true, orderKey: 0x0123456789abcdef, segment: contract.SegmentNew,
			at: at + 2_000_000_000, traceID: trace, hasRes: true, resKey: 0xfeedface,
		},
		{
			kind: kindCharge, name: contract.SpanPaymentCharge, step: step(contract.SpanPaymentCharge), customer: "h:bob",
			hasMoney: true, money: contract.Money{Minor: 125, Currency: "KWD"}, reporting: 406,
			method: "card", provider: "adyen", status: contract.StatusFailed, errorType: contract.ErrCardDeclined,
			duration: 250 * time.Millisecond, spanError: true, fromSpan: true, segment: contract.SegmentReturning,
			at: at - 3_000_000_000, traceID: pcommon.TraceID{0: 9, 15: 1},
		},
		{
			kind: kindPaymentFailed, name: contract.EventPaymentFailed, step: step(contract.EventPaymentFailed),
			moneyErr: contract.ErrAmountNaN, errorType: "timeout",
		},
		{
			kind: kindInventory, name: contract.SpanInventoryCheck, step: step(contract.SpanInventoryCheck), itemID: "sku1",
			available: 7, hasAvailable: true, reserved: 0, at: at, fromSpan: true, traceID: trace,
		},
		{
			kind: kindRefund, name: contract.EventRefund, step: step(contract.EventRefund), customer: "h:bob",
			hasMoney: true, money: contract.Money{Minor: 100, Currency: "USD"}, reporting: 100,
			hasOrder: true, orderKey: 42, at: at,
		},
	}
}

func formatNow() time.Time { return time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC) }

// Journals written by every released version replay: each
// testdata/journal_v<N>.bin holds formatEvents as version N wrote them
// (regenerate the current one with -update-journal), and must decode back
// to them.
func TestJournalFormatsReplay(t *testing.T) {
	if *updateJournal {
		b := appendRecord(nil, recordObserve, formatNow(), formatEvents(), len(formatEvents()))
		path := filepath.Join("testdata", fmt.Sprintf("journal_v%d.bin", journalVersion))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "journal_v*.bin"))
	if len(files) == 0 {
		t.Fatal("no journal golden files")
	}
	current := filepath.Join("testdata", fmt.Sprintf("journal_v%d.bin", journalVersion))
	seen := false
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seen = seen || f == current
		var version byte
		if len(data) > 0 {
			version = data[0]
		}
		checkDecodes(t, f, data, version)
		if f == current {
			// the encoder still writes what the golden file holds
			b := appendRecord(nil, recordObserve, formatNow(), formatEvents(), len(formatEvents()))
			if !bytes.Equal(b, data) {
				t.Errorf("%s: the encoder's output changed; a new format needs a new journalVersion", f)
			}
		}
	}
	if !seen {
		t.Errorf("no golden file for the current version %d: run with -update-journal", journalVersion)
	}
}

func checkDecodes(t *testing.T, name string, data []byte, version byte) {
	t.Helper()
	e, _ := newTestEngine(t)
	mode, now, err := e.readRecord(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if mode != recordObserve || !now.Equal(formatNow()) {
		t.Errorf("%s: mode %d at %v", name, mode, now)
	}
	want := formatEvents()
	if len(e.pending) != len(want) {
		t.Fatalf("%s: %d events, want %d", name, len(e.pending), len(want))
	}
	for i := range want {
		w := want[i]
		if version < 2 { // version 1 had no extension
			w.hasRes, w.resKey, w.items = false, 0, nil
			w.expID, w.expVariant, w.channel, w.country = "", "", "", ""
		}
		if !reflect.DeepEqual(e.pending[i], w) {
			t.Errorf("%s: event %d decodes to\n%+v\nwant\n%+v", name, i, e.pending[i], w)
		}
	}
}
