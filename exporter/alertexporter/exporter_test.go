package alertexporter

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/api"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/alertmanager"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/logchannel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/slack"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/sms"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/webhook"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/escalation"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var storageID = component.MustNewIDWithName("file_storage", "alerts")

func alertLogs(alerts ...contract.Alert) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, a := range alerts {
		a.WriteTo(lrs.AppendEmpty())
	}
	return ld
}

func critical() contract.Alert {
	return contract.Alert{
		Name: "PaymentsDown", Status: contract.AlertFiring, Severity: contract.SeverityCritical,
		Labels: map[string]string{"service.name": "checkout"}, Summary: "no successful payment for 5m",
		StartsAt: t0, Value: math.NaN(), Threshold: math.NaN(),
	}
}

// testConfig: level 1 webhook "ops", level 2 webhook "oncall" after 10m.
func testConfig(opsURL, oncallURL string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Storage = &storageID
	cfg.TickInterval = time.Hour // the test ticks by hand
	wait, interval := 30*time.Second, 5*time.Minute
	cfg.Channels = map[string]*ChannelConfig{}
	for name, url := range map[string]string{"ops": opsURL, "oncall": oncallURL} {
		ch := newDefaultChannelConfig()
		ch.Webhook = &webhook.Config{URL: configopaque.String(url)}
		cfg.Channels[name] = &ch
	}
	cfg.Receivers = map[string]*ReceiverConfig{"ops": {Channels: []string{"ops"}, EscalationPolicy: "payments"}}
	cfg.EscalationPolicies = map[string]*escalation.PolicyConfig{"payments": {Levels: []escalation.LevelConfig{{Delay: 10 * time.Minute, Channels: []string{"oncall"}}}}}
	cfg.Route.Receiver = "ops"
	cfg.Route.GroupBy = []string{contract.AlertName}
	cfg.Route.GroupWait, cfg.Route.GroupInterval = &wait, &interval
	apiCfg := api.Config{ServerConfig: confighttp.NewDefaultServerConfig(), BearerToken: "0123456789abcdef-token"}
	apiCfg.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.API = configoptional.Some(apiCfg)
	return cfg
}

type running struct {
	e   *alertExporter
	clk *clock.Fake
}

func startExporter(t *testing.T, cfg *Config, clk *clock.Fake, storageExt extension.Extension) *running {
	t.Helper()
	require.NoError(t, cfg.Validate())
	set := exportertest.NewNopSettings(metadata.Type)
	set.ID = component.NewIDWithName(metadata.Type, "payments") // stable across the restart
	set.Logger = zaptest.NewLogger(t)
	e, err := newAlertExporter(cfg, set, clk)
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), storagetest.NewStorageHost().WithExtension(storageID, storageExt)))
	return &running{e: e, clk: clk}
}

// at moves the clock to t0+d, ticks, and waits for the deliveries.
func (r *running) at(d time.Duration) {
	r.clk.Advance(t0.Add(d).Sub(r.clk.Now()))
	r.e.tick()
	r.e.deliverer.WaitIdle()
}

// crash simulates kill -9: the process keeps nothing but what is on disk,
// and its file lock goes away. The dead exporter's goroutines are stopped at
// the end of the test without a flush.
func crash(t *testing.T, r *running, ext extension.Extension) {
	t.Helper()
	require.NoError(t, r.e.store.Close(context.Background()))
	require.NoError(t, ext.Shutdown(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = r.e.shutdown(ctx)
	})
}

func webhookAlerts(t *testing.T, srv *channeltest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		var msg webhook.Message
		require.NoError(t, json.Unmarshal(r.Body, &msg))
		for _, a := range msg.Alerts {
			out = append(out, a.Status+":"+a.Labels["alertname"])
		}
	}
	return out
}

