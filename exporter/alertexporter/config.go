package alertexporter

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/api"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/alertmanager"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/discord"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/email"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/logchannel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/pagerduty"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/slack"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/sms"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/webhook"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/dispatch"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/escalation"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
	"github.com/otelcol-payments/otelcol-payments/internal/shutdownbound"
)

// Config of the alert exporter.
type Config struct {
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	// Storage is a storage extension (file_storage) that keeps alert,
	// escalation and silence state across restarts. Without it, state is
	// in memory only.
	Storage *component.ID `mapstructure:"storage"`
	// TickInterval is how often groups, escalations and silences are
	// evaluated; it bounds the timing precision of group_wait etc.
	TickInterval time.Duration `mapstructure:"tick_interval"`
	// MaxAlerts bounds the active alerts kept in memory.
	MaxAlerts int `mapstructure:"max_alerts"`
	// ChannelQueueSize bounds each channel's pending notifications.
	ChannelQueueSize int `mapstructure:"channel_queue_size"`
	// ExternalURL is linked from notifications (webhook externalURL).
	ExternalURL string `mapstructure:"external_url"`
	// FlapWindow holds every resolve this long: an alert that fires again
	// within it stays one incident (counted in otelcol_exporter_alert_flaps_damped)
	// instead of a resolved and a firing notification. 0 turns it off.
	FlapWindow time.Duration `mapstructure:"flap_window"`
	// ShutdownTimeout bounds shutdown, counted from the moment the
	// collector began stopping our components. Shutdown stops retrying at
	// once; queued notifications get one attempt until then; what is not
	// delivered stays in the outbox (with storage) for the next start.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`

	Channels           map[string]*ChannelConfig             `mapstructure:"channels"`
	Receivers          map[string]*ReceiverConfig            `mapstructure:"receivers"`
	EscalationPolicies map[string]*escalation.PolicyConfig   `mapstructure:"escalation_policies"`
	Route              route.Config                          `mapstructure:"route"`
	InhibitRules       []route.InhibitRuleConfig             `mapstructure:"inhibit_rules"`
	TimeIntervals      map[string][]route.TimeIntervalConfig `mapstructure:"time_intervals"`
	Silences           []SilenceConfig                       `mapstructure:"silences"`
	API                configoptional.Optional[api.Config]   `mapstructure:"api"`
}

// ChannelConfig is one notification destination: exactly one of the
// channel types, plus delivery settings.
type ChannelConfig struct {
	Slack        *slack.Config        `mapstructure:"slack"`
	Discord      *discord.Config      `mapstructure:"discord"`
	PagerDuty    *pagerduty.Config    `mapstructure:"pagerduty"`
	Email        *email.Config        `mapstructure:"email"`
	SMS          *sms.Config          `mapstructure:"sms"`
	Webhook      *webhook.Config      `mapstructure:"webhook"`
	Alertmanager *alertmanager.Config `mapstructure:"alertmanager"`
	Log          *logchannel.Config   `mapstructure:"log"`

	// Timeout bounds one delivery attempt.
	Timeout time.Duration `mapstructure:"timeout"`
	// Client is the HTTP client of HTTP channels (all but email and log):
	// proxy_url, tls (ca_file for a private CA, client certificates),
	// headers, keepalive, and timeout as a further bound per request. The
	// URL always comes from the channel's own settings.
	Client confighttp.ClientConfig `mapstructure:"client"`
	// RetryOnFailure is the per-channel back-off; Retry-After answers
	// lengthen the wait.
	RetryOnFailure configretry.BackOffConfig `mapstructure:"retry_on_failure"`
	// Optional disables the channel when its destination (webhook URL,
	// routing key, SMTP host, account SID) is empty, e.g. an unset
	// ${env:...}: receivers and escalation levels skip it and the start-up
	// log says so. Without it an empty destination is a config error.
	Optional bool `mapstructure:"optional"`

	// disabled: optional and without a destination.
	disabled bool
}

func newDefaultChannelConfig() ChannelConfig {
	return ChannelConfig{
		Timeout:        10 * time.Second,
		RetryOnFailure: configretry.NewDefaultBackOffConfig(),
		Client:         confighttp.NewDefaultClientConfig(),
	}
}

