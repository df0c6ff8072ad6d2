package ga4exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/dedup"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mp"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
	"github.com/otelcol-payments/otelcol-payments/internal/queueitem"
	"github.com/otelcol-payments/otelcol-payments/internal/sharedcomponent"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
	"github.com/otelcol-payments/otelcol-payments/internal/statestore"
)

// Paths of the collection and validation endpoints.
const (
	collectPath      = "/mp/collect"
	debugCollectPath = "/debug/mp/collect"
)

// Further drop reasons decided at send time.
const (
	dropTooLarge = "too_large"
	dropRejected = "rejected"
)

// ga4Exporter sends mapped business events. One instance serves both the
// logs and the traces pipeline of a component, so that the purchase dedup
// set is shared between them.
type ga4Exporter struct {
	cfg    *Config
	set    exporter.Settings
	logger *zap.Logger
	mapper *mapping.Mapper
	tb     *metadata.TelemetryBuilder
	dedup  *dedup.Set
	now    func() time.Time
	// wrapTransport lets tests redirect the real endpoint URLs to a local server.
	wrapTransport func(http.RoundTripper) http.RoundTripper

	url         string
	redactedURL string
	secret      string
	userAgent   string
	// header and redact are the same for every request.
	header http.Header
	redact []string

	mu            sync.Mutex
	client        *http.Client
	sender        *httpdelivery.Sender
	storageClient storage.Client
	// releaseSpend ends the report of the destination's spend meter.
	releaseSpend func()
}

// exporters shares one ga4Exporter per component config between signals:
// one HTTP client, dedup set and spend meter for the logs and traces
// exporters of one component id.
var exporters = sharedcomponent.NewMap[*Config, *ga4Exporter]()

func sharedExporter(set exporter.Settings, cfg *Config, now func() time.Time) (*sharedcomponent.Component[*ga4Exporter], error) {
	return exporters.GetOrAdd(cfg, func() (*ga4Exporter, error) { return newExporter(set, cfg, now) })
}

func newExporter(set exporter.Settings, cfg *Config, now func() time.Time) (*ga4Exporter, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	events := map[string]string{}
	for src, name := range cfg.Events {
		if name != "" {
			events[src] = name
		}
	}
	e := &ga4Exporter{
		cfg:    cfg,
		set:    set,
		logger: set.Logger,
		tb:     tb,
		now:    now,
		mapper: mapping.New(mapping.Config{
			Events:      events,
			ExtraParams: cfg.ExtraParams,
			DefaultConsent: mp.Consent{
				AdUserData:        cfg.Consent.AdUserData,
				AdPersonalization: cfg.Consent.AdPersonalization,
			},
			MaxEventAge: cfg.MaxEventAge,
		}),
		secret:    string(cfg.APISecret),
		userAgent: fmt.Sprintf("%s/%s (%s/%s)", set.BuildInfo.Description, set.BuildInfo.Version, runtime.GOOS, runtime.GOARCH),
	}
	if cfg.Dedup.Enabled {
		if e.dedup, err = dedup.New(cfg.Dedup.Window, cfg.Dedup.MaxEntries, now); err != nil {
			return nil, err
		}
	}
	path := collectPath
	if cfg.ValidationMode {
		path = debugCollectPath
	}
	base := strings.TrimRight(cfg.baseURL(), "/") + path
	e.url = base + "?" + url.Values{"measurement_id": {cfg.MeasurementID}, "api_secret": {e.secret}}.Encode()
	e.redactedURL = base + "?" + url.Values{"measurement_id": {cfg.MeasurementID}, "api_secret": {"REDACTED"}}.Encode()
	e.header = http.Header{"User-Agent": {e.userAgent}}
	e.redact = []string{e.secret, url.QueryEscape(e.secret)}
	return e, nil
}

// Start and Shutdown make the exporter a component for sharedcomponent,
// which calls them once for all the signals sharing it.
func (e *ga4Exporter) Start(ctx context.Context, host component.Host) error {
	return e.start(ctx, host)
}

func (e *ga4Exporter) Shutdown(ctx context.Context) error { return e.shutdown(ctx) }

func (e *ga4Exporter) start(ctx context.Context, host component.Host) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), httpdelivery.Uninstrumented(e.set.TelemetrySettings))
	if err != nil {
		return err
	}
	if e.wrapTransport != nil {
		client.Transport = e.wrapTransport(client.Transport)
	}
	e.client = client
	e.sender = httpdelivery.NewSender(client)
	if e.sender.Meter, e.releaseSpend, err = spend.Default.Use(e.set.MeterProvider, e.spendKey(), spend.Traces|spend.Logs); err != nil {
		return err
	}
	if e.dedup != nil && e.cfg.Dedup.Storage != nil {
		if e.storageClient, err = statestore.Open(ctx, host, "dedup.storage", *e.cfg.Dedup.Storage, component.KindExporter, e.set.ID, "dedup"); err != nil {
			return err
		}
		if err := e.dedup.Load(ctx, e.storageClient); err != nil {
			return fmt.Errorf("dedup.storage: loading sent transaction ids: %w", err)
		}
	}
	return nil
}

