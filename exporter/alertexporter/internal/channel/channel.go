// Package channel defines what every notifier implements and the helpers
// they share: the notification model, error classification for retries
// (HTTP notifiers send through internal/httpdelivery), templates and
// truncation to each service's limits.
package channel

import (
	"context"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
)

// Notifier delivers one notification to one destination. Implementations
// make a single attempt; the caller retries errors marked retryable.
type Notifier interface {
	Notify(ctx context.Context, n *Notification) error
}

// Notification is what a channel receives: one aggregation group's alerts
// at one escalation level.
type Notification struct {
	// ID identifies the notification in the engine's persisted outbox
	// (0 = not tracked); the deliverer reports it back once handled.
	ID           uint64
	Receiver     string
	Channel      string
	GroupKey     string
	GroupLabels  map[string]string
	CommonLabels map[string]string
	// Alerts are the firing alerts first, then the resolved ones.
	Alerts []contract.Alert
	// Level is the escalation level this notification is for (1 = first).
	Level int
	// Acknowledged is set when the notification tells the channel that the
	// alerts were acknowledged (PagerDuty acknowledge); other channels show it.
	Acknowledged bool
	ExternalURL  string
	// Refresh marks a periodic re-post of alerts the channel already has
	// (Alertmanager's keep-alive): it is tried once and never retried, since
	// the next refresh replaces it, so an outage cannot fill the channel's
	// queue with stale re-posts ahead of a resolve.
	Refresh bool
	// OnDelivered, when set, is called after MarkDelivered recorded a
	// recipient, so the progress can be persisted before the next one.
	OnDelivered func()

	// deliveredMu guards delivered: the channel worker adds to it while the
	// engine snapshots the outbox.
	deliveredMu sync.Mutex
	// delivered are the recipients that already got the notification, for
	// a notifier that sends several requests (one SMS per recipient); it is
	// persisted with the outbox entry so that neither a retry nor a restart
	// after a crash sends to them again.
	delivered map[string]bool
}

// WasDelivered reports whether recipient already got the notification.
func (n *Notification) WasDelivered(recipient string) bool {
	n.deliveredMu.Lock()
	defer n.deliveredMu.Unlock()
	return n.delivered[recipient]
}

// MarkDelivered records that recipient got the notification and calls
// OnDelivered.
func (n *Notification) MarkDelivered(recipient string) {
	n.deliveredMu.Lock()
	if n.delivered == nil {
		n.delivered = map[string]bool{}
	}
	n.delivered[recipient] = true
	n.deliveredMu.Unlock()
	if n.OnDelivered != nil {
		n.OnDelivered()
	}
}

// DeliveredTo returns the recipients that got the notification, sorted.
func (n *Notification) DeliveredTo() []string {
	n.deliveredMu.Lock()
	defer n.deliveredMu.Unlock()
	return slices.Sorted(maps.Keys(n.delivered))
}

// Status is "firing" when any alert fires, else "resolved".
func (n *Notification) Status() string {
	if len(n.Firing()) > 0 {
		return contract.AlertFiring
	}
	return contract.AlertResolved
}

// Firing returns the firing alerts.
func (n *Notification) Firing() []contract.Alert { return n.filter(contract.AlertFiring) }

// Resolved returns the resolved alerts.
func (n *Notification) Resolved() []contract.Alert { return n.filter(contract.AlertResolved) }

func (n *Notification) filter(status string) []contract.Alert {
	var out []contract.Alert
	for _, a := range n.Alerts {
		if a.Status == status {
			out = append(out, a)
		}
	}
	return out
}

// Severity is the highest severity among the alerts.
func (n *Notification) Severity() string {
	best := contract.SeverityInfo
	for _, a := range n.Alerts {
		if contract.SeverityRank(a.Severity) > contract.SeverityRank(best) {
			best = a.Severity
		}
	}
	return best
}

// Headline is a one-line title: "[FIRING:2] PaymentErrorRate".
func (n *Notification) Headline() string {
	var b strings.Builder
	b.WriteByte('[')
	switch {
	case n.Acknowledged:
		b.WriteString("ACKNOWLEDGED")
	case n.Status() == contract.AlertFiring:
		fmt.Fprintf(&b, "FIRING:%d", len(n.Firing()))
	default:
		b.WriteString("RESOLVED")
	}
	b.WriteString("] ")
	names := map[string]bool{}
	var list []string
	for _, a := range n.Alerts {
		if !names[a.Name] {
			names[a.Name] = true
			list = append(list, a.Name)
		}
	}
	b.WriteString(strings.Join(list, ", "))
	if n.Level > 1 {
		fmt.Fprintf(&b, " (escalation level %d)", n.Level)
	}
	return b.String()
}

// Annotations are the descriptive fields of an alert in Alertmanager's
// conventional annotation names.
func Annotations(a contract.Alert) map[string]string {
	out := map[string]string{}
	if a.Summary != "" {
		out["summary"] = a.Summary
	}
	if a.Description != "" {
		out["description"] = a.Description
	}
	if a.RunbookURL != "" {
		out["runbook_url"] = a.RunbookURL
	}
	if !math.IsNaN(a.Value) {
		out["value"] = contract.FormatNumber(a.Value)
	}
	if !math.IsNaN(a.Threshold) {
		out["threshold"] = contract.FormatNumber(a.Threshold)
	}
	return out
}

var invalidLabelChar = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// PromLabels are the alert's labels as Prometheus label names (Alertmanager
// 0.25 rejects dots), with alertname and severity added as Alertmanager
// receivers expect. When several names sanitise to the same one
// (`a.b`, `a_b`), an original name that is already valid keeps its value;
// otherwise the first original name in byte order does, so the payload never
// depends on map iteration order.
func PromLabels(a contract.Alert) map[string]string {
	out := make(map[string]string, len(a.Labels)+2)
	keys := make([]string, 0, len(a.Labels))
	for k, v := range a.Labels {
		if promName(k) == k {
			out[k] = v
		} else {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := promName(k)
		if _, taken := out[name]; !taken {
			out[name] = a.Labels[k]
		}
	}
	out["alertname"] = a.Name
	out["severity"] = a.Severity
	return out
}

// promName maps k to a valid Prometheus label name: invalid characters
// become '_', and a leading digit or an empty name gets a '_' prefix.
func promName(k string) string {
	k = invalidLabelChar.ReplaceAllString(k, "_")
	if k == "" || (k[0] >= '0' && k[0] <= '9') {
		k = "_" + k
	}
	return k
}

// SortedPairs renders labels as "k=v, k=v" in key order.
func SortedPairs(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}

// Truncate shortens s to at most max runes, marking the cut with "…".
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	if max == 1 {
		return "…"
	}
	return string(r[:max-1]) + "…"
}

// Error classifies a failed attempt for the retry loop; it is
// httpdelivery's, so HTTP and non-HTTP notifiers (SMTP) fail the same way.
type Error = httpdelivery.Error

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return httpdelivery.Permanent(err) }

// Retryable marks err as worth retrying, after at least retryAfter.
func Retryable(err error, retryAfter time.Duration) error {
	return httpdelivery.Retryable(err, retryAfter)
}
