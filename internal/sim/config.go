package sim

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Config drives one simulator run. The zero value of every optional field
// turns the corresponding behaviour off (no duplicates, no outage, no span
// events), so tests state exactly what they exercise.
type Config struct {
	// Endpoint is the OTLP gRPC host:port.
	Endpoint string
	// Insecure disables TLS towards Endpoint.
	Insecure bool
	// Headers are sent with every OTLP request (e.g. a bearer token).
	Headers map[string]string

	// Seed makes a run reproducible: the same seed and config emit the same
	// telemetry (apart from timestamps) and the same ledger.
	Seed int64
	// Count is the number of checkout sessions; 0 means unbounded (Duration
	// must then be set).
	Count int
	// Duration stops the run. With Rate > 0 it is measured on the simulated
	// clock (session i happens at i/Rate), so Count = Duration*Rate exactly.
	Duration time.Duration
	// Rate is checkout sessions per second; 0 emits as fast as possible.
	Rate float64

	// Currencies to sell in (ISO 4217). Empty means DefaultCurrencies.
	Currencies []string
	// DuplicateRate is the probability that a purchase event is delivered
	// twice with the same order.id (at-least-once delivery from the shop).
	DuplicateRate float64
	// SpanEventShare is the share of sessions whose business events are sent
	// as span events instead of log records.
	SpanEventShare float64
	// RefundRate is the probability that an order is later refunded.
	RefundRate float64
	// CardTestingRate is the probability, per session, of a card-testing
	// burst (many small failed attempts from one client, then a
	// security.incident event).
	CardTestingRate float64
	// Outage makes the payment provider fail or slow down for a while.
	Outage *Outage
	// ReorderPoint, when positive, makes the warehouse restock an item as
	// soon as its stock falls to this level (one item per session), so
	// healthy traffic never runs an item low; 0 keeps the occasional
	// delivery that lets items run low and sell out.
	ReorderPoint int64

	// Narrate, when set, receives a line per phase (baseline, outage,
	// recovery) and a short progress counter every NarrateEvery of
	// simulated time, so a person watching a demo knows what is happening.
	Narrate io.Writer
	// NarrateEvery is the counter's period; default 15s.
	NarrateEvery time.Duration
	// NoRestock turns the warehouse deliveries off, so items sell out and
	// stay sold out (a festival's fixed ticket contingents); the ledger's
	// SoldOut then records when each did.
	NoRestock bool
	// Channels are utm.source values: each session comes from one of
	// them or, with the same chance, directly (no utm.source); the ledger
	// counts visits, orders and revenue per channel. Empty: no utm.source.
	Channels []string
	// Countries are ISO 3166-1 alpha-2 codes: each session comes from one
	// of them with equal chance and its business events carry it as
	// geo.country.iso_code. Empty: no country.
	Countries []string
	// Abandonment plants a funnel problem: more visitors leave after one
	// step (of one country, or of every session).
	Abandonment *Abandonment
	// Experiment runs an A/B test: each checkout session is assigned to
	// "control" or "treatment" with equal chance, and its business events
	// carry experiment.id and experiment.variant.
	Experiment *Experiment

	// ServiceName is the resource service.name; default "payment-service".
	ServiceName string
	// Environment is deployment.environment.name; default "demo".
	Environment string

	// MaxQueue bounds the SDK's span and log queues; default 65536. The
	// simulator waits for the exporter instead of letting the SDK drop.
	MaxQueue int
	// MetricInterval is the metric export interval; default 10s. Metrics are
	// always flushed once more at shutdown.
	MetricInterval time.Duration
	// ShutdownTimeout bounds the final flush; default 30s.
	ShutdownTimeout time.Duration
	// ExportTimeout, when set, bounds each span and log export including
	// its retries, which then start at 100 ms and back off to 1 s (instead
	// of the SDK's 10 s timeout and 5 s first retry): a collector that
	// restarts often is retried quickly until it answers.
	ExportTimeout time.Duration
}

// Experiment is an A/B test with a planted effect: the treatment's
// visitors leave after choosing a payment method with CheckoutDropEffect
// more probability than the control's (10 % plus this), so its conversion
// is lower by a known share. 0 is an A/A test.
type Experiment struct {
	ID                 string
	CheckoutDropEffect float64
}

// Abandonment makes visitors leave after the funnel step Step
// (contract.EventViewItem, EventAddToCart, EventBeginCheckout or
// EventAddPaymentInfo) with probability Drop instead of the usual one;
// with Country set, only the sessions from that country.
type Abandonment struct {
	Step    string
	Drop    float64
	Country string
}

// Variants of Config.Experiment.
const (
	VariantControl   = "control"
	VariantTreatment = "treatment"
)

