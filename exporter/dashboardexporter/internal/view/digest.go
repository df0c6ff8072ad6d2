package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// DigestText renders the executive summary as plain text that reads well
// in Slack (its *bold* markup), e-mail or a terminal: one line per
// section, money grouped in thousands with the exact decimals, times in
// loc (the business time zone) with their offset.
func DigestText(s Summary, loc *time.Location) string {
	var b strings.Builder
	at := s.GeneratedAt.In(loc)
	fmt.Fprintf(&b, "*Payments digest* %s (%s)\n", at.Format("Mon 2 Jan 2006 15:04 -07:00"), loc)
	fmt.Fprintf(&b, "*Status:* %s\n", s.Headline)

	cur := s.Currency
	fmt.Fprintf(&b, "*Revenue today:* %s %s", s.RevenueToday.grouped(), cur)
	if s.DailyTarget != nil && s.DailyProgress != nil {
		pace := "behind pace"
		if s.OnPace != nil && *s.OnPace {
			pace = "on pace"
		}
		fmt.Fprintf(&b, ", %s of the %s %s target (%s)", percent(*s.DailyProgress), s.DailyTarget.grouped(), cur, pace)
	}
	fmt.Fprintf(&b, "; month to date %s %s", s.MonthToDate.grouped(), cur)
	if s.MonthlyTarget != nil && s.MonthlyProgress != nil {
		fmt.Fprintf(&b, ", %s of %s %s", percent(*s.MonthlyProgress), s.MonthlyTarget.grouped(), cur)
	}
	b.WriteString("\n*Growth:* ")
	if g := s.Growth; g.VsYesterday != nil && g.YesterdaySameTime != nil {
		fmt.Fprintf(&b, "%s vs the same time yesterday (%s %s)", signedPercent(*g.VsYesterday), g.YesterdaySameTime.grouped(), cur)
	} else if g.VsYesterday != nil {
		fmt.Fprintf(&b, "%s vs the same time yesterday", signedPercent(*g.VsYesterday))
	} else {
		b.WriteString("no figure for yesterday yet")
	}
	if g := s.Growth; g.VsLastWeek != nil && g.LastWeekSameTime != nil {
		fmt.Fprintf(&b, ", %s vs the same time last week (%s %s)", signedPercent(*g.VsLastWeek), g.LastWeekSameTime.grouped(), cur)
	} else if g.VsLastWeek != nil {
		fmt.Fprintf(&b, ", %s vs last week", signedPercent(*g.VsLastWeek))
	}
	if len(s.TopSegments) > 0 {
		parts := make([]string, len(s.TopSegments))
		for i, r := range s.TopSegments {
			parts[i] = fmt.Sprintf("%s %s %s %s", r.Dimension, r.Value, r.Revenue.grouped(), cur)
			if r.Conversion != nil {
				parts[i] += fmt.Sprintf(" (%s converted)", percent(*r.Conversion))
			}
		}
		fmt.Fprintf(&b, "\n*Top segments:* %s", strings.Join(parts, "; "))
	}

	b.WriteString("\n*Payments:* ")
	if s.SuccessRate != nil {
		fmt.Fprintf(&b, "%s succeeded", percent(*s.SuccessRate))
	} else {
		b.WriteString("no attempts yet")
	}
	fmt.Fprintf(&b, ", %s orders", contract.FormatNumber(s.OrdersToday))
	if len(s.TopFailureReasons) > 0 {
		parts := make([]string, len(s.TopFailureReasons))
		for i, r := range s.TopFailureReasons {
			parts[i] = fmt.Sprintf("%s %s", r.Name, contract.FormatNumber(r.Value))
		}
		fmt.Fprintf(&b, "; top failures: %s", strings.Join(parts, ", "))
	}

	b.WriteString("\n*Funnel:* ")
	steps := make([]string, len(s.Funnel.Steps))
	for i, st := range s.Funnel.Steps {
		steps[i] = fmt.Sprintf("%s %s", st.Label, contract.FormatNumber(st.Count))
	}
	b.WriteString(strings.Join(steps, " → "))
	if d := s.Funnel.BiggestDropOff; d != nil {
		fmt.Fprintf(&b, "; biggest drop-off before %q (%s leave)", d.Label, percent(*d.DropOff))
	}
	if s.Funnel.AbandonmentRate != nil {
		fmt.Fprintf(&b, "; checkout abandonment %s", percent(*s.Funnel.AbandonmentRate))
	}

	c := s.Customers
	fmt.Fprintf(&b, "\n*Customers:* %s new, %s returning", contract.FormatNumber(c.New), contract.FormatNumber(c.Returning))
	if c.ReturningShare != nil {
		fmt.Fprintf(&b, " (%s returning)", percent(*c.ReturningShare))
	}
	if c.LifetimeValue != nil {
		fmt.Fprintf(&b, "; lifetime value %s %s", c.LifetimeValue.grouped(), cur)
	}

	b.WriteString("\n*Low stock:* ")
	if len(s.LowStock) == 0 {
		b.WriteString("none")
	}
	for i, it := range s.LowStock {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s left)", it.ItemID, contract.FormatNumber(it.Available))
	}

	b.WriteString("\n*Alerts:* ")
	if len(s.ActiveAlertList) == 0 {
		b.WriteString("none firing")
	}
	for i, a := range s.ActiveAlertList {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s since %s", a.Severity, a.Name, a.StartsAt.In(loc).Format("15:04 -07:00"))
	}

	h := s.Health
	fmt.Fprintf(&b, "\n*System health:* %d of %d operations above their p95 threshold", h.Breaches, len(h.Operations))
	for _, op := range h.Operations {
		if op.Breach && op.P95Ms != nil && op.ThresholdMs != nil {
			fmt.Fprintf(&b, "; %s p95 %s ms (threshold %s ms)", op.Name, contract.FormatNumber(*op.P95Ms), contract.FormatNumber(*op.ThresholdMs))
		}
	}
	for _, in := range s.Insights {
		fmt.Fprintf(&b, "\n*%s:* %s", in.Source, in.Text)
	}
	b.WriteString("\n")
	return b.String()
}

func signedPercent(v float64) string {
	if v >= 0 {
		return "+" + percent(v)
	}
	return percent(v)
}
