//go:build long

package reliability

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/ga4test"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// shutdownBound is what the test allows SIGTERM: the components' default
// shutdown_timeout (10 s) plus the receivers, storage flush and process
// exit, under Kubernetes' 30 s grace period (docs/deployment.md).
const shutdownBound = 20 * time.Second

// slackHook is a Slack incoming webhook: 503 while down, else 200 "ok";
// it records the text of what it accepted.
type slackHook struct {
	*httptest.Server
	down    atomic.Bool
	refused atomic.Int64
	mu      sync.Mutex
	texts   []string
}

func newSlackHook(t *testing.T) *slackHook {
	s := &slackHook{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if s.down.Load() {
			s.refused.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var msg struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(body, &msg) != nil || msg.Text == "" {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.texts = append(s.texts, msg.Text)
		s.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *slackHook) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.texts...)
}

// smtpServer is an SMTP server (go-smtp) whose listener, while down,
// accepts connections and never answers: the worst kind of failing mail
// server, which holds each attempt until its timeout.
type smtpServer struct {
	addr  string
	down  atomic.Bool
	held  atomic.Int64
	mu    sync.Mutex
	mails []string
}

type holdingListener struct {
	net.Listener
	s *smtpServer
}

func (l holdingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.s.down.Load() {
			return c, err
		}
		l.s.held.Add(1)
		go func() { // hold until the client gives up
			_, _ = io.Copy(io.Discard, c)
			c.Close()
		}()
	}
}

func newSMTPServer(t *testing.T) *smtpServer {
	s := &smtpServer{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	go func() { _ = srv.Serve(holdingListener{Listener: ln, s: s}) }()
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }

type smtpSession struct{ s *smtpServer }

func (*smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (*smtpSession) Reset()                               {}
func (*smtpSession) Logout() error                        { return nil }
func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	ss.s.mu.Lock()
	ss.s.mails = append(ss.s.mails, string(b))
	ss.s.mu.Unlock()
	return err
}

func (s *smtpServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.mails...)
}

// rollingProfile is the gateway's delivery half with its defaults where
// they matter here: persistent queues and dedup for GA4 and Sentry, alert
// state and outbox in file_storage, Slack and email channels with the
// default back-off (5 min), no shutdown_timeout set (the default bound),
// and the dashboard keeping its alerts.
func rollingProfile(grpcAddr, dashAddr, ga4URL, sentryDSN, slackURL, smtpAddr, storage string) string {
	host, port, _ := net.SplitHostPort(smtpAddr)
	return profileHead(grpcAddr, storage) + `  paymentbi:
    reporting_currency: USD
connectors:` + criticalFailureRule + `
exporters:
  ga4:
    measurement_id: G-RELIABLE1
    api_secret: reliability-secret
    endpoint: ` + ga4URL + `
    sending_queue:
      storage: file_storage
      sizer: bytes
      queue_size: 268435456
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 500ms
      max_elapsed_time: 30m
    dedup:
      storage: file_storage
  sentry:
    dsn: ` + sentryDSN + `
    sending_queue:
      storage: file_storage
      sizer: bytes
      queue_size: 268435456
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 500ms
      max_elapsed_time: 15m
  alert:
    storage: file_storage
    sending_queue:
      storage: file_storage
    tick_interval: 50ms
    channels:
      ops_slack:
        slack:
          webhook_url: ` + slackURL + `
      ops_email:
        email:
          host: ` + host + `
          port: ` + port + `
          security: none
          from: alerts@example.com
          to: oncall@example.com
    receivers:
      payments_ops:
        channels: [ops_slack, ops_email]
    route:
      receiver: payments_ops
      group_by: [alert.name, service.name]
      group_wait: 0s
      group_interval: 1s
      repeat_interval: 4h
  dashboard:
    endpoint: ` + dashAddr + `
    timezone: UTC
    storage: file_storage
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [otlp]
      processors: [piisanitizer, paymentbi]
      exporters: [ga4, sentry, threshold]
    logs/alerts:
      receivers: [threshold]
      exporters: [alert, dashboard]
`
}

