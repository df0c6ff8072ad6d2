package view

import (
	"fmt"
	"strings"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// spendFigures is the monitoring spend panel: what each destination
// accepted in the last hour and since start, and its share of what the
// OTLP receivers accepted (internal/spend).
func (b *Builder) spendFigures() spend.Snapshot {
	if b.opts.Spend == nil {
		return spend.Snapshot{At: b.store.Now(), Received: []spend.Received{}, Destinations: []spend.Destination{}}
	}
	s := b.opts.Spend()
	s.At = s.At.In(b.store.Location())
	return s
}

// spendInsight is the summary's line on monitoring spend: each destination
// that was sent something in the last hour, with its volume and share.
func spendInsight(d Dashboard) []Insight {
	var parts []string
	for _, x := range d.Spend.Destinations {
		if x.EventsLastHour == 0 {
			continue
		}
		p := fmt.Sprintf("%s → %s %d events, %s", x.Exporter, x.Kind, x.EventsLastHour, HumanBytes(x.BytesLastHour))
		if x.ShareOfReceived != nil {
			p += fmt.Sprintf(" (%.1f%% of received)", *x.ShareOfReceived*100)
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return nil
	}
	return []Insight{{Source: "Monitoring spend", Severity: contract.SeverityInfo, Text: "last hour: " + strings.Join(parts, "; ")}}
}

// HumanBytes formats a byte count in decimal units (kB = 1000 B), as
// vendors bill ingest.
func HumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"kB", "MB", "GB", "TB"}[i])
}
