package ga4exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/dedup"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mp"
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

const maxResponseBytes = 1 << 20

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

	mu            sync.Mutex
	refs          int
	client        *http.Client
	storageClient storage.Client
}

// exporters shares one ga4Exporter per component config between signals.
var exporters = struct {
	sync.Mutex
	m map[*Config]*ga4Exporter
}{m: map[*Config]*ga4Exporter{}}

func newExporter(set exporter.Settings, cfg *Config, now func() time.Time) (*ga4Exporter, error) {
	exporters.Lock()
	defer exporters.Unlock()
	if e, ok := exporters.m[cfg]; ok {
		return e, nil
	}
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
	exporters.m[cfg] = e
	return e, nil
}

func (e *ga4Exporter) start(ctx context.Context, host component.Host) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refs++
	if e.refs > 1 {
		return nil
	}
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.set.TelemetrySettings)
	if err != nil {
		return err
	}
	if e.wrapTransport != nil {
		client.Transport = e.wrapTransport(client.Transport)
	}
	e.client = client
	if e.dedup != nil && e.cfg.Dedup.Storage != nil {
		if e.storageClient, err = statestore.Open(ctx, host, "dedup::storage", *e.cfg.Dedup.Storage, component.KindExporter, e.set.ID, "dedup"); err != nil {
			return err
		}
		if err := e.dedup.Load(ctx, e.storageClient); err != nil {
			return fmt.Errorf("dedup::storage: loading sent transaction ids: %w", err)
		}
	}
	return nil
}

// shutdown runs after exporterhelper has drained the queue.
func (e *ga4Exporter) shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refs == 0 {
		return nil
	}
	e.refs--
	if e.refs > 0 {
		return nil
	}
	exporters.Lock()
	delete(exporters.m, e.cfg)
	exporters.Unlock()
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	if e.storageClient != nil {
		return e.storageClient.Close(ctx)
	}
	return nil
}

// mappedEvent is a GA4 event and the index of the source record (log record
// or span event, counted in iteration order) it came from.
type mappedEvent struct {
	src int
	res mapping.Result
}

func (e *ga4Exporter) mapEvent(ctx context.Context, in mapping.Input, now time.Time) (mapping.Result, bool) {
	res, drop, ok := e.mapper.Map(in, now)
	if !ok {
		return res, false
	}
	if drop != "" {
		e.tb.EventsDropped.Add(ctx, 1, metadata.Reason(drop))
		return res, false
	}
	if res.Truncated > 0 {
		e.tb.ValuesTruncated.Add(ctx, int64(res.Truncated))
	}
	for reason, n := range res.ParamsDropped {
		e.tb.ParamsDropped.Add(ctx, int64(n), metadata.Reason(reason))
	}
	return res, true
}

type group struct {
	header mp.Header
	events []mappedEvent
}

