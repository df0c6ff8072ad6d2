package dashboardexporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/store"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/view"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/web"
	"github.com/otelcol-payments/otelcol-payments/internal/channelhealth"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/shutdownbound"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
	"github.com/otelcol-payments/otelcol-payments/internal/statestore"
)

// maxResolvedAlerts bounds the recently-resolved list.
const maxResolvedAlerts = 50

// dashboard is the state behind one dashboard exporter ID: the store, the
// alert book and the HTTP server. Its metrics and logs exporters share it.
type dashboard struct {
	cfg     *Config
	set     component.TelemetrySettings
	now     func() time.Time
	store   *store.Store
	alerts  *store.Alerts
	builder *view.Builder

	mu        sync.Mutex
	server    *http.Server
	served    chan struct{}
	startedAt time.Time

	invalidAlerts atomic.Int64
	otherRecords  atomic.Int64

	warnMu        sync.Mutex
	warnedEvicted int64 // EvictedSeries at the last warning
	warnedAt      time.Time
	id            component.ID
	// client keeps the alert book when storage is configured; saveMu
	// orders the writes so an older book never overwrites a newer one.
	client storage.Client
	saveMu sync.Mutex

	// contributors add insights to the executive summary.
	contributors []view.SummaryContributor
	// stopDigest ends the daily digest's scheduler; digestDone closes
	// when it has.
	stopDigest func()
	digestDone chan struct{}
}

// summary is the executive summary of GET /api/summary and the digest.
func (d *dashboard) summary() view.Summary {
	return view.BuildSummary(d.builder.Dashboard(), d.contributors...)
}

// startDigest schedules the daily digest when digest.url is set.
func (d *dashboard) startDigest(ctx context.Context, host component.Host) error {
	if d.cfg.Digest.URL == "" {
		return nil
	}
	client, err := d.cfg.Digest.Client.ToClient(ctx, host.GetExtensions(), d.set)
	if err != nil {
		return fmt.Errorf("digest.client: %w", err)
	}
	g := newDigester(d.cfg.Digest, d.store.Location(), client, d.summary, d.now, d.set.Logger)
	g.health, g.component = channelhealth.Default, d.id.String()
	runCtx, cancel := context.WithCancel(context.Background())
	d.stopDigest, d.digestDone = cancel, make(chan struct{})
	go func() {
		defer close(d.digestDone)
		g.run(runCtx)
	}()
	d.set.Logger.Info("daily digest scheduled", zap.String("at", d.cfg.Digest.At), zap.String("timezone", d.cfg.Timezone))
	return nil
}

// alertsKey is the alert book's key in the storage client.
const alertsKey = "alerts"

// alertsFormat is the envelope of the persisted alert book (gob); releases
// before the envelope wrote version 1 bare.
var alertsFormat = statestore.Format{Name: "dashboardexporter.alerts", Version: 1, Unversioned: 1}

func newDashboard(cfg *Config, set component.TelemetrySettings, now func() time.Time) (*dashboard, error) {
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone: %w", err)
	}
	thresholds := make([]view.Threshold, len(cfg.LatencyThresholds))
	for i, t := range cfg.LatencyThresholds {
		re, err := regexp.Compile(t.Match)
		if err != nil {
			return nil, fmt.Errorf("latency_thresholds[%d].match: %w", i, err)
		}
		thresholds[i] = view.Threshold{Category: t.Category, Match: re, Threshold: t.Threshold}
	}
	currency, err := contract.NormalizeCurrency(cfg.ReportingCurrency)
	if err != nil {
		return nil, fmt.Errorf("reporting_currency: %w", err)
	}
	window := int((cfg.LatencyWindow + time.Minute - 1) / time.Minute)
	st := store.New(store.Config{
		Location: loc, Now: now, MaxSeries: cfg.MaxSeries, HistogramWindow: window,
		Keep: readsMetric(cfg.SpanMetricsNamespace),
	})
	alerts := store.NewAlerts(now, cfg.MaxAlerts, maxResolvedAlerts)
	d := &dashboard{cfg: cfg, set: set, now: now, store: st, alerts: alerts}
	d.builder = view.NewBuilder(view.Options{
		Currency:    currency,
		DailyTarget: cfg.Targets.Daily, MonthlyTarget: cfg.Targets.Monthly,
		Thresholds:           thresholds,
		LowStock:             cfg.LowStockThreshold,
		LatencyWindow:        cfg.LatencyWindow,
		SpanMetricsNamespace: cfg.SpanMetricsNamespace,
		Refresh:              cfg.RefreshInterval,
		StaleAfter:           cfg.StaleAfter,
		Channels:             channelhealth.Default.Snapshot,
		Spend:                spend.Default.Snapshot,
	}, st, alerts)
	return d, nil
}

