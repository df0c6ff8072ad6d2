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
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/metadata"
)

// Reasons of the dropped-events counter.
const (
	dropEventLimit  = "event_limit"
	dropRejected    = "rejected"
	dropRateLimited = "rate_limited"
	// dropDuplicate: another form of the same failure was already sent.
	dropDuplicate = "duplicate"
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
}

func newSentryExporter(cfg *Config, set exporter.Settings, now func() time.Time) (*sentryExporter, error) {
	dsn, err := parseDSN(string(cfg.DSN))
	if err != nil {
		return nil, err
	}
	meter := set.MeterProvider.Meter(metadata.ScopeName)
	sent, err := meter.Int64Counter("otelcol_exporter_sentry_events_sent",
		metric.WithDescription("Events accepted by Sentry, by type (error, transaction)."),
		metric.WithUnit("{event}"))
	if err != nil {
		return nil, err
	}
	dropped, err := meter.Int64Counter("otelcol_exporter_sentry_events_dropped",
		metric.WithDescription("Events not delivered on purpose, by reason (event_limit, rejected, rate_limited, duplicate)."),
		metric.WithUnit("{event}"))
	if err != nil {
		return nil, err
	}
	e := &sentryExporter{
		cfg:       cfg,
		logger:    set.Logger,
		telemetry: set.TelemetrySettings,
		conv:      converter{environment: cfg.Environment, fingerprint: cfg.Fingerprint},
		now:       now,
		sent:      sent,
		dropped:   dropped,
	}
	// The HTTP client is built in start, where extensions (auth, middlewares)
	// are available.
	e.transport = newEnvelopeTransport(dsn, now)
	e.book = acquireBook(cfg, now)
	return e, nil
}

func (e *sentryExporter) start(ctx context.Context, host component.Host) error {
	// Batch deadlines come from exporterhelper's timeout via the request
	// context; client.timeout, when set, bounds each request as well.
	httpClient, err := e.cfg.Client.ToClient(ctx, host.GetExtensions(), e.telemetry)
	if err != nil {
		// Validate rejected the proxy URL forms whose errors quote it; what
		// is left (TLS files, extensions) names no secret.
		return fmt.Errorf("client: %w", err)
	}
	e.transport.setHTTPClient(httpClient)
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

func (e *sentryExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	events := e.conv.errorsFromTraces(td, nil)
	events = e.dedupe(ctx, events)
	events = e.limit(ctx, events)
	nErrors := len(events)
	if e.cfg.Performance.Enabled {
		events = e.conv.transactionsFromTraces(td, e.cfg.Performance.SampleRate, events)
	}
	failed, err := e.send(ctx, events, nErrors)
	if err == nil || consumererror.IsPermanent(err) {
		return err
	}
	return wrapRetryable(err, consumererror.NewTraces(err, tracesSubset(td, failed)))
}

func (e *sentryExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	events := e.conv.errorsFromLogs(ld, nil)
	events = e.dedupe(ctx, events)
	events = e.limit(ctx, events)
	failed, err := e.send(ctx, events, len(events))
	if err == nil || consumererror.IsPermanent(err) {
		return err
	}
	return wrapRetryable(err, consumererror.NewLogs(err, logsSubset(ld, failed)))
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

// send delivers events in order. The first nErrors are error events: when
// one cannot be delivered for a retryable reason (rate limit, 5xx, network)
// sending stops and the sources of the undelivered error events are returned
// for a partial retry. Events Sentry rejects (4xx) are dropped and counted;
// if that is all that went wrong the error is permanent. Transactions are
// best effort: never retried, dropped and counted when rate limited.
func (e *sentryExporter) send(ctx context.Context, events []builtEvent, nErrors int) (map[source]bool, error) {
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
	for i, be := range events {
		isError := i < nErrors
		o := be.origin
		sent, err := e.transport.deliver(ctx, e.client, be.event, &sentry.EventHint{Data: &o, Context: ctx})
		switch {
		case err == nil:
			if sent && isError {
				sentErrors++
			} else if sent {
				sentTx++
			}
		case consumererror.IsPermanent(err):
			e.dropped.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", dropRejected)))
			rejected = append(rejected, err)
		case !isError:
			// A transaction that could not be sent is not worth a retry of
			// the batch's errors.
			if _, ok := isRateLimited(err); ok {
				e.dropped.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", dropRateLimited)))
				continue
			}
			e.logger.Debug("Sentry transaction not delivered", zap.Error(err))
		default:
			failed := make(map[source]bool, nErrors-i)
			for _, rest := range events[i:nErrors] {
				failed[rest.src] = true
			}
			if len(rejected) > 0 {
				e.logger.Warn("Sentry rejected events", zap.Int("count", len(rejected)), zap.Error(errors.Join(rejected...)))
			}
			return failed, err
		}
	}
	if len(rejected) > 0 {
		return nil, consumererror.NewPermanent(fmt.Errorf("sentry rejected %d of %d events: %w", len(rejected), len(events), errors.Join(rejected...)))
	}
	return nil, nil
}

// wrapRetryable adds exporterhelper's throttle hint when Sentry rate limited
// us, so the retry waits at least as long as Sentry asked.
func wrapRetryable(cause, withData error) error {
	if rl, ok := isRateLimited(cause); ok {
		return exporterhelper.NewThrottleRetry(withData, rl.delay)
	}
	return withData
}

// tracesSubset copies the spans listed in keep.
func tracesSubset(td ptrace.Traces, keep map[source]bool) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	rss := out.ResourceSpans()
	i := 0
	rss.RemoveIf(func(rs ptrace.ResourceSpans) bool {
		ri := i
		i++
		j := 0
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			sj := j
			j++
			k := 0
			ss.Spans().RemoveIf(func(ptrace.Span) bool {
				sk := k
				k++
				return !keep[source{ri, sj, sk}]
			})
			return ss.Spans().Len() == 0
		})
		return rs.ScopeSpans().Len() == 0
	})
	return out
}

// logsSubset copies the log records listed in keep.
func logsSubset(ld plog.Logs, keep map[source]bool) plog.Logs {
	out := plog.NewLogs()
	ld.CopyTo(out)
	i := 0
	out.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		ri := i
		i++
		j := 0
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			sj := j
			j++
			k := 0
			sl.LogRecords().RemoveIf(func(plog.LogRecord) bool {
				sk := k
				k++
				return !keep[source{ri, sj, sk}]
			})
			return sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0
	})
	return out
}
