package e2e

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
)

// BaseFactories are the components most end-to-end tests need: the OTLP
// receiver, batch and memory_limiter processors, the debug and capture
// exporters, and the file_storage extension. Add the components under test
// with the With* functions.
func BaseFactories() otelcol.Factories {
	f := otelcol.Factories{
		Receivers:  map[component.Type]receiver.Factory{},
		Processors: map[component.Type]processor.Factory{},
		Exporters:  map[component.Type]exporter.Factory{},
		Extensions: map[component.Type]extension.Factory{},
		Connectors: map[component.Type]connector.Factory{},
		Telemetry:  otelconftelemetry.NewFactory(),
	}
	f = WithReceivers(f, otlpreceiver.NewFactory())
	f = WithProcessors(f, batchprocessor.NewFactory(), memorylimiterprocessor.NewFactory())
	f = WithExporters(f, debugexporter.NewFactory(), CaptureFactory())
	f = WithExtensions(f, filestorage.NewFactory())
	return f
}

// WithReceivers adds receiver factories.
func WithReceivers(f otelcol.Factories, fs ...receiver.Factory) otelcol.Factories {
	addFactories(f.Receivers, fs)
	return f
}

// WithProcessors adds processor factories.
func WithProcessors(f otelcol.Factories, fs ...processor.Factory) otelcol.Factories {
	addFactories(f.Processors, fs)
	return f
}

// WithExporters adds exporter factories.
func WithExporters(f otelcol.Factories, fs ...exporter.Factory) otelcol.Factories {
	addFactories(f.Exporters, fs)
	return f
}

// WithConnectors adds connector factories.
func WithConnectors(f otelcol.Factories, fs ...connector.Factory) otelcol.Factories {
	addFactories(f.Connectors, fs)
	return f
}

// WithExtensions adds extension factories.
func WithExtensions(f otelcol.Factories, fs ...extension.Factory) otelcol.Factories {
	addFactories(f.Extensions, fs)
	return f
}

func addFactories[F component.Factory](m map[component.Type]F, fs []F) {
	for _, x := range fs {
		m[x.Type()] = x
	}
}

// Collector is a collector running in this test process.
type Collector struct {
	col  *otelcol.Collector
	done chan error
}

// quietTelemetry turns the collector's own metrics off unless the config
// sets service::telemetry, so parallel collectors don't all bind :8888.
const quietTelemetry = "yaml:service::telemetry::metrics::level: none"

// Start runs a collector with factories on configYAML (which may use
// ${env:...}) and waits until it is running. It is shut down, and its run
// error checked, when the test ends.
func Start(t testing.TB, factories otelcol.Factories, configYAML string) *Collector {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	uris := []string{"file:" + path}
	if !strings.Contains(configYAML, "telemetry:") {
		uris = append(uris, quietTelemetry)
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo:               component.BuildInfo{Command: "otelcol-payments-e2e", Version: "test"},
		Factories:               func() (otelcol.Factories, error) { return factories, nil },
		DisableGracefulShutdown: true,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs: uris,
				ProviderFactories: []confmap.ProviderFactory{
					fileprovider.NewFactory(), envprovider.NewFactory(), yamlprovider.NewFactory(),
				},
			},
		},
		LoggingOptions: []zap.Option{zap.WrapCore(func(zapcore.Core) zapcore.Core {
			return zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Core()
		})},
		SkipSettingGRPCLogger: true,
	})
	if err != nil {
		t.Fatalf("e2e: new collector: %v", err)
	}
	c := &Collector{col: col, done: make(chan error, 1)}
	go func() { c.done <- col.Run(context.Background()) }()
	if err := c.waitRunning(30 * time.Second); err != nil {
		t.Fatalf("e2e: collector did not start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Shutdown(); err != nil {
			t.Errorf("e2e: collector run: %v", err)
		}
	})
	return c
}

func (c *Collector) waitRunning(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		switch c.col.GetState() {
		case otelcol.StateRunning:
			return nil
		case otelcol.StateClosed:
			return <-c.done
		}
		select {
		case err := <-c.done:
			if err == nil {
				err = errors.New("collector stopped during start-up")
			}
			return err
		case <-time.After(5 * time.Millisecond):
		}
	}
	return errors.New("timeout")
}

// Shutdown stops the collector, flushing its pipelines, and returns the
// error of its Run. Calling it twice is harmless.
func (c *Collector) Shutdown() error {
	if c.col.GetState() == otelcol.StateClosed {
		return nil
	}
	c.col.Shutdown()
	select {
	case err := <-c.done:
		return err
	case <-time.After(60 * time.Second):
		return errors.New("collector did not stop within 60s")
	}
}

// FreeAddr returns a loopback address "127.0.0.1:PORT" with a port that
// was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		// The kernel may hand a port it just freed out again: a run that
		// asks for many (the benchmarks start a collector per round) got
		// one port for two listeners and failed with "address already in
		// use". A port is handed out once per test process.
		handedOutMu.Lock()
		_, taken := handedOut[addr]
		handedOut[addr] = struct{}{}
		handedOutMu.Unlock()
		if !taken {
			return addr
		}
	}
	t.Fatal("no free port not handed out before")
	return ""
}

var (
	handedOutMu sync.Mutex
	handedOut   = map[string]struct{}{}
)
