package piisanitizer

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"
)

func newTestSanitizer(t *testing.T) *sanitizer {
	t.Helper()
	s, err := newSanitizer(testConfig(), processortest.NewNopSettings(metadata.Type))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The cache answers as classification does, the first time and later,
// from concurrent batches.
func TestClassifyCacheAgreesWithClassification(t *testing.T) {
	s := newTestSanitizer(t)
	keys := []string{
		"customer.email", "Customer.Email", "customerEmail", "app.customer_email", "customer.id",
		"card.cvv", "token_expiry", "card_expiry", "password", "http.route", "payment.method", "ssn", "notes",
	}
	want := map[string]keyClass{}
	for _, k := range keys {
		want[k] = s.classifyKey(k)
	}
	if want["customer.email"] != keyPseudonymize || want["password"] != keySensitive || want["http.route"] != keyNone {
		t.Fatalf("unexpected classes %v: the test config changed", want)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				for _, k := range keys {
					if got := s.classify(k); got != want[k] {
						t.Errorf("classify(%q) = %v, want %v", k, got, want[k])
					}
				}
			}
		})
	}
	wg.Wait()
}

// A key classified from a buffer its owner reuses (pdata, classifyUnder's
// stack buffer) is stored as its own copy.
func TestClassifyCacheCopiesKeys(t *testing.T) {
	s := newTestSanitizer(t)
	buf := []byte("customer.email")
	if got := s.classify(unsafe.String(&buf[0], len(buf))); got != keyPseudonymize {
		t.Fatalf("customer.email: %v", got)
	}
	copy(buf, "customer.notes")
	for k, class := range *s.classes.m.Load() {
		if want := s.classifyKey(k); class != want {
			t.Errorf("cache holds %q as %v, want %v", k, class, want)
		}
	}
	if got := s.classify("customer.email"); got != keyPseudonymize {
		t.Errorf("customer.email after the buffer was reused: %v, want pseudonymize", got)
	}
}

// Keys made of ids do not grow the cache without bound, and are still
// classified past the bound.
func TestClassifyCacheBounded(t *testing.T) {
	s := newTestSanitizer(t)
	for i := range maxCachedClasses + 500 {
		k := fmt.Sprintf("order_%d.customer_email", i)
		if got := s.classify(k); got != keyPseudonymize {
			t.Fatalf("%s: %v, want pseudonymize", k, got)
		}
	}
	if n := len(*s.classes.m.Load()); n != maxCachedClasses {
		t.Errorf("cache holds %d keys, want the bound %d", n, maxCachedClasses)
	}
}

// Long keys are classified, not cached: the cache lives as long as the
// collector, and 2048 keys of a MiB each would stay there for good.
func TestClassifyCacheKeepsNoLongKeys(t *testing.T) {
	s := newTestSanitizer(t)
	for i := range 10 {
		k := strings.Repeat("x", 1<<20) + fmt.Sprint(i) + ".customer_email"
		if got := s.classify(k); got != keyPseudonymize {
			t.Fatalf("long key: %v, want pseudonymize", got)
		}
	}
	if m := s.classes.m.Load(); m != nil {
		for k := range *m {
			if len(k) > maxCachedKeyLen {
				t.Errorf("cache holds a key of %d bytes", len(k))
			}
		}
	}
}

// benchKeys are the attribute keys of the simulator's business events and
// spans, nested item keys (classifyUnder) included.
var benchKeys = []string{
	"event.name", "order.id", "customer.id", "customer.email", "payment.amount", "payment.currency",
	"payment.method", "payment.provider", "payment.status", "order.items", "http.route",
	"http.request.method", "http.response.status_code", "server.address", "db.system.name",
	"order.items.item_id", "order.items.item_name", "order.items.price", "order.items.quantity",
	"order.items.item_category", "session.id", "experiment.variant",
}

// BenchmarkClassify compares a key's classification without the cache
// (classifyKey, what every attribute paid before) and with it (classify).
func BenchmarkClassify(b *testing.B) {
	s, err := newSanitizer(testConfig(), processortest.NewNopSettings(metadata.Type))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		fn   func(string) keyClass
	}{{"uncached", s.classifyKey}, {"cached", s.classify}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				bc.fn(benchKeys[i%len(benchKeys)])
			}
		})
	}
}
