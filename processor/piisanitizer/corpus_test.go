package piisanitizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

type corpusSample struct {
	Detector string `json:"detector"`
	Sample   string `json:"sample"`
	// Secret is the part that must not survive (masks keep e.g. the last
	// four card digits, so the whole sample is too strict a test).
	Secret string `json:"secret"`
}

func loadCorpus(t *testing.T) []corpusSample {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "corpus", "samples.json"))
	if err != nil {
		t.Fatal(err)
	}
	var samples []corpusSample
	if err := json.Unmarshal(raw, &samples); err != nil {
		t.Fatal(err)
	}
	return samples
}

// variants embeds a sample alone, in prose and in a JSON document in a string.
func variants(s string) []string {
	js, _ := json.Marshal(map[string]string{"detail": s})
	return []string{s, "payment failed for " + s + ", retrying", string(js)}
}

// fill puts v in every string field of every signal.
func fillTraces(td ptrace.Traces, v string) {
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("r", v)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().Attributes().PutStr("s", v)
	span := ss.Spans().AppendEmpty()
	span.SetName(v)
	span.Attributes().PutStr("a", v)
	span.Attributes().PutEmptySlice("list").AppendEmpty().SetStr(v)
	span.Status().SetMessage(v)
	ev := span.Events().AppendEmpty()
	ev.SetName(v)
	ev.Attributes().PutStr("e", v)
	span.Links().AppendEmpty().Attributes().PutStr("l", v)
}

func fillLogs(ld plog.Logs, v string) {
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("r", v)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().Attributes().PutStr("s", v)
	lr := sl.LogRecords().AppendEmpty()
	lr.Body().SetStr(v)
	lr.Attributes().PutStr("a", v)
	lr.SetEventName(v)
	m := sl.LogRecords().AppendEmpty().Body().SetEmptyMap()
	m.PutEmptyMap("nested").PutStr("deep", v)
	m.PutEmptySlice("items").AppendEmpty().SetEmptyMap().PutStr("x", v)
}

func fillMetrics(md pmetric.Metrics, v string) {
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("r", v)
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().Attributes().PutStr("s", v)
	ms := sm.Metrics()
	put := func(attrs pcommon.Map) { attrs.PutStr("a", v) }
	g := ms.AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty()
	put(g.Attributes())
	put(g.Exemplars().AppendEmpty().FilteredAttributes())
	s := ms.AppendEmpty().SetEmptySum().DataPoints().AppendEmpty()
	put(s.Attributes())
	put(s.Exemplars().AppendEmpty().FilteredAttributes())
	h := ms.AppendEmpty().SetEmptyHistogram().DataPoints().AppendEmpty()
	put(h.Attributes())
	put(h.Exemplars().AppendEmpty().FilteredAttributes())
	e := ms.AppendEmpty().SetEmptyExponentialHistogram().DataPoints().AppendEmpty()
	put(e.Attributes())
	put(e.Exemplars().AppendEmpty().FilteredAttributes())
	put(ms.AppendEmpty().SetEmptySummary().DataPoints().AppendEmpty().Attributes())
}

// leaks reports whether serialized output holds the secret, raw or
// JSON-escaped.
func leaks(out []byte, secret string) bool {
	esc, _ := json.Marshal(secret)
	return strings.Contains(string(out), secret) || strings.Contains(string(out), string(esc[1:len(esc)-1]))
}

func TestCorpusNothingLeaks(t *testing.T) {
	h := newHarness(t, testConfig())
	for _, c := range loadCorpus(t) {
		for i, v := range variants(c.Sample) {
			td := ptrace.NewTraces()
			fillTraces(td, v)
			ld := plog.NewLogs()
			fillLogs(ld, v)
			md := pmetric.NewMetrics()
			fillMetrics(md, v)
			tj, _ := (&ptrace.JSONMarshaler{}).MarshalTraces(h.processTraces(t, td))
			lj, _ := (&plog.JSONMarshaler{}).MarshalLogs(h.processLogs(t, ld))
			mj, _ := (&pmetric.JSONMarshaler{}).MarshalMetrics(h.processMetrics(t, md))
			for signal, out := range map[string][]byte{"traces": tj, "logs": lj, "metrics": mj} {
				if leaks(out, c.Secret) {
					t.Errorf("%s sample %q (variant %d) leaks in %s:\n%s", c.Detector, c.Sample, i, signal, out)
				}
			}
		}
	}
}

func TestCorpusIntCardNumbers(t *testing.T) {
	h := newHarness(t, testConfig())
	md := pmetric.NewMetrics()
	dp := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty()
	dp.Attributes().PutInt("card", 4111111111111111)
	dp.Exemplars().AppendEmpty().FilteredAttributes().PutInt("card", 5555555555554444)
	out, _ := (&pmetric.JSONMarshaler{}).MarshalMetrics(h.processMetrics(t, md))
	for _, secret := range []string{"4111111111111111", "5555555555554444"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("int card %s leaks: %s", secret, out)
		}
	}
}
