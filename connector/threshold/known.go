package threshold

import (
	"fmt"
	"slices"
	"strings"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// checkMetricNames refuses metric and anomaly rules on a metric nobody
// emits: a misspelt name (inventory.availble) would otherwise never fire,
// silently. Known are the paymentbi connector's metrics, the span metrics
// and cfg.KnownMetrics (an application's own metrics); allow_unknown_metrics
// turns the check off.
func checkMetricNames(cfg *Config) []error {
	if cfg.AllowUnknownMetrics {
		return nil
	}
	known := func(name string) bool {
		// The contract lists paymentbi's metrics and the span metrics under
		// the profiles' namespace.
		_, inContract := contract.LookupMetric(name)
		return inContract || slices.Contains(cfg.KnownMetrics, name)
	}
	var errs []error
	check := func(i int, rc *RuleConfig, field, name string) {
		if name != "" && !known(name) {
			errs = append(errs, fmt.Errorf("rules[%d] (%s): %s: %q is neither a paymentbi or span metric nor listed in known_metrics (or set allow_unknown_metrics: true)", i, rc.Name, field, name))
		}
	}
	for i := range cfg.Rules {
		rc := &cfg.Rules[i]
		if rc.Metric != nil {
			check(i, rc, "metric.name", rc.Metric.Name)
			check(i, rc, "metric.relative_to", rc.Metric.RelativeTo)
		}
		if rc.Anomaly != nil {
			check(i, rc, "anomaly.metric", rc.Anomaly.Metric)
		}
	}
	return errs
}

// semconvNamespaces are OpenTelemetry semantic convention namespaces:
// keys in them pass unchecked (the registry is too large to list key by
// key).
var semconvNamespaces = []string{
	"android", "app", "artifact", "aws", "az", "azure", "browser", "cassandra", "cicd", "client", "cloud",
	"cloudevents", "cloudfoundry", "code", "container", "cpu", "cpython", "db", "deployment", "destination",
	"device", "disk", "dns", "dotnet", "elasticsearch", "enduser", "error", "event", "exception", "faas",
	"feature_flag", "file", "gcp", "gen_ai", "geo", "go", "graphql", "hardware", "heroku", "host", "http", "hw",
	"ios", "jvm", "k8s", "linux", "log", "mainframe", "messaging", "network", "nodejs", "oci", "openai",
	"opentracing", "os", "otel", "peer", "pprof", "process", "profile", "rpc", "security_rule", "server",
	"service", "session", "signalr", "source", "system", "telemetry", "test", "thread", "tls", "url", "user",
	"user_agent", "v8js", "vcs", "webengine", "zos",
}

// isMetricLabel reports whether key is a label the contract's metrics
// carry (paymentbi's and the span metrics'), besides attribute keys.
func isMetricLabel(key string) bool {
	for _, ms := range [][]contract.Metric{contract.BusinessMetrics, contract.SpanMetrics} {
		for _, m := range ms {
			if slices.Contains(m.Labels, key) {
				return true
			}
		}
	}
	return false
}

// checkAttributeKeys refuses rules grouping or matching on an attribute
// nobody sends: a misspelt key (payment.provder) would group every item
// under one empty value or never match, silently. Keys in the contract's
// namespaces must be contract keys; keys in OpenTelemetry namespaces pass;
// any other key must be listed in known_attributes, unless
// allow_unknown_attributes is set.
func checkAttributeKeys(cfg *Config) []error {
	if cfg.AllowUnknownAttributes {
		return nil
	}
	known := func(key string) bool {
		if slices.Contains(cfg.KnownAttributes, key) || slices.Contains(contract.AttributeKeys(), key) ||
			isMetricLabel(key) {
			return true
		}
		ns, _, ok := strings.Cut(key, ".")
		return ok && !contract.IsContractNamespace(key) && slices.Contains(semconvNamespaces, ns)
	}
	var errs []error
	check := func(i int, rc *RuleConfig, field, key string) {
		if key != "" && !known(key) {
			errs = append(errs, fmt.Errorf("rules[%d] (%s): %s: %q is neither a contract attribute nor in an OpenTelemetry namespace; list it in known_attributes (or set allow_unknown_attributes: true)", i, rc.Name, field, key))
		}
	}
	matchKeys := func(i int, rc *RuleConfig, field string, m MatchConfig) {
		for j, a := range m.Attributes {
			check(i, rc, fmt.Sprintf("%s.attributes[%d].key", field, j), a.Key)
		}
	}
	for i := range cfg.Rules {
		rc := &cfg.Rules[i]
		for j, k := range rc.GroupBy {
			check(i, rc, fmt.Sprintf("group_by[%d]", j), k)
		}
		switch {
		case rc.SpanLatency != nil:
			matchKeys(i, rc, "span_latency.match", rc.SpanLatency.Match)
		case rc.Ratio != nil:
			matchKeys(i, rc, "ratio.of", rc.Ratio.Of)
			matchKeys(i, rc, "ratio.where", rc.Ratio.Where)
		case rc.Metric != nil:
			for j, a := range rc.Metric.Attributes {
				check(i, rc, fmt.Sprintf("metric.attributes[%d].key", j), a.Key)
			}
		case rc.Anomaly != nil:
			for j, a := range rc.Anomaly.Attributes {
				check(i, rc, fmt.Sprintf("anomaly.attributes[%d].key", j), a.Key)
			}
		case rc.Event != nil:
			matchKeys(i, rc, "event.match", rc.Event.Match)
		case rc.Absence != nil:
			matchKeys(i, rc, "absence.match", rc.Absence.Match)
		}
	}
	return errs
}