func TestRestartKeepsEscalationAndDoesNotRepage(t *testing.T) {
	ops := channeltest.NewServer(t, channeltest.Response{Status: 200})
	oncall := channeltest.NewServer(t, channeltest.Response{Status: 200})
	dir := t.TempDir()
	clk := clock.NewFake(t0)

	ext := e2e.StartFileStorage(t, dir)
	r := startExporter(t, testConfig(ops.URL, oncall.URL), clk, ext)
	require.NoError(t, r.e.push(context.Background(), alertLogs(critical())))
	r.at(30 * time.Second)
	assert.Equal(t, []string{"firing:PaymentsDown"}, webhookAlerts(t, ops), "level 1")
	require.NoError(t, r.e.shutdown(context.Background()))
	require.NoError(t, ext.Shutdown(context.Background()))

	// Restart: new storage extension on the same directory, new exporter.
	ext = e2e.StartFileStorage(t, dir)
	defer func() { assert.NoError(t, ext.Shutdown(context.Background())) }()
	r = startExporter(t, testConfig(ops.URL, oncall.URL), clk, ext)
	require.NoError(t, r.e.push(context.Background(), alertLogs(critical()))) // the source re-sends
	r.at(5*time.Minute + 30*time.Second)
	assert.Len(t, ops.Requests(), 1, "no re-page after restart")
	r.at(10*time.Minute + 30*time.Second)
	assert.Equal(t, []string{"firing:PaymentsDown"}, webhookAlerts(t, oncall), "the pending escalation survived the restart")

	// The API: wrong token changes nothing; the right one acknowledges.
	base := "http://" + r.e.apiServer.Addr().String()
	fp := contract.ComputeFingerprint("PaymentsDown", map[string]string{"service.name": "checkout"})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/alerts/"+fp+"/ack", strings.NewReader(`{"by":"alice"}`))
	req.Header.Set("Authorization", "Bearer wrong-token-wrong-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.False(t, r.e.engine.Alerts()[0].Acked)

	req, _ = http.NewRequest(http.MethodPost, base+"/api/v1/alerts/"+fp+"/ack", strings.NewReader(`{"by":"alice"}`))
	req.Header.Set("Authorization", "Bearer 0123456789abcdef-token")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	r.e.deliverer.WaitIdle()
	assert.True(t, r.e.engine.Alerts()[0].Acked)
	assert.Len(t, ops.Requests(), 2, "the acknowledgement is announced where it was paged")

	resolved := critical()
	resolved.Status, resolved.EndsAt = contract.AlertResolved, clk.Now()
	require.NoError(t, r.e.push(context.Background(), alertLogs(resolved)))
	r.at(15*time.Minute + 30*time.Second)
	assert.Equal(t, []string{"firing:PaymentsDown", "acknowledged:PaymentsDown", "resolved:PaymentsDown"}, webhookAlerts(t, oncall)) // the ack is explicit, not a second "firing"
	require.NoError(t, r.e.shutdown(context.Background()))
}

// A plain application log is not an alert: skipped without counting, so the
// exporter can sit in an application logs pipeline. A record that claims to
// be an alert but is malformed is counted.
func TestPushRejectsBadRecordsKeepsGoodOnes(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	cfg := logOnlyConfig()
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	e, err := newAlertExporter(cfg, set, clock.NewFake(t0))
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, e.shutdown(context.Background())) }()

	ld := alertLogs(critical())
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	lrs.AppendEmpty().Body().SetStr("just a log line")
	bad := lrs.AppendEmpty()
	critical().WriteTo(bad)
	bad.Attributes().PutStr(contract.AlertSeverity, "apocalyptic")
	require.NoError(t, e.push(context.Background(), ld))

	assert.Len(t, e.engine.Alerts(), 1)
	m, err := tel.GetMetric("otelcol_exporter_alert_records_rejected")
	require.NoError(t, err)
	sum := m.Data.(metricdata.Sum[int64])
	assert.Equal(t, int64(1), sum.DataPoints[0].Value)
}

func TestFactoryLifecycle(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	cfg := logOnlyConfig()
	exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeLogs(context.Background(), alertLogs(critical())))
	require.NoError(t, exp.Shutdown(context.Background()))
}

type logConfig = logchannel.Config

// logOnlyConfig is the default config with one log channel.
func logOnlyConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	lc := newDefaultChannelConfig()
	lc.Log = &logConfig{}
	cfg.Channels = map[string]*ChannelConfig{"log": &lc}
	cfg.Receivers = map[string]*ReceiverConfig{"default": {Channels: []string{"log"}}}
	cfg.Route.Receiver = "default"
	return cfg
}

