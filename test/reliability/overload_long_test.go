//go:build long

package reliability

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// Overload figures, in the proportions of the sidecar deployment
// (deploy/kubernetes/sidecar-example.yaml): a 256 MiB container limit,
// memory_limiter limit at 80 % of it and GOMEMLIMIT=200MiB. The RSS must
// stay under the container limit, i.e. limit_mib plus the 20 % headroom the
// manifests leave (52 MiB).
//
// The memory_limiter samples the heap once per check_interval, so on its
// own it bounds memory only up to what arrives within one interval: with
// 4 loopback senders of 1 MiB requests that was 48 MiB of heap in 100ms
// on one machine and more on a faster one (peak RSS 263 MiB, an OOM kill
// in the container). At 1s/20 % it reached 447 MiB. What bounds retained
// data exactly is a byte budget on the queue: the shipped profiles queue on
// disk (file_storage), and an in-memory queue, as here, must be sized in
// bytes. The queue budget is set above the limiter's soft limit in heap
// terms, so the limiter still trips first and is what this test exercises.
const (
	overloadContainerMiB = 256
	overloadLimitMiB     = overloadContainerMiB * 80 / 100
	overloadSpikeMiB     = overloadContainerMiB * 30 / 100
	overloadMarginMiB    = overloadContainerMiB - overloadLimitMiB
	overloadQueueMiB     = 64 // wire bytes; ~1.5x that on the heap as pdata
	overloadGoMemLimit   = "GOMEMLIMIT=200MiB"
)

// stuckBackend is an OTLP logs backend that holds every request until
// released (a backend that has stopped keeping up), then accepts at once.
type stuckBackend struct {
	plogotlp.UnimplementedGRPCServer
	delivered
	release chan struct{}
	once    sync.Once
}

func newStuckBackend(t *testing.T) (*stuckBackend, string) {
	t.Helper()
	b := &stuckBackend{release: make(chan struct{})}
	addr := serveLogs(t, b)
	// Registered after serveLogs's cleanup, so it runs first: held requests
	// return before the server stops.
	t.Cleanup(b.unstick)
	return b, addr
}

func (b *stuckBackend) unstick() { b.once.Do(func() { close(b.release) }) }

func (b *stuckBackend) Export(ctx context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	select {
	case <-b.release:
	case <-ctx.Done():
		return plogotlp.NewExportResponse(), status.Error(codes.Unavailable, "backend busy")
	}
	b.record(req.Logs())
	return plogotlp.NewExportResponse(), nil
}

// overloadProfile: OTLP in, memory_limiter first, then an exporter whose
// in-memory queue (a byte budget) fills because the backend does not keep up.
func overloadProfile(grpcAddr, httpAddr, healthAddr, backend string) string {
	return fmt.Sprintf(`
extensions:
  health_check:
    endpoint: %s
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
      http:
        endpoint: %s
processors:
  memory_limiter:
    check_interval: 100ms
    limit_mib: %d
    spike_limit_mib: %d
exporters:
  otlp_grpc/backend:
    endpoint: %s
    tls:
      insecure: true
    compression: none
    timeout: 500ms
    sending_queue:
      sizer: bytes
      queue_size: %d
      num_consumers: 2
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 200ms
      max_elapsed_time: 0
service:
  extensions: [health_check]
  pipelines:
    logs:
      receivers: [otlp]
      processors: [memory_limiter]
      exporters: [otlp_grpc/backend]
`, healthAddr, grpcAddr, httpAddr, overloadLimitMiB, overloadSpikeMiB, backend, overloadQueueMiB<<20)
}

