//go:build long

package reliability

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// No silent loss between tiers when the next hop refuses a batch: the
// built binary on config/sidecar.yaml takes a batch of 50 purchases and
// one 2.4 MB record (within its edge limits) over OTLP/HTTP; the gateway
// accepts at most 1 MiB per message, so it refuses the whole batch
// (ResourceExhausted, permanent). The sidecar's otlp_split exporter sends
// the batch again in halves: every purchase arrives, and only the one
// record is dropped, counted and logged.
func TestRefusedBatchIsSplitBetweenTiers(t *testing.T) {
	gatewayGRPC := e2e.FreeAddr(t)
	e2e.Start(t, factories(), `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: `+gatewayGRPC+`
        max_recv_msg_size_mib: 1
processors:
  piisanitizer:
    hash_key: `+testHashKey+tierEdgeLimits+`
exporters:
  capture/split: {}
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [piisanitizer]
      exporters: [capture/split]
`)

	sidecarHTTP, health := e2e.FreeAddr(t), e2e.FreeAddr(t)
	_, telemetryPort, _ := strings.Cut(e2e.FreeAddr(t), ":")
	raw, err := os.ReadFile(repoFile(t, "config/sidecar.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	profile := strings.NewReplacer(
		"0.0.0.0:13133", health, "localhost:4317", e2e.FreeAddr(t), "localhost:4318", sidecarHTTP,
		"host: ${env:OTELCOL_TELEMETRY_HOST:-0.0.0.0}", "host: localhost", "port: ${env:OTELCOL_TELEMETRY_PORT:-8888}", "port: "+telemetryPort,
	).Replace(string(raw))
	config := filepath.Join(t.TempDir(), "sidecar.yaml")
	if err := os.WriteFile(config, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	startBinaryArgs(t, binary(t), []string{"--config", config},
		"GATEWAY_ENDPOINT="+gatewayGRPC, "GATEWAY_INSECURE=true", "PII_HASH_KEY="+testHashKey,
		"OTELCOL_STORAGE_DIR="+t.TempDir())
	waitUntil(t, 60*time.Second, "the sidecar's health check", func() bool {
		resp, err := http.Get("http://" + health + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	orders := make([]order, 50)
	for i := range orders {
		orders[i] = order{id: fmt.Sprintf("split-batch-%02d", i), minor: int64(2000 + i), currency: "USD", customer: fmt.Sprintf("cus_%02d", i)}
	}
	// the big record in the middle of the purchases
	ld := purchases("checkout", orders[:25]...)
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	big := lrs.AppendEmpty()
	big.SetEventName("checkout.debug_dump")
	for i := range 40 {
		big.Attributes().PutStr(fmt.Sprintf("dump.part%02d", i), strings.Repeat("z", 60_000))
	}
	purchases("checkout", orders[25:]...).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().MoveAndAppendTo(lrs)
	body, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	if err != nil {
		t.Fatal(err)
	}
	postJSONLogs(t, sidecarHTTP, body)

	gw := e2e.Sinks("split")
	gw.WaitFor(t, 60*time.Second, "every purchase at the gateway", func(c *e2e.Capture) bool { return c.LogRecordCount() >= 50 })
	dropped := func() float64 {
		v, _ := scrape("http://localhost:"+telemetryPort+"/metrics", "otelcol_exporter_otlp_split_dropped",
			`signal="logs"`, `code="ResourceExhausted"`)
		return v
	}
	waitUntil(t, 30*time.Second, "the dropped record counted", func() bool { return dropped() > 0 })
	got := map[string]int{}
	for _, l := range gw.Logs.AllLogs() {
		for _, rl := range l.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if id, ok := lr.Attributes().Get(contract.OrderID); ok {
						got[id.Str()]++
					}
					if lr.EventName() == "checkout.debug_dump" {
						t.Error("the record over the gateway's limit arrived")
					}
				}
			}
		}
	}
	for _, o := range orders {
		if got[o.id] != 1 {
			t.Errorf("purchase %s arrived %d times, want once", o.id, got[o.id])
		}
	}
	if n := dropped(); n != 1 {
		t.Errorf("otelcol_exporter_otlp_split_dropped = %v, want 1", n)
	}
}
