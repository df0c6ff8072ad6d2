package threshold

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func durMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// matchText renders a matcher compactly for alert.rule.
func matchText(m MatchConfig) string {
	var parts []string
	if len(m.SpanNames) > 0 {
		parts = append(parts, "span "+strings.Join(m.SpanNames, "|"))
	}
	if m.SpanKind != "" {
		parts = append(parts, m.SpanKind+" spans")
	}
	if m.SpanStatus != "" {
		parts = append(parts, "status "+m.SpanStatus)
	}
	if len(m.EventNames) > 0 {
		parts = append(parts, "event "+strings.Join(m.EventNames, "|"))
	}
	if a := attrsText(m.Attributes); a != "" {
		parts = append(parts, a)
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, " ")
}

// namesText is matchText without attribute filters when names say enough:
// the labels carry the values that matter.
func namesText(m MatchConfig) string {
	if len(m.EventNames) > 0 || len(m.SpanNames) > 0 {
		m.Attributes = nil
	}
	return matchText(m)
}

// fmtDur renders 10m0s as 10m and 1h30m0s as 1h30m.
func fmtDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func attrsText(ac []AttributeConfig) string {
	if len(ac) == 0 {
		return ""
	}
	parts := make([]string, 0, len(ac))
	for _, a := range ac {
		op := "="
		if a.Not {
			op = "!="
		}
		switch {
		case len(a.Values) == 0 && a.Not:
			parts = append(parts, "!"+a.Key)
		case len(a.Values) == 0:
			parts = append(parts, a.Key)
		default:
			parts = append(parts, a.Key+op+strings.Join(a.Values, "|"))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// templateData is what summary and description templates see.
type templateData struct {
	Name      string
	Status    string
	Severity  string
	Value     float64
	Threshold float64
	Op        string
	Subject   string
	Expr      string
	Labels    map[string]string
	// Unit of Value and Threshold: "ms", "%" (a ratio), "/s" or "".
	Unit string
	// Reference is the relative_to metric's value (metric rules), NaN
	// otherwise.
	Reference float64
	// NoData is set on a resolve that happened because the rule had no data
	// to evaluate (a gap, a stopped service), not because the value recovered.
	NoData bool
}

// LabelText renders the labels as "k=v, k=v" in key order.
func (d templateData) LabelText() string {
	keys := make([]string, 0, len(d.Labels))
	for k := range d.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + d.Labels[k])
	}
	return b.String()
}

// HasThreshold is false for event rules, which have none.
func (d templateData) HasThreshold() bool { return !math.IsNaN(d.Threshold) }

// ValueText and ThresholdText are the figures with their unit.
func (d templateData) ValueText() string     { return withUnit(d.Value, d.Unit) }
func (d templateData) ThresholdText() string { return withUnit(d.Threshold, d.Unit) }

// OpText is the operator in words, as in "is 812 ms, above 500 ms".
func (d templateData) OpText() string {
	switch d.Op {
	case ">":
		return "above"
	case ">=":
		return "at or above"
	case "<":
		return "below"
	case "<=":
		return "at or below"
	case "==":
		return "equal to"
	case "!=":
		return "not equal to"
	}
	return d.Op
}

func withUnit(v float64, unit string) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	switch unit {
	case "%":
		return strconv.FormatFloat(v*100, 'f', 1, 64) + " %"
	case "ms":
		return formatValue(v) + " ms"
	case "":
		return formatValue(v)
	}
	return formatValue(v) + unit
}

// formatValue is contract.FormatNumber: thousands separators, never an
// exponent ("11,810 ms", not "1.181e+04 ms").
func formatValue(v float64) string { return contract.FormatNumber(v) }

// The alert name is not part of any default summary: channels print it
// next to the summary already.
const (
	labelSuffix = `{{with .LabelText}} [{{.}}]{{end}}`
	// defaultSummary serves latency, ratio and metric rules.
	defaultSummary = `{{if eq .Status "resolved"}}` +
		`{{if .NoData}}Resolved for lack of data: no {{.Subject}} to evaluate (a data gap, not a recovery){{else}}` +
		`Recovered: {{.Subject}} is {{.ValueText}} (threshold {{.ThresholdText}}){{end}}` +
		`{{else}}{{.Subject}} is {{.ValueText}}, {{.OpText}} the threshold of {{.ThresholdText}}{{end}}` + labelSuffix
	anomalySummary = `{{if eq .Status "resolved"}}` +
		`{{if .NoData}}Resolved for lack of data: no {{.Subject}} samples (a data gap, not a recovery){{else}}` +
		`Recovered: {{.Subject}} is {{.ValueText}}, back within its usual range{{end}}` +
		`{{else}}{{.Subject}} is {{.ValueText}}, {{if lt .Value .Threshold}}below{{else}}above{{end}} its usual range (bound {{.ThresholdText}}){{end}}` + labelSuffix
	eventSummary = `{{if eq .Status "resolved"}}Quiet again: no more {{.Subject}}` +
		`{{else}}{{value .Value}} × {{.Subject}}{{end}}` + labelSuffix
)

// defaultSummary is the summary template of a rule without one.
func (r *rule) defaultSummary() string {
	switch r.kind {
	case kindAnomaly:
		return anomalySummary
	case kindEvent:
		return eventSummary
	case kindAbsence:
		w := fmtDur(r.absenceWindow)
		return `{{if eq .Status "resolved"}}Resumed: {{.Subject}} arriving again ({{value .Value}} in the last ` + w + `)` +
			`{{else}}No {{.Subject}} for ` + w + `, normally {{printf "%.0f" .Threshold}} in that time{{end}}` + labelSuffix
	}
	return defaultSummary
}

var templateFuncs = template.FuncMap{
	// value formats a number for people (contract.FormatNumber).
	"value": func(v float64) string {
		if math.IsNaN(v) {
			return "n/a"
		}
		return formatValue(v)
	},
	// mul100 turns a ratio into a percentage.
	"mul100": func(v float64) float64 { return v * 100 },
}

func parseTemplate(field, text, def string) (*template.Template, error) {
	if text == "" {
		text = def
	}
	if text == "" {
		return nil, nil
	}
	t, err := template.New(field).Funcs(templateFuncs).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	// Parsing accepts {{.Nope}}; only running it finds out. Run it on a
	// firing and a resolved sample so the mistake stops the start instead
	// of every alert silently falling back to "name: expr".
	for _, status := range []string{"firing", "resolved"} {
		sample := templateData{Name: "sample_rule", Status: status, Severity: "warning", Value: 1, Threshold: 2, Op: ">", Subject: "value", Expr: "value > 2", Labels: map[string]string{"service.name": "checkout"}}
		if err := t.Execute(io.Discard, sample); err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
	}
	return t, nil
}

func render(t *template.Template, d templateData) string {
	if t == nil {
		return ""
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		// A template that fails at run time still yields a usable alert.
		return d.Name + ": " + d.Expr
	}
	return b.String()
}
