package threshold

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/metadata"
)

func loadConfig(t *testing.T, file, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", file))
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg, confmap.Validate(cfg)
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(t, "config.yaml", "")
	require.NoError(t, err)
	assert.Equal(t, createDefaultConfig(), cfg)
	assert.Equal(t, 15*time.Second, cfg.EvaluationInterval)
}

func TestConfigCustom(t *testing.T) {
	cfg, err := loadConfig(t, "config.yaml", "custom")
	require.NoError(t, err)
	storageID := component.MustNewIDWithName("file_storage", "alerts")
	assert.Equal(t, &storageID, cfg.Storage)
	require.Len(t, cfg.Rules, 2)
	assert.Equal(t, 99.0, cfg.Rules[0].SpanLatency.Percentile)
	assert.Equal(t, 5*time.Second, cfg.Rules[0].SpanLatency.Threshold)
	assert.Equal(t, ">=", cfg.Rules[1].Ratio.Operator)
	assert.Equal(t, []string{"payment.failed"}, cfg.Rules[1].Ratio.Where.EventNames)
}

func TestConfigInvalid(t *testing.T) {
	for name, want := range map[string]string{
		"bad_operator":   `rules[0] (low_stock): metric.op: unknown operator "=<"`,
		"missing_window": "rules[0] (failures): ratio.window: must be set",
		"name_clash":     `rules[1]: name "low_stock" is already used by rules[0]`,
		"no_kind":        "rules[0] (nothing): exactly one of span_latency, ratio, metric, anomaly, event or absence must be set",
		"two_kinds":      "rules[0] (both): exactly one of",
		"bad_template":   "rules[0] (tmpl): summary:",
		// Parses, but fails when run: refused at start, not at every alert.
		"misspelt_metric":        `rules[0] (low_stock): metric.name: "inventory.availble" is neither a paymentbi or span metric nor listed in known_metrics`,
		"unknown_reference":      `rules[0] (queue): metric.relative_to: "app.queue.capacity"`,
		"unknown_template_field": "rules[0] (tmpl): summary: template: summary:1:2: executing \"summary\" at <.Nope>: can't evaluate field Nope",
		"bad_resolve":            "rules[0] (hyst): metric.resolve_below: needs op > or >=",
		"bad_severity":           `rules[0] (sev): severity: "urgent" is not one of critical, high, warning, info`,
		"no_interval":            "evaluation_interval: must be positive",
		"misspelt_group_by":      `rules[0] (failures): group_by[1]: "payment.provder" is neither a contract attribute nor in an OpenTelemetry namespace; list it in known_attributes`,
		"unknown_match_key":      `rules[0] (slow): span_latency.match.attributes[1].key: "tenant" is neither a contract attribute`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(t, "config.yaml", name)
			require.Error(t, err)
			assert.Contains(t, err.Error(), want)
		})
	}
}

// The shipped rule set must load and validate as the lead copies it into
// config/otelcol.yaml.
func TestDefaultRuleSetLoads(t *testing.T) {
	cfg, err := loadConfig(t, "default_rules.yaml", "")
	require.NoError(t, err)
	compiled, err := compileRules(cfg)
	require.NoError(t, err)
	kinds := map[ruleKind]int{}
	for _, r := range compiled {
		kinds[r.kind]++
	}
	for _, k := range []ruleKind{kindLatency, kindRatio, kindMetric, kindAnomaly, kindEvent, kindAbsence} {
		assert.NotZero(t, kinds[k], "default rule set lacks rule kind %d", k)
	}
	names := map[string]bool{}
	for _, r := range cfg.Rules {
		names[r.Name] = true
	}
	for _, n := range []string{
		"api_response_time", "db_query_time", "payment_processing_time", "email_delivery_time", "inventory_check_time",
		"high_error_rate", "payment_failure_rate", "critical_payment_failure", "security_incident", "low_stock", "sells_out_soon", "unsold_at_event", "experiment_guardrail", "revenue_anomaly", "revenue_stopped",
	} {
		assert.True(t, names[n], "default rule set lacks %s", n)
	}
}

// Declared and built-in metric names and attribute keys pass (contract
// keys, OpenTelemetry namespaces, derived labels); allow_unknown_metrics and
// allow_unknown_attributes skip the checks.
func TestKnownMetrics(t *testing.T) {
	for _, name := range []string{"declared_metrics", "allow_unknown", "declared_attributes", "allow_unknown_attributes"} {
		_, err := loadConfig(t, "config.yaml", name)
		require.NoError(t, err, name)
	}
}