// Outage describes a payment provider incident. The window is Start..Start+
// Length on the simulated clock (with Rate > 0 that is deterministic; with
// Rate 0 it is wall-clock time since the run started), or, when Sessions > 0,
// the sessions FromSession..FromSession+Sessions-1, which is deterministic
// for any rate.
type Outage struct {
	Start, Length time.Duration
	FromSession   int
	Sessions      int
	// FailureRate is the probability that a payment attempt inside the window
	// fails with processing_error (or timeout when SlowPayments is set).
	FailureRate float64
	// SlowPayments is added to the duration of payment.charge spans inside
	// the window.
	SlowPayments time.Duration
	// Provider, when set, limits the outage to the attempts through that
	// payment provider (stripe, paypal, klarna).
	Provider string
}

// DefaultCurrencies covers a 2-decimal, a zero-decimal (JPY) and a
// 3-decimal (KWD) currency.
var DefaultCurrencies = []string{"USD", "EUR", "GBP", "JPY", "KWD"}

// Default rates used by cmd/paymentsim. DefaultCardTestingRate is an
// attack rather than background (at 20 sessions/s, a security incident
// every 25 s): paymentsim injects it only when asked, like the outage; the
// recorded load mix of test/perf includes it.
const (
	DefaultRefundRate      = 0.04
	DefaultCardTestingRate = 0.002
	DefaultSpanEventShare  = 0.1
)

func (c *Config) validate() error {
	var errs []error
	if c.Endpoint == "" {
		errs = append(errs, errors.New("endpoint: must be host:port of an OTLP gRPC receiver"))
	}
	if c.Count < 0 {
		errs = append(errs, fmt.Errorf("count: must not be negative, got %d", c.Count))
	}
	if c.Count == 0 && c.Duration <= 0 {
		errs = append(errs, errors.New("count or duration: set at least one so the run ends"))
	}
	if c.Rate < 0 {
		errs = append(errs, fmt.Errorf("rate: must not be negative, got %g", c.Rate))
	}
	for name, p := range map[string]float64{
		"duplicate_rate": c.DuplicateRate, "span_event_share": c.SpanEventShare,
		"refund_rate": c.RefundRate, "card_testing_rate": c.CardTestingRate,
	} {
		if p < 0 || p > 1 {
			errs = append(errs, fmt.Errorf("%s: must be within [0,1], got %g", name, p))
		}
	}
	for _, cur := range c.Currencies {
		if _, err := contract.NormalizeCurrency(cur); err != nil {
			errs = append(errs, fmt.Errorf("currencies: %q is not an ISO 4217 code", cur))
		}
	}
	if o := c.Outage; o != nil {
		if o.FailureRate < 0 || o.FailureRate > 1 {
			errs = append(errs, fmt.Errorf("outage.failure_rate: must be within [0,1], got %g", o.FailureRate))
		}
		if o.Start < 0 || o.Length < 0 || o.SlowPayments < 0 || o.FromSession < 0 || o.Sessions < 0 {
			errs = append(errs, errors.New("outage: start, length, slow_payments, from_session and sessions must not be negative"))
		}
	}
	for _, country := range c.Countries {
		if code, ok := contract.CountryCode(country); !ok || code != country {
			errs = append(errs, fmt.Errorf("countries: %q is not an upper-case ISO 3166-1 alpha-2 code", country))
		}
	}
	if a := c.Abandonment; a != nil && (contract.FunnelStep(a.Step) < 0 || contract.FunnelStep(a.Step) >= len(dropAfter) || a.Drop < 0 || a.Drop > 1) {
		errs = append(errs, errors.New("abandonment: needs a funnel step before the purchase and a drop within [0,1]"))
	}
	if c.ReorderPoint < 0 {
		errs = append(errs, fmt.Errorf("reorder_point: must not be negative, got %d", c.ReorderPoint))
	}
	if x := c.Experiment; x != nil && (x.ID == "" || x.CheckoutDropEffect < 0 || dropAfterPaymentInfo+x.CheckoutDropEffect > 1) {
		errs = append(errs, errors.New("experiment: needs an id and a checkout_drop_effect within [0, 0.9]"))
	}
	if c.MaxQueue < 0 {
		errs = append(errs, fmt.Errorf("max_queue: must not be negative, got %d", c.MaxQueue))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if len(c.Currencies) == 0 {
		c.Currencies = DefaultCurrencies
	}
	norm := make([]string, len(c.Currencies))
	for i, cur := range c.Currencies {
		norm[i], _ = contract.NormalizeCurrency(cur)
	}
	c.Currencies = norm
	if c.ServiceName == "" {
		c.ServiceName = "payment-service"
	}
	if c.Environment == "" {
		c.Environment = "demo"
	}
	if c.MaxQueue == 0 {
		c.MaxQueue = 65536
	}
	if c.MetricInterval <= 0 {
		c.MetricInterval = 10 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.NarrateEvery <= 0 {
		c.NarrateEvery = 15 * time.Second
	}
	return c
}

// inWindow reports whether session index i at simulated offset t is inside
// the outage.
func (o *Outage) inWindow(i int, t time.Duration) bool {
	if o == nil {
		return false
	}
	if o.Sessions > 0 {
		return i >= o.FromSession && i < o.FromSession+o.Sessions
	}
	return o.Length > 0 && t >= o.Start && t < o.Start+o.Length
}
