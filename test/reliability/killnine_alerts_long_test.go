//go:build long

package reliability

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

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

// kill -9 at random moments while alerts fire, on the gateway's alert path
// with a webhook and on the shipped default profile: every alert whose
// event was acknowledged is delivered after the restart (at least once).
func TestKillNineAtRandomMomentsKeepsFiredAlerts(t *testing.T) {
	t.Run("gateway_alert_path", testKillNineAlertsGatewayPath)
	t.Run("otelcol", testKillNineAlertsDefaultProfile)
}

const killRounds, killRoundEvents = 6, 30

// killAtRandomMoments runs killRounds processes from start, each sent up
// to killRoundEvents events (event(round, i) builds one and names it) and
// killed with SIGKILL 0–300 ms into the stream (seed logged). It returns
// the names of the acknowledged events.
func killAtRandomMoments(t *testing.T, start func() *exec.Cmd, addr string, event func(round, i int) (string, plog.Logs)) map[string]bool {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 13))
	acked := map[string]bool{}
	for round := range killRounds {
		proc := start()
		client := newLogsClient(t, addr)
		waitUntil(t, time.Minute, "the collector accepting OTLP", func() bool {
			return client.send(t.Context(), plainLog("probe")) == nil
		})
		var mu sync.Mutex
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := range killRoundEvents {
				name, ld := event(round, i)
				if client.send(t.Context(), ld) != nil {
					return // killed
				}
				mu.Lock()
				acked[name] = true
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
	if len(acked) == 0 {
		t.Fatal("no event was acknowledged before the kills")
	}
	return acked
}

// The gateway's alert path: none is delivered more than twice (once more
// only when the kill fell between the delivery and its state write).
func testKillNineAlertsGatewayPath(t *testing.T) {
	bin := binary(t)
	hook := newAlertSink(t)
	addr := e2e.FreeAddr(t)
	config := filepath.Join(t.TempDir(), "gateway.yaml")
	storage := t.TempDir()
	if err := os.WriteFile(config, []byte(alertStateProfile(addr, hook.URL, storage)), 0o600); err != nil {
		t.Fatal(err)
	}
	// payment.provider of every acknowledged failure
	acked := killAtRandomMoments(t, func() *exec.Cmd { return startBinary(t, bin, config) }, addr,
		func(round, i int) (string, plog.Logs) {
			p := fmt.Sprintf("prov-%d-%02d", round, i)
			return p, paymentFailure("checkout", p)
		})
	final := startBinary(t, bin, config)
	defer func() { _ = final.Process.Kill() }()
	want := len(acked) // the senders are done
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
	t.Logf("%d acknowledged alerts over %d kills, all delivered", want, killRounds)
}

// securityIncident builds a security.incident event, which the default
// profile's security_incident rule fires on at once, one alert per type.
func securityIncident(incidentType string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(contract.ServiceName, "auth")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	lr.SetEventName(contract.EventSecurity)
	lr.SetSeverityNumber(plog.SeverityNumberError)
	lr.Attributes().PutStr(contract.EventName, contract.EventSecurity)
	lr.Attributes().PutStr(contract.SecurityIncidentType, incidentType)
	return ld
}

// The shipped default profile (config/otelcol.yaml, ports and storage
// directory moved): its alerts go to the log channel and the dashboard.
// Every acknowledged incident's alert is notified in some process' log,
// and the dashboard of the last process lists it as firing.
func testKillNineAlertsDefaultProfile(t *testing.T) {
	bin := binary(t)
	p := prepareProfile(t, "otelcol")
	var logs []string
	acked := killAtRandomMoments(t, func() *exec.Cmd {
		cmd, log := startBinaryLogged(t, bin, p.config, p.env...)
		logs = append(logs, log)
		return cmd
	}, p.grpc, func(round, i int) (string, plog.Logs) {
		name := fmt.Sprintf("kill-r%d-e%02d", round, i)
		return name, securityIncident(name)
	})
	_, log := startBinaryLogged(t, bin, p.config, p.env...)
	logs = append(logs, log)
	// the log channel writes one JSON line per notification
	notified := func() map[string]bool {
		out := map[string]bool{}
		for _, path := range logs {
			data, _ := os.ReadFile(path)
			for _, line := range strings.Split(string(data), "\n") {
				var n struct {
					Msg    string `json:"msg"`
					Alerts []struct {
						Status, Labels string
					} `json:"alerts"`
				}
				if json.Unmarshal([]byte(line), &n) != nil || n.Msg != "alert notification" {
					continue
				}
				for _, a := range n.Alerts {
					if _, typ, ok := strings.Cut(a.Labels, contract.SecurityIncidentType+"="); ok && a.Status == contract.AlertFiring {
						typ, _, _ = strings.Cut(typ, ", ")
						out[typ] = true
					}
				}
			}
		}
		return out
	}
	onDashboard := func() map[string]bool {
		out := map[string]bool{}
		res, err := http.Get("http://" + p.dashboard + "/api/dashboard")
		if err != nil {
			return out
		}
		defer func() { _ = res.Body.Close() }()
		var d struct {
			Alerts []struct {
				Status string            `json:"status"`
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if json.NewDecoder(res.Body).Decode(&d) == nil {
			for _, a := range d.Alerts {
				if a.Status == contract.AlertFiring {
					out[a.Labels[contract.SecurityIncidentType]] = true
				}
			}
		}
		return out
	}
	missing := func(got map[string]bool) []string {
		var out []string
		for name := range acked {
			if !got[name] {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
	// Critical alerts of one group after its first notification follow at
	// the route's group_interval (1m).
	deadline := time.Now().Add(3 * time.Minute)
	for len(missing(notified())) > 0 || len(missing(onDashboard())) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("of %d acknowledged incidents, never notified: %v; not firing on the dashboard: %v",
				len(acked), missing(notified()), missing(onDashboard()))
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%d acknowledged alerts over %d kills, all notified and on the dashboard", len(acked), killRounds)
}