// readsMetric selects the metrics the dashboard reads: the contract's
// business metrics and the span metrics under the configured namespace.
// An app's own metrics in the same pipeline would otherwise take series
// places and, in a flood, evict the business series.
func readsMetric(spanMetricsNamespace string) func(string) bool {
	prefix := spanMetricsNamespace + "."
	return func(name string) bool {
		if strings.HasPrefix(name, prefix) {
			return true
		}
		_, ok := contract.LookupMetric(name)
		return ok
	}
}

func (d *dashboard) consumeMetrics(_ context.Context, md pmetric.Metrics) error {
	d.store.AddMetrics(md)
	d.warnEvictions()
	return nil
}

// warnEvictions logs, at most once a minute, that the store is full and
// evicting: a cardinality flood or a max_series too small.
func (d *dashboard) warnEvictions() {
	evicted := d.store.Stats().EvictedSeries
	d.warnMu.Lock()
	defer d.warnMu.Unlock()
	now := d.now()
	if evicted == d.warnedEvicted || now.Sub(d.warnedAt) < time.Minute {
		return
	}
	d.set.Logger.Warn("dashboard store full: least recently updated series evicted (raise max_series or lower metric cardinality)",
		zap.Int64("evicted_since_last_warning", evicted-d.warnedEvicted), zap.Int("max_series", d.cfg.MaxSeries))
	d.warnedEvicted, d.warnedAt = evicted, now
}

// consumeLogs keeps alert records; other records are counted and ignored,
// so the exporter can sit in a logs pipeline carrying business events too.
func (d *dashboard) consumeLogs(ctx context.Context, ld plog.Logs) error {
	applied := 0
	defer func() {
		if applied > 0 {
			// On disk before the alerts are acknowledged upstream.
			d.saveAlerts(ctx)
		}
	}()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				if !contract.IsAlertRecord(lr) {
					d.otherRecords.Add(1)
					continue
				}
				a, err := contract.AlertFromLogRecord(lr)
				if err != nil {
					d.invalidAlerts.Add(1)
					d.set.Logger.Debug("dropping invalid alert record", zap.Error(err))
					continue
				}
				d.alerts.Apply(a)
				applied++
			}
		}
	}
	return nil
}

// Start serves the dashboard; the metrics and logs exporters of the ID
// start it once, through sharedcomponent.
func (d *dashboard) Start(ctx context.Context, host component.Host) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	shutdownbound.Reset()
	if err := d.restoreAlerts(ctx, host); err != nil {
		return err
	}
	ln, err := d.cfg.ServerConfig.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("dashboard: listen on %s: %w", d.cfg.NetAddr.Endpoint, err)
	}
	handler := web.Handler(web.Options{
		Token:        string(d.cfg.BearerToken),
		AllowedHosts: d.cfg.AllowedHosts,
		Dashboard:    func() any { return d.builder.Dashboard() },
		Summary:      func() any { return d.summary() },
		Health:       d.health,
		Ack:          d.ack,
	})
	srv, err := d.cfg.ServerConfig.ToServer(ctx, host.GetExtensions(), d.set, handler)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("dashboard: server: %w", err)
	}
	d.server, d.served, d.startedAt = srv, make(chan struct{}), d.now()
	go func() {
		defer close(d.served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.set.Logger.Error("dashboard server stopped", zap.Error(err))
		}
	}()
	d.set.Logger.Info("dashboard serving", zap.String("url", "http://"+ln.Addr().String()+"/"))
	return d.startDigest(ctx, host)
}

// Shutdown stops the server; it runs once both exporters of the ID have
// shut down. Open requests get until shutdown_timeout; the alert book is
// saved last.
func (d *dashboard) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopDigest != nil {
		d.stopDigest()
		<-d.digestDone
		d.stopDigest = nil
	}
	var errs []error
	if d.server != nil {
		ctx, cancel := shutdownbound.Context(ctx, d.cfg.ShutdownTimeout)
		defer cancel()
		if err := d.server.Shutdown(ctx); err != nil {
			// Requests still open at the deadline are cut.
			errs = append(errs, d.server.Close())
		}
		<-d.served
		d.server = nil
	}
	if d.client != nil {
		d.saveAlerts(context.WithoutCancel(ctx))
		errs = append(errs, d.client.Close(context.WithoutCancel(ctx)))
		d.client = nil
	}
	return errors.Join(errs...)
}

