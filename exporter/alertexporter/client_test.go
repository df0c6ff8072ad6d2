package alertexporter

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.uber.org/zap/zaptest"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/webhook"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// privateCA is a CA made for the test, with a server certificate for
// 127.0.0.1 that it signed.
type privateCA struct {
	caFile string
	server tls.Certificate
}

func newPrivateCA(t *testing.T) privateCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "payments test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "alerts.internal"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	require.NoError(t, err)

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600))
	return privateCA{caFile: caFile, server: tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}}
}

// connectProxy is a forward proxy that tunnels CONNECT requests and records
// their targets.
type connectProxy struct {
	*httptest.Server
	mu      sync.Mutex
	targets []string
}

func newConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	p := &connectProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		p.mu.Lock()
		p.targets = append(p.targets, r.Host)
		p.mu.Unlock()
		upstream, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			upstream.Close()
			return
		}
		_, _ = conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		go func() {
			_, _ = io.Copy(upstream, buf)
			upstream.Close()
		}()
		_, _ = io.Copy(conn, upstream)
		conn.Close()
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *connectProxy) connects() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

// An alert channel reaches an HTTPS endpoint signed by a private CA through
// the company's forward proxy, both set under the channel's client key.
func TestChannelClientUsesProxyAndPrivateCA(t *testing.T) {
	ca := newPrivateCA(t)
	var (
		mu       sync.Mutex
		received []webhook.Message
	)
	endpoint := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg webhook.Message
		assert.NoError(t, json.NewDecoder(r.Body).Decode(&msg))
		mu.Lock()
		received = append(received, msg)
		mu.Unlock()
	}))
	endpoint.TLS = &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12}
	endpoint.StartTLS()
	t.Cleanup(endpoint.Close)
	proxy := newConnectProxy(t)

	run := func(t *testing.T, caFile string) *alertExporter {
		cfg := createDefaultConfig().(*Config)
		cfg.TickInterval = time.Hour // the test ticks by hand
		ch := newDefaultChannelConfig()
		ch.Webhook = &webhook.Config{URL: configopaque.String(endpoint.URL + "/hooks/ops")}
		ch.Client.ProxyURL = proxy.URL
		ch.Client.TLS.CAFile = caFile
		ch.RetryOnFailure.Enabled = false
		cfg.Channels = map[string]*ChannelConfig{"ops": &ch}
		cfg.Receivers = map[string]*ReceiverConfig{"ops": {Channels: []string{"ops"}}}
		cfg.Route.Receiver = "ops"
		cfg.Route.GroupBy = []string{contract.AlertName}
		noWait := time.Duration(0)
		cfg.Route.GroupWait = &noWait
		require.NoError(t, cfg.Validate())

		set := exportertest.NewNopSettings(metadata.Type)
		set.ID = component.NewIDWithName(metadata.Type, "proxy")
		set.Logger = zaptest.NewLogger(t)
		clk := clock.NewFake(t0)
		e, err := newAlertExporter(cfg, set, clk)
		require.NoError(t, err)
		require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
		t.Cleanup(func() { require.NoError(t, e.shutdown(context.Background())) })
		require.NoError(t, e.push(context.Background(), alertLogs(critical())))
		clk.Advance(time.Second)
		e.tick()
		e.deliverer.WaitIdle()
		return e
	}

	t.Run("without the CA the endpoint is not trusted", func(t *testing.T) {
		run(t, "")
		mu.Lock()
		defer mu.Unlock()
		assert.Empty(t, received)
		assert.Equal(t, []string{endpoint.Listener.Addr().String()}, proxy.connects(), "the request went through the proxy")
	})
	t.Run("with the CA the notification arrives through the proxy", func(t *testing.T) {
		run(t, ca.caFile)
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, received, 1)
		require.Len(t, received[0].Alerts, 1)
		assert.Equal(t, "PaymentsDown", received[0].Alerts[0].Labels["alertname"])
		assert.Len(t, proxy.connects(), 2, "one CONNECT per run, none bypassed")
	})
}