// send delivers mapped events. It returns the source indexes worth retrying
// with a retryable error, or a permanent error when nothing is worth it.
func (e *ga4Exporter) send(ctx context.Context, events []mappedEvent) (retry map[int]bool, err error) {
	// One client_id (and user_id and consent) per request.
	var groups []*group
	byHeader := map[mp.Header]*group{}
	for _, ev := range events {
		if !e.reserve(ctx, ev) {
			continue
		}
		g, ok := byHeader[ev.res.Header]
		if !ok {
			g = &group{header: ev.res.Header}
			byHeader[ev.res.Header] = g
			groups = append(groups, g)
		}
		g.events = append(g.events, ev)
	}

	var retryErrs, permErrs []error
	for _, g := range groups {
		gaEvents := make([]mp.Event, len(g.events))
		for i, ev := range g.events {
			gaEvents[i] = ev.res.Event
		}
		reqs, tooLarge, err := mp.Pack(g.header, gaEvents)
		if err != nil {
			e.settle(ctx, g.events, false)
			e.tb.EventsDropped.Add(ctx, int64(len(g.events)), metadata.Reason(dropRejected))
			permErrs = append(permErrs, fmt.Errorf("encoding GA4 request: %w", err))
			continue
		}
		for _, i := range tooLarge {
			e.settle(ctx, g.events[i:i+1], false)
			e.tb.EventsDropped.Add(ctx, 1, metadata.Reason(dropTooLarge))
		}
		for _, req := range reqs {
			sent := make([]mappedEvent, len(req.Events))
			for i, idx := range req.Events {
				sent[i] = g.events[idx]
			}
			err := e.post(ctx, req.Body)
			switch {
			case err == nil:
				e.settle(ctx, sent, !e.cfg.ValidationMode)
				if !e.cfg.ValidationMode {
					e.tb.EventsSent.Add(ctx, int64(len(sent)))
				}
			case consumererror.IsPermanent(err):
				e.settle(ctx, sent, false)
				e.tb.EventsDropped.Add(ctx, int64(len(sent)), metadata.Reason(dropRejected))
				permErrs = append(permErrs, err)
			default:
				e.settle(ctx, sent, false)
				if retry == nil {
					retry = map[int]bool{}
				}
				for _, ev := range sent {
					retry[ev.src] = true
				}
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
		return retry, errors.Join(retryErrs...)
	case len(permErrs) > 0:
		return nil, consumererror.NewPermanent(errors.Join(permErrs...))
	}
	return nil, nil
}

// reserve applies purchase dedup: false means the transaction was already
// sent (or is being sent) within the window.
func (e *ga4Exporter) reserve(ctx context.Context, ev mappedEvent) bool {
	if e.dedup == nil || ev.res.TransactionID == "" {
		return true
	}
	ok, err := e.dedup.Reserve(ctx, ev.res.TransactionID)
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

// settle commits the dedup reservations of events GA4 accepted and releases
// the others so that a retry may send them.
func (e *ga4Exporter) settle(ctx context.Context, events []mappedEvent, accepted bool) {
	if e.dedup == nil {
		return
	}
	for _, ev := range events {
		if ev.res.TransactionID == "" {
			continue
		}
		if !accepted {
			e.dedup.Release(ev.res.TransactionID)
			continue
		}
		if err := e.dedup.Commit(ctx, ev.res.TransactionID); err != nil {
			e.logger.Warn("Purchase dedup storage write failed", zap.Error(err))
		}
	}
}

// post sends one body. Errors are redacted (the URL holds the API secret)
// and classified: network errors, 408, 429 and 5xx are retryable, other
// statuses permanent.
func (e *ga4Exporter) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return consumererror.NewPermanent(e.redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", e.userAgent)
	resp, err := e.client.Do(req)
	if err != nil {
		e.tb.Requests.Add(ctx, 1, metadata.Outcome("retryable"))
		return fmt.Errorf("sending GA4 request: %w", e.redact(err))
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))

	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		e.tb.Requests.Add(ctx, 1, metadata.Outcome("success"))
		if e.cfg.ValidationMode {
			e.logValidation(ctx, respBody)
		}
		return nil
	case code == http.StatusTooManyRequests:
		e.tb.Requests.Add(ctx, 1, metadata.Outcome("retryable"))
		err := fmt.Errorf("GA4 endpoint %s answered %d", e.redactedURL, code)
		return exporterhelper.NewThrottleRetry(err, retryAfter(resp.Header.Get("Retry-After")))
	case code == http.StatusRequestTimeout || code >= 500:
		e.tb.Requests.Add(ctx, 1, metadata.Outcome("retryable"))
		return fmt.Errorf("GA4 endpoint %s answered %d", e.redactedURL, code)
	default:
		e.tb.Requests.Add(ctx, 1, metadata.Outcome("permanent"))
		return consumererror.NewPermanent(fmt.Errorf("GA4 endpoint %s answered %d: %s", e.redactedURL, code, e.redactString(strings.TrimSpace(string(respBody[:min(len(respBody), 512)])))))
	}
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

// redact removes the API secret from an error: net/http errors quote the
// request URL, which carries the secret in its query.
func (e *ga4Exporter) redact(err error) error {
	if urlErr, ok := errors.AsType[*url.Error](err); ok {
		urlErr.URL = e.redactedURL
	}
	msg := err.Error()
	if red := e.redactString(msg); red != msg {
		return errors.New(red)
	}
	return err
}

func (e *ga4Exporter) redactString(s string) string {
	if e.secret == "" {
		return s
	}
	s = strings.ReplaceAll(s, e.secret, "REDACTED")
	return strings.ReplaceAll(s, url.QueryEscape(e.secret), "REDACTED")
}

// retryAfter parses a Retry-After header in seconds; 0 lets the backoff decide.
func retryAfter(h string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}