// A crash (no shutdown) while a page is queued or in flight must not lose
// it: the restarted exporter sends it again. Once it is delivered, a further
// restart does not send it a third time.
func TestCrashBeforeDeliveryRedeliversAfterRestart(t *testing.T) {
	arrived := make(chan struct{}, 16)
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer hung.Close()
	defer close(release)
	oncall := channeltest.NewServer(t, channeltest.Response{Status: 200})
	dir := t.TempDir()

	clk1 := clock.NewFake(t0)
	ext1 := e2e.StartFileStorage(t, dir)
	r1 := startExporter(t, testConfig(hung.URL, oncall.URL), clk1, ext1)
	require.NoError(t, r1.e.push(context.Background(), alertLogs(critical())))
	clk1.Advance(30 * time.Second)
	r1.e.tick()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("level-1 page never reached the channel")
	}
	crash(t, r1, ext1)

	ok := channeltest.NewServer(t, channeltest.Response{Status: 200})
	ext2 := e2e.StartFileStorage(t, dir)
	r2 := startExporter(t, testConfig(ok.URL, oncall.URL), clock.NewFake(clk1.Now()), ext2)
	r2.at(31 * time.Second)
	assert.Equal(t, []string{"firing:PaymentsDown"}, webhookAlerts(t, ok), "the page in flight at the crash is sent after the restart")
	r2.at(5*time.Minute + 30*time.Second)
	assert.Len(t, ok.Requests(), 1, "sent once")
	require.NoError(t, r2.e.shutdown(context.Background()))
	require.NoError(t, ext2.Shutdown(context.Background()))

	ext3 := e2e.StartFileStorage(t, dir)
	defer func() { assert.NoError(t, ext3.Shutdown(context.Background())) }()
	r3 := startExporter(t, testConfig(ok.URL, oncall.URL), clock.NewFake(t0.Add(6*time.Minute)), ext3)
	r3.at(6*time.Minute + 30*time.Second)
	assert.Len(t, ok.Requests(), 1, "a delivered page is not sent again after another restart")
	require.NoError(t, r3.e.shutdown(context.Background()))
}

// An alert the exporter accepted is on disk before push returns: a crash
// before the next tick does not lose it.
func TestCrashBeforeTickKeepsIngestedAlert(t *testing.T) {
	assert.Equal(t, []string{"firing:PaymentsDown"}, notifiedAfterCrash(t, critical()))
}

// notifiedAfterCrash pushes a, kills the exporter before its first tick,
// restarts it on the same storage and returns what level 1 was notified of
// by group_wait.
func notifiedAfterCrash(t *testing.T, a contract.Alert) []string {
	t.Helper()
	ops := channeltest.NewServer(t, channeltest.Response{Status: 200})
	oncall := channeltest.NewServer(t, channeltest.Response{Status: 200})
	dir := t.TempDir()
	ext1 := e2e.StartFileStorage(t, dir)
	r1 := startExporter(t, testConfig(ops.URL, oncall.URL), clock.NewFake(t0), ext1)
	require.NoError(t, r1.e.push(context.Background(), alertLogs(a)))
	require.NoError(t, r1.e.store.Close(context.Background())) // kill -9
	require.NoError(t, ext1.Shutdown(context.Background()))
	defer func() { _ = r1.e.shutdown(context.Background()) }()

	ext2 := e2e.StartFileStorage(t, dir)
	defer func() { assert.NoError(t, ext2.Shutdown(context.Background())) }()
	r2 := startExporter(t, testConfig(ops.URL, oncall.URL), clock.NewFake(t0), ext2)
	r2.at(30 * time.Second)
	got := webhookAlerts(t, ops)
	require.NoError(t, r2.e.shutdown(context.Background()))
	return got
}

// An application's alert.value of +Inf has no JSON form; before it was
// read as unknown, every state save failed ("alert state not saved") as
// long as the alert was active, so a crash lost every alert, not only it.
func TestInfiniteAlertValueDoesNotStopStateSaves(t *testing.T) {
	a := critical()
	a.Value = math.Inf(1)
	assert.Equal(t, []string{"firing:PaymentsDown"}, notifiedAfterCrash(t, a))
}

// Channels send times in UTC; a starts_at of 9999-12-31T23:59:59-23:59 is
// year 10000 there, which JSON cannot carry, and the webhook post of the
// whole group failed: the good alert next to it was never paged.
func TestAlertWithTimeBeyondYear9999DoesNotFailItsGroup(t *testing.T) {
	ops := channeltest.NewServer(t, channeltest.Response{Status: 200})
	oncall := channeltest.NewServer(t, channeltest.Response{Status: 200})
	ext := e2e.StartFileStorage(t, t.TempDir())
	defer func() { assert.NoError(t, ext.Shutdown(context.Background())) }()
	r := startExporter(t, testConfig(ops.URL, oncall.URL), clock.NewFake(t0), ext)
	good, odd := critical(), critical()
	good.Labels = map[string]string{"service.name": "checkout"}
	odd.Labels = map[string]string{"service.name": "cart"}
	ld := alertLogs(good, odd)
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1).Attributes().PutStr(contract.AlertStartsAt, "9999-12-31T23:59:59-23:59")
	require.NoError(t, r.e.push(context.Background(), ld))
	r.at(30 * time.Second)
	assert.Equal(t, []string{"firing:PaymentsDown", "firing:PaymentsDown"}, webhookAlerts(t, ops))
	require.NoError(t, r.e.shutdown(context.Background()))
}