// procStatusKiB reads a "Vm…" field of /proc/PID/status in KiB.
func procStatusKiB(t testing.TB, pid int, field string) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read /proc/%d/status: %v", pid, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", field, err)
			}
			return v
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// A client sends far faster than the backend accepts: the memory_limiter
// refuses with retryable errors (gRPC Unavailable, HTTP 503), the peak RSS
// of the process stays under limit_mib plus the documented margin, the
// collector survives, and once the load stops and the backend catches up
// it accepts data again and delivers it.
func TestOverloadRefusesRetryablyAndRecovers(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc for RSS")
	}
	bin := binary(t)
	backend, backendAddr := newStuckBackend(t)
	grpcAddr, httpAddr, healthAddr := e2e.FreeAddr(t), e2e.FreeAddr(t), e2e.FreeAddr(t)
	config := filepath.Join(t.TempDir(), "overload.yaml")
	if err := os.WriteFile(config, []byte(overloadProfile(grpcAddr, httpAddr, healthAddr, backendAddr)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := startBinary(t, bin, config, overloadGoMemLimit)
	pid := cmd.Process.Pid
	waitUntil(t, 30*time.Second, "the collector's health check", func() bool {
		resp, err := http.Get("http://" + healthAddr)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	idleRSS := procStatusKiB(t, pid, "VmRSS")

	// Load: 4 senders of ~1 MiB requests, bounded in count and time; they
	// stop once the limiter has refused for a while (or at the bounds).
	const senders, maxRequests, recordsPerRequest = 4, 3000, 2000
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := plogotlp.NewGRPCClient(conn)
	var (
		next, accepted                   atomic.Int64
		refusedByLimiter, refusedByQueue atomic.Int64
		codesMu                          sync.Mutex
		codesSeen                        = map[codes.Code]int{}
		acceptedSeqs                     []int
		otherErr                         atomic.Value
	)
	loadCtx, stopLoad := context.WithTimeout(context.Background(), 45*time.Second)
	defer stopLoad()
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				seq := int(next.Add(1))
				if seq > maxRequests {
					return
				}
				ctx, cancel := context.WithTimeout(loadCtx, 10*time.Second)
				_, err := client.Export(ctx, plogotlp.NewExportRequestFromLogs(bulkRecords(seq, recordsPerRequest)))
				cancel()
				code := status.Code(err)
				codesMu.Lock()
				codesSeen[code]++
				if err == nil {
					acceptedSeqs = append(acceptedSeqs, seq)
				}
				codesMu.Unlock()
				switch {
				case err == nil:
					accepted.Add(1)
				case code == codes.Unavailable && strings.Contains(err.Error(), "high memory usage"):
					// Stop after a sustained refusal: the point is made.
					if refusedByLimiter.Add(1) >= 200 {
						stopLoad()
					}
				case code == codes.Unavailable && strings.Contains(err.Error(), "sending queue is full"):
					// The byte budget is full: retryable too.
					refusedByQueue.Add(1)
				case loadCtx.Err() != nil:
				default:
					otherErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}

	// While the limiter refuses, OTLP/HTTP clients get a retryable status too.
	waitUntil(t, 45*time.Second, "the memory_limiter refusing", func() bool { return refusedByLimiter.Load() > 0 })
	body, err := (&plog.ProtoMarshaler{}).MarshalLogs(bulkRecords(0, 10))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+httpAddr+"/v1/logs", "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	httpCode := resp.StatusCode
	wg.Wait()
	stopLoad()

	peakRSS := procStatusKiB(t, pid, "VmHWM")
	t.Logf("accepted %d requests (~%d MiB), limiter refused %d, full queue refused %d; codes %v; HTTP during refusal: %d",
		accepted.Load(), accepted.Load()*int64(recordsPerRequest)*530>>20, refusedByLimiter.Load(), refusedByQueue.Load(), codesSeen, httpCode)
	t.Logf("RSS idle %d MiB, peak (VmHWM) %d MiB; limit_mib %d, spike_limit_mib %d, margin %d MiB, queue %d MiB, %s",
		idleRSS>>10, peakRSS>>10, overloadLimitMiB, overloadSpikeMiB, overloadMarginMiB, overloadQueueMiB, overloadGoMemLimit)

	if err, _ := otherErr.Load().(error); err != nil {
		t.Errorf("a refusal other than the memory_limiter's retryable one: %v", err)
	}
	for c := range codesSeen {
		if c != codes.OK && c != codes.Unavailable && c != codes.ResourceExhausted && c != codes.DeadlineExceeded && c != codes.Canceled {
			t.Errorf("non-retryable gRPC code %s during overload", c)
		}
	}
	if httpCode != http.StatusServiceUnavailable && httpCode != http.StatusTooManyRequests && httpCode != http.StatusOK {
		t.Errorf("OTLP/HTTP during overload: %d, want 503 or 429 (retryable)", httpCode)
	}
	if limit := int64(overloadLimitMiB+overloadMarginMiB) << 10; peakRSS > limit {
		t.Errorf("peak RSS %d MiB above limit_mib %d + %d MiB margin", peakRSS>>10, overloadLimitMiB, overloadMarginMiB)
	}

	// Survives and recovers: the backend catches up, the queue drains, the
	// limiter lets data in again, and that data is delivered.
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("collector died under overload: %v", err)
	}
	backend.unstick()
	var probe int
	waitUntil(t, 60*time.Second, "the collector accepting data again", func() bool {
		probe++
		ld := plog.NewLogs()
		ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(fmt.Sprintf("marker-%d", probe))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := client.Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
		return err == nil
	})
	marker := fmt.Sprintf("marker-%d", probe)
	waitUntil(t, 60*time.Second, "the post-overload record at the backend", func() bool { return backend.hasMarker(marker) })
	// Every request the collector acknowledged during the overload is
	// delivered too: the queue is in memory, but the process never died.
	waitUntil(t, 60*time.Second, "every acknowledged request at the backend", func() bool {
		for _, seq := range acceptedSeqs {
			if !backend.has(seq) {
				return false
			}
		}
		return true
	})
	t.Logf("RSS after recovery %d MiB", procStatusKiB(t, pid, "VmRSS")>>10)
}
