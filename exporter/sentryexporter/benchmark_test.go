package sentryexporter

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	pdatareq "go.opentelemetry.io/collector/pdata/xpdata/request"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// benchTraces is a batch of n payment spans of which every errEvery-th failed
// with an exception event carrying a Go stack trace.
func benchTraces(b *testing.B, n, errEvery int) ptrace.Traces {
	stackText, err := os.ReadFile(filepath.Join("internal", "stack", "testdata", "go_panic.txt"))
	if err != nil {
		b.Fatal(err)
	}
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	putResource(rs.Resource(), "go")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for i := 0; i < n; i++ {
		s := spans.AppendEmpty()
		s.SetName(contract.SpanPaymentCharge)
		s.SetTraceID(testTraceID)
		s.SetSpanID(pcommon.SpanID{byte(i), byte(i >> 8), 1})
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(testTime))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(testTime.Add(time.Duration(i) * time.Millisecond)))
		putPayment(s.Attributes())
		if i%errEvery == 0 {
			s.Status().SetCode(ptrace.StatusCodeError)
			ev := s.Events().AppendEmpty()
			ev.SetName(contract.ExceptionEventName)
			ev.Attributes().PutStr(contract.ExceptionType, "*stripe.CardError")
			ev.Attributes().PutStr(contract.ExceptionMessage, "Your card was declined.")
			ev.Attributes().PutStr(contract.ExceptionStacktrace, string(stackText))
		}
	}
	return td
}

// BenchmarkConvertTraces measures span scanning plus building and
// serialising the error events (everything but the network).
func BenchmarkConvertTraces(b *testing.B) {
	for _, tc := range []struct {
		name     string
		errEvery int
	}{{"errors_1pct", 100}, {"errors_10pct", 10}, {"errors_100pct", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			td := benchTraces(b, 1000, tc.errEvery)
			conv := converter{fingerprint: DefaultFingerprint}
			tr := &envelopeTransport{dsn: mustDSN(b), now: time.Now}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				events := conv.errorsFromTraces(td, nil)
				for _, be := range events {
					be.event.Sdk = sentry.SdkInfo{Name: sdkName, Version: sentry.SDKVersion}
					if _, err := tr.encode(be.event); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*td.SpanCount())/b.Elapsed().Seconds(), "spans/s")
		})
	}
}

// BenchmarkPushTraces is the whole push, through the SDK client, to a
// local Sentry endpoint (one HTTP request per event).
func BenchmarkPushTraces(b *testing.B) {
	f := newFakeSentry(b)
	clock := &fakeClock{now: testTime}
	e, err := newSentryExporter(testConfig(f.dsn()), exportertest.NewNopSettings(metadata.Type), clock.Now)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = e.shutdown(context.Background()) }()
	td := benchTraces(b, 1000, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.pushTraces(context.Background(), td); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*td.SpanCount())/b.Elapsed().Seconds(), "spans/s")
}

func mustDSN(b *testing.B) *sentry.Dsn {
	dsn, err := parseDSN("https://" + testKey + "@sentry.example.com/" + testProject)
	if err != nil {
		b.Fatal(err)
	}
	return dsn
}

// BenchmarkQueueItem is what the persistent sending queue costs per batch:
// writing and reading back one queue item for a batch of 1,000 spans with
// 1 % errors (performance off, the default). "batch" is the whole OTLP
// batch (what the queue held before), "envelopes" the batch's error
// envelopes (what it holds now; building them is part of the figure).
func BenchmarkQueueItem(b *testing.B) {
	f := newFakeSentry(b)
	e, err := newSentryExporter(testConfig(f.dsn()), exportertest.NewNopSettings(metadata.Type), (&fakeClock{now: testTime}).Now)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = e.shutdown(context.Background()) }()
	td := benchTraces(b, 1000, 100)
	ctx := context.Background()
	b.Run("batch", func(b *testing.B) {
		b.ReportAllocs()
		size := 0
		for b.Loop() {
			buf, err := pdatareq.MarshalTraces(ctx, td)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := pdatareq.UnmarshalTraces(buf); err != nil {
				b.Fatal(err)
			}
			size = len(buf)
		}
		b.ReportMetric(float64(size), "bytes/item")
	})
	b.Run("envelopes", func(b *testing.B) {
		b.ReportAllocs()
		enc := e.queueEncoding(true)
		size := 0
		for b.Loop() {
			// A new book per batch: dedup would drop the repeated failures.
			e.book = newFailureBook(e.now, DefaultDedupWindow, maxBookEntries)
			req, err := e.convertTraces(ctx, td)
			if err != nil {
				b.Fatal(err)
			}
			buf, err := enc.Marshal(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			if _, back, err := enc.Unmarshal(buf); err != nil || back.ItemsCount() != 10 {
				b.Fatalf("%v, %d envelopes", err, back.ItemsCount())
			}
			size = len(buf)
		}
		b.ReportMetric(float64(size), "bytes/item")
	})
}