// shutdown runs after exporterhelper has drained the queue.
func (e *ga4Exporter) shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	if e.releaseSpend != nil {
		e.releaseSpend()
	}
	if e.storageClient != nil {
		return e.storageClient.Close(ctx)
	}
	return nil
}

func (e *ga4Exporter) mapEvent(ctx context.Context, res *mapping.Result, in mapping.Input, now time.Time) bool {
	drop, ok := e.mapper.MapInto(res, in, now)
	if !ok {
		return false
	}
	if drop != "" {
		e.tb.EventsDropped.Add(ctx, 1, metadata.Reason(drop))
		return false
	}
	if res.Truncated > 0 {
		e.tb.ValuesTruncated.Add(ctx, int64(res.Truncated))
	}
	for reason, n := range res.ParamsDropped {
		e.tb.ParamsDropped.Add(ctx, int64(n), metadata.Reason(reason))
	}
	return true
}

// sendAgeMargin is kept between an event's age when a send starts and
// GA4's 72 h limit: the time its request takes to reach GA4 (connection
// set-up, the batch's requests before it) must not carry it past the limit,
// which would get the whole request refused.
const sendAgeMargin = time.Minute

// send delivers queued events. A retryable failure returns a queueitem.Undelivered
// error holding the events worth retrying; a permanent error means nothing
// is.
func (e *ga4Exporter) send(ctx context.Context, events []queuedEvent) error {
	// One client_id (and user_id and consent) per request: the events to
	// send are laid out group after group (groups in order of their first
	// event, events in their order), in two slices for the whole call
	// rather than a few per group.
	const skipped = -1
	groupOf := make([]int32, len(events))
	var headers []mp.Header
	var starts []int // per group its event count, then its start offset
	byHeader := map[mp.Header]int32{}
	now := e.now()
	maxAge := min(e.cfg.MaxEventAge, mp.MaxEventAge-sendAgeMargin)
	for i := range events {
		ev := &events[i]
		groupOf[i] = skipped
		// Mapped before the queue: an event can pass GA4's age limit while
		// queued or retried, and sent it would get its whole request refused.
		if now.Sub(time.UnixMicro(ev.event.TimestampMicros)) > maxAge {
			e.tb.EventsDropped.Add(ctx, 1, metadata.Reason(mapping.DropTooOld))
			continue
		}
		if !e.reserve(ctx, *ev) {
			continue
		}
		g, ok := byHeader[ev.header]
		if !ok {
			g = int32(len(headers))
			byHeader[ev.header] = g
			headers = append(headers, ev.header)
			starts = append(starts, 0)
		}
		groupOf[i] = g
		starts[g]++
	}
	total := 0
	for g, n := range starts {
		starts[g] = total
		total += n
	}
	starts = append(starts, total)
	ordered := make([]queuedEvent, total)
	encoded := make([]mp.Encoded, total)
	next := slices.Clone(starts)
	for i, g := range groupOf {
		if g == skipped {
			continue
		}
		ordered[next[g]], encoded[next[g]] = events[i], events[i].event
		next[g]++
	}

	var retry []queuedEvent
	var retryErrs, permErrs []error
	// The dedup writes of accepted requests complete before the queue
	// item is done (dedup.CommitAsync).
	var stored []func() error
	defer func() {
		for _, wait := range stored {
			if err := wait(); err != nil {
				e.logger.Warn("Purchase dedup storage write failed", zap.Error(err))
			}
		}
	}()
	for g, header := range headers {
		group := ordered[starts[g]:starts[g+1]]
		reqs, tooLarge, err := mp.PackEncoded(header, encoded[starts[g]:starts[g+1]])
		if err != nil {
			e.settle(ctx, group, false)
			e.tb.EventsDropped.Add(ctx, int64(len(group)), metadata.Reason(dropRejected))
			permErrs = append(permErrs, fmt.Errorf("encoding GA4 request: %w", err))
			continue
		}
		for _, i := range tooLarge {
			e.settle(ctx, group[i:i+1], false)
			e.tb.EventsDropped.Add(ctx, 1, metadata.Reason(dropTooLarge))
		}
		for _, req := range reqs {
			sent := eventsOf(group, req.Events)
			err := e.post(ctx, req.Body, len(req.Events))
			switch {
			case err == nil:
				if wait := e.settle(ctx, sent, !e.cfg.ValidationMode); wait != nil {
					stored = append(stored, wait)
				}
				if !e.cfg.ValidationMode {
					e.tb.EventsSent.Add(ctx, int64(len(sent)))
				}
			case consumererror.IsPermanent(err):
				e.settle(ctx, sent, false)
				e.tb.EventsDropped.Add(ctx, int64(len(sent)), metadata.Reason(dropRejected))
				permErrs = append(permErrs, err)
			default:
				e.settle(ctx, sent, false)
				retry = append(retry, sent...)
				retryErrs = append(retryErrs, err)
			}
		}
	}
	if len(permErrs) > 0 && len(retryErrs) > 0 {
		// A permanent error in the returned tree would make exporterhelper
		// drop the retryable part too, so the permanent ones are only logged.
		e.logger.Warn("GA4 rejected requests; their events are dropped", zap.Error(errors.Join(permErrs...)))
	}
	switch {
	case len(retryErrs) > 0:
		err := errors.Join(retryErrs...)
		// Keep a throttle hint (429 Retry-After) visible to exporterhelper.
		return &queueitem.Undelivered[queuedEvent]{Err: err, Items: retry}
	case len(permErrs) > 0:
		return consumererror.NewPermanent(errors.Join(permErrs...))
	}
	return nil
}

