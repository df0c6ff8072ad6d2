package piisanitizer

import (
	"context"
	"fmt"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/redactionprocessor"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"
)

const (
	benchSpans = 1000
	benchAttrs = 20
)

// cleanValue is a realistic attribute value without PII.
func cleanValue(span, attr int) string {
	switch attr % 10 {
	case 0:
		return "/api/v1/orders/{order_id}/items"
	case 1:
		return fmt.Sprintf("ord_%08d", span)
	case 2:
		return "payment.charge"
	case 3:
		return "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36"
	case 4:
		return fmt.Sprintf("%d", 4999+span)
	case 5:
		return "EUR"
	case 6:
		return "https://shop.example.com/checkout?step=2&lang=en"
	case 7:
		return "card_declined: the card was declined by the issuer, do not retry"
	case 8:
		return fmt.Sprintf("2026-11-28T12:%02d:%02d.123Z", span%60, attr)
	default:
		return "checkout-service v1.42.0 (build 7f3a9c1)"
	}
}

// dirtyValue carries PII the redaction processor's regexes also know
// (cards, emails, IPv4), so both processors have comparable work.
func dirtyValue(span int) string {
	switch span % 3 {
	case 0:
		return "payment failed for card 4111 1111 1111 1111 (visa)"
	case 1:
		return fmt.Sprintf("receipt sent to customer%d@example.com", span)
	default:
		return fmt.Sprintf("request from 203.0.113.%d via proxy", span%200+1)
	}
}

// benchBatch builds 1,000 spans × 20 attributes; dirty puts PII in every
// tenth value (10%).
func benchBatch(dirty bool) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr(contract.ServiceName, "checkout")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	spans.EnsureCapacity(benchSpans)
	for s := 0; s < benchSpans; s++ {
		span := spans.AppendEmpty()
		span.SetName(contract.SpanPaymentCharge)
		attrs := span.Attributes()
		attrs.EnsureCapacity(benchAttrs)
		for a := 0; a < benchAttrs; a++ {
			v := cleanValue(s, a)
			if dirty && (s*benchAttrs+a)%10 == 3 {
				v = dirtyValue(s)
			}
			attrs.PutStr(fmt.Sprintf("app.attr_%02d", a), v)
		}
	}
	return td
}

func newPIISanitizer(b *testing.B) processor.Traces {
	cfg := testConfig()
	p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// newRedaction configures contrib's redaction processor with the nearest
// equivalent: every key allowed, values blocked by card, email and IPv4
// regexes, no summary attributes.
func newRedaction(b *testing.B) processor.Traces {
	cfg := redactionprocessor.NewFactory().CreateDefaultConfig().(*redactionprocessor.Config)
	cfg.AllowAllKeys = true
	cfg.Summary = "silent"
	cfg.BlockedValues = []string{
		`\b(?:4[0-9]{12}(?:[0-9]{3})?|(?:5[1-5][0-9]{2}|222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|3[47][0-9]{13}|6(?:011|5[0-9]{2})[0-9]{12})\b`,
		`\b(?:4[0-9]{3}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4})\b`,
		`[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}`,
		`\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b`,
	}
	p, err := redactionprocessor.NewFactory().CreateTraces(context.Background(),
		processortest.NewNopSettings(redactionprocessor.NewFactory().Type()), cfg, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkTraces runs both processors on the same batches. Reproduce with
// go test -run '^$' -bench . -benchmem ./processor/piisanitizer/...
func BenchmarkTraces(b *testing.B) {
	for _, kind := range []string{"clean", "dirty"} {
		batch := benchBatch(kind == "dirty")
		for _, proc := range []struct {
			name string
			new  func(*testing.B) processor.Traces
		}{{"piisanitizer", newPIISanitizer}, {"redaction", newRedaction}} {
			b.Run(kind+"/"+proc.name, func(b *testing.B) {
				p := proc.new(b)
				work := ptrace.NewTraces()
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					batch.CopyTo(work)
					b.StartTimer()
					if err := p.ConsumeTraces(ctx, work); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchSpans), "ns/span")
			})
		}
	}
}

// BenchmarkScanCleanValue measures the scanner alone on clean values.
func BenchmarkScanCleanValue(b *testing.B) {
	s, err := newSanitizer(testConfig(), processortest.NewNopSettings(metadata.Type))
	if err != nil {
		b.Fatal(err)
	}
	p := s.newPass()
	values := make([]string, 10)
	for i := range values {
		values[i] = cleanValue(i, i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.text(values[i%len(values)])
	}
}
