package reliability

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// resolve merges profile files the way `--config a --config b` does, with
// the dummy environment of config/validate.env.
func resolve(t *testing.T, files ...string) *confmap.Conf {
	t.Helper()
	e2e.SetEnvFile(t, repoFile(t, "config/validate.env"))
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = repoFile(t, f)
	}
	return e2e.ResolveFiles(t, paths...)
}

func repoFile(t testing.TB, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func strings_(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// Business events, errors and alert inputs are never sampled away: in every
// environment only the sampled_forward/tracing connector samples, it feeds
// only the pipeline to the tracing backend, and the overlays set its
// percentage.
func TestOverlaysSampleOnlyTheTracingCopy(t *testing.T) {
	for overlay, want := range map[string]float64{"": 10, "development": 100, "staging": 25, "production": 5} {
		files := []string{"config/gateway.yaml"}
		if overlay != "" {
			files = append(files, "config/overlays/"+overlay+".yaml")
		}
		for _, kafka := range []bool{false, true} {
			fs := slices.Clone(files)
			if kafka {
				fs = append(fs, "config/overlays/kafka-gateway.yaml")
			}
			conf := resolve(t, fs...)
			if got := conf.Get("connectors::sampled_forward/tracing::sampling_percentage"); toFloat(got) != want {
				t.Errorf("%v: sampling_percentage = %v, want %v", fs, got, want)
			}
			for id := range conf.Get("processors").(map[string]any) {
				if strings.HasPrefix(id, "probabilistic_sampler") {
					t.Errorf("%v: processor %s samples besides sampled_forward/tracing", fs, id)
				}
			}
			pipelines := conf.Get("service::pipelines").(map[string]any)
			sampled := 0
			for name, p := range pipelines {
				p := p.(map[string]any)
				if !slices.Contains(strings_(p["receivers"]), "sampled_forward/tracing") {
					continue
				}
				sampled++
				if name != "traces/tracing" {
					t.Errorf("%v: pipeline %s receives the sample, want only traces/tracing", fs, name)
				}
				if want := []string{"otlp_split/tracing"}; !slices.Equal(strings_(p["exporters"]), want) {
					t.Errorf("%v: sampled pipeline %s exports to %v, want %v", fs, name, strings_(p["exporters"]), want)
				}
				// A traces → traces connector inherits its pipelines'
				// MutatesData: a processor there (batch) makes the traces
				// fan-out clone every batch.
				if p["processors"] != nil && len(strings_(p["processors"])) > 0 {
					t.Errorf("%v: sampled pipeline %s has processors %v, want none", fs, name, strings_(p["processors"]))
				}
				if b := conf.Get("exporters::otlp_split/tracing::sending_queue::batch"); b != nil {
					t.Errorf("%v: otlp_split/tracing batches in its queue (%v): exporterhelper then declares MutatesData", fs, b)
				}
			}
			if sampled != 1 {
				t.Errorf("%v: %d sampled pipelines, want exactly 1", fs, sampled)
			}
			// The sample is taken from the unsampled traces pipeline, so
			// the backend sees the spans the rules saw, sanitized once.
			if !slices.Contains(strings_(pipelines["traces"].(map[string]any)["exporters"]), "sampled_forward/tracing") {
				t.Errorf("%v: traces pipeline does not feed sampled_forward/tracing", fs)
			}
			if kafka && !slices.Contains(strings_(pipelines["logs"].(map[string]any)["receivers"]), "kafka/logs") {
				t.Errorf("%v: logs pipeline does not consume from Kafka", fs)
			}
		}
	}
	// Paging only in production: the other environments route nothing to
	// the escalating receiver.
	// (Critical alerts still get their own route, without group_wait, to chat.)
	for _, env := range []string{"development", "staging"} {
		conf := resolve(t, "config/gateway.yaml", "config/overlays/"+env+".yaml")
		routes, _ := conf.Get("exporters::alert::route::routes").([]any)
		for _, r := range routes {
			if rcv := r.(map[string]any)["receiver"]; rcv != "ops_chat" {
				t.Errorf("%s: alert route to %v, want only ops_chat", env, rcv)
			}
		}
	}
}

// The Kafka sidecar keys every signal by the same header, so one service's
// traces, logs and metrics share a partition number.
func TestKafkaSidecarKeysEverySignalAlike(t *testing.T) {
	conf := resolve(t, "config/sidecar.yaml", "config/overlays/kafka-sidecar.yaml")
	for _, sig := range []string{"traces", "logs", "metrics"} {
		if got := conf.Get("exporters::kafka::" + sig + "::message_key_from_metadata_key"); got != "x-payments-partition-key" {
			t.Errorf("%s key = %v", sig, got)
		}
		if got := strings_(conf.Get("service::pipelines::" + sig + "::exporters")); !slices.Equal(got, []string{"kafka"}) {
			t.Errorf("%s exporters = %v, want [kafka]", sig, got)
		}
	}
	if got := strings_(conf.Get("processors::batch::metadata_keys")); !slices.Contains(got, "x-payments-partition-key") {
		t.Errorf("batch metadata_keys %v lose the partition key", got)
	}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	case uint64:
		return float64(x)
	}
	return -1
}