// Unmarshal applies the delivery defaults before the user's values, so a
// partial retry_on_failure keeps sensible defaults for the rest.
func (c *ChannelConfig) Unmarshal(conf *confmap.Conf) error {
	*c = newDefaultChannelConfig()
	if err := conf.Unmarshal(c); err != nil {
		return err
	}
	if c.Optional && c.noDestination() {
		// Dropped before validation, which would refuse the empty
		// destination.
		*c = ChannelConfig{Optional: true, disabled: true}
	}
	return nil
}

// noDestination reports whether the configured channel type has an empty
// destination.
func (c *ChannelConfig) noDestination() bool {
	switch {
	case c.Slack != nil:
		return c.Slack.WebhookURL == ""
	case c.Discord != nil:
		return c.Discord.WebhookURL == ""
	case c.PagerDuty != nil:
		return c.PagerDuty.RoutingKey == ""
	case c.Email != nil:
		return c.Email.Host == ""
	case c.SMS != nil:
		return c.SMS.AccountSID == ""
	case c.Webhook != nil:
		return c.Webhook.URL == ""
	case c.Alertmanager != nil:
		return c.Alertmanager.URL == ""
	}
	return false
}

// kind returns the configured channel type, or an error unless exactly one
// is set.
func (c *ChannelConfig) kind() (string, error) {
	set := map[string]bool{
		"slack": c.Slack != nil, "discord": c.Discord != nil, "pagerduty": c.PagerDuty != nil,
		"email": c.Email != nil, "sms": c.SMS != nil, "webhook": c.Webhook != nil,
		"alertmanager": c.Alertmanager != nil, "log": c.Log != nil,
	}
	var kinds []string
	for k, ok := range set {
		if ok {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	if len(kinds) != 1 {
		return "", fmt.Errorf("exactly one of slack, discord, pagerduty, email, sms, webhook, alertmanager, log must be set (got %v)", kinds)
	}
	return kinds[0], nil
}

// validateClient checks the client block, which only HTTP channels use.
func (c *ChannelConfig) validateClient(kind string) error {
	if kind != "email" && kind != "log" {
		return httpdelivery.ValidateClientConfig(&c.Client)
	}
	if !reflect.DeepEqual(c.Client, confighttp.ClientConfig{}) && !reflect.DeepEqual(c.Client, confighttp.NewDefaultClientConfig()) {
		return fmt.Errorf("client: not used by %s channels (email has its own tls settings)", kind)
	}
	return nil
}

// ReceiverConfig is what a route sends to: level-1 channels and an
// optional escalation policy for unacknowledged alerts.
type ReceiverConfig struct {
	Channels         []string `mapstructure:"channels"`
	EscalationPolicy string   `mapstructure:"escalation_policy"`
}

// SilenceConfig is a silence (maintenance window) from the config.
type SilenceConfig struct {
	Matchers []string `mapstructure:"matchers"`
	// StartsAt and EndsAt are RFC 3339 timestamps.
	StartsAt time.Time `mapstructure:"starts_at"`
	EndsAt   time.Time `mapstructure:"ends_at"`
	Comment  string    `mapstructure:"comment"`
}

var _ component.Config = (*Config)(nil)

// Validate checks the config; the cross references (receivers, channels,
// policies, time intervals) are resolved by building it.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.TickInterval <= 0 {
		errs = append(errs, errors.New("tick_interval must be positive"))
	}
	if cfg.MaxAlerts <= 0 {
		errs = append(errs, errors.New("max_alerts must be positive"))
	}
	if cfg.ChannelQueueSize <= 0 {
		errs = append(errs, errors.New("channel_queue_size must be positive"))
	}
	if err := channel.ValidateURL("external_url", cfg.ExternalURL); err != nil {
		errs = append(errs, err)
	}
	if cfg.FlapWindow < 0 {
		errs = append(errs, errors.New("flap_window must not be negative"))
	}
	if err := shutdownbound.ValidateTimeout(cfg.ShutdownTimeout); err != nil {
		errs = append(errs, err)
	}
	if _, err := cfg.build(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// built is the validated, compiled config.
type built struct {
	engine   dispatch.Config
	channels map[string]string // name -> type
	// disabled are optional channels without a destination.
	disabled map[string]bool
}

// enabledOnly drops disabled channels from a list of channel names.
func (b *built) enabledOnly(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return b.disabled[n] })
}

