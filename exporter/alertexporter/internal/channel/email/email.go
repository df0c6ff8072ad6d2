// Package email sends notifications over SMTP with go-mail: STARTTLS
// (default), implicit TLS or plain, optional auth, and a multipart body with
// plain-text and HTML alternatives.
package email

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	gomail "github.com/wneessen/go-mail"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
)

// Security modes.
const (
	SecuritySTARTTLS = "starttls"
	SecurityTLS      = "tls"
	SecurityNone     = "none"
)

const (
	maxSubject  = 200
	defaultHTML = `<!DOCTYPE html><html><body style="font-family:sans-serif">
<h2>{{ .Headline }}</h2>
<table cellpadding="6" style="border-collapse:collapse">
{{ range .Alerts }}<tr style="border-top:1px solid #ddd">
<td><b>{{ .Status | upper }}</b></td><td>{{ .Severity | upper }}</td>
<td><b>{{ .Name }}</b>: {{ .Summary }}{{ with .Labels }}<br><small>{{ sortedPairs . }}</small>{{ end }}{{ with .RunbookURL }}<br><a href="{{ . }}">Runbook</a>{{ end }}</td>
</tr>
{{ end }}</table>
<p><small>Receiver {{ .Receiver }}{{ if gt .Level 1 }}, escalation level {{ .Level }}{{ end }}</small></p>
</body></html>`
)

// Config of an email channel.
type Config struct {
	Host string `mapstructure:"host"`
	// Port defaults to 587 for starttls and none, 465 for tls.
	Port int `mapstructure:"port"`
	// Security is starttls (required, default), tls (implicit) or none.
	Security string                 `mapstructure:"security"`
	TLS      configtls.ClientConfig `mapstructure:"tls"`
	Username string                 `mapstructure:"username"`
	Password configopaque.String    `mapstructure:"password"`
	From     string                 `mapstructure:"from"`
	// To is a comma-separated list of addresses (one env var friendly).
	To      string `mapstructure:"to"`
	Subject string `mapstructure:"subject"`
	Text    string `mapstructure:"text"`
	HTML    string `mapstructure:"html"`
}

// Validate checks the config.
func (c *Config) Validate() error {
	var errs []error
	if c.Host == "" {
		errs = append(errs, errors.New("email.host is required"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, errors.New("email.port must be between 1 and 65535"))
	}
	switch c.Security {
	case "", SecuritySTARTTLS, SecurityTLS, SecurityNone:
	default:
		errs = append(errs, fmt.Errorf("email.security %q: want starttls, tls or none", c.Security))
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, errors.New("email.from must be an email address"))
	}
	if to, err := Recipients(c.To); err != nil {
		errs = append(errs, err)
	} else if len(to) == 0 {
		errs = append(errs, errors.New("email.to: at least one recipient is required"))
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New("email.username is required with a password"))
	}
	if _, err := newTemplates(c); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Recipients parses a comma-separated address list.
func Recipients(s string) ([]string, error) {
	var out []string
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if _, err := mail.ParseAddress(r); err != nil {
			// Not echoing the address: it is personal data.
			return nil, errors.New("email.to: every recipient must be an email address")
		}
		out = append(out, r)
	}
	return out, nil
}

type templates struct {
	subject, text *channel.Template
	html          *channel.HTMLTemplate
}

func newTemplates(c *Config) (*templates, error) {
	var t templates
	var err error
	if t.subject, err = channel.ParseTemplate("email.subject", c.Subject, channel.DefaultTitle); err != nil {
		return nil, err
	}
	if t.text, err = channel.ParseTemplate("email.text", c.Text, channel.DefaultText); err != nil {
		return nil, err
	}
	if t.html, err = channel.ParseHTMLTemplate("email.html", c.HTML, defaultHTML); err != nil {
		return nil, err
	}
	return &t, nil
}

// Notifier sends mail.
type Notifier struct {
	cfg  *Config
	to   []string
	tmpl *templates
	opts []gomail.Option
}

// New builds a notifier; ctx is for loading TLS files.
func New(ctx context.Context, cfg *Config) (*Notifier, error) {
	tmpl, err := newTemplates(cfg)
	if err != nil {
		return nil, err
	}
	to, err := Recipients(cfg.To)
	if err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.TLS.LoadTLSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("email.tls: %w", err)
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = cfg.Host
	}
	port := cfg.Port
	opts := []gomail.Option{gomail.WithTLSConfig(tlsCfg)}
	switch cfg.Security {
	case SecurityTLS:
		if port == 0 {
			port = 465
		}
		opts = append(opts, gomail.WithSSL())
	case SecurityNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if port == 0 {
		port = 587
	}
	opts = append(opts, gomail.WithPort(port))
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(string(cfg.Password)))
	}
	return &Notifier{cfg: cfg, to: to, tmpl: tmpl, opts: opts}, nil
}

