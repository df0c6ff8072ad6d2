package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"testing"

	"github.com/bits-and-blooms/bloom/v3"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func customerID(i int) string { return "h:customer-" + strconv.Itoa(i) }

// fill purchases customers [from, to).
func fill(c *customers, from, to int) {
	for i := from; i < to; i++ {
		c.purchase(customerID(i))
	}
}

// assertAllReturning fails on a false "new": every customer purchased
// before must read as returning, whichever stage holds it.
func assertAllReturning(t *testing.T, c *customers, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if got := c.segment(customerID(i)); got != contract.SegmentReturning {
			t.Fatalf("customer %d of %d reads %q after %d stages", i, n, got, len(c.stages))
		}
	}
}

// falsePositiveRate is the share of never-purchased ids read as returning.
func falsePositiveRate(c *customers, from, n int) float64 {
	var fp int
	for i := from; i < from+n; i++ {
		if c.segment(customerID(i)) == contract.SegmentReturning {
			fp++
		}
	}
	return float64(fp) / float64(n)
}

func TestCustomerFilterGrowsWithCustomers(t *testing.T) {
	const expected, p = 1_000_000, 0.001
	c := newCustomers(expected, p, "USD")
	first := c.memoryBytes()
	if first > 256<<10 {
		t.Fatalf("empty filter for 1M customers takes %d bytes, want the first stage only", first)
	}
	// cross the first (64 Ki) and second (+256 Ki) stage boundaries
	const n = firstStageCustomers + 4*firstStageCustomers + 1000
	fill(c, 0, n)
	if len(c.stages) != 3 {
		t.Fatalf("%d stages after %d customers, want 3", len(c.stages), n)
	}
	if c.distinct > n || c.distinct < n-n/500 {
		t.Errorf("distinct = %d of %d purchased", c.distinct, n)
	}
	assertAllReturning(t, c, n)
	if got := falsePositiveRate(c, n, 200_000); got > p {
		t.Errorf("false positive rate %g over the configured %g", got, p)
	}
	if mem, max := c.memoryBytes(), CustomerFilterMaxBytes(expected, p); mem <= first || mem > max {
		t.Errorf("memory %d after %d customers, want above the first stage %d and at most %d", mem, n, first, max)
	}
	// past the expected customers memory stops growing
	fill(c, n, expected+1000)
	if got, want := c.memoryBytes(), CustomerFilterMaxBytes(expected, p); got != want {
		t.Errorf("memory past capacity %d, want the planned maximum %d", got, want)
	}
	if len(c.stages) != len(c.plan) {
		t.Errorf("%d stages of %d planned", len(c.stages), len(c.plan))
	}
	assertAllReturning(t, c, expected+1000)
	if got := falsePositiveRate(c, 2*expected, 200_000); got > p {
		t.Errorf("false positive rate at capacity %g over the configured %g", got, p)
	}
}

func TestCustomerStagePlanKeepsTheRate(t *testing.T) {
	for _, expected := range []uint{1, 10_000, firstStageCustomers, firstStageCustomers + 1, 10_000_000} {
		plan := customerStagePlan(expected, 0.01)
		var total uint
		var rate float64
		for _, s := range plan {
			total += s.capacity
			rate += s.fpRate
		}
		if total != expected || rate > 0.01 {
			t.Errorf("plan for %d: capacity %d, compound rate %g", expected, total, rate)
		}
	}
}

func TestCustomerStateRoundTripsAcrossStages(t *testing.T) {
	const expected, p, n = 1_000_000, 0.001, 2*firstStageCustomers + 17
	c := newCustomers(expected, p, "USD")
	fill(c, 0, n)
	c.addLifetime(12345)
	data, err := c.marshal()
	if err != nil {
		t.Fatal(err)
	}
	restored := newCustomers(expected, p, "USD")
	if err := restored.unmarshal(data); err != nil {
		t.Fatal(err)
	}
	if len(restored.stages) != 2 || restored.distinct != c.distinct || restored.lifetimeMinor != 12345 ||
		restored.memoryBytes() != c.memoryBytes() {
		t.Fatalf("restored %d stages, distinct %d, lifetime %d, %d bytes; want 2, %d, 12345, %d",
			len(restored.stages), restored.distinct, restored.lifetimeMinor, restored.memoryBytes(), c.distinct, c.memoryBytes())
	}
	assertAllReturning(t, restored, n)
	// both go on the same way: same segments, same growth
	for i := n; i < n+4*firstStageCustomers; i++ {
		if a, b := c.purchase(customerID(i)), restored.purchase(customerID(i)); a != b {
			t.Fatalf("customer %d: %q before the restart, %q after", i, a, b)
		}
	}
	if again, _ := restored.marshal(); !bytes.Equal(again, mustMarshal(t, c)) {
		t.Error("restored filter diverged from the one that never stopped")
	}
}

func mustMarshal(t *testing.T, c *customers) []byte {
	t.Helper()
	data, err := c.marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// marshalFixedV1 writes the customer state as the fixed-size filter
// version did.
func marshalFixedV1(t *testing.T, f *bloom.BloomFilter, distinct uint64, lifetime int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.Write(stateMagic[:])
	buf.WriteByte(stateVersionFixed)
	buf.WriteString("USD")
	_ = binary.Write(&buf, binary.BigEndian, distinct)
	_ = binary.Write(&buf, binary.BigEndian, lifetime)
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFixedFilterStateRestoresAsOneStage(t *testing.T) {
	const expected, p, n = 200_000, 0.001, 1000
	old := bloom.NewWithEstimates(expected, p)
	for i := 0; i < n; i++ {
		old.Add(bytesOf(customerID(i)))
	}
	c := newCustomers(expected, p, "USD")
	if err := c.unmarshal(marshalFixedV1(t, old, n, 500)); err != nil {
		t.Fatal(err)
	}
	if len(c.stages) != 1 || c.distinct != n || c.lifetimeMinor != 500 || c.memoryBytes() != uint64(old.Cap()+7)/8 {
		t.Fatalf("restored %d stages, distinct %d, lifetime %d, %d bytes", len(c.stages), c.distinct, c.lifetimeMinor, c.memoryBytes())
	}
	assertAllReturning(t, c, n)
	// the old filter already holds the whole capacity: it never grows
	fill(c, n, expected+10)
	if len(c.stages) != 1 || c.memoryBytes() != uint64(old.Cap()+7)/8 {
		t.Errorf("migrated filter grew to %d stages, %d bytes", len(c.stages), c.memoryBytes())
	}
	// and it is saved in the new format, loading back the same
	restored := newCustomers(expected, p, "USD")
	if err := restored.unmarshal(mustMarshal(t, c)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustMarshal(t, restored), mustMarshal(t, c)) {
		t.Error("migrated state does not round-trip")
	}
	// a fixed filter sized for another configuration is refused
	if err := newCustomers(2*expected, p, "USD").unmarshal(marshalFixedV1(t, old, n, 0)); !errors.Is(err, errStateMismatch) {
		t.Errorf("fixed filter of another size: %v, want errStateMismatch", err)
	}
}
