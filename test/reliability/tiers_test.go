package reliability

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// tierEdgeLimits is the piisanitizer edge_limits block of the profiles.
const tierEdgeLimits = `
    edge_limits:
      max_depth: 16
      max_attributes: 128
      max_value_bytes: 65536
      drop_forbidden_metric_attributes: true
      normalize_span_names: true`

// No silent loss between tiers: a record nested 100 levels deep (OTLP/JSON
// has no nesting limit, the protobuf hop to the gateway refuses it) inside a
// batch of purchases, sent to a sidecar over OTLP/HTTP JSON, reaches the
// gateway with every purchase; the poison record arrives truncated.
func TestPoisonRecordDoesNotSinkItsBatchBetweenTiers(t *testing.T) {
	gatewayGRPC, sidecarHTTP := e2e.FreeAddr(t), e2e.FreeAddr(t)
	e2e.Start(t, factories(), `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: `+gatewayGRPC+`
processors:
  piisanitizer:
    hash_key: `+testHashKey+tierEdgeLimits+`
exporters:
  capture/tiers: {}
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [piisanitizer]
      exporters: [capture/tiers]
`)
	e2e.Start(t, e2e.WithExporters(factories(), otlpexporter.NewFactory()), `
receivers:
  otlp:
    protocols:
      http:
        endpoint: `+sidecarHTTP+`
processors:
  piisanitizer:
    hash_key: `+testHashKey+tierEdgeLimits+`
  batch:
    timeout: 100ms
exporters:
  otlp_grpc/gateway:
    endpoint: `+gatewayGRPC+`
    tls: {insecure: true}
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [piisanitizer, batch]
      exporters: [otlp_grpc/gateway]
`)

	orders := make([]order, 50)
	for i := range orders {
		orders[i] = order{id: fmt.Sprintf("poison-batch-%02d", i), minor: int64(1000 + i), currency: "USD", customer: fmt.Sprintf("cus_%02d", i)}
	}
	ld := purchases("checkout", orders...)
	poison := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty()
	m := poison.Attributes().PutEmptyMap("nested")
	for range 100 {
		m = m.PutEmptyMap("n")
	}
	body, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, bytes.Repeat([]byte(`{"kvlistValue":{"values":[{"key":"n","value":`), 100)) {
		t.Fatal("the JSON body does not carry the 100-level nesting")
	}
	postJSONLogs(t, sidecarHTTP, body)

	gw := e2e.Sinks("tiers")
	gw.WaitFor(t, 30*time.Second, "the batch at the gateway", func(c *e2e.Capture) bool { return c.LogRecordCount() >= 51 })
	got := map[string]bool{}
	for _, l := range gw.Logs.AllLogs() {
		lrs := l.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for i := 0; i < lrs.Len(); i++ {
			if id, ok := lrs.At(i).Attributes().Get(contract.OrderID); ok {
				got[id.Str()] = true
			}
		}
	}
	for _, o := range orders {
		if !got[o.id] {
			t.Errorf("purchase %s lost between sidecar and gateway", o.id)
		}
	}
	if gw.LogRecordCount() != 51 {
		t.Errorf("gateway got %d records, want 50 purchases and the truncated poison record", gw.LogRecordCount())
	}
}

// postJSONLogs posts an OTLP/JSON logs body to a collector's OTLP/HTTP
// endpoint and wants 200.
func postJSONLogs(t *testing.T, addr string, body []byte) {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/v1/logs", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s answered %d: %s", addr, resp.StatusCode, reply)
	}
}
