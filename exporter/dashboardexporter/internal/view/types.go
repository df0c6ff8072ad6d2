// Package view turns the rolling store into the dashboard and executive
// summary documents served as JSON and rendered by the page. It is the only
// place that knows the business metric names.
package view

import (
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/channelhealth"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// Dashboard is the document of GET /api/dashboard. Money is an exact decimal
// string (Money) in major units of Currency (the reporting currency) unless a
// field says otherwise. Pointer
// fields are null when the data to compute them has not arrived.
type Dashboard struct {
	GeneratedAt    time.Time   `json:"generated_at"`
	Timezone       string      `json:"timezone"`
	RefreshSeconds float64     `json:"refresh_seconds"`
	Currency       string      `json:"currency"`
	Revenue        Revenue     `json:"revenue"`
	Orders         Orders      `json:"orders"`
	Payments       Payments    `json:"payments"`
	Funnel         []Step      `json:"funnel"`
	Customers      Customers   `json:"customers"`
	Latency        []Operation `json:"latency"`
	Errors         ErrorRates  `json:"errors"`
	LowStock       []StockItem `json:"low_stock"`
	// Forecasts is the sell-out forecast panel (forecast.go).
	Forecasts []ItemForecast `json:"forecasts"`
	// Experiments is the A/B variant panel (experiments.go).
	Experiments []ExperimentRow `json:"experiments"`
	// Recommendations name the biggest problems (recommendations.go).
	Recommendations []Recommendation `json:"recommendations"`
	// Segments is revenue by segment today (segments.go); growth is
	// Revenue.Growth.
	Segments         []SegmentRow `json:"segments"`
	Alerts           []Alert      `json:"alerts"`
	RecentlyResolved []Alert      `json:"recently_resolved"`
	Series           Series       `json:"series"`
	Data             DataStatus   `json:"data"`
	// Channels is the delivery health of each outbound channel (alert
	// channels, the digest): ok, or failing since when, why and a hint.
	Channels []channelhealth.State `json:"channels"`
	// Spend is the monitoring spend panel (spend.go): per exporter and
	// destination, what it accepted in the last hour and since start, and
	// its share of what the OTLP receivers accepted.
	Spend spend.Snapshot `json:"spend"`
}

// Revenue today and this month against target.
type Revenue struct {
	Today     Money `json:"today"`
	Yesterday Money `json:"yesterday"`
	Month     Money `json:"month"`
	// DailyTarget and MonthlyTarget come from paymentbi's target gauges or
	// the exporter's targets config.
	DailyTarget   *Money `json:"daily_target"`
	MonthlyTarget *Money `json:"monthly_target"`
	// DailyProgress and MonthlyProgress are revenue / target (1 = met).
	DailyProgress   *float64 `json:"daily_progress"`
	MonthlyProgress *float64 `json:"monthly_progress"`
	// ProjectedToday and ProjectedMonth extrapolate the pace so far to the
	// end of the day and month.
	ProjectedToday Money `json:"projected_today"`
	ProjectedMonth Money `json:"projected_month"`
	// ByCurrency is today's and this month's revenue in each sale currency,
	// in that currency's major units.
	ByCurrency []CurrencyAmount `json:"by_currency"`
	ByMethod   []NamedAmount    `json:"by_method"`
	// Growth is today against the same time of earlier days.
	Growth Growth `json:"growth"`
}

// CurrencyAmount is revenue in one sale currency.
type CurrencyAmount struct {
	Currency string `json:"currency"`
	Today    Money  `json:"today"`
	Month    Money  `json:"month"`
}

// NamedAmount is a labelled amount.
type NamedAmount struct {
	Name  string `json:"name"`
	Value Money  `json:"value"`
}

// Named is a labelled number.
type Named struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Orders counts successful purchases.
type Orders struct {
	Today     float64 `json:"today"`
	Yesterday float64 `json:"yesterday"`
	Month     float64 `json:"month"`
	LastHour  float64 `json:"last_hour"`
	// AverageOrderValue is today's revenue / today's orders.
	AverageOrderValue *Money  `json:"average_order_value"`
	RefundsToday      float64 `json:"refunds_today"`
}

// Payments are payment attempts and their outcome today.
type Payments struct {
	Attempts            float64      `json:"attempts"`
	Failed              float64      `json:"failed"`
	SuccessRate         *float64     `json:"success_rate"`
	SuccessRateLastHour *float64     `json:"success_rate_last_hour"`
	ByMethod            []MethodRate `json:"by_method"`
	// FailureReasons are today's failed attempts by payment.error_type, most
	// frequent first.
	FailureReasons []Named `json:"failure_reasons"`
}

// MethodRate is the success rate of one payment method.
type MethodRate struct {
	Method      string   `json:"method"`
	Attempts    float64  `json:"attempts"`
	SuccessRate *float64 `json:"success_rate"`
}

// Step is one checkout funnel step today.
type Step struct {
	Step  string  `json:"step"`
	Label string  `json:"label"`
	Count float64 `json:"count"`
	// ConversionFromPrevious is count / previous step's count; DropOff is
	// 1 - that. Both null on the first step.
	ConversionFromPrevious *float64 `json:"conversion_from_previous"`
	DropOff                *float64 `json:"drop_off"`
}

// Customers are today's purchases by customer segment.
type Customers struct {
	New       float64  `json:"new"`
	Returning float64  `json:"returning"`
	Distinct  *float64 `json:"distinct"`
	// ConversionRate is purchases / product views today.
	ConversionRate *float64 `json:"conversion_rate"`
	// LifetimeValue is the average revenue per distinct customer
	// (paymentbi's customer.lifetime_value.average), reporting currency.
	LifetimeValue *Money `json:"lifetime_value"`
}

// Operation is the recent latency of one span name (span metrics).
type Operation struct {
	Name        string   `json:"name"`
	Category    string   `json:"category"`
	P95Ms       *float64 `json:"p95_ms"`
	ThresholdMs *float64 `json:"threshold_ms"`
	Calls       float64  `json:"calls"`
	ErrorRate   *float64 `json:"error_rate"`
	Breach      bool     `json:"breach"`
}

// ErrorRates over the recent latency window.
type ErrorRates struct {
	WindowSeconds float64 `json:"window_seconds"`
	// Spans is error spans / all spans (span metrics).
	Spans *float64 `json:"spans"`
	// Payments is failed / all payment attempts in the window;
	// PaymentsProvider the share failed by the provider or platform
	// (contract.ProviderErrorTypes), what the health status judges;
	// PaymentAttempts the attempts in the window.
	Payments         *float64 `json:"payments"`
	PaymentsProvider *float64 `json:"payments_provider"`
	PaymentAttempts  float64  `json:"payment_attempts"`
}

// StockItem is an item at or under the low-stock threshold.
type StockItem struct {
	ItemID    string    `json:"item_id"`
	Available float64   `json:"available"`
	Reserved  *float64  `json:"reserved"`
	At        time.Time `json:"at"`
}

// Alert is a firing or recently resolved alert.
type Alert struct {
	Fingerprint string            `json:"fingerprint"`
	Name        string            `json:"name"`
	Status      string            `json:"status"`
	Severity    string            `json:"severity"`
	Summary     string            `json:"summary"`
	Description string            `json:"description,omitempty"`
	Value       *float64          `json:"value"`
	Threshold   *float64          `json:"threshold"`
	Labels      map[string]string `json:"labels"`
	StartsAt    time.Time         `json:"starts_at"`
	EndsAt      *time.Time        `json:"ends_at,omitempty"`
	Acked       bool              `json:"acked"`
	AckedAt     *time.Time        `json:"acked_at,omitempty"`
	RunbookURL  string            `json:"runbook_url,omitempty"`
	TraceID     string            `json:"trace_id,omitempty"`
}

// Series are per-interval totals for sparklines, oldest first; the last
// value is the interval in progress.
type Series struct {
	LastHour SeriesSet `json:"last_hour"`
	Last24h  SeriesSet `json:"last_24h"`
}

// SeriesSet shares one step.
type SeriesSet struct {
	StepSeconds    int       `json:"step_seconds"`
	Revenue        []Money   `json:"revenue"`
	Orders         []float64 `json:"orders"`
	Attempts       []float64 `json:"attempts"`
	FailedAttempts []float64 `json:"failed_attempts"`
}

// DataStatus tells whether data is flowing.
type DataStatus struct {
	LastDataAt *time.Time `json:"last_data_at"`
	Flowing    bool       `json:"flowing"`
	// Sources maps each known input (business metrics, span metrics, alerts)
	// to when it last delivered; absent when never.
	Sources map[string]time.Time `json:"sources"`
}

// Summary is the document of GET /api/summary: the executive view.
type Summary struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Status is ok, warning or critical; Headline says why in one line.
	Status          string   `json:"status"`
	Headline        string   `json:"headline"`
	Currency        string   `json:"currency"`
	RevenueToday    Money    `json:"revenue_today"`
	DailyTarget     *Money   `json:"daily_target"`
	DailyProgress   *float64 `json:"daily_progress"`
	ProjectedToday  Money    `json:"projected_today"`
	OnPace          *bool    `json:"on_pace"`
	MonthToDate     Money    `json:"month_to_date"`
	MonthlyTarget   *Money   `json:"monthly_target"`
	MonthlyProgress *float64 `json:"monthly_progress"`
	OrdersToday     float64  `json:"orders_today"`
	SuccessRate     *float64 `json:"success_rate"`
	ConversionRate  *float64 `json:"conversion_rate"`
	// TopFailureReasons are the three most frequent payment error types today.
	TopFailureReasons []Named `json:"top_failure_reasons"`
	CriticalAlerts    []Alert `json:"critical_alerts"`
	ActiveAlerts      int     `json:"active_alerts"`
	DataFlowing       bool    `json:"data_flowing"`

	// The sections below are filled by executive.go.
	Growth    Growth          `json:"growth"`
	Funnel    FunnelSummary   `json:"funnel"`
	Customers CustomerSummary `json:"customers"`
	LowStock  []StockItem     `json:"low_stock"`
	// ActiveAlertList is every firing alert, most severe first as the
	// dashboard lists them.
	ActiveAlertList []Alert `json:"active_alert_list"`
	Health          Health  `json:"health"`
	// TopSegments is each segment dimension's biggest revenue today.
	TopSegments []SegmentRow `json:"top_segments"`
	Insights    []Insight    `json:"insights"`
}
