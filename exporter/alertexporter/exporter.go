package alertexporter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/api"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/alertmanager"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/discord"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/email"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/logchannel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/pagerduty"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/slack"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/sms"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/webhook"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/dispatch"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/channelhealth"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/shutdownbound"
	"github.com/otelcol-payments/otelcol-payments/internal/statestore"
)

type alertExporter struct {
	cfg    *Config
	set    exporter.Settings
	logger *zap.Logger
	clock  clock.Clock
	built  *built

	engine    *dispatch.Engine
	deliverer *dispatch.Deliverer
	store     *state.Store
	apiServer *api.Server
	// saveMu orders snapshot writes; savedSeq makes an older snapshot that
	// lost the race for saveMu never overwrite a newer one.
	saveMu   sync.Mutex
	savedSeq uint64

	stop     chan struct{}
	loopDone chan struct{}
	// logOutput is where log channels write (os.Stderr; tests replace it).
	logOutput zapcore.WriteSyncer

	telemetry *metadata.TelemetryBuilder
	// spendReport reports the channels' spend meters (spend.go).
	spendReport metric.Registration
}

func newAlertExporter(cfg *Config, set exporter.Settings, clk clock.Clock) (*alertExporter, error) {
	b, err := cfg.build()
	if err != nil {
		return nil, err
	}
	e := &alertExporter{cfg: cfg, set: set, logger: set.Logger, clock: clk, built: b, logOutput: os.Stderr}
	if e.telemetry, err = metadata.NewTelemetryBuilder(set.TelemetrySettings); err != nil {
		return nil, err
	}
	b.engine.OnFlapDamped = func() { e.telemetry.FlapsDamped.Add(context.Background(), 1) }
	return e, nil
}

func (e *alertExporter) newNotifier(ctx context.Context, host component.Host, name string, c *ChannelConfig) (channel.Notifier, error) {
	switch {
	case c.Email != nil:
		return email.New(ctx, c.Email)
	case c.Log != nil:
		return logchannel.New(c.Log, e.logOutput, zap.String("otelcol.component.id", e.set.ID.String()))
	}
	// The attempt timeout comes from the per-attempt context; client.timeout
	// bounds each request on top of it when set.
	client, err := c.Client.ToClient(ctx, host.GetExtensions(), e.set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	e.meterSpend(client, c)
	switch {
	case c.Slack != nil:
		return slack.New(c.Slack, client)
	case c.Discord != nil:
		return discord.New(c.Discord, client)
	case c.PagerDuty != nil:
		return pagerduty.New(c.PagerDuty, client)
	case c.SMS != nil:
		return sms.New(c.SMS, client)
	case c.Webhook != nil:
		return webhook.New(c.Webhook, client), nil
	case c.Alertmanager != nil:
		return alertmanager.New(c.Alertmanager, client, e.clock), nil
	}
	return nil, fmt.Errorf("channels.%s: no channel type", name)
}

func (e *alertExporter) start(ctx context.Context, host component.Host) error {
	shutdownbound.Reset()
	if err := e.reportSpend(); err != nil {
		return err
	}
	specs := make([]dispatch.ChannelSpec, 0, len(e.cfg.Channels))
	known := map[string]bool{}
	for name, c := range e.cfg.Channels {
		if c.disabled {
			e.logger.Info("alert channel disabled: optional and its destination is not set", zap.String("channel", name))
			continue
		}
		n, err := e.newNotifier(ctx, host, name, c)
		if err != nil {
			return fmt.Errorf("channels.%s: %w", name, err)
		}
		specs = append(specs, dispatch.ChannelSpec{Name: name, Notifier: n, Timeout: c.Timeout, Retry: c.RetryOnFailure})
		known[name] = true
	}
	e.deliverer = dispatch.NewDeliverer(specs, e.cfg.ChannelQueueSize, e.clock, e.logger, e.recordOutcome)
	// Channel health shows in the dashboard's /healthz and page.
	e.deliverer.ReportHealth(channelhealth.Default, e.set.ID.String())
	e.engine = dispatch.New(e.built.engine, e.clock, e.deliverer, e.logger)
	// The outbox entry goes (durably) only once the channel has it.
	e.deliverer.OnDone(func(n *channel.Notification) { e.save(e.engine.Delivered(n.ID)) })
	// Recipients already texted are persisted at once, so a crash before the
	// next recipient does not text them again after the restart.
	e.deliverer.OnProgress(func(n *channel.Notification) { e.save(e.engine.Progress(n.ID)) })

	if e.cfg.Storage != nil {
		client, err := statestore.Open(ctx, host, "storage", *e.cfg.Storage, component.KindExporter, e.set.ID, "alert_state")
		if err != nil {
			return err
		}
		e.store = state.NewStore(client)
		snap, err := e.store.Load(ctx)
		if err != nil {
			// A corrupt state must not keep alerting down; start empty.
			e.logger.Error("alert state not restored, starting empty", zap.Error(err))
		} else if snap != nil {
			if err := e.engine.Restore(snap); err != nil {
				e.logger.Error("alert state partly restored", zap.Error(err))
			}
			e.engine.FilterChannels(known)
			// Notifications queued or in flight when the process stopped.
			e.engine.Redeliver()
			e.logger.Info("alert state restored", zap.Int("alerts", len(snap.Alerts)), zap.Int("silences", len(snap.Silences)))
		}
	}
	if apiCfg := e.cfg.API.Get(); apiCfg != nil {
		srv, err := api.Start(ctx, apiCfg, host, e.set.TelemetrySettings, &apiBackend{e: e})
		if err != nil {
			return err
		}
		e.apiServer = srv
	}
	e.stop, e.loopDone = make(chan struct{}), make(chan struct{})
	go e.loop()
	return nil
}

func (e *alertExporter) loop() {
	defer close(e.loopDone)
	t := time.NewTicker(e.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.tick()
		}
	}
}

