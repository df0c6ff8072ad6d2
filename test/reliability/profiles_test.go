package reliability

import (
	"path/filepath"
	"slices"
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
// environment the sampler sits only in the pipeline that feeds the tracing
// backend, and the overlays set its percentage.
func TestOverlaysSampleOnlyTheTracingCopy(t *testing.T) {
	stateful := []string{"paymentbi", "threshold", "sentry", "ga4", "span_metrics", "alert", "prometheus"}
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
			if got := conf.Get("processors::probabilistic_sampler/tracing::sampling_percentage"); toFloat(got) != want {
				t.Errorf("%v: sampling_percentage = %v, want %v", fs, got, want)
			}
			pipelines := conf.Get("service::pipelines").(map[string]any)
			sampled := 0
			for name, p := range pipelines {
				p := p.(map[string]any)
				var procs, exps []string
				if p["processors"] != nil {
					procs = strings_(p["processors"])
				}
				exps = strings_(p["exporters"])
				if !slices.Contains(procs, "probabilistic_sampler/tracing") {
					continue
				}
				sampled++
				for _, e := range exps {
					if slices.Contains(stateful, e) {
						t.Errorf("%v: pipeline %s samples before %s", fs, name, e)
					}
				}
				if want := []string{"otlp_split/tracing"}; !slices.Equal(exps, want) {
					t.Errorf("%v: sampled pipeline %s exports to %v, want %v", fs, name, exps, want)
				}
			}
			if sampled != 1 {
				t.Errorf("%v: %d sampled pipelines, want exactly 1", fs, sampled)
			}
			// The tracing copy is fed by the unsampled traces pipeline
			// through the forward connector, so the backend sees the spans
			// the rules saw, sanitized once.
			if got := strings_(pipelines["traces/tracing"].(map[string]any)["receivers"]); !slices.Equal(got, []string{"forward/tracing"}) {
				t.Errorf("%v: traces/tracing receivers %v, want [forward/tracing]", fs, got)
			}
			if !slices.Contains(strings_(pipelines["traces"].(map[string]any)["exporters"]), "forward/tracing") {
				t.Errorf("%v: traces pipeline does not feed forward/tracing", fs)
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