// eventsOf is the events of group at idx (increasing indexes): a
// sub-slice when they are contiguous (no event too large between them),
// the common case, else a copy.
func eventsOf(group []queuedEvent, idx []int) []queuedEvent {
	first, last := idx[0], idx[len(idx)-1]
	if last-first+1 == len(idx) {
		return group[first : last+1 : last+1]
	}
	sent := make([]queuedEvent, len(idx))
	for i, at := range idx {
		sent[i] = group[at]
	}
	return sent
}

// reserve applies purchase dedup: false means the transaction was already
// sent (or is being sent) within the window.
func (e *ga4Exporter) reserve(ctx context.Context, ev queuedEvent) bool {
	if e.dedup == nil || ev.transactionID == "" {
		return true
	}
	ok, err := e.dedup.Reserve(ctx, ev.transactionID)
	if err != nil {
		// GA4 also dedups web purchases by transaction_id, so sending is
		// the lesser harm than losing a purchase.
		e.logger.Warn("Purchase dedup storage lookup failed; sending", zap.Error(err))
		return true
	}
	if !ok {
		e.tb.Deduplicated.Add(ctx, 1)
	}
	return ok
}

// settle commits the dedup reservations of events GA4 accepted (in one
// storage write, whose wait it returns) and releases the others so that a
// retry may send them.
func (e *ga4Exporter) settle(ctx context.Context, events []queuedEvent, accepted bool) (wait func() error) {
	if e.dedup == nil {
		return nil
	}
	var sent []string
	for _, ev := range events {
		if ev.transactionID == "" {
			continue
		}
		if !accepted {
			e.dedup.Release(ev.transactionID)
			continue
		}
		sent = append(sent, ev.transactionID)
	}
	if len(sent) == 0 {
		return nil
	}
	return e.dedup.CommitAsync(ctx, sent...)
}

// post sends one body through httpdelivery, which classifies the answer:
// network errors, 408, 429 (with its Retry-After) and 5xx are retryable,
// other statuses permanent. Errors never quote the URL, which carries the
// API secret; the redacted URL names the endpoint.
func (e *ga4Exporter) post(ctx context.Context, body []byte, events int) error {
	resp, err := e.sender.Send(ctx, httpdelivery.Request{
		Events:      events,
		URL:         e.url,
		ContentType: "application/json",
		Header:      e.header,
		Body:        body,
		Redact:      e.redact,
	})
	if err != nil {
		outcome := "retryable"
		if d, ok := errors.AsType[*httpdelivery.Error](err); ok && !d.Retryable {
			outcome = "permanent"
		}
		e.tb.Requests.Add(ctx, 1, metadata.Outcome(outcome))
		return httpdelivery.ExporterError(fmt.Errorf("GA4 endpoint %s: %w", e.redactedURL, err))
	}
	e.tb.Requests.Add(ctx, 1, metadata.Outcome("success"))
	if e.cfg.ValidationMode {
		e.logValidation(ctx, resp.Body)
	}
	return nil
}

// spendKey names the destination in the spend figures: the endpoint's host
// (the query carries the API secret). The validation server is a
// destination of its own kind: it collects nothing.
func (e *ga4Exporter) spendKey() spend.Key {
	kind := "ga4"
	if e.cfg.ValidationMode {
		kind = "ga4_validation"
	}
	return httpdelivery.Destination(e.set.ID.String(), kind, e.url)
}

// validationResponse is the validation server's answer.
type validationResponse struct {
	ValidationMessages []struct {
		FieldPath      string `json:"fieldPath"`
		Description    string `json:"description"`
		ValidationCode string `json:"validationCode"`
	} `json:"validationMessages"`
}

func (e *ga4Exporter) logValidation(ctx context.Context, body []byte) {
	var vr validationResponse
	if err := json.Unmarshal(body, &vr); err != nil {
		e.logger.Warn("GA4 validation server answered with an unreadable body", zap.Error(err))
		return
	}
	if len(vr.ValidationMessages) == 0 {
		e.logger.Info("GA4 validation server accepted the request")
		return
	}
	e.tb.ValidationMessages.Add(ctx, int64(len(vr.ValidationMessages)))
	for _, m := range vr.ValidationMessages {
		e.logger.Warn("GA4 validation message",
			zap.String("field_path", m.FieldPath),
			zap.String("validation_code", m.ValidationCode),
			zap.String("description", m.Description))
	}
}