// The alertmanager channel end to end: firing alerts are posted with
// endsAt = now + 4 × resend_interval and re-posted every resend_interval,
// Slack in the same receiver only per repeat_interval; the resolve is posted
// once with the real endsAt.
func TestAlertmanagerResendKeepsAlertFiring(t *testing.T) {
	am := channeltest.NewServer(t, channeltest.Response{Status: 200})
	sl := channeltest.NewServer(t, channeltest.Response{Status: 200, Body: "ok"})
	cfg := createDefaultConfig().(*Config)
	cfg.TickInterval = time.Hour // the test ticks by hand
	amCh, slCh := newDefaultChannelConfig(), newDefaultChannelConfig()
	amCh.Alertmanager = &alertmanager.Config{URL: configopaque.String(am.URL), ResendInterval: time.Minute}
	slCh.Slack = &slack.Config{WebhookURL: configopaque.String(sl.URL)}
	cfg.Channels = map[string]*ChannelConfig{"am": &amCh, "slack": &slCh}
	cfg.Receivers = map[string]*ReceiverConfig{"ops": {Channels: []string{"slack", "am"}}}
	wait, interval, repeat := time.Duration(0), 5*time.Minute, 10*time.Minute
	cfg.Route = route.Config{Receiver: "ops", GroupBy: []string{contract.AlertName}, GroupWait: &wait, GroupInterval: &interval, RepeatInterval: &repeat}

	clk := clock.NewFake(t0)
	r := startExporter(t, cfg, clk, nil)
	defer func() { assert.NoError(t, r.e.shutdown(context.Background())) }()
	// endsAt of each post, as clock time.
	posts := func() []string {
		var out []string
		for _, req := range am.Requests() {
			var body []alertmanager.PostableAlert
			require.NoError(t, json.Unmarshal(req.Body, &body))
			require.Len(t, body, 1)
			out = append(out, body[0].EndsAt.UTC().Format("15:04:05"))
		}
		return out
	}

	require.NoError(t, r.e.push(context.Background(), alertLogs(critical())))
	r.at(0)
	assert.Equal(t, []string{"09:04:00"}, posts(), "t0: endsAt t0+4m")
	assert.Len(t, sl.Requests(), 1)
	for m := 1; m <= 12; m++ {
		r.at(time.Duration(m) * time.Minute)
	}
	got := posts()
	require.Len(t, got, 13, "one post a minute")
	for m, p := range got {
		assert.Equal(t, t0.Add(time.Duration(m+4)*time.Minute).Format("15:04:05"), p, "post at t0+%dm", m)
	}
	assert.Len(t, sl.Requests(), 2, "Slack only at t0 and at repeat_interval (t0+10m)")

	resolved := critical()
	resolved.Status, resolved.EndsAt = contract.AlertResolved, t0.Add(12*time.Minute+10*time.Second)
	require.NoError(t, r.e.push(context.Background(), alertLogs(resolved)))
	for _, d := range []time.Duration{13, 14, 15, 16, 17, 20} {
		r.at(d * time.Minute)
	}
	got = posts()
	require.Len(t, got, 14, "exactly one more post: the resolve at the t0+15m flush, then nothing")
	assert.Equal(t, "09:12:10", got[13], "the real endsAt")
	assert.Len(t, sl.Requests(), 3, "Slack gets the resolve")
}

// twilio answers 201 and records the recipients; when hangFor is set, a
// message to that number hangs (after signalling arrived) until released.
type twilio struct {
	srv     *httptest.Server
	mu      sync.Mutex
	to      []string
	hangFor string
	arrived chan struct{}
	release chan struct{}
}