// restoreAlerts opens the storage client and loads the alert book, so the
// dashboard shows the alerts that fired before a restart.
func (d *dashboard) restoreAlerts(ctx context.Context, host component.Host) error {
	if d.cfg.Storage == nil {
		return nil
	}
	client, err := statestore.Open(ctx, host, "storage", *d.cfg.Storage, component.KindExporter, d.id, "dashboard")
	if err != nil {
		return err
	}
	d.client = client
	b, err := client.Get(ctx, alertsKey)
	switch {
	case err != nil:
		d.set.Logger.Error("dashboard alerts not restored, starting empty", zap.Error(err))
	case b != nil:
		if b, err = alertsFormat.Decode(b); err == nil {
			err = d.alerts.RestoreState(b)
		}
		if err != nil {
			// A corrupt book must not keep the dashboard down.
			d.set.Logger.Error("dashboard alerts not restored, starting empty", zap.Error(err))
		} else {
			d.set.Logger.Info("dashboard alerts restored", zap.Int("firing", len(d.alerts.Active())))
		}
	}
	return nil
}

// saveAlerts writes the alert book when storage is configured.
func (d *dashboard) saveAlerts(ctx context.Context) {
	if d.client == nil {
		return
	}
	d.saveMu.Lock()
	defer d.saveMu.Unlock()
	b, err := d.alerts.MarshalState()
	if err == nil {
		err = d.client.Set(ctx, alertsKey, alertsFormat.Encode(b))
	}
	if err != nil {
		d.set.Logger.Error("dashboard alerts not saved", zap.Error(err))
	}
}

// ack acknowledges on the dashboard and persists the acknowledgement.
func (d *dashboard) ack(fingerprint string) bool {
	ok := d.alerts.Ack(fingerprint)
	if ok {
		d.saveAlerts(context.Background())
	}
	return ok
}

// Health is the document of GET /healthz. It answers 200 whenever the
// exporter runs: no traffic is not a reason for a liveness probe to restart
// the collector. Per-pipeline component status is health_check's job.
type Health struct {
	Status         string               `json:"status"`
	StartedAt      time.Time            `json:"started_at"`
	LastDataAt     *time.Time           `json:"last_data_at"`
	DataAgeSeconds *float64             `json:"data_age_seconds"`
	DataFlowing    bool                 `json:"data_flowing"`
	Sources        map[string]time.Time `json:"sources"`
	Components     map[string]string    `json:"components"`
	Store          store.Stats          `json:"store"`
	ActiveAlerts   int                  `json:"active_alerts"`
	DroppedAlerts  int64                `json:"dropped_alerts"`
	InvalidAlerts  int64                `json:"invalid_alert_records"`
	IgnoredRecords int64                `json:"ignored_log_records"`
	// Channels is the delivery health of every outbound channel of the
	// collector; a failing one also shows in components.
	Channels []channelhealth.State `json:"channels"`
}

func (d *dashboard) health() (int, any) {
	now := d.store.Now()
	ds := view.InZone(d.builder.DataStatus(), d.store.Location())
	h := Health{
		Status:     "ok",
		StartedAt:  d.startedAt.In(d.store.Location()),
		LastDataAt: ds.LastDataAt, DataFlowing: ds.Flowing, Sources: ds.Sources,
		Components:     map[string]string{"dashboard": "ok", "store": "ok"},
		Store:          d.store.Stats(),
		ActiveAlerts:   len(d.alerts.Active()),
		DroppedAlerts:  d.alerts.Dropped(),
		InvalidAlerts:  d.invalidAlerts.Load(),
		IgnoredRecords: d.otherRecords.Load(),
	}
	if ds.LastDataAt != nil {
		age := now.Sub(*ds.LastDataAt).Seconds()
		h.DataAgeSeconds = &age
	}
	if !ds.Flowing {
		h.Status = "no_data"
	}
	h.Channels = channelhealth.Default.Snapshot()
	for i, c := range h.Channels {
		h.Channels[i].Since = c.Since.In(d.store.Location())
		if c.Status == channelhealth.StatusFailing {
			h.Components["channel/"+c.Component+"/"+c.Channel] = "failing: " + c.Hint
		}
	}
	if h.Store.EvictedSeries > 0 {
		h.Components["store"] = "full: least recently updated series evicted; raise max_series or lower metric cardinality"
	}
	return http.StatusOK, h
}