func (cfg *Config) build() (*built, error) {
	if len(cfg.Channels) == 0 {
		return nil, errors.New("channels: at least one channel is required")
	}
	b := &built{channels: map[string]string{}, disabled: map[string]bool{}}
	known := map[string]bool{}
	for name, ch := range cfg.Channels {
		if ch == nil {
			return nil, fmt.Errorf("channels.%s: empty channel", name)
		}
		if ch.disabled {
			b.disabled[name] = true
			continue
		}
		kind, err := ch.kind()
		if err != nil {
			return nil, fmt.Errorf("channels.%s: %w", name, err)
		}
		if ch.Timeout <= 0 {
			return nil, fmt.Errorf("channels.%s.timeout: must be positive", name)
		}
		if err := ch.validateClient(kind); err != nil {
			return nil, fmt.Errorf("channels.%s.%w", name, err)
		}
		b.channels[name] = kind
		known[name] = true
		if ch.Alertmanager != nil {
			if ch.Alertmanager.ResendInterval <= 0 {
				return nil, fmt.Errorf("channels.%s.alertmanager.resend_interval: must be positive", name)
			}
			if b.engine.Resend == nil {
				b.engine.Resend = map[string]time.Duration{}
			}
			b.engine.Resend[name] = ch.Alertmanager.ResendInterval
		}
	}
	policies := map[string]*escalation.Policy{}
	for name, pc := range cfg.EscalationPolicies {
		if pc == nil {
			return nil, fmt.Errorf("escalation_policies.%s: empty policy", name)
		}
		pcc := *pc
		pcc.Levels = slices.Clone(pc.Levels)
		for i := range pcc.Levels {
			pcc.Levels[i].Channels = b.enabledOnly(pcc.Levels[i].Channels)
		}
		p, err := escalation.Build(name, pcc, known)
		if err != nil {
			return nil, fmt.Errorf("escalation_policies.%s.%w", name, err)
		}
		policies[name] = p
	}
	if len(cfg.Receivers) == 0 {
		return nil, errors.New("receivers: at least one receiver is required")
	}
	b.engine.Receivers = map[string]dispatch.Receiver{}
	receiverNames := map[string]bool{}
	for name, rc := range cfg.Receivers {
		if rc == nil || len(rc.Channels) == 0 {
			return nil, fmt.Errorf("receivers.%s.channels: at least one channel is required", name)
		}
		channels := b.enabledOnly(rc.Channels)
		if len(channels) == 0 {
			return nil, fmt.Errorf("receivers.%s.channels: every channel is optional and disabled (destination not set)", name)
		}
		for _, c := range channels {
			if !known[c] {
				return nil, fmt.Errorf("receivers.%s.channels: unknown channel %q", name, c)
			}
		}
		r := dispatch.Receiver{Channels: channels}
		if rc.EscalationPolicy != "" {
			p, ok := policies[rc.EscalationPolicy]
			if !ok {
				return nil, fmt.Errorf("receivers.%s.escalation_policy: unknown policy %q", name, rc.EscalationPolicy)
			}
			r.Policy = p
		}
		b.engine.Receivers[name] = r
		receiverNames[name] = true
	}
	intervals, err := route.CompileIntervals(cfg.TimeIntervals)
	if err != nil {
		return nil, err
	}
	b.engine.Intervals = intervals
	intervalNames := map[string]bool{}
	for n := range intervals {
		intervalNames[n] = true
	}
	root, err := route.Build(cfg.Route, receiverNames, intervalNames)
	if err != nil {
		return nil, err
	}
	b.engine.Route = root
	for i, ic := range cfg.InhibitRules {
		r, err := route.BuildInhibitRule(ic)
		if err != nil {
			return nil, fmt.Errorf("inhibit_rules[%d]: %w", i, err)
		}
		b.engine.Inhibit = append(b.engine.Inhibit, r)
	}
	for i, sc := range cfg.Silences {
		s := &route.Silence{
			ID: fmt.Sprintf("config-%d", i), Matchers: sc.Matchers, Comment: sc.Comment, CreatedBy: "config",
			StartsAt: sc.StartsAt, EndsAt: sc.EndsAt,
		}
		if err := s.Compile(); err != nil {
			return nil, fmt.Errorf("silences[%d]: %w", i, err)
		}
		b.engine.Silences = append(b.engine.Silences, s)
	}
	b.engine.MaxAlerts = cfg.MaxAlerts
	b.engine.ExternalURL = cfg.ExternalURL
	b.engine.FlapWindow = cfg.FlapWindow
	return b, nil
}
