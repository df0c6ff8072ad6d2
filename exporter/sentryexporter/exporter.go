package sentryexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
	"github.com/otelcol-payments/otelcol-payments/internal/queueitem"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// Reasons of the dropped-events counter.
const (
	dropEventLimit  = "event_limit"
	dropRejected    = "rejected"
	dropRateLimited = "rate_limited"
	// dropDuplicate: another form of the same failure was already sent.
	dropDuplicate = "duplicate"
	// dropInvalidTransaction: a transaction ending before it starts, which
	// Sentry would drop without a word.
	dropInvalidTransaction = "invalid_transaction"
)

type sentryExporter struct {
	cfg       *Config
	logger    *zap.Logger
	telemetry component.TelemetrySettings
	conv      converter
	now       func() time.Time
	transport *envelopeTransport
	client    *sentry.Client
	// book is shared with the other signal's exporter of this component;
	// nil when dedup_window is 0.
	book     *failureBook
	released sync.Once

	sent    metric.Int64Counter
	dropped metric.Int64Counter
	// spendKey names the destination in the spend figures (the DSN's
	// host); releaseSpend ends this exporter's use of its meter.
	spendKey     spend.Key
	releaseSpend func()
}

func newSentryExporter(cfg *Config, set exporter.Settings, now func() time.Time) (*sentryExporter, error) {
	dsn, err := parseDSN(string(cfg.DSN))
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	e := &sentryExporter{
		cfg:       cfg,
		logger:    set.Logger,
		telemetry: set.TelemetrySettings,
		conv:      converter{environment: cfg.Environment, fingerprint: cfg.Fingerprint},
		now:       now,
		sent:      tb.EventsSent,
		dropped:   tb.EventsDropped,
	}
	// The HTTP client is built in start, where extensions (auth, middlewares)
	// are available.
	e.transport = newEnvelopeTransport(dsn, now)
	e.spendKey = httpdelivery.Destination(set.ID.String(), "sentry", e.transport.url)
	e.book = acquireBook(cfg, now)
	return e, nil
}

func (e *sentryExporter) start(ctx context.Context, host component.Host) error {
	// Batch deadlines come from exporterhelper's timeout via the request
	// context; client.timeout, when set, bounds each request as well.
	httpClient, err := e.cfg.Client.ToClient(ctx, host.GetExtensions(), httpdelivery.Uninstrumented(e.telemetry))
	if err != nil {
		// Validate rejected the proxy URL forms whose errors quote it; what
		// is left (TLS files, extensions) names no secret.
		return fmt.Errorf("client: %w", err)
	}
	e.transport.setHTTPClient(httpClient)
	if e.transport.sender.Meter, e.releaseSpend, err = spend.Default.Use(e.telemetry.MeterProvider, e.spendKey, spend.Traces|spend.Logs); err != nil {
		return err
	}
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:       string(e.cfg.DSN),
		Transport: e.transport,
		// Defense in depth: no PII collected by the SDK, no request data,
		// no breadcrumbs.
		SendDefaultPII: false,
		MaxBreadcrumbs: -1,
		// The default integrations describe the collector process (its host,
		// OS, Go modules), not the application that failed.
		Integrations:         func([]sentry.Integration) []sentry.Integration { return nil },
		DisableClientReports: true,
		// Releases come from service.version; "none" stops the SDK from
		// deriving one from the collector's own build or environment, and
		// BeforeSend puts the telemetry's value (or nothing) back.
		Release:               "none",
		Environment:           "",
		SampleRate:            1.0,
		BeforeSend:            restoreOrigin,
		BeforeSendTransaction: restoreOrigin,
	})
	if err != nil {
		// Only the DSN can fail here, and Validate already parsed it; the
		// SDK's error may quote the DSN, so it is not passed on.
		return errors.New("dsn: rejected by the Sentry SDK")
	}
	client.SetSDKIdentifier(sdkName)
	e.client = client
	return nil
}

// shutdown runs after exporterhelper drained its queue through push, which
// sends synchronously: nothing is left buffered in the SDK.
func (e *sentryExporter) shutdown(context.Context) error {
	e.released.Do(func() { releaseBook(e.cfg) })
	if e.releaseSpend != nil {
		e.releaseSpend()
	}
	if e.client != nil {
		e.client.Flush(time.Second)
		e.client.Close()
	}
	return nil
}

// restoreOrigin undoes what the SDK's prepareEvent sets from the collector
// process (platform "go", its hostname and release).
func restoreOrigin(ev *sentry.Event, hint *sentry.EventHint) *sentry.Event {
	if o, ok := hint.Data.(*origin); ok {
		ev.Platform = o.platform
		ev.ServerName = o.serverName
		ev.Release = o.release
		ev.Environment = o.environment
	}
	return ev
}