func newTwilio(t *testing.T, hangFor string) *twilio {
	tw := &twilio{hangFor: hangFor, arrived: make(chan struct{}, 1), release: make(chan struct{})}
	tw.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !assert.NoError(t, r.ParseForm()) {
			return
		}
		to := r.PostForm.Get("To")
		if to == tw.hangFor {
			tw.arrived <- struct{}{}
			select {
			case <-tw.release:
			case <-r.Context().Done():
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		tw.mu.Lock()
		tw.to = append(tw.to, to)
		tw.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(func() { close(tw.release); tw.srv.Close() })
	return tw
}

func (tw *twilio) recipients() []string {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return append([]string(nil), tw.to...)
}

func smsConfig(url, oncallURL string) *Config {
	cfg := testConfig(url, oncallURL)
	ch := newDefaultChannelConfig()
	ch.SMS = &sms.Config{AccountSID: "AC123", AuthToken: "tok", From: "+15005550006", To: "+4915100000001,+4915100000002", URL: url}
	cfg.Channels["ops"] = &ch
	return cfg
}

// A crash while texting the second recipient: after the restart the page
// is texted to the second recipient only, since the first one's delivery
// was persisted with the outbox entry.
func TestCrashMidSMSTextsOnlyRemainingRecipientsAfterRestart(t *testing.T) {
	oncall := channeltest.NewServer(t, channeltest.Response{Status: 200})
	dir := t.TempDir()
	tw1 := newTwilio(t, "+4915100000002")

	clk1 := clock.NewFake(t0)
	ext1 := e2e.StartFileStorage(t, dir)
	r1 := startExporter(t, smsConfig(tw1.srv.URL, oncall.URL), clk1, ext1)
	require.NoError(t, r1.e.push(context.Background(), alertLogs(critical())))
	clk1.Advance(30 * time.Second)
	r1.e.tick()
	select {
	case <-tw1.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the second text never reached Twilio")
	}
	assert.Equal(t, []string{"+4915100000001"}, tw1.recipients())
	crash(t, r1, ext1) // while the second text is in flight

	tw2 := newTwilio(t, "")
	ext2 := e2e.StartFileStorage(t, dir)
	defer func() { assert.NoError(t, ext2.Shutdown(context.Background())) }()
	r2 := startExporter(t, smsConfig(tw2.srv.URL, oncall.URL), clock.NewFake(clk1.Now()), ext2)
	r2.at(31 * time.Second)
	assert.Equal(t, []string{"+4915100000002"}, tw2.recipients(), "only the recipient without the text gets it after the restart")
	require.NoError(t, r2.e.shutdown(context.Background()))
}

// SIGTERM while a channel hangs: shutdown ends at shutdown_timeout instead
// of waiting on the channel's retries, the page stays in the outbox and the
// log says so, and the next start delivers it once.
func TestShutdownWithHungChannelIsBoundedAndKeepsOutbox(t *testing.T) {
	arrived := make(chan struct{}, 16)
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		// The server notices the client going away only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	defer hung.Close()
	oncall := channeltest.NewServer(t, channeltest.Response{Status: 200})
	dir := t.TempDir()

	clk1 := clock.NewFake(t0)
	ext1 := e2e.StartFileStorage(t, dir)
	cfg := testConfig(hung.URL, oncall.URL)
	cfg.ShutdownTimeout = 200 * time.Millisecond
	cfg.Channels["ops"].Timeout = time.Hour
	core, logs := observer.New(zap.InfoLevel)
	r1 := startExporter(t, cfg, clk1, ext1)
	r1.e.logger = zap.New(core)
	r1.e.deliverer.SetLogger(r1.e.logger)
	require.NoError(t, r1.e.push(context.Background(), alertLogs(critical())))
	clk1.Advance(30 * time.Second)
	r1.e.tick()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("level-1 page never reached the channel")
	}
	done := make(chan error, 1)
	go func() { done <- r1.e.shutdown(context.Background()) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("shutdown waits on the hung channel")
	}
	require.NoError(t, ext1.Shutdown(context.Background()))
	kept := logs.FilterMessage("Alert notifications kept in the outbox for the next start").All()
	require.Len(t, kept, 1)
	assert.EqualValues(t, 1, kept[0].ContextMap()["notifications"])
	assert.Zero(t, logs.FilterMessage("alert notification failed").Len())

	ok := channeltest.NewServer(t, channeltest.Response{Status: 200})
	ext2 := e2e.StartFileStorage(t, dir)
	defer func() { assert.NoError(t, ext2.Shutdown(context.Background())) }()
	r2 := startExporter(t, testConfig(ok.URL, oncall.URL), clock.NewFake(clk1.Now()), ext2)
	r2.at(31 * time.Second)
	assert.Equal(t, []string{"firing:PaymentsDown"}, webhookAlerts(t, ok), "the page kept at shutdown is sent after the restart")
	r2.at(5*time.Minute + 30*time.Second)
	assert.Len(t, ok.Requests(), 1, "sent once")
	require.NoError(t, r2.e.shutdown(context.Background()))
}
