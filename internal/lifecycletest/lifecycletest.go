// Package lifecycletest holds the checks mdatagen generates for contrib
// components (generated_component_test.go), which this distribution
// cannot generate (cmd/mdatagen is not served): the factory's type, the
// config struct, and for every supported signal a component that is
// created and shut down without a start, then created, started and shut
// down twice in a row (ports released, shared state reset).
package lifecycletest // import "github.com/otelcol-payments/otelcol-payments/internal/lifecycletest"

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

// Options adjust a run.
type Options struct {
	// Host is what Start gets; componenttest.NewNopHost() when nil (give a
	// host with a storage extension for configs that name one).
	Host component.Host
	// SkipConfigStructBecause skips componenttest.CheckConfigStruct, which
	// does not terminate on a recursive config type (a route tree).
	SkipConfigStructBecause string
}

type create func(ctx context.Context) (component.Component, error)

type creates map[string]create

func (c creates) add(name string, stability component.StabilityLevel, fn create) {
	if stability != component.StabilityLevelUndefined {
		c[name] = fn
	}
}

// Processor checks a processor factory, running every signal with cfg
// (nil: the default config).
func Processor(t *testing.T, typ component.Type, f processor.Factory, cfg component.Config, opts ...Options) {
	t.Helper()
	cfg = checkFactory(t, typ, f, cfg, opts)
	set := processortest.NewNopSettings(typ)
	c := creates{}
	c.add("traces", f.TracesStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateTraces(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("metrics", f.MetricsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateMetrics(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("logs", f.LogsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateLogs(ctx, set, cfg, consumertest.NewNop())
	})
	run(t, c, opts)
}

// Exporter checks an exporter factory.
func Exporter(t *testing.T, typ component.Type, f exporter.Factory, cfg component.Config, opts ...Options) {
	t.Helper()
	cfg = checkFactory(t, typ, f, cfg, opts)
	set := exportertest.NewNopSettings(typ)
	c := creates{}
	c.add("traces", f.TracesStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateTraces(ctx, set, cfg)
	})
	c.add("metrics", f.MetricsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateMetrics(ctx, set, cfg)
	})
	c.add("logs", f.LogsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateLogs(ctx, set, cfg)
	})
	run(t, c, opts)
}

// Connector checks a connector factory for every supported pair.
func Connector(t *testing.T, typ component.Type, f connector.Factory, cfg component.Config, opts ...Options) {
	t.Helper()
	cfg = checkFactory(t, typ, f, cfg, opts)
	set := connectortest.NewNopSettings(typ)
	c := creates{}
	c.add("traces_to_traces", f.TracesToTracesStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateTracesToTraces(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("traces_to_metrics", f.TracesToMetricsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateTracesToMetrics(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("traces_to_logs", f.TracesToLogsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateTracesToLogs(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("metrics_to_traces", f.MetricsToTracesStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateMetricsToTraces(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("metrics_to_metrics", f.MetricsToMetricsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateMetricsToMetrics(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("metrics_to_logs", f.MetricsToLogsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateMetricsToLogs(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("logs_to_traces", f.LogsToTracesStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateLogsToTraces(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("logs_to_metrics", f.LogsToMetricsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateLogsToMetrics(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("logs_to_logs", f.LogsToLogsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateLogsToLogs(ctx, set, cfg, consumertest.NewNop())
	})
	run(t, c, opts)
}

// Receiver checks a receiver factory.
func Receiver(t *testing.T, typ component.Type, f receiver.Factory, cfg component.Config, opts ...Options) {
	t.Helper()
	cfg = checkFactory(t, typ, f, cfg, opts)
	set := receivertest.NewNopSettings(typ)
	c := creates{}
	c.add("traces", f.TracesStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateTraces(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("metrics", f.MetricsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateMetrics(ctx, set, cfg, consumertest.NewNop())
	})
	c.add("logs", f.LogsStability(), func(ctx context.Context) (component.Component, error) {
		return f.CreateLogs(ctx, set, cfg, consumertest.NewNop())
	})
	run(t, c, opts)
}

// Extension checks an extension factory.
func Extension(t *testing.T, typ component.Type, f extension.Factory, cfg component.Config, opts ...Options) {
	t.Helper()
	cfg = checkFactory(t, typ, f, cfg, opts)
	set := extensiontest.NewNopSettings(typ)
	c := creates{}
	c.add("extension", f.Stability(), func(ctx context.Context) (component.Component, error) {
		return f.Create(ctx, set, cfg)
	})
	run(t, c, opts)
}

// checkFactory checks the type and the default config's struct, and
// returns the config to run with.
func checkFactory(t *testing.T, typ component.Type, f component.Factory, cfg component.Config, opts []Options) component.Config {
	t.Helper()
	assert.Equal(t, typ, f.Type())
	skip := ""
	for _, o := range opts {
		skip += o.SkipConfigStructBecause
	}
	if skip == "" {
		require.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
	} else {
		t.Logf("config struct check skipped: %s", skip)
	}
	if cfg == nil {
		cfg = f.CreateDefaultConfig()
	}
	return cfg
}

func run(t *testing.T, c creates, opts []Options) {
	t.Helper()
	require.NotEmpty(t, c, "the factory supports no signal")
	host := component.Host(componenttest.NewNopHost())
	for _, o := range opts {
		if o.Host != nil {
			host = o.Host
		}
	}
	names := make([]string, 0, len(c))
	for name := range c {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			comp, err := c[name](ctx)
			require.NoError(t, err)
			require.NoError(t, comp.Shutdown(ctx), "shutdown without start")
			for round := 1; round <= 2; round++ {
				comp, err := c[name](ctx)
				require.NoError(t, err, "create, round %d", round)
				require.NoError(t, comp.Start(ctx, host), "start, round %d", round)
				require.NoError(t, comp.Shutdown(ctx), "shutdown, round %d", round)
			}
		})
	}
}
