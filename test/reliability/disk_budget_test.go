package reliability

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// delivered records what an OTLP logs test backend accepted: load requests
// by sequence number (bodies "load-NNNNNN-…", see bulkRecords) and probe
// records ("marker-…").
type delivered struct {
	mu      sync.Mutex
	seqs    map[string]bool
	markers map[string]bool
}

func (d *delivered) record(ld plog.Logs) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seqs == nil {
		d.seqs, d.markers = map[string]bool{}, map[string]bool{}
	}
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				s := lr.Body().Str()
				if seq, ok := strings.CutPrefix(s, "load-"); ok && len(seq) >= 6 {
					d.seqs[seq[:6]] = true
				} else if strings.HasPrefix(s, "marker-") {
					d.markers[s] = true
				}
			}
		}
	}
}

func (d *delivered) has(seq int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.seqs[fmt.Sprintf("%06d", seq)]
}

func (d *delivered) hasMarker(m string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.markers[m]
}

// serveLogs serves an OTLP logs backend on a free loopback port until the
// test ends and returns its address.
func serveLogs(t *testing.T, backend plogotlp.GRPCServer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
	plogotlp.RegisterGRPCServer(srv, backend)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// gatewayStub is an OTLP logs endpoint that refuses while down and records
// what it accepts once up.
type gatewayStub struct {
	plogotlp.UnimplementedGRPCServer
	delivered
	down atomic.Bool
}

func newGatewayStub(t *testing.T) (*gatewayStub, string) {
	t.Helper()
	g := &gatewayStub{}
	g.down.Store(true)
	return g, serveLogs(t, g)
}

func (g *gatewayStub) Export(_ context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	if g.down.Load() {
		return plogotlp.NewExportResponse(), status.Error(codes.Unavailable, "gateway down")
	}
	g.record(req.Logs())
	return plogotlp.NewExportResponse(), nil
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			total += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// The sidecar's persistent queue (config/sidecar.yaml) is a byte budget:
// while the gateway is down it takes data until the budget is full, then
// refuses with a retryable status, so the queue's directory stays bounded
// (an emptyDir over its sizeLimit gets the pod evicted, queue and all);
// once the gateway is back, everything acknowledged is delivered.
func TestDiskQueueKeepsToItsByteBudget(t *testing.T) {
	const (
		budget      = 4 << 20
		requests    = 120 // 256 KiB each: 30 MiB, 7.5x the budget
		records     = 500
		bytesPerReq = records * 530
	)
	gateway, gatewayAddr := newGatewayStub(t)
	storage := t.TempDir()
	addr := e2e.FreeAddr(t)
	e2e.Start(t, e2e.WithExporters(factories(), otlpexporter.NewFactory()), fmt.Sprintf(`
extensions:
  file_storage:
    directory: %s
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
exporters:
  otlp_grpc/gateway:
    endpoint: %s
    tls:
      insecure: true
    compression: zstd
    sending_queue:
      storage: file_storage
      sizer: bytes
      queue_size: %d
    retry_on_failure:
      initial_interval: 20ms
      max_interval: 100ms
      max_elapsed_time: 0
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlp_grpc/gateway]
`, storage, addr, gatewayAddr, budget))
	client := newLogsClient(t, addr)

	var accepted []int
	refused := 0
	for seq := range requests {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		err := client.send(ctx, bulkRecords(seq, records))
		cancel()
		switch {
		case err == nil:
			accepted = append(accepted, seq)
		case status.Code(err) == codes.Unavailable && strings.Contains(err.Error(), "sending queue is full"):
			refused++
		default:
			t.Fatalf("request %d: %v, want success or a retryable full-queue refusal", seq, err)
		}
	}
	onDisk := dirBytes(t, storage)
	t.Logf("accepted %d requests (%d KiB), refused %d; storage directory %d KiB, budget %d KiB",
		len(accepted), len(accepted)*bytesPerReq>>10, refused, onDisk>>10, budget>>10)
	if refused == 0 || len(accepted) == 0 {
		t.Fatalf("accepted %d and refused %d: the budget should take some requests and refuse the rest", len(accepted), refused)
	}
	if got := len(accepted) * bytesPerReq; got > budget+bytesPerReq {
		t.Errorf("accepted %d KiB into a %d KiB budget", got>>10, budget>>10)
	}
	// bbolt grows its file in steps and keeps freed pages: allow twice the
	// budget plus one growth step, well under the 30 MiB sent.
	if limit := int64(2*budget + 16<<20); onDisk > limit {
		t.Errorf("storage directory %d KiB, want at most %d KiB", onDisk>>10, limit>>10)
	}

	gateway.down.Store(false)
	waitUntil(t, time.Minute, "every acknowledged request at the gateway", func() bool {
		for _, seq := range accepted {
			if !gateway.has(seq) {
				return false
			}
		}
		return true
	})
	// With the queue drained, data is accepted again.
	client.mustSend(t, bulkRecords(requests, records))
	waitUntil(t, time.Minute, "a request sent after recovery", func() bool { return gateway.has(requests) })
}

// bulkRecords is one request of n log records with distinct ~520-byte
// bodies tagged with seq.
func bulkRecords(seq, n int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	pad := strings.Repeat("p", 500)
	for i := range n {
		lrs.AppendEmpty().Body().SetStr(fmt.Sprintf("load-%06d-%04d-%s", seq, i, pad))
	}
	return ld
}
