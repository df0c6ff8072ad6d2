package perf

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/ga4test"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// BenchmarkGatewayCPU runs the built distribution (OTELCOL_PAYMENTS_BINARY)
// as a separate process on three set-ups — a passthrough collector
// (otlp → batch → debug), the default profile config/otelcol.yaml and the
// gateway profile config/gateway.yaml itself (file_storage on a temp dir,
// persistent queues, every backend a local sink) — and replays the
// recorded simulator load into each. It measures the collector process's
// CPU time (/proc/PID/stat utime+stime) per span over trace-only passes and
// per log record over log-only passes, until the process is idle again (the
// queues drained to the sinks), and its peak RSS (VmHWM). Rounds alternate
// the order of the set-ups; the medians and their ratios to the passthrough
// are printed and reported.
//
//	make build && OTELCOL_PAYMENTS_BINARY=$PWD/bin/otelcol-payments \
//	  go test -run '^$' -bench BenchmarkGatewayCPU -benchtime 1x -timeout 20m ./test/perf/
//
// BENCH_E2E_CONFIG_ROOT (default the repository) is where config/ is taken
// from; BENCH_E2E_COMPARE_ROOT, when set, adds the gateway profile of that
// tree as a fourth set-up (gateway-cmp), run with the same binary;
// BENCH_E2E_COMPARE_BINARY, when set, adds the gateway profile run with
// that binary (gateway-bin), so a code change is compared within one run.
// BENCH_E2E_ROUNDS (default 5) and BENCH_E2E_GATEWAY_PASSES (passes per
// signal and round, default 2) size the run; BENCH_E2E_PROFILE_DIR, when
// set, receives a CPU and an allocation profile (<set-up>-cpu.pprof,
// <set-up>-allocs.pprof) of each set-up named in BENCH_E2E_PROFILE_SETUPS
// (comma-separated, default gateway; the pprof extension is added to the
// default profile for it), taken in the first round after the measured
// passes under BENCH_E2E_PROFILE_SIGNAL: traces, logs or both (default;
// BENCH_E2E_PROFILE_LOGS=1 is the older spelling of logs).
func BenchmarkGatewayCPU(b *testing.B) {
	bin := os.Getenv("OTELCOL_PAYMENTS_BINARY")
	if bin == "" {
		b.Skip("OTELCOL_PAYMENTS_BINARY is not set (make bench-e2e builds the binary and sets it)")
	}
	rounds := envInt(b, "BENCH_E2E_ROUNDS", 5)
	passes := envInt(b, "BENCH_E2E_GATEWAY_PASSES", 2)
	profileDir := os.Getenv("BENCH_E2E_PROFILE_DIR")
	profileSetups := strings.Split(cmp.Or(os.Getenv("BENCH_E2E_PROFILE_SETUPS"), "gateway"), ",")
	// The profiles are copied once, so an edit during the run changes no
	// round; BENCH_E2E_CONFIG_ROOT points at another tree's config/ for
	// trying a profile change.
	src := os.Getenv("BENCH_E2E_CONFIG_ROOT")
	if src == "" {
		src = filepath.Join("..", "..")
	}
	configRoot = b.TempDir()
	if err := os.CopyFS(filepath.Join(configRoot, "config"), os.DirFS(filepath.Join(src, "config"))); err != nil {
		b.Fatal(err)
	}
	l := recordedLoad(b)
	sinks := newProcessSinks(b)
	setups := []setup{
		{name: "passthrough", files: nil, overlay: passthroughProcessConfig},
		{name: "default", files: []string{"config/otelcol.yaml"}, overlay: func(p *processPorts, s *processSinks) string {
			if profileDir != "" && slices.Contains(profileSetups, "default") {
				return defaultProfilingOverlay(p, s)
			}
			return defaultOverlay(p, s)
		}},
		{name: "gateway", files: []string{"config/gateway.yaml"}, overlay: gatewayOverlay},
	}
	// BENCH_E2E_COMPARE_ROOT adds that tree's gateway profile as a fourth
	// set-up, so a profile change is compared within one run.
	if cmpRoot := os.Getenv("BENCH_E2E_COMPARE_ROOT"); cmpRoot != "" {
		if err := os.CopyFS(filepath.Join(configRoot, "compare", "config"), os.DirFS(filepath.Join(cmpRoot, "config"))); err != nil {
			b.Fatal(err)
		}
		setups = append(setups, setup{name: "gateway-cmp", files: []string{"compare/config/gateway.yaml"}, overlay: gatewayOverlay})
	}
	if cmpBin := os.Getenv("BENCH_E2E_COMPARE_BINARY"); cmpBin != "" {
		setups = append(setups, setup{name: "gateway-bin", binary: cmpBin, files: []string{"config/gateway.yaml"}, overlay: gatewayOverlay})
	}
	results := map[string][]processResult{}
	pass := 0
	for r := range rounds {
		order := slices.Clone(setups)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, s := range order {
			prof := ""
			if profileDir != "" && r == 0 && slices.Contains(profileSetups, s.name) {
				prof = profileDir
			}
			res := runProcess(b, cmp.Or(s.binary, bin), s, sinks, l, passes, &pass, prof)
			results[s.name] = append(results[s.name], res)
			// Printed, not logged: the benchmark log keeps only ten lines.
			fmt.Printf("round %d %-11s %7.0f ns/span %7.0f ns/record  peak RSS %5.1f MiB\n", r+1, s.name, res.perSpan, res.perRecord, res.peakRSS/(1<<20))
		}
	}
	if sinks.ga4Delivered() == 0 || sinks.sentry.envelopes.Load() == 0 || sinks.tracing.Load() == 0 {
		b.Fatalf("gateway sinks: %d GA4 requests, %d Sentry envelopes, %d spans at the tracing backend; want all > 0",
			sinks.ga4Delivered(), sinks.sentry.envelopes.Load(), sinks.tracing.Load())
	}
	base := summarize(results["passthrough"])
	var out strings.Builder
	fmt.Fprintf(&out, "\nmedian of %d alternated rounds, %d passes per signal (%d spans, %d log records per pass), collector process only\n", rounds, passes, l.spans, l.records)
	fmt.Fprintf(&out, "| set-up | CPU per span | × passthrough | CPU per log record | × passthrough | peak RSS | × passthrough |\n|---|---|---|---|---|---|---|\n")
	for _, s := range setups {
		m := summarize(results[s.name])
		fmt.Fprintf(&out, "| %s | %.1f µs | %.2f | %.1f µs | %.2f | %.0f MiB | %.2f |\n", s.name,
			m.perSpan/1e3, m.perSpan/base.perSpan, m.perRecord/1e3, m.perRecord/base.perRecord, m.peakRSS/(1<<20), m.peakRSS/base.peakRSS)
		if s.name != "passthrough" {
			b.ReportMetric(m.perSpan/base.perSpan, s.name+"_x_span")
			b.ReportMetric(m.perRecord/base.perRecord, s.name+"_x_record")
			b.ReportMetric(m.peakRSS/base.peakRSS, s.name+"_x_rss")
		}
	}
	fmt.Fprintf(&out, "sinks over all runs: %d GA4 events in %d requests, %d Sentry envelopes, %d spans at the tracing backend\n",
		len(sinks.ga4.Events()), sinks.ga4Delivered(), sinks.sentry.envelopes.Load(), sinks.tracing.Load())
	fmt.Print(out.String())
	b.ReportMetric(base.perSpan, "passthrough_ns/span")
	b.ReportMetric(base.perRecord, "passthrough_ns/record")
}

