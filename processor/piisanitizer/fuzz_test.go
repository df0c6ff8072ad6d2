package piisanitizer

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
)

// FuzzProcessor checks the processor around the scanner: key rules, nested
// map keys, bytes values and split cards never panic, sanitizing twice
// equals sanitizing once, and the shortcuts give the full path's output.
// Seeds live in testdata/fuzz/FuzzProcessor.
func FuzzProcessor(f *testing.F) {
	for _, s := range [][3]string{
		{"customer.email", "alice@example.com", "x"},
		{"Customer.Email", "john.doe\\u002Bshop@example.com", "4111 1111"},
		{"card.first8", "4111 1111", "1111 1111"},
		{"ssn", "078051120", "cvv=123"},
		{"alice@example.com", "203.0.113.7", "NDExMTExMTExMTExMTExMQ=="},
		{"payload", "am9obi5kb2VAZXhhbXBsZS5jb20=", `[["X-Api-Key","k"]]`},
	} {
		f.Add(s[0], s[1], s[2])
	}
	h := newHarness(f, testConfig())
	fast, full := fastAndFull(f, fastPathConfig())
	var m plog.JSONMarshaler
	f.Fuzz(func(t *testing.T, key, v1, v2 string) {
		ld := plog.NewLogs()
		lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		a := lr.Attributes()
		a.PutStr(key, v1)
		a.PutStr(key+"_2", v2)
		a.PutEmptyBytes(key + "_bytes").FromRaw([]byte(v1 + v2))
		body := lr.Body().SetEmptyMap()
		body.PutStr(v1, v2)
		body.PutEmptyMap(key).PutStr(v2, v1)
		// The shortcuts (caches warm with earlier inputs) give the full path's result.
		fa, fb := plog.NewLogs(), plog.NewLogs()
		ld.CopyTo(fa)
		ld.CopyTo(fb)
		fa, _ = fast.processLogs(context.Background(), fa)
		fb, _ = full.processLogs(context.Background(), fb)
		ja, _ := m.MarshalLogs(fa)
		jb, _ := m.MarshalLogs(fb)
		if string(ja) != string(jb) {
			t.Fatalf("fast path differs:\n fast %s\n full %s", ja, jb)
		}
		once := h.processLogs(t, ld)
		onceJSON, err := m.MarshalLogs(once)
		if err != nil {
			t.Fatal(err)
		}
		twiceJSON, _ := m.MarshalLogs(h.processLogs(t, once))
		if string(onceJSON) != string(twiceJSON) {
			t.Fatalf("not idempotent:\n once  %s\n twice %s", onceJSON, twiceJSON)
		}
	})
}
