package channel

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Funcs are available to every message template.
var Funcs = template.FuncMap{
	"upper":       strings.ToUpper,
	"lower":       strings.ToLower,
	"join":        strings.Join,
	"truncate":    func(n int, s string) string { return Truncate(s, n) },
	"sortedPairs": SortedPairs,
	"annotations": Annotations,
}

// DefaultTitle and DefaultText are the message templates of the chat, email
// and SMS channels unless configured otherwise.
const (
	DefaultTitle = `{{ .Headline }}`
	DefaultText  = `{{ range .Alerts }}{{ if eq .Status "firing" }}🔥{{ else }}✅{{ end }} [{{ .Severity | upper }}] {{ .Name }}: {{ .Summary }}
{{ with .Labels }}   {{ sortedPairs . }}
{{ end }}{{ with .RunbookURL }}   Runbook: {{ . }}
{{ end }}{{ end }}`
)

// Template is a parsed text template.
type Template struct{ t *template.Template }

// ParseTemplate parses text, or def when text is empty. name shows in errors.
func ParseTemplate(name, text, def string) (*Template, error) {
	if text == "" {
		text = def
	}
	t, err := template.New(name).Funcs(Funcs).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := t.Execute(io.Discard, sampleNotification()); err != nil {
		return nil, fmt.Errorf("%s: fails on a sample notification: %w", name, err)
	}
	return &Template{t: t}, nil
}

// MustParseTemplate is ParseTemplate for templates known to be valid.
func MustParseTemplate(name, text, def string) *Template {
	t, err := ParseTemplate(name, text, def)
	if err != nil {
		panic(err)
	}
	return t
}

// Execute renders the template for n; a render error becomes permanent, as
// retrying cannot fix a template.
func (t *Template) Execute(n *Notification) (string, error) {
	var b bytes.Buffer
	if err := t.t.Execute(&b, n); err != nil {
		return "", renderError(t.t.Name(), err)
	}
	return b.String(), nil
}

// HTMLTemplate is a parsed html/template, escaping alert content.
type HTMLTemplate struct{ t *htmltemplate.Template }

// ParseHTMLTemplate parses text, or def when text is empty.
func ParseHTMLTemplate(name, text, def string) (*HTMLTemplate, error) {
	if text == "" {
		text = def
	}
	t, err := htmltemplate.New(name).Funcs(htmltemplate.FuncMap(Funcs)).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := t.Execute(io.Discard, sampleNotification()); err != nil {
		return nil, fmt.Errorf("%s: fails on a sample notification: %w", name, err)
	}
	return &HTMLTemplate{t: t}, nil
}

// Execute renders the template for n.
func (t *HTMLTemplate) Execute(n *Notification) (string, error) {
	var b bytes.Buffer
	if err := t.t.Execute(&b, n); err != nil {
		return "", renderError(t.t.Name(), err)
	}
	return b.String(), nil
}

// AlertTemplate is a text template over one contract.Alert.
type AlertTemplate struct{ t *template.Template }

// ParseAlertTemplate parses text, or def when text is empty.
func ParseAlertTemplate(name, text, def string) (*AlertTemplate, error) {
	if text == "" {
		text = def
	}
	t, err := template.New(name).Funcs(Funcs).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := t.Execute(io.Discard, sampleNotification().Alerts[0]); err != nil {
		return nil, fmt.Errorf("%s: fails on a sample alert: %w", name, err)
	}
	return &AlertTemplate{t: t}, nil
}

// sampleNotification is what templates are tried on at start, so that a
// template naming a field that does not exist ({{ .Nope }}) is refused
// then, not at every notification: one firing and one resolved alert with
// labels, value and threshold.
func sampleNotification() *Notification {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	alert := func(name, status, severity string) contract.Alert {
		labels := map[string]string{contract.ServiceName: "checkout", contract.PaymentProvider: "stripe"}
		return contract.Alert{
			Name: name, Status: status, Severity: severity, Labels: labels,
			Fingerprint: contract.ComputeFingerprint(name, labels), Summary: name + " above threshold",
			Description: "sample", Value: 0.12, Threshold: 0.05, StartsAt: start,
			RunbookURL: "https://runbooks.example.com/" + name, GeneratorURL: "https://example.com/alerting",
		}
	}
	resolved := alert("sample_resolved", contract.AlertResolved, contract.SeverityWarning)
	resolved.EndsAt = start.Add(10 * time.Minute)
	return &Notification{
		Receiver: "sample", Channel: "sample", GroupKey: `{alert.name="sample_firing"}`,
		GroupLabels:  map[string]string{contract.AlertName: "sample_firing"},
		CommonLabels: map[string]string{contract.ServiceName: "checkout"},
		Alerts:       []contract.Alert{alert("sample_firing", contract.AlertFiring, contract.SeverityCritical), resolved},
		Level:        1, ExternalURL: "https://alerts.example.com",
	}
}

// Execute renders the template for a.
func (t *AlertTemplate) Execute(a contract.Alert) (string, error) {
	var b bytes.Buffer
	if err := t.t.Execute(&b, a); err != nil {
		return "", renderError(t.t.Name(), err)
	}
	return b.String(), nil
}

var (
	// execLocation is text/template's "template: NAME:LINE:COL: executing
	// "NAME" at <NODE>" prefix: template source only.
	execLocation = regexp.MustCompile(`^template: .*?: executing ".*?" at <.*?>`)
	// missingField is the usual user mistake; field and type names come
	// from the template and our code, never from alert values.
	missingField = regexp.MustCompile(`: (can't evaluate field \w+ in type [\w.*\[\]]+)$`)
)

// renderError makes a failed execution permanent, since retrying cannot fix
// a template, and keeps only its location: text/template quotes the values
// it failed on (e.g. "range can't iterate over <alert summary>"), which may
// be customer data that must not reach the logs.
func renderError(name string, err error) error {
	var exec template.ExecError
	if !errors.As(err, &exec) {
		// html/template escaping errors describe the template, not the data.
		return Permanent(fmt.Errorf("render %s: %w", name, err))
	}
	msg := err.Error()
	where := execLocation.FindString(msg)
	if where == "" {
		where = "template: " + exec.Name
	}
	reason := "execution failed (details withheld: they may quote alert content)"
	if m := missingField.FindStringSubmatch(msg); m != nil {
		reason = m[1]
	}
	return Permanent(fmt.Errorf("render %s: %s: %s", name, where, reason))
}
