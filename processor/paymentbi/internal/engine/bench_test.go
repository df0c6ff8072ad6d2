package engine

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkCustomerState10M fills the customer filter with 10 million
// distinct (pseudonymised) customer ids and reports its memory, the heap
// growth while filling, and the share of new customers misread as
// returning (measured on 1 million ids never inserted).
func BenchmarkCustomerState10M(b *testing.B) {
	const n = 10_000_000
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		c := newCustomers(n, 0.001, "USD")
		buf := make([]byte, 0, 64)
		for j := 0; j < n; j++ {
			buf = strconv.AppendInt(append(buf[:0], "h:customer-"...), int64(j), 10)
			c.purchase(string(buf))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		var falsePos int
		for j := n; j < n+1_000_000; j++ {
			buf = strconv.AppendInt(append(buf[:0], "h:customer-"...), int64(j), 10)
			if c.segment(string(buf)) == "returning" {
				falsePos++
			}
		}
		b.ReportMetric(float64(c.memoryBytes())/(1<<20), "filter-MiB")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(falsePos)/1_000_000, "false-pos-rate")
		b.ReportMetric(float64(c.distinct), "distinct")
		runtime.KeepAlive(c)
	}
}

// BenchmarkDedupSnapshot250k encodes a full dedup set at the default bound
// (250,000 order ids), as every sync after a purchase does under the
// engine lock, and reports its persisted size.
func BenchmarkDedupSnapshot250k(b *testing.B) {
	const n = 250_000
	d := newDedup(24*time.Hour, n)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	buf := make([]byte, 0, 64)
	for j := 0; j < n; j++ {
		buf = strconv.AppendInt(append(buf[:0], "order-"...), int64(j), 10)
		d.add(d.hash(string(buf)), memoNew, now)
	}
	var size int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		size = len(d.marshal(now))
	}
	b.ReportMetric(float64(size)/(1<<20), "MiB")
}