// convertTraces builds the envelopes of a traces batch before the sending
// queue: error events (deduplicated, max_events_per_batch), then the
// sampled transactions.
func (e *sentryExporter) convertTraces(ctx context.Context, td ptrace.Traces) (xexporterhelper.Request, error) {
	events := e.conv.errorsFromTraces(td, nil)
	events = e.dedupe(ctx, events)
	events = e.limit(ctx, events)
	if e.cfg.Performance.Enabled {
		var invalid int
		events, invalid = e.conv.transactionsFromTraces(td, e.cfg.Performance.SampleRate, events)
		if invalid > 0 {
			e.dropped.Add(ctx, int64(invalid), metric.WithAttributes(attribute.String("reason", dropInvalidTransaction)))
		}
	}
	return e.envelopes(ctx, events), nil
}

// convertLogs builds the envelopes of the error events of a logs batch.
func (e *sentryExporter) convertLogs(ctx context.Context, ld plog.Logs) (xexporterhelper.Request, error) {
	events := e.conv.errorsFromLogs(ld, nil)
	events = e.dedupe(ctx, events)
	events = e.limit(ctx, events)
	return e.envelopes(ctx, events), nil
}

// envelopes runs each event through the SDK's event processing and encodes
// it; events come error events first, and so do the envelopes.
func (e *sentryExporter) envelopes(ctx context.Context, events []builtEvent) *sentryRequest {
	req := envelopeKind.New(make([]envelope, 0, len(events)))
	for _, be := range events {
		o := be.origin
		env, ok, err := e.transport.capture(e.client, be.event, &sentry.EventHint{Data: &o, Context: ctx})
		if err != nil {
			e.dropped.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", dropRejected)))
			e.logger.Warn("Sentry event could not be encoded; dropped", zap.Error(err))
			continue
		}
		if ok {
			req.Items = append(req.Items, env)
		}
	}
	return req
}

// push sends a queued request.
func (e *sentryExporter) push(ctx context.Context, r xexporterhelper.Request) error {
	return e.send(ctx, r.(*sentryRequest).Items)
}

// dedupe drops the events of failures already sent in another form.
func (e *sentryExporter) dedupe(ctx context.Context, events []builtEvent) []builtEvent {
	kept, dups := e.book.dedupe(events)
	if dups > 0 {
		e.dropped.Add(ctx, int64(dups), metric.WithAttributes(attribute.String("reason", dropDuplicate)))
	}
	return kept
}

// limit applies max_events_per_batch to error events.
func (e *sentryExporter) limit(ctx context.Context, events []builtEvent) []builtEvent {
	if over := len(events) - e.cfg.MaxEventsPerBatch; over > 0 {
		e.dropped.Add(ctx, int64(over), metric.WithAttributes(attribute.String("reason", dropEventLimit)))
		e.logger.Warn("Sentry events over max_events_per_batch dropped",
			zap.Int("dropped", over), zap.Int("max_events_per_batch", e.cfg.MaxEventsPerBatch))
		events = events[:e.cfg.MaxEventsPerBatch]
	}
	return events
}

// send delivers envelopes in order, error events first. When an error event
// cannot be delivered for a retryable reason (rate limit, 5xx, network)
// sending stops and the error returned carries the undelivered error
// events for a partial retry. Events Sentry rejects (4xx) are dropped and
// counted; if that is all that went wrong the error is permanent.
// Transactions are best effort: never retried, dropped and counted when
// rate limited.
func (e *sentryExporter) send(ctx context.Context, envs []envelope) error {
	var rejected []error
	var sentErrors, sentTx int64
	defer func() {
		if sentErrors > 0 {
			e.sent.Add(ctx, sentErrors, metric.WithAttributes(attribute.String("type", categoryError)))
		}
		if sentTx > 0 {
			e.sent.Add(ctx, sentTx, metric.WithAttributes(attribute.String("type", categoryTransaction)))
		}
	}()
	for i := range envs {
		env := &envs[i]
		sent, err := e.transport.post(ctx, env)
		switch {
		case err == nil:
			if sent && env.isError {
				sentErrors++
			} else if sent {
				sentTx++
			}
		case consumererror.IsPermanent(err):
			e.dropped.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", dropRejected)))
			rejected = append(rejected, err)
		case !env.isError:
			// A transaction that could not be sent is not worth a retry of
			// the batch's errors.
			if _, ok := isRateLimited(err); ok {
				e.dropped.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", dropRateLimited)))
				continue
			}
			e.logger.Debug("Sentry transaction not delivered", zap.Error(err))
		default:
			var rest []envelope
			for _, r := range envs[i:] {
				if r.isError {
					rest = append(rest, r)
				}
			}
			if len(rejected) > 0 {
				e.logger.Warn("Sentry rejected events", zap.Int("count", len(rejected)), zap.Error(errors.Join(rejected...)))
			}
			return wrapRetryable(err, &queueitem.Undelivered[envelope]{Err: err, Items: rest})
		}
	}
	if len(rejected) > 0 {
		return consumererror.NewPermanent(fmt.Errorf("sentry rejected %d of %d events: %w", len(rejected), len(envs), errors.Join(rejected...)))
	}
	return nil
}

// wrapRetryable adds exporterhelper's throttle hint when Sentry rate limited
// us, so the retry waits at least as long as Sentry asked.
func wrapRetryable(cause, withData error) error {
	if rl, ok := isRateLimited(cause); ok {
		return exporterhelper.NewThrottleRetry(withData, rl.delay)
	}
	return withData
}
