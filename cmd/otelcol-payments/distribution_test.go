package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
)

// The distribution holds what builder-config.yaml promises.
func TestComponentsOfTheDistribution(t *testing.T) {
	f, err := components()
	require.NoError(t, err)
	assert.Subset(t, typeNames(f.Receivers), []string{"otlp", "kafka"})
	assert.Subset(t, typeNames(f.Processors), []string{"batch", "memory_limiter", "resource", "probabilistic_sampler", "piisanitizer", "paymentbi", "series_budget"})
	assert.Subset(t, typeNames(f.Exporters), []string{"debug", "otlp_grpc", "otlp_http", "prometheus", "prometheusremotewrite", "kafka", "sentry", "ga4", "alert", "dashboard", "otlp_split"})
	assert.Subset(t, typeNames(f.Extensions), []string{"health_check", "file_storage", "pprof", "zpages", "bearertokenauth", "noecho"})
	assert.Subset(t, typeNames(f.Connectors), []string{"span_metrics", "forward", "paymentbi", "threshold"})
}

func typeNames[F any](m map[component.Type]F) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k.String())
	}
	return out
}

// binary returns the distribution binary: the one `make test` built, or a
// fresh build into the test's temp dir when run with plain `go test`.
func binary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("OTELCOL_PAYMENTS_BINARY"); p != "" {
		return p
	}
	p := filepath.Join(t.TempDir(), "otelcol-payments")
	out, err := exec.Command("go", "build", "-o", p, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return p
}

func repoFile(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", rel))
	require.NoError(t, err)
	return p
}

func requirePortsFree(t *testing.T, ports ...string) {
	t.Helper()
	for _, p := range ports {
		l, err := net.Listen("tcp", "localhost:"+p)
		if err != nil {
			t.Fatalf("port %s is busy (is `make run` still running?): %v", p, err)
		}
		l.Close()
	}
}

// eventually polls an external process's endpoint until check passes.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The README's promise: the built binary starts on config/otelcol.yaml with
// no environment, answers on :4317/:4318/:13133/:8889, survives a malformed
// OTLP request, exports what an SDK sends, and shuts down cleanly on SIGTERM.
func TestBinaryRunsDefaultConfig(t *testing.T) {
	requirePortsFree(t, "4317", "4318", "13133", "8889", "8888", "8080")
	var output bytes.Buffer
	cmd := exec.Command(binary(t), "--config", repoFile(t, "config/otelcol.yaml"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	cmd.Dir = t.TempDir() // the profile keeps its state in ./data, as under `make run`
	cmd.Stdout, cmd.Stderr = &output, &output
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})

	eventually(t, "health check", func() bool { code, _ := get("http://localhost:13133/"); return code == 200 })

	// A malformed OTLP/HTTP request is rejected, not fatal.
	resp, err := http.Post("http://localhost:4318/v1/traces", "application/x-protobuf", strings.NewReader("\xff\xff not protobuf"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, err = http.Post("http://localhost:4318/v1/logs", "application/json", strings.NewReader(`{"resourceLogs":[{`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// Telemetry from the real SDK over OTLP gRPC reaches the Prometheus endpoint.
	ctx := context.Background()
	exp, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint("localhost:4317"), otlpmetricgrpc.WithInsecure())
	require.NoError(t, err)
	res := resource.NewSchemaless(attribute.String("service.name", "checkout-api"))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)), sdkmetric.WithResource(res))
	counter, err := mp.Meter("distribution-test").Int64Counter("checkout.requests")
	require.NoError(t, err)
	counter.Add(ctx, 7, metricAttr("route", "/checkout"))
	require.NoError(t, mp.Shutdown(ctx))

	eventually(t, "the SDK's counter on :8889/metrics", func() bool {
		_, body := get("http://localhost:8889/metrics")
		return strings.Contains(body, `checkout_requests_total{`) && strings.Contains(body, `route="/checkout"`) &&
			strings.Contains(body, "} 7")
	})
	code, _ := get("http://localhost:13133/")
	assert.Equal(t, 200, code, "still healthy after malformed input")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "collector output:\n%s", output.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("collector did not stop on SIGTERM:\n%s", output.String())
	}
	assert.Contains(t, output.String(), "Shutdown complete.")
}

// A malformed config names the offending field.
func TestValidateNamesTheBadField(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: localhost:0
processors:
  batch:
    send_batch_sizee: 10
exporters:
  debug: {}
service:
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [debug]}
`), 0o600))
	out, err := exec.Command(binary(t), "validate", "--config", bad).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "send_batch_sizee")
	assert.Contains(t, string(out), "batch")
}

func metricAttr(k, v string) metric.AddOption {
	return metric.WithAttributes(attribute.String(k, v))
}
