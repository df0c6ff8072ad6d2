package view

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Summary statuses.
const (
	StatusOK       = "ok"
	StatusWarning  = "warning"
	StatusCritical = "critical"
)

// Payment health, over the attempts of the latency window (now, not the
// whole day: a morning outage does not keep the status amber after it).
// Customers' declines run at 10-15 % of attempts on a healthy shop and say
// nothing about the platform, so the status judges the provider's
// failures (contract.ProviderErrorTypes) at the shipped
// payment_failure_rate threshold, and all failures only above a share
// normal declines do not reach (a decline flood: card testing, a provider
// refusing everything as declined). minAttempts keeps a handful of
// failures from flipping the status.
const (
	highProviderFailures = 0.1
	highFailures         = 0.25
	minAttempts          = 20
)

// BuildSummary builds the executive summary from a dashboard document, so both
// answer with the same numbers; contributors add their insights.
func BuildSummary(d Dashboard, contributors ...SummaryContributor) Summary {
	s := Summary{
		GeneratedAt:     d.GeneratedAt,
		Currency:        d.Currency,
		RevenueToday:    d.Revenue.Today,
		DailyTarget:     d.Revenue.DailyTarget,
		DailyProgress:   d.Revenue.DailyProgress,
		ProjectedToday:  d.Revenue.ProjectedToday,
		MonthToDate:     d.Revenue.Month,
		MonthlyTarget:   d.Revenue.MonthlyTarget,
		MonthlyProgress: d.Revenue.MonthlyProgress,
		OrdersToday:     d.Orders.Today,
		SuccessRate:     d.Payments.SuccessRate,
		ConversionRate:  d.Customers.ConversionRate,
		ActiveAlerts:    len(d.Alerts),
		DataFlowing:     d.Data.Flowing,
		CriticalAlerts:  []Alert{},
	}
	if d.Revenue.DailyTarget != nil {
		s.OnPace = ptr(d.Revenue.ProjectedToday.Float() >= d.Revenue.DailyTarget.Float())
	}
	s.TopFailureReasons = d.Payments.FailureReasons[:min(3, len(d.Payments.FailureReasons))]
	var warnings []string
	for _, a := range d.Alerts {
		switch {
		case a.Severity == contract.SeverityCritical:
			s.CriticalAlerts = append(s.CriticalAlerts, a)
		case contract.SeverityRank(a.Severity) >= contract.SeverityRank(contract.SeverityWarning):
			warnings = append(warnings, a.Name)
		}
	}
	var reasons []string
	lowSuccess := false
	s.Status = StatusOK
	if len(s.CriticalAlerts) > 0 {
		s.Status = StatusCritical
		names := make([]string, len(s.CriticalAlerts))
		for i, a := range s.CriticalAlerts {
			names[i] = a.Name
		}
		reasons = append(reasons, plural(len(names), "critical alert")+" ("+strings.Join(names, ", ")+")")
	}
	if len(warnings) > 0 {
		s.Status = worse(s.Status, StatusWarning)
		reasons = append(reasons, plural(len(warnings), "warning")+" ("+strings.Join(warnings, ", ")+")")
	}
	if e := d.Errors; e.PaymentAttempts >= minAttempts {
		window := windowText(time.Duration(e.WindowSeconds * float64(time.Second)))
		if e.PaymentsProvider != nil && *e.PaymentsProvider > highProviderFailures {
			s.Status = worse(s.Status, StatusWarning)
			reasons = append(reasons, fmt.Sprintf("provider failures %s of payment attempts in the last %s", percent(*e.PaymentsProvider), window))
		}
		if e.Payments != nil && *e.Payments > highFailures {
			s.Status = worse(s.Status, StatusWarning)
			reasons = append(reasons, fmt.Sprintf("payment success rate %s in the last %s", percent(1-*e.Payments), window))
			lowSuccess = true
		}
	}
	if !d.Data.Flowing {
		s.Status = worse(s.Status, StatusWarning)
		reasons = append(reasons, "no data is flowing")
	}
	s.Headline = headline(s, reasons, !lowSuccess)
	executive(&s, d, contributors)
	return s
}

// windowText is "5 min" for a whole number of minutes, else d.String().
func windowText(d time.Duration) string {
	if d > 0 && d%time.Minute == 0 {
		return strconv.Itoa(int(d/time.Minute)) + " min"
	}
	return d.String()
}

func worse(a, b string) string {
	rank := map[string]int{StatusOK: 0, StatusWarning: 1, StatusCritical: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return contract.FormatNumber(float64(n)) + " " + what + "s"
}

// percent renders a ratio as a percentage with one decimal, grouped in
// thousands past 1,000 % ("34,690%"), never with an exponent.
func percent(v float64) string {
	if math.Abs(v*100) >= 1000 {
		return contract.FormatNumber(math.Round(v*100)) + "%"
	}
	return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
}

func headline(s Summary, reasons []string, withSuccess bool) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(s.Status[:1]) + s.Status[1:])
	if len(reasons) > 0 {
		b.WriteString(": " + strings.Join(reasons, "; "))
	}
	fmt.Fprintf(&b, ". Revenue today %s %s", s.RevenueToday.grouped(), s.Currency)
	if s.DailyProgress != nil {
		fmt.Fprintf(&b, " (%s of target, ", percent(*s.DailyProgress))
		if *s.OnPace {
			b.WriteString("on pace)")
		} else {
			b.WriteString("behind pace)")
		}
	}
	fmt.Fprintf(&b, ", %s", plural(int(s.OrdersToday), "order"))
	if s.SuccessRate != nil && withSuccess {
		fmt.Fprintf(&b, ", payment success %s", percent(*s.SuccessRate))
	}
	b.WriteString(".")
	return b.String()
}
