package contract

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// repoRoot is where the shipped rules, dashboards and profiles are.
const repoRoot = "../.."

// promNames are the series and label names the collector's Prometheus
// endpoint and Prometheus itself give a query.
func promNames() (series, labels map[string]bool) {
	series = map[string]bool{"up": true, "ALERTS": true, "ALERTS_FOR_STATE": true}
	// Target and alert labels Prometheus adds; le of histogram buckets.
	labels = map[string]bool{"job": true, "instance": true, "le": true, "alertname": true, "alertstate": true, "severity": true, "__name__": true}
	for _, m := range slices.Concat(BusinessMetrics, SpanMetrics) {
		for _, s := range m.PrometheusSeries() {
			series[s] = true
		}
		for _, l := range m.Labels {
			labels[PrometheusLabel(l)] = true
		}
	}
	return series, labels
}

var promKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"bool": true, "and": true, "or": true, "unless": true, "offset": true, "inf": true, "nan": true,
}

var promAggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "count": true, "stddev": true, "stdvar": true,
	"topk": true, "bottomk": true, "quantile": true, "count_values": true, "group": true, "limitk": true, "limit_ratio": true,
}

// promQLNames returns the series and label names a PromQL expression
// refers to. It is a scanner, not a parser: strings, ranges and Grafana
// variables are skipped; an identifier before '(' is a function, the
// list after by/without/on/ignoring/group_* holds labels, an identifier
// inside {} before a matcher is a label, any other identifier a series.
func promQLNames(expr string) (series, labels []string) {
	ident := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*`)
	inBraces, labelList := false, false
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(expr) && expr[j] != c {
				if expr[j] == '\\' {
					j++
				}
				j++
			}
			i = j + 1
			continue
		case c == '[':
			i += strings.IndexByte(expr[i:], ']') + 1
			continue
		case c == '$':
			m := regexp.MustCompile(`^\$\{?[a-zA-Z0-9_]+\}?`).FindString(expr[i:])
			i += max(len(m), 1)
			continue
		case c == '{':
			inBraces = true
		case c == '}':
			inBraces = false
		case c == ')':
			labelList = false
		case c >= '0' && c <= '9' || c == '.':
			// Numbers and durations (5m, 0.95, 1e3).
			i += len(regexp.MustCompile(`^[0-9.]+([eE][-+]?[0-9]+)?[a-zA-Z]*`).FindString(expr[i:]))
			continue
		}
		id := ident.FindString(expr[i:])
		if id == "" {
			i++
			continue
		}
		i += len(id)
		next := strings.TrimLeft(expr[i:], " \t\n")
		switch {
		case inBraces || labelList:
			labels = append(labels, id)
		case promKeywords[strings.ToLower(id)]:
			if id != "bool" && id != "and" && id != "or" && id != "unless" && id != "offset" {
				labelList = strings.HasPrefix(next, "(")
				if labelList {
					i += strings.IndexByte(expr[i:], '(') + 1
				}
			}
		case strings.HasPrefix(next, "(") || promAggregations[id]:
			// A function or aggregation (sum by (x) (...)).
		default:
			series = append(series, id)
		}
	}
	return series, labels
}

func TestPromQLNamesScanner(t *testing.T) {
	series, labels := promQLNames(`histogram_quantile(0.95, sum by (le, job) (rate(traces_span_metrics_duration_milliseconds_bucket{span_name=~"payment\\.charge|x"}[5m]))) > 5000
  and on (job) sum(increase(payment_attempts_total{payment_status!="fail ed"}[$__rate_interval])) >= 1e3 / ALERTS`)
	assert.Equal(t, []string{"traces_span_metrics_duration_milliseconds_bucket", "payment_attempts_total", "ALERTS"}, series)
	assert.Equal(t, []string{"le", "job", "span_name", "job", "payment_status"}, labels)
}

type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Record, Alert, Expr string
			Labels              map[string]string
			Annotations         map[string]string
		}
	}
}

var templateLabel = regexp.MustCompile(`\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)`)

// Every series and label in the Prometheus recording and alerting rules and
// in the rule unit tests' input is a contract metric, a recording rule or
// a name Prometheus adds.
func TestPrometheusRulesUseContractNames(t *testing.T) {
	series, labels := promNames()
	var files []ruleFile
	for _, name := range []string{"recording_rules.yml", "alerting_rules.yml"} {
		var f ruleFile
		b, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "prometheus", name))
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(b, &f))
		files = append(files, f)
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					series[r.Record] = true
				}
			}
		}
	}
	checked := 0
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				s, l := promQLNames(r.Expr)
				for _, name := range s {
					assert.True(t, series[name], "rule %s%s: unknown series %q", r.Record, r.Alert, name)
				}
				for _, name := range l {
					assert.True(t, labels[name], "rule %s%s: unknown label %q", r.Record, r.Alert, name)
				}
				for _, a := range r.Annotations {
					for _, m := range templateLabel.FindAllStringSubmatch(a, -1) {
						assert.True(t, labels[m[1]], "rule %s: annotation uses unknown label %q", r.Alert, m[1])
					}
				}
				checked += len(s)
			}
		}
	}
	assert.Greater(t, checked, 20, "the scanner found the rules' series")

	var tests struct {
		Tests []struct {
			InputSeries []struct {
				Series string `yaml:"series"`
			} `yaml:"input_series"`
		}
	}
	b, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "prometheus", "rules_test.yml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &tests))
	for _, tc := range tests.Tests {
		for _, in := range tc.InputSeries {
			s, l := promQLNames(in.Series)
			for _, name := range s {
				assert.True(t, series[name], "rules_test input: unknown series %q", name)
			}
			for _, name := range l {
				assert.True(t, labels[name], "rules_test input %s: unknown label %q", in.Series, name)
			}
		}
	}
}

var legendLabel = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// The Grafana dashboard's queries and legends use contract names only.
func TestGrafanaDashboardUsesContractNames(t *testing.T) {
	series, labels := promNames()
	b, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "prometheus", "recording_rules.yml"))
	require.NoError(t, err)
	var rules ruleFile
	require.NoError(t, yaml.Unmarshal(b, &rules))
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			series[r.Record] = true
		}
	}
	b, err = os.ReadFile(filepath.Join(repoRoot, "deploy", "grafana", "payments-dashboard.json"))
	require.NoError(t, err)
	var dash any
	require.NoError(t, json.Unmarshal(b, &dash))
	exprs := 0
	walkJSON(dash, func(key string, v string) {
		switch key {
		case "expr":
			exprs++
			s, l := promQLNames(v)
			for _, name := range s {
				assert.True(t, series[name], "query %q: unknown series %q", v, name)
			}
			for _, name := range l {
				assert.True(t, labels[name], "query %q: unknown label %q", v, name)
			}
		case "legendFormat":
			for _, m := range legendLabel.FindAllStringSubmatch(v, -1) {
				assert.True(t, labels[m[1]], "legend %q: unknown label %q", v, m[1])
			}
		}
	})
	assert.Greater(t, exprs, 20)
}

func walkJSON(v any, fn func(key, value string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok {
				fn(k, s)
			}
			walkJSON(x, fn)
		}
	case []any:
		for _, x := range v {
			walkJSON(x, fn)
		}
	}
}

// Threshold rules in every shipped profile and in the connector's default
// rules name contract metrics (or the profile's own known_metrics), and
// group metric rules by their labels.
func TestThresholdRulesUseContractMetrics(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "config", "*.yaml"))
	require.NoError(t, err)
	overlays, err := filepath.Glob(filepath.Join(repoRoot, "config", "overlays", "*.yaml"))
	require.NoError(t, err)
	files = slices.Concat(files, overlays, []string{filepath.Join(repoRoot, "connector", "threshold", "testdata", "default_rules.yaml")})
	checked := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		var doc any
		require.NoError(t, yaml.Unmarshal(b, &doc), file)
		walkThresholdConfigs(doc, func(cfg map[string]any) {
			known := map[string]bool{}
			if list, ok := cfg["known_metrics"].([]any); ok {
				for _, n := range list {
					known[n.(string)] = true
				}
			}
			rules, _ := cfg["rules"].([]any)
			for _, r := range rules {
				rule, _ := r.(map[string]any)
				for _, ref := range metricRefs(rule) {
					m, ok := LookupMetric(ref.name)
					assert.True(t, ok || known[ref.name], "%s: rule %v: unknown metric %q", file, rule["name"], ref.name)
					checked++
					for _, l := range ref.groupBy {
						assert.True(t, !ok || slices.Contains(m.Labels, l), "%s: rule %v: %s has no label %q", file, rule["name"], ref.name, l)
					}
				}
			}
		})
	}
	assert.Greater(t, checked, 3, "the shipped rules refer to metrics")
}

type metricRef struct {
	name    string
	groupBy []string
}

func metricRefs(rule map[string]any) []metricRef {
	var groupBy []string
	if g, ok := rule["group_by"].([]any); ok {
		for _, x := range g {
			groupBy = append(groupBy, x.(string))
		}
	}
	var refs []metricRef
	if m, ok := rule["metric"].(map[string]any); ok {
		for _, k := range []string{"name", "relative_to"} {
			if n, ok := m[k].(string); ok && n != "" {
				refs = append(refs, metricRef{n, groupBy})
			}
		}
	}
	if a, ok := rule["anomaly"].(map[string]any); ok {
		if n, ok := a["metric"].(string); ok && n != "" {
			refs = append(refs, metricRef{n, groupBy})
		}
	}
	return refs
}

// walkThresholdConfigs calls fn with every map holding a rules list, which
// is a threshold connector's config (or the default rules file).
func walkThresholdConfigs(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["rules"].([]any); ok {
			fn(v)
		}
		for _, x := range v {
			walkThresholdConfigs(x, fn)
		}
	case []any:
		for _, x := range v {
			walkThresholdConfigs(x, fn)
		}
	}
}

func TestPrometheusName(t *testing.T) {
	for name, want := range map[string]string{
		MetricPaymentAttempts:                      "payment_attempts_total",
		MetricPaymentDuration:                      "payment_duration_seconds",
		MetricCheckoutConversionRatio:              "checkout_conversion_ratio",
		MetricRevenueDaily:                         "payment_revenue_daily",
		MetricRevenueDaily + RevenueProgressSuffix: "payment_revenue_daily_progress_ratio",
		MetricSpanDuration:                         "traces_span_metrics_duration_milliseconds",
		MetricSpanCalls:                            "traces_span_metrics_calls_total",
		MetricCustomerLifetimeValue:                "customer_lifetime_value_average",
		// The exporter spells a per-unit out: "{item}/h" is "_per_hour".
		MetricInventoryDepletionRate: "inventory_depletion_rate_per_hour",
		MetricInventorySellOutHours:  "inventory_sellout_hours",
	} {
		m, ok := LookupMetric(name)
		require.True(t, ok, name)
		assert.Equal(t, want, m.PrometheusName(), name)
	}
}
