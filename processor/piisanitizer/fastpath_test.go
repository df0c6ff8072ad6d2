package piisanitizer

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"
)

// fastAndFull returns two sanitizers for cfg: one as the processor runs,
// one with every shortcut off (fullPath, and a scanner without its cache
// of clean strings).
func fastAndFull(t testing.TB, cfg *Config) (fast, full *sanitizer) {
	t.Helper()
	set := processortest.NewNopSettings(metadata.Type)
	fast, err := newSanitizer(cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	full, err = newSanitizer(cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	full.fullPath = true
	full.scanner = full.scanner.WithoutCache()
	return fast, full
}

func fastPathConfig() *Config {
	cfg := testConfig()
	// Counts per record become part of the output.
	cfg.AuditAttribute = "pii.findings"
	cfg.CustomRules = []CustomRuleConfig{{Name: "order_token", Pattern: `otk_[A-Za-z0-9]{16}`, Action: ActionHash}}
	return cfg
}

// corpusLogs puts every string of the test corpora (leak inputs, clean
// controls, detector samples in their variants, FuzzProcessor's seeds) in
// log records the way FuzzProcessor does: as attributes under their key and
// under key rules, as nested map keys and values, in slices and bytes.
func corpusLogs(t *testing.T) plog.Logs {
	t.Helper()
	type kv struct{ key, value string }
	var in []kv
	for _, c := range leakCorpus {
		in = append(in, kv{corpusKey(c.key), c.in})
	}
	for _, c := range cleanCorpus {
		in = append(in, kv{corpusKey(c.key), c.value})
	}
	for _, s := range loadCorpus(t) {
		for _, v := range variants(s.Sample) {
			in = append(in, kv{"message", v})
		}
	}
	in = append(in, kv{"customer.email", "alice@example.com"}, kv{"Customer.Email", "john.doe\\u002Bshop@example.com"},
		kv{"card.first8", "4111 1111"}, kv{"ssn", "078051120"}, kv{"alice@example.com", "203.0.113.7"},
		kv{"payload", "am9obi5kb2VAZXhhbXBsZS5jb20="}, kv{"token", "otk_abcdefghijklmnop"}, kv{"note", "otk_abcdefghijklmnop"})
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i, c := range in {
		lr := lrs.AppendEmpty()
		a := lr.Attributes()
		a.PutStr(c.key, c.value)
		a.PutStr(c.key+"_2", in[(i+1)%len(in)].value)
		a.PutStr("customer.id", c.value)
		a.PutEmptyBytes(c.key + "_bytes").FromRaw([]byte(c.value))
		sl := a.PutEmptySlice("args")
		sl.AppendEmpty().SetStr("--password")
		sl.AppendEmpty().SetStr(c.value)
		body := lr.Body().SetEmptyMap()
		body.PutStr(c.value, c.key)
		nested := body.PutEmptyMap(c.key)
		nested.PutStr("id", c.value)
		nested.PutStr("email", c.value)
		nested.PutStr(c.value, c.value)
		lr.SetEventName(c.value)
	}
	// A dirty nested key in the pass's key slot of a clean one, same length:
	// the batch's memo of clean keys must not let it through.
	const clean = "shipping_address_line_one"
	found := false
	for c1 := byte('a'); c1 <= 'z' && !found; c1++ {
		for c2 := byte('a'); c2 <= 'z' && !found; c2++ {
			dirty := string(c1) + strings.Repeat(string(c2), len(clean)-13) + "@example.com"
			if keyMemoSlot("order", dirty) == keyMemoSlot("order", clean) {
				for _, k := range []string{clean, dirty, clean, dirty} {
					lrs.AppendEmpty().Body().SetEmptyMap().PutEmptyMap("order").PutStr(k, "x")
				}
				found = true
			}
		}
	}
	if !found {
		t.Fatal("no dirty key shares the clean key's slot")
	}
	return ld
}

// TestFastPathsMatchFullPath checks that the processor's shortcuts (the
// batch's pseudonym memo, the scanner's cache of clean strings) change
// nothing: the same output and the same findings per record as the full
// path, on the test corpora and on the simulator's traffic, also when
// every cache is warm.
func TestFastPathsMatchFullPath(t *testing.T) {
	fast, full := fastAndFull(t, fastPathConfig())
	ctx := context.Background()
	var lm plog.JSONMarshaler
	var tm ptrace.JSONMarshaler
	logs := []plog.Logs{corpusLogs(t)}
	load := loadSimTraffic(t)
	logs = append(logs, load.logs...)
	for round := 0; round < 2; round++ {
		for i, ld := range logs {
			a, b := plog.NewLogs(), plog.NewLogs()
			ld.CopyTo(a)
			ld.CopyTo(b)
			a, _ = fast.processLogs(ctx, a)
			b, _ = full.processLogs(ctx, b)
			ja, _ := lm.MarshalLogs(a)
			jb, _ := lm.MarshalLogs(b)
			if string(ja) != string(jb) {
				t.Fatalf("round %d, logs batch %d: fast and full paths differ\n fast %s\n full %s", round, i, firstDiff(ja, jb), firstDiff(jb, ja))
			}
		}
		for i, td := range load.traces {
			a, b := ptrace.NewTraces(), ptrace.NewTraces()
			td.CopyTo(a)
			td.CopyTo(b)
			a, _ = fast.processTraces(ctx, a)
			b, _ = full.processTraces(ctx, b)
			ja, _ := tm.MarshalTraces(a)
			jb, _ := tm.MarshalTraces(b)
			if string(ja) != string(jb) {
				t.Fatalf("round %d, traces batch %d: fast and full paths differ\n fast %s\n full %s", round, i, firstDiff(ja, jb), firstDiff(jb, ja))
			}
		}
	}
}

// firstDiff returns a's bytes around the first difference from b.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return string(a[max(0, i-200):min(len(a), i+200)])
}