// configRoot holds the copy of config/ the run uses.
var configRoot string

type setup struct {
	name string
	// binary, when set, replaces OTELCOL_PAYMENTS_BINARY for this set-up.
	binary string
	// files are the repository profiles given as --config, before overlay.
	files   []string
	overlay func(p *processPorts, s *processSinks) string
}

type processResult struct {
	perSpan, perRecord float64 // CPU ns
	peakRSS            float64 // bytes
}

func summarize(rs []processResult) processResult {
	med := func(f func(processResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return processResult{
		perSpan:   med(func(r processResult) float64 { return r.perSpan }),
		perRecord: med(func(r processResult) float64 { return r.perRecord }),
		peakRSS:   med(func(r processResult) float64 { return r.peakRSS }),
	}
}

// processSinks are the local stand-ins for every backend the gateway
// profile sends to: Sentry, GA4 (ga4test, which checks each request against
// GA4's limits in this process, not in the measured one), the tracing
// backend (OTLP gRPC), and the alert channels (Slack, PagerDuty, Twilio as
// one HTTP endpoint; SMTP to a closed port, which fails fast).
type processSinks struct {
	sentry   *sentryEndpoint
	ga4      *ga4test.Server
	tracing  atomic.Int64
	traceSrv string
	hook     *httptest.Server
	closed   string
}

func newProcessSinks(b *testing.B) *processSinks {
	s := &processSinks{sentry: newSentryEndpoint(b)}
	s.ga4 = ga4test.New(b, ga4test.WithCredentials(ga4Measurement, ga4Secret))
	s.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	b.Cleanup(s.hook.Close)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer()
	ptraceotlp.RegisterGRPCServer(srv, &traceCounter{n: &s.tracing})
	go func() { _ = srv.Serve(lis) }()
	b.Cleanup(srv.Stop)
	s.traceSrv = lis.Addr().String()
	s.closed = e2e.FreeAddr(b) // nothing listens there
	return s
}

func (s *processSinks) ga4Delivered() int { return len(s.ga4.Requests()) }

type traceCounter struct {
	ptraceotlp.UnimplementedGRPCServer
	n *atomic.Int64
}

func (t *traceCounter) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	t.n.Add(int64(req.Traces().SpanCount()))
	return ptraceotlp.NewExportResponse(), nil
}

// processPorts are the free addresses of one collector process.
type processPorts struct {
	grpc, http, health, pprof, prom, alertAPI, dashboard, telemetryPort string
}

func newProcessPorts(b *testing.B) *processPorts {
	_, tport, _ := net.SplitHostPort(e2e.FreeAddr(b))
	return &processPorts{
		grpc: e2e.FreeAddr(b), http: e2e.FreeAddr(b), health: e2e.FreeAddr(b), pprof: e2e.FreeAddr(b),
		prom: e2e.FreeAddr(b), alertAPI: e2e.FreeAddr(b), dashboard: e2e.FreeAddr(b), telemetryPort: tport,
	}
}

// telemetryYAML keeps the collector's own metrics at the profiles' level
// (normal), on a free port.
func telemetryYAML(p *processPorts) string {
	return `
  telemetry:
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ` + p.telemetryPort + "\n"
}

// passthroughProcessConfig is the baseline of issue 18: otlp → batch → debug.
func passthroughProcessConfig(p *processPorts, _ *processSinks) string {
	return `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ` + p.grpc + `
        max_recv_msg_size_mib: 16
processors:
  batch:
    timeout: 1s
    send_batch_size: 8192
    send_batch_max_size: 16384
exporters:
  debug:
    verbosity: basic
service:
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [debug]}
    logs: {receivers: [otlp], processors: [batch], exporters: [debug]}
    metrics: {receivers: [otlp], processors: [batch], exporters: [debug]}
` + telemetryYAML(p)
}

// profilePortsYAML moves the fixed ports both profiles share to free
// ones; extraExtensions and extraExporters are indented blocks to add.
func profilePortsYAML(p *processPorts, extraExtensions, extraExporters string) string {
	return `
extensions:
  health_check:
    endpoint: ` + p.health + extraExtensions + `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ` + p.grpc + `
      http:
        endpoint: ` + p.http + `
exporters:
  prometheus:
    endpoint: ` + p.prom + `
  dashboard:
    endpoint: ` + p.dashboard + extraExporters + `
service:` + telemetryYAML(p)
}

// defaultOverlay moves config/otelcol.yaml's fixed ports to free ones.
func defaultOverlay(p *processPorts, _ *processSinks) string {
	return profilePortsYAML(p, "", "")
}

// defaultProfilingOverlay is defaultOverlay with the pprof extension the
// profile does not enable.
func defaultProfilingOverlay(p *processPorts, _ *processSinks) string {
	return profilePortsYAML(p, `
  pprof:
    endpoint: `+p.pprof, "") + `
  extensions: [health_check, noecho, file_storage, pprof]
`
}

// gatewayOverlay points config/gateway.yaml at the local sinks and free
// ports; everything else (queues, storage, rules, sampling) is the profile's.
func gatewayOverlay(p *processPorts, s *processSinks) string {
	_, smtpPort, _ := net.SplitHostPort(s.closed)
	email := `
        email:
          host: 127.0.0.1
          port: ` + smtpPort + `
          security: none`
	return profilePortsYAML(p, `
  pprof:
    endpoint: `+p.pprof, `
  ga4:
    endpoint: `+s.ga4.URL+`
  otlp_split/tracing:
    tls:
      insecure: true
  alert:
    api:
      endpoint: `+p.alertAPI+`
    channels:
      ops_email:`+email+`
      exec_email:`+email+`
      oncall_sms:
        sms:
          url: `+s.hook.URL+`/twilio
      oncall_pagerduty:
        pagerduty:
          url: `+s.hook.URL+`/pagerduty`)
}

// gatewayEnv is config/validate.env with the sinks and a fresh storage
// directory in place of the real endpoints.
func gatewayEnv(b *testing.B, s *processSinks, storage string) []string {
	raw, err := os.ReadFile(filepath.Join(configRoot, "config/validate.env"))
	if err != nil {
		b.Fatal(err)
	}
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			env[k] = v
		}
	}
	env["PII_HASH_KEY"] = testHashKey
	env["OTELCOL_STORAGE_DIR"] = storage
	env["SENTRY_DSN"] = s.sentry.dsn()
	env["GA4_MEASUREMENT_ID"] = ga4Measurement
	env["GA4_API_SECRET"] = ga4Secret
	env["TRACING_BACKEND_ENDPOINT"] = s.traceSrv
	env["SLACK_WEBHOOK_URL"] = s.hook.URL + "/slack"
	env["DISCORD_WEBHOOK_URL"] = ""
	env["ALERT_WEBHOOK_URL"] = ""
	env["SMTP_HOST"] = "127.0.0.1"
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir()}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// runProcess starts one collector process, sends a warm-up pass, then
// `passes` trace-only and `passes` log-only passes, and measures them.
func runProcess(b *testing.B, bin string, s setup, sinks *processSinks, l *load, passes int, pass *int, profileDir string) processResult {
	b.Helper()
	dir := b.TempDir()
	ports := newProcessPorts(b)
	overlay := filepath.Join(dir, "overlay.yaml")
	if err := os.WriteFile(overlay, []byte(s.overlay(ports, sinks)), 0o600); err != nil {
		b.Fatal(err)
	}
	var args []string
	for _, f := range s.files {
		args = append(args, "--config", "file:"+filepath.Join(configRoot, f))
	}
	args = append(args, "--config", "file:"+overlay)
	cmd := exec.Command(bin, args...)
	cmd.Env = gatewayEnv(b, sinks, filepath.Join(dir, "storage"))
	logPath := filepath.Join(dir, "collector.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = logFile.Close()
	}
	defer stop()
	fail := func(format string, args ...any) {
		stop()
		data, _ := os.ReadFile(logPath)
		b.Fatalf("%s: %s\ncollector log, last 4 KiB:\n%s", s.name, fmt.Sprintf(format, args...), data[max(0, len(data)-4096):])
	}
	pid := cmd.Process.Pid
	c := newClient(b, ports.grpc)
	ctx := context.Background()
	ready := time.Now().Add(60 * time.Second)
	for {
		if _, err := c.traces.Export(ctx, ptraceotlp.NewExportRequest()); err == nil {
			break
		}
		if time.Now().After(ready) {
			fail("not accepting OTLP after 60s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Warm-up: one whole pass (connections, pools, first-seen series).
	*pass++
	l.setPass(*pass)
	if err := c.replay(ctx, l, 0); err != nil {
		fail("warm-up: %v", err)
	}
	waitIdle(b, pid)

	var profDone chan struct{}
	if profileDir != "" {
		profDone = make(chan struct{})
		go func() {
			defer close(profDone)
			fetchProfile(b, "http://"+ports.pprof+"/debug/pprof/profile?seconds=20", filepath.Join(profileDir, s.name+"-cpu.pprof"))
		}()
	}
	var spanCPU, recordCPU time.Duration
	for range passes {
		*pass++
		l.setPass(*pass)
		before := procCPU(b, pid)
		for _, r := range l.traces {
			if _, err := c.traces.Export(ctx, r); err != nil {
				fail("traces export: %v", err)
			}
		}
		spanCPU += waitIdle(b, pid) - before
		before = procCPU(b, pid)
		for _, r := range l.logs {
			if _, err := c.logs.Export(ctx, r); err != nil {
				fail("logs export: %v", err)
			}
		}
		recordCPU += waitIdle(b, pid) - before
	}
	if profDone != nil {
		// Keep the load going until the CPU profile is taken.
		for {
			select {
			case <-profDone:
			default:
				*pass++
				l.setPass(*pass)
				switch profileSignal() {
				case "logs":
					for _, r := range l.logs {
						if _, err := c.logs.Export(ctx, r); err != nil {
							fail("profiling load: %v", err)
						}
					}
				case "traces":
					for _, r := range l.traces {
						if _, err := c.traces.Export(ctx, r); err != nil {
							fail("profiling load: %v", err)
						}
					}
				default:
					if err := c.replay(ctx, l, 0); err != nil {
						fail("profiling load: %v", err)
					}
				}
				continue
			}
			break
		}
		fetchProfile(b, "http://"+ports.pprof+"/debug/pprof/allocs", filepath.Join(profileDir, s.name+"-allocs.pprof"))
	}
	l.setPass(0)
	rss := peakRSS(b, pid)
	return processResult{
		perSpan:   float64(spanCPU.Nanoseconds()) / float64(passes*l.spans),
		perRecord: float64(recordCPU.Nanoseconds()) / float64(passes*l.records),
		peakRSS:   rss,
	}
}

// waitIdle returns the process's CPU time at the start of the first of two
// consecutive 200 ms windows in which it used under 2 % of a core: the
// queues have drained to the sinks and only timers are left.
func waitIdle(b *testing.B, pid int) time.Duration {
	const window, idle = 200 * time.Millisecond, 4 * time.Millisecond
	deadline := time.Now().Add(5 * time.Minute)
	prev := procCPU(b, pid)
	quietSince, quiet := prev, 0
	for time.Now().Before(deadline) {
		time.Sleep(window)
		cur := procCPU(b, pid)
		if cur-prev < idle {
			if quiet == 0 {
				quietSince = prev
			}
			quiet++
			if quiet == 2 {
				return quietSince
			}
		} else {
			quiet = 0
		}
		prev = cur
	}
	b.Fatalf("collector %d still busy after 5 minutes", pid)
	return 0
}

// procCPU is utime+stime of pid from /proc/PID/stat.
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	// USER_HZ is 100 on Linux.
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// peakRSS is VmHWM of pid in bytes.
func peakRSS(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb * 1024
		}
	}
	b.Fatal("no VmHWM")
	return 0
}

func fetchProfile(b *testing.B, url, path string) {
	resp, err := http.Get(url)
	if err != nil {
		b.Logf("profile %s: %v", url, err)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	f, err := os.Create(path)
	if err != nil {
		b.Logf("profile: %v", err)
		return
	}
	defer func() { _ = f.Close() }()
	_, _ = io.Copy(f, resp.Body)
}

// profileSignal is what the profiling load sends: traces, logs or both.
func profileSignal() string {
	if os.Getenv("BENCH_E2E_PROFILE_LOGS") != "" {
		return "logs"
	}
	return cmp.Or(os.Getenv("BENCH_E2E_PROFILE_SIGNAL"), "both")
}

func envInt(b *testing.B, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", key, v)
	}
	return n
}
