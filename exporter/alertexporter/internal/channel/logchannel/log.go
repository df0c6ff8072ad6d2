// Package logchannel writes notifications to the process's standard error
// (or output) as JSON lines: the channel of the default config, needing no
// secrets.
//
// It does not go through the collector's logger: that one samples (by
// default the same message beyond 10 a second is logged once per 100), so
// a burst of alerts would lose notifications while the channel counted
// them sent. Each notification is one line, written synchronously; a
// failed write fails the notification (retried, counted failed), so the
// sent counter equals the lines written.
package logchannel

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Config of a log channel.
type Config struct {
	// Level is the log level of notifications: info (default), warn or error.
	Level string `mapstructure:"level"`
}

// Validate checks the level.
func (c *Config) Validate() error {
	_, err := c.level()
	return err
}

func (c *Config) level() (zapcore.Level, error) {
	switch c.Level {
	case "", "info":
		return zapcore.InfoLevel, nil
	case "warn":
		return zapcore.WarnLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	}
	return 0, fmt.Errorf("log.level %q: want info, warn or error", c.Level)
}

// Message is the log message of every notification line.
const Message = "alert notification"

// Notifier writes notifications.
type Notifier struct {
	core  zapcore.Core
	level zapcore.Level
}

// New builds a notifier writing JSON lines to out (os.Stderr in the
// collector), each with the given fields (the component's identity).
func New(cfg *Config, out zapcore.WriteSyncer, fields ...zap.Field) (*Notifier, error) {
	lvl, err := cfg.level()
	if err != nil {
		return nil, err
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(out), zapcore.DebugLevel).With(fields)
	return &Notifier{core: core, level: lvl}, nil
}

// Notify writes one line for the notification, its alerts as an array.
func (l *Notifier) Notify(_ context.Context, n *channel.Notification) error {
	entry := zapcore.Entry{Level: l.level, Time: time.Now(), Message: Message}
	err := l.core.Write(entry, []zap.Field{
		zap.String("channel", n.Channel),
		zap.String("receiver", n.Receiver),
		zap.Int("escalation_level", n.Level),
		zap.Bool("acknowledged", n.Acknowledged),
		zap.String("status", n.Status()),
		zap.String("headline", n.Headline()),
		zap.Array("alerts", alerts(n.Alerts)),
	})
	if err != nil {
		// A log write error is usually transient (a full pipe); retrying
		// cannot duplicate a line that was not written.
		return fmt.Errorf("write notification: %w", err)
	}
	return nil
}

type alerts []contract.Alert

func (as alerts) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, a := range as {
		if err := enc.AppendObject(alertObject(a)); err != nil {
			return err
		}
	}
	return nil
}

type alertObject contract.Alert

func (a alertObject) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("alert_name", a.Name)
	enc.AddString("status", a.Status)
	enc.AddString("severity", a.Severity)
	enc.AddString("fingerprint", a.Fingerprint)
	enc.AddString("summary", a.Summary)
	enc.AddString("labels", channel.SortedPairs(a.Labels))
	if a.RunbookURL != "" {
		enc.AddString("runbook_url", a.RunbookURL)
	}
	return nil
}
