package dispatch

import (
	"slices"
	"sort"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// AlertView is an alert as the API shows it.
type AlertView struct {
	Fingerprint string            `json:"fingerprint"`
	Name        string            `json:"name"`
	Status      string            `json:"status"`
	Severity    string            `json:"severity"`
	Summary     string            `json:"summary,omitempty"`
	Labels      map[string]string `json:"labels"`
	StartsAt    time.Time         `json:"starts_at"`
	EndsAt      time.Time         `json:"ends_at,omitzero"`
	// ConditionCleared: the source resolved the alert, but the incident is
	// held open (flap window, or unacknowledged under auto_resolve_after).
	ConditionCleared bool     `json:"condition_cleared"`
	Acked            bool     `json:"acknowledged"`
	AckedBy          string   `json:"acknowledged_by,omitempty"`
	Level            int      `json:"escalation_level"`
	Silenced         bool     `json:"silenced"`
	Inhibited        bool     `json:"inhibited"`
	Receivers        []string `json:"receivers"`
}

// Alerts lists the active alerts, most severe first.
func (e *Engine) Alerts() []AlertView {
	e.mu.Lock()
	defer e.mu.Unlock()
	supp := e.suppressed(e.clock.Now())
	out := make([]AlertView, 0, len(e.alerts))
	for fp, st := range e.alerts {
		v := AlertView{
			Fingerprint: fp, Name: st.alert.Name, Status: st.alert.Status, Severity: st.alert.Severity,
			Summary: st.alert.Summary, Labels: st.alert.Labels, StartsAt: st.alert.StartsAt, EndsAt: st.alert.EndsAt,
			Acked: st.acked, AckedBy: st.ackedBy, Silenced: supp[fp].silenced, Inhibited: supp[fp].inhibited,
			ConditionCleared: st.held != nil,
		}
		for _, g := range e.groups {
			if m, ok := g.members[fp]; ok {
				v.Level = max(v.Level, m.level)
				if !slices.Contains(v.Receivers, g.route.Receiver) {
					v.Receivers = append(v.Receivers, g.route.Receiver)
				}
			}
		}
		sort.Strings(v.Receivers)
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := contract.SeverityRank(out[i].Severity), contract.SeverityRank(out[j].Severity)
		if ri != rj {
			return ri > rj
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out
}
