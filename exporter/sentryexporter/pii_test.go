package sentryexporter

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer"
)

func piiCorpus(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "pii_corpus.txt"))
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

// plant puts the sample in every string that can reach a Sentry event.
func plantInSpan(td ptrace.Traces, sample string, i int) {
	span := chargeSpan(td, "python", true, "Traceback (most recent call last):\n"+
		`  File "/app/pay.py", line 12, in charge`+"\n    charge(\""+sample+"\")\nValueError: bad card "+sample)
	span.SetSpanID(pcommon.SpanID{byte(i + 1)})
	span.Status().SetMessage("declined for " + sample)
	span.Attributes().PutStr(contract.CustomerID, sample)
	span.Attributes().PutStr(contract.CustomerEmail, sample)
	span.Attributes().PutStr(contract.ClientAddress, sample)
	span.Attributes().PutStr(contract.OrderID, "ord "+sample)
	span.Attributes().PutStr(contract.PaymentErrorType, "declined "+sample)
	ex := span.Events().At(0).Attributes()
	ex.PutStr(contract.ExceptionMessage, "card "+sample+" declined")
	ex.PutStr(contract.ExceptionType, "CardError")
}

func plantInLog(ld plog.Logs, sample string) {
	lr := errorLog(ld, "nodejs", plog.SeverityNumberError)
	lr.Body().SetStr("capture failed for " + sample)
	lr.Attributes().PutStr(contract.CustomerID, sample)
	lr.Attributes().PutStr(contract.HTTPRoute, "/pay/"+sample)
	lr.Attributes().PutStr(contract.ExceptionMessage, "Error: "+sample)
	lr.Attributes().PutStr(contract.ExceptionStacktrace, "Error: "+sample+"\n    at charge (/app/pay.js:1:2)")
}

// TestNoPIIAfterSanitizer runs a PII corpus through piisanitizer and this
// exporter, as the production pipelines do, and searches every envelope.
func TestNoPIIAfterSanitizer(t *testing.T) {
	corpus := piiCorpus(t)
	f := newFakeSentry(t)
	cfg := syncConfig(f)
	cfg.MaxEventsPerBatch = 10 * len(corpus)
	ctx := context.Background()

	pf := piisanitizer.NewFactory()
	pcfg := pf.CreateDefaultConfig().(*piisanitizer.Config)
	pcfg.HashKey = configopaque.String("sentry-exporter-test-key-0123456789abcdef")

	texp, err := NewFactory().CreateTraces(ctx, exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	startWithCleanup(t, texp)
	tproc, err := pf.CreateTraces(ctx, processortest.NewNopSettings(pf.Type()), pcfg, texp)
	require.NoError(t, err)
	startWithCleanup(t, tproc)

	lexp, err := NewFactory().CreateLogs(ctx, exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	startWithCleanup(t, lexp)
	lproc, err := pf.CreateLogs(ctx, processortest.NewNopSettings(pf.Type()), pcfg, lexp)
	require.NoError(t, err)
	startWithCleanup(t, lproc)

	td := ptrace.NewTraces()
	ld := plog.NewLogs()
	for i, s := range corpus {
		plantInSpan(td, s, i)
		plantInLog(ld, s)
	}
	require.NoError(t, tproc.ConsumeTraces(ctx, td))
	require.NoError(t, lproc.ConsumeLogs(ctx, ld))

	bodies := f.allBodies()
	require.Len(t, bodies, 2*len(corpus), "every planted record still produced its event")
	for _, body := range bodies {
		for _, s := range corpus {
			assert.NotContains(t, string(body), s)
		}
	}
	for _, ev := range f.received() {
		assert.NotEmpty(t, ev.User.ID, "the pseudonymous customer id is kept")
		assert.Empty(t, ev.User.Email)
		assert.Empty(t, ev.User.IPAddress)
	}
}