// tick runs the engine once and persists what changed.
func (e *alertExporter) tick() {
	e.save(e.engine.Tick())
}

func (e *alertExporter) save(snap *state.Snapshot) {
	if snap == nil || e.store == nil {
		return
	}
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	if snap.Seq != 0 && snap.Seq <= e.savedSeq {
		return
	}
	e.savedSeq = snap.Seq
	if err := e.store.Save(context.Background(), snap); err != nil {
		e.logger.Error("alert state not saved", zap.Error(err))
	}
}

// shutdown ends within shutdown_timeout of the start of the collector's
// shutdown: the deliverer stops retrying at once, and what the channels did
// not take by the deadline stays in the outbox for the next start.
func (e *alertExporter) shutdown(ctx context.Context) error {
	ctx, cancel := shutdownbound.Context(ctx, e.cfg.ShutdownTimeout)
	defer cancel()
	defer channelhealth.Default.Forget(e.set.ID.String())
	defer e.stopSpendReport()
	var errs []error
	if e.apiServer != nil {
		errs = append(errs, e.apiServer.Shutdown(ctx))
	}
	if e.stop != nil {
		close(e.stop)
		<-e.loopDone
	}
	if e.engine != nil {
		// Last evaluation so that due notifications go out, then persist.
		e.tick()
		if e.store != nil {
			e.save(e.engine.Snapshot())
		}
	}
	if e.deliverer != nil {
		if err := e.deliverer.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, err)
		}
	}
	if e.engine != nil {
		// What the channels could not deliver before the deadline stays in
		// the outbox for the next start.
		snap := e.engine.Snapshot()
		e.save(snap)
		e.logOutbox(snap)
	}
	if e.store != nil {
		// The store's last write is not cut short by the deadline.
		errs = append(errs, e.store.Close(context.WithoutCancel(ctx)))
	}
	return errors.Join(errs...)
}

// logOutbox says at shutdown what is left for the next start.
func (e *alertExporter) logOutbox(snap *state.Snapshot) {
	if snap == nil || len(snap.Pending) == 0 {
		return
	}
	if e.store == nil {
		e.logger.Warn("Alert notifications not delivered before shutdown are lost: no storage configured",
			zap.Int("notifications", len(snap.Pending)))
		return
	}
	e.logger.Info("Alert notifications kept in the outbox for the next start",
		zap.Int("notifications", len(snap.Pending)))
}

func (e *alertExporter) recordOutcome(ch string, outcome dispatch.Outcome, _ int) {
	e.telemetry.Notifications.Add(context.Background(), 1, metric.WithAttributes(
		attribute.String("channel", ch),
		attribute.String("channel_type", e.built.channels[ch]),
		attribute.String("outcome", string(outcome))))
}

// push decodes alert records and hands them to the engine. Log records that
// are not alerts (event.name != "alert") are skipped silently, so the exporter
// can sit in an application logs pipeline and pick up alerts that services
// send directly. Bad alert records are
// counted and logged by reason only (alert content may hold customer data);
// the good ones around them are kept. Nothing here is worth a retry, so
// push never fails the batch.
func (e *alertExporter) push(ctx context.Context, ld plog.Logs) error {
	var alerts []contract.Alert
	rejected := 0
	var firstErr error
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				if !contract.IsAlertRecord(lrs.At(k)) {
					continue
				}
				a, err := contract.AlertFromLogRecord(lrs.At(k))
				if err != nil {
					rejected++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				alerts = append(alerts, a)
			}
		}
	}
	dropped, err := e.engine.Ingest(alerts)
	if e.store != nil && len(alerts) > dropped {
		// Durable before push returns (and the queue forgets the batch), not
		// only at the next tick.
		e.save(e.engine.Snapshot())
	}
	if firstErr == nil {
		firstErr = err
	}
	if rejected += dropped; rejected > 0 {
		e.telemetry.RecordsRejected.Add(ctx, int64(rejected))
		e.logger.Warn("alert records rejected", zap.Int("count", rejected), zap.NamedError("first_reason", firstErr))
	}
	return nil
}

// apiBackend persists after every API mutation.
type apiBackend struct{ e *alertExporter }

func (b *apiBackend) Alerts() []dispatch.AlertView { return b.e.engine.Alerts() }
func (b *apiBackend) Silences() []route.Silence    { return b.e.engine.Silences() }
func (b *apiBackend) Now() time.Time               { return b.e.clock.Now() }

func (b *apiBackend) Acknowledge(fp, by string) error {
	snap, err := b.e.engine.Acknowledge(fp, by)
	b.e.save(snap)
	return err
}

func (b *apiBackend) Resolve(fp string) error {
	snap, err := b.e.engine.Resolve(fp)
	b.e.save(snap)
	return err
}

func (b *apiBackend) AddSilence(s route.Silence) (route.Silence, error) {
	s, snap, err := b.e.engine.AddSilence(s)
	b.e.save(snap)
	return s, err
}

func (b *apiBackend) ExpireSilence(id string) error {
	snap, err := b.e.engine.ExpireSilence(id)
	b.e.save(snap)
	return err
}
