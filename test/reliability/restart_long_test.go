//go:build long

package reliability

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/ga4test"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// binary is the distribution `make test-long` built, or a fresh build.
func binary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("OTELCOL_PAYMENTS_BINARY"); p != "" {
		return p
	}
	p := filepath.Join(t.TempDir(), "otelcol-payments")
	if out, err := exec.Command("go", "build", "-o", p, "../../cmd/otelcol-payments").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return p
}

// startBinary runs the distribution on config with a minimal environment
// plus env ("KEY=value"); its log goes to the test log on failure.
func startBinary(t *testing.T, bin, config string, env ...string) *exec.Cmd {
	t.Helper()
	cmd, _ := startBinaryLogged(t, bin, config, env...)
	return cmd
}

// startBinaryLogged is startBinary that also returns the path of the
// process' output.
func startBinaryLogged(t *testing.T, bin, config string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	return startBinaryArgsLogged(t, bin, []string{"--config", config, "--set", "service::telemetry::metrics::level=none"}, env...)
}

// startBinaryArgs is startBinary with the command line given whole (for a
// test that reads the collector's own telemetry).
func startBinaryArgs(t *testing.T, bin string, args []string, env ...string) *exec.Cmd {
	t.Helper()
	cmd, _ := startBinaryArgsLogged(t, bin, args, env...)
	return cmd
}

// startBinaryArgsLogged is startBinaryArgs that also returns the path of
// the process' output.
func startBinaryArgsLogged(t *testing.T, bin string, args []string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	config := args[len(args)-1]
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	logPath := filepath.Join(t.TempDir(), "collector.log")
	if f, err := os.Create(logPath); err == nil {
		cmd.Stdout, cmd.Stderr = f, f
		t.Cleanup(func() {
			f.Close()
			if t.Failed() {
				if data, err := os.ReadFile(logPath); err == nil {
					t.Logf("collector log (%s), last 4 KiB:\n%s", config, data[max(0, len(data)-4096):])
				}
			}
		})
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, logPath
}

// kill -9 the gateway binary while GA4 is down and its persistent queue
// holds a burst of purchases; after a restart on the same file_storage
// directory every purchase reaches GA4 exactly once.
func TestKillNineThenRestartDeliversEverything(t *testing.T) {
	bin := binary(t)
	ga4 := ga4test.New(t, ga4test.WithCredentials("G-RELIABLE1", "reliability-secret"))
	proxy := newFlakyProxy(t, ga4.Config.Handler)
	proxy.down.Store(true)
	hook := newAlertSink(t)
	addr := e2e.FreeAddr(t)
	config := filepath.Join(t.TempDir(), "gateway.yaml")
	storage := t.TempDir()
	if err := os.WriteFile(config, []byte(gatewayDeliveryProfile(addr, proxy.URL, hook.URL, storage)), 0o600); err != nil {
		t.Fatal(err)
	}
	first := startBinary(t, bin, config)
	client := newLogsClient(t, addr)
	waitUntil(t, 30*time.Second, "the gateway accepting OTLP", func() bool {
		return client.send(t.Context(), purchases("checkout", order{id: "probe", minor: 1, currency: "USD", customer: "cus_probe"})) == nil
	})
	const n = 500
	for b := range n / 50 {
		var orders []order
		for i := range 50 {
			id := fmt.Sprintf("kill-%04d", b*50+i)
			orders = append(orders, order{id: id, minor: int64(500 + i), currency: "USD", customer: "cus_" + id})
		}
		client.mustSend(t, purchases("checkout", orders...))
	}
	waitUntil(t, 30*time.Second, "GA4 refusing the burst", func() bool { return proxy.refused.Load() > 0 })
	if err := first.Process.Kill(); err != nil { // SIGKILL: no flush, no shutdown
		t.Fatal(err)
	}
	_ = first.Wait()

	proxy.down.Store(false)
	startBinary(t, bin, config)
	waitUntil(t, 2*time.Minute, "every purchase at GA4 after the restart", func() bool { return len(purchaseIDs(ga4)) >= n+1 })
	for id, c := range purchaseIDs(ga4) {
		if c != 1 {
			t.Errorf("transaction %s delivered %d times", id, c)
		}
	}
	if got := len(purchaseIDs(ga4)); got != n+1 {
		t.Errorf("%d of %d purchases delivered", got, n+1)
	}
}