// Message renders the mail for n to every recipient.
func (e *Notifier) Message(n *channel.Notification) (*gomail.Msg, error) {
	return e.message(n, e.to)
}

func (e *Notifier) message(n *channel.Notification, to []string) (*gomail.Msg, error) {
	subject, err := e.tmpl.subject.Execute(n)
	if err != nil {
		return nil, err
	}
	text, err := e.tmpl.text.Execute(n)
	if err != nil {
		return nil, err
	}
	html, err := e.tmpl.html.Execute(n)
	if err != nil {
		return nil, err
	}
	m := gomail.NewMsg()
	if err := m.From(e.cfg.From); err != nil {
		return nil, channel.Permanent(fmt.Errorf("from: %w", err))
	}
	if err := m.To(to...); err != nil {
		return nil, channel.Permanent(errors.New("invalid recipient"))
	}
	m.Subject(channel.Truncate(strings.ReplaceAll(subject, "\n", " "), maxSubject))
	m.SetDate()
	m.SetMessageID()
	m.SetBodyString(gomail.TypeTextPlain, text)
	m.AddAlternativeString(gomail.TypeTextHTML, html)
	return m, nil
}

// Notify sends the mail. Temporary SMTP failures (4xx) and connection
// problems are retryable; permanent rejections (5xx) are not. When the
// server refuses a recipient for good, go-mail sends to nobody: the mail
// then goes to each recipient alone, so the others still get it (and a
// retry skips those who did).
func (e *Notifier) Notify(ctx context.Context, n *channel.Notification) error {
	var to []string
	for _, r := range e.to {
		if !n.WasDelivered(r) {
			to = append(to, r)
		}
	}
	if len(to) == 0 {
		return nil
	}
	err := e.send(ctx, n, to)
	var serr *gomail.SendError
	if len(to) == 1 || !errors.As(err, &serr) || serr.Reason != gomail.ErrSMTPRcptTo || serr.IsTemp() {
		return err
	}
	var refused error
	for _, r := range to {
		err := e.send(ctx, n, []string{r})
		var cerr *channel.Error
		switch {
		case err == nil:
			n.MarkDelivered(r)
		case errors.As(err, &cerr) && !cerr.Retryable:
			refused = cmp.Or(refused, err)
		default:
			return err
		}
	}
	return refused
}

func (e *Notifier) send(ctx context.Context, n *channel.Notification, to []string) error {
	m, err := e.message(n, to)
	if err != nil {
		return err
	}
	opts := e.opts
	if e.cfg.Security != SecurityTLS {
		// go-mail honours ctx only while dialing: a server that accepts the
		// connection and never answers held an attempt (and SIGTERM) for
		// minutes. The connection is closed when ctx ends instead.
		opts = append(slices.Clip(opts), gomail.WithDialContextFunc(func(dctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(dctx, network, addr)
			if err == nil {
				context.AfterFunc(ctx, func() { conn.Close() })
			}
			return conn, err
		}))
	}
	client, err := gomail.NewClient(e.cfg.Host, opts...)
	if err != nil {
		return channel.Permanent(fmt.Errorf("smtp client: %w", err))
	}
	if err := sendWithContext(ctx, client, m); err != nil {
		// go-mail's errors list the affected recipients and servers echo
		// them; the error is logged, so addresses are masked.
		err = addressesMasked{err}
		var serr *gomail.SendError
		if errors.As(err, &serr) && !serr.IsTemp() && serr.ErrorCode() >= 500 {
			return channel.Permanent(err)
		}
		return channel.Retryable(err, 0)
	}
	return nil
}

// sendWithContext returns when ctx ends even if the server hangs. With
// implicit TLS go-mail dials itself (a custom dialer would make it treat the
// connection as unencrypted and refuse to authenticate), so the send is left
// to finish or fail in the background.
func sendWithContext(ctx context.Context, client *gomail.Client, m *gomail.Msg) error {
	done := make(chan error, 1)
	go func() { done <- client.DialAndSendWithContext(ctx, m) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

var emailAddress = regexp.MustCompile(`[^\s<>(),;:"']+@[^\s<>(),;:"']+`)

// addressesMasked is an SMTP error whose message names no email address
// (recipients are personal data); errors.As still reaches the cause.
type addressesMasked struct{ err error }

func (e addressesMasked) Error() string {
	return emailAddress.ReplaceAllString(e.err.Error(), "<address>")
}

func (e addressesMasked) Unwrap() error { return e.err }
