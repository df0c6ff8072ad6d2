//go:build long

package reliability

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// alertStateProfile is the gateway's alert path with its state in
// file_storage: threshold firing state, the alert exporter's queue, state
// and outbox.
func alertStateProfile(grpcAddr, alertURL, storage string) string {
	return profileHead(grpcAddr, storage) + `connectors:` + criticalFailureRule + `
    storage: file_storage
exporters:` + alertExporterYAML(alertURL) + `
    storage: file_storage
    sending_queue:
      storage: file_storage
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [otlp]
      processors: [piisanitizer]
      exporters: [threshold]
    logs/alerts:
      receivers: [threshold]
      exporters: [alert]
`
}

// kill -9 at random moments while alerts fire: every alert whose event was
// acknowledged is delivered after the restart (at least once), and none is
// delivered more than twice (once more only when the kill fell between the
// delivery and its state write).
func TestKillNineAtRandomMomentsKeepsFiredAlerts(t *testing.T) {
	bin := binary(t)
	hook := newAlertSink(t)
	addr := e2e.FreeAddr(t)
	config := filepath.Join(t.TempDir(), "gateway.yaml")
	storage := t.TempDir()
	if err := os.WriteFile(config, []byte(alertStateProfile(addr, hook.URL, storage)), 0o600); err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 13))
	const rounds, perRound = 6, 30
	acked := map[string]bool{} // payment.provider of every acknowledged failure
	for round := range rounds {
		proc := startBinary(t, bin, config)
		client := newLogsClient(t, addr)
		waitUntil(t, 30*time.Second, "the collector accepting OTLP", func() bool {
			return client.send(t.Context(), plainLog("probe")) == nil
		})
		var mu sync.Mutex
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := range perRound {
				p := fmt.Sprintf("prov-%d-%02d", round, i)
				if client.send(t.Context(), paymentFailure("checkout", p)) != nil {
					return // killed
				}
				mu.Lock()
				acked[p] = true
				mu.Unlock()
			}
		}()
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond) // the random moment of the kill
		if err := proc.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = proc.Wait()
		<-done
	}
	final := startBinary(t, bin, config)
	defer func() { _ = final.Process.Kill() }()
	want := len(acked) // the senders are done
	if want == 0 {
		t.Fatal("no failure event was acknowledged before the kills")
	}
	delivered := func() map[string]int {
		out := map[string]int{}
		for _, l := range hook.labelsOf(contract.AlertFiring) {
			out[l["payment_provider"]]++ // Prometheus label names
		}
		return out
	}
	missing := func() []string {
		d := delivered()
		var out []string
		for p := range acked {
			if d[p] == 0 {
				out = append(out, p)
			}
		}
		slices.Sort(out)
		return out
	}
	deadline := time.After(time.Minute)
	for len(missing()) > 0 {
		hook.mu.Lock()
		changed := hook.changed
		hook.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%d of %d acknowledged alerts never delivered: %v", len(missing()), want, missing())
		}
	}
	for p, n := range delivered() {
		if n > 2 {
			t.Errorf("alert for %s delivered %d times", p, n)
		}
	}
	t.Logf("%d acknowledged alerts over %d kills, all delivered", want, rounds)
}