// A rolling deploy during an outage of every backend: SIGTERM ends the
// process within the bound although Slack refuses, the mail server hangs,
// GA4 and Sentry refuse; nothing is reported dropped; after the restart
// with healthy backends every purchase reaches GA4 once, every error
// event reaches Sentry, the alert reaches Slack and email, and the
// dashboard still shows it.
func TestRollingRestartDuringOutageLosesNothing(t *testing.T) {
	bin := binary(t)
	ga4 := ga4test.New(t, ga4test.WithCredentials("G-RELIABLE1", "reliability-secret"))
	ga4Proxy := newFlakyProxy(t, ga4.Config.Handler)
	sentry := &sentryEvents{ids: map[string]int{}}
	sentryProxy := newFlakyProxy(t, sentry)
	slack := newSlackHook(t)
	mail := newSMTPServer(t)
	for _, down := range []*atomic.Bool{&ga4Proxy.down, &sentryProxy.down, &slack.down, &mail.down} {
		down.Store(true)
	}
	addr, dashAddr := e2e.FreeAddr(t), e2e.FreeAddr(t)
	dsn := strings.Replace(sentryProxy.URL, "http://", "http://reliabilitypublickey@", 1) + "/42"
	config := filepath.Join(t.TempDir(), "gateway.yaml")
	storage := t.TempDir()
	if err := os.WriteFile(config, []byte(rollingProfile(addr, dashAddr, ga4Proxy.URL, dsn, slack.URL, mail.addr, storage)), 0o600); err != nil {
		t.Fatal(err)
	}
	first := startBinary(t, bin, config)
	logPath := first.Stdout.(*os.File).Name()
	client := newLogsClient(t, addr)
	waitUntil(t, 30*time.Second, "the gateway accepting OTLP", func() bool {
		return client.send(t.Context(), purchases("checkout", order{id: "probe", minor: 1, currency: "USD", customer: "cus_probe"})) == nil
	})
	const n, errorsSent = 200, 20
	for b := range n / 50 {
		var orders []order
		for i := range 50 {
			id := fmt.Sprintf("roll-%04d", b*50+i)
			orders = append(orders, order{id: id, minor: int64(700 + i), currency: "USD", customer: "cus_" + id})
		}
		client.mustSend(t, purchases("checkout", orders...))
	}
	client.mustSend(t, paymentErrors("checkout", errorsSent))
	client.mustSend(t, paymentFailure("checkout", "stripe"))
	waitUntil(t, 30*time.Second, "every backend failing", func() bool {
		return ga4Proxy.refused.Load() > 0 && sentryProxy.refused.Load() > 0 && slack.refused.Load() > 0 && mail.held.Load() > 0
	})

	stopAt := time.Now()
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("collector exited with %v", err)
		}
	case <-time.After(shutdownBound):
		// A goroutine dump in the collector log shows what holds it.
		_ = first.Process.Signal(syscall.SIGQUIT)
		<-exited
		t.Fatalf("SIGTERM not done after %s with every backend failing", shutdownBound)
	}
	t.Logf("SIGTERM to exit: %s", time.Since(stopAt).Round(10*time.Millisecond))
	stopLog, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Persistent queue kept for the next start", "Alert notifications kept in the outbox for the next start"} {
		if !strings.Contains(string(stopLog), want) {
			t.Errorf("shutdown log lacks %q", want)
		}
	}
	if strings.Contains(string(stopLog), "Dropping data") {
		t.Errorf("shutdown log reports dropped data although the queues are persistent")
	}

	for _, down := range []*atomic.Bool{&ga4Proxy.down, &sentryProxy.down, &slack.down, &mail.down} {
		down.Store(false)
	}
	startBinary(t, bin, config)
	waitUntil(t, 2*time.Minute, "every purchase at GA4 after the restart", func() bool { return len(purchaseIDs(ga4)) >= n+1 })
	waitUntil(t, time.Minute, "every error event at Sentry after the restart", func() bool { return sentry.distinct() >= errorsSent })
	waitUntil(t, time.Minute, "the alert on Slack and by email after the restart", func() bool {
		return len(slack.messages()) > 0 && len(mail.received()) > 0
	})
	for id, c := range purchaseIDs(ga4) {
		if c != 1 {
			t.Errorf("transaction %s delivered %d times", id, c)
		}
	}
	if got := len(purchaseIDs(ga4)); got != n+1 {
		t.Errorf("%d of %d purchases delivered", got, n+1)
	}
	if got := sentry.distinct(); got != errorsSent {
		t.Errorf("Sentry got %d distinct events, want %d", got, errorsSent)
	}
	if !strings.Contains(strings.Join(slack.messages(), "\n"), "critical_payment_failure") {
		t.Errorf("Slack got no critical_payment_failure alert: %q", slack.messages())
	}
	resp, err := http.Get("http://" + dashAddr + "/api/summary")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var summary struct {
		ActiveAlerts int `json:"active_alerts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&summary); err != nil {
		t.Fatal(err)
	}
	if summary.ActiveAlerts != 1 {
		t.Errorf("dashboard shows %d firing alerts after the restart, want 1", summary.ActiveAlerts)
	}
}
