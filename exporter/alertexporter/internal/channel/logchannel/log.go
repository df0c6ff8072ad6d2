// Package logchannel writes notifications to the collector's log: the
// channel of the default config, needing no secrets.
package logchannel

import (
	"context"
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
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

// Notifier logs notifications.
type Notifier struct {
	logger *zap.Logger
	level  zapcore.Level
}

// New builds a notifier.
func New(cfg *Config, logger *zap.Logger) (*Notifier, error) {
	lvl, err := cfg.level()
	if err != nil {
		return nil, err
	}
	return &Notifier{logger: logger, level: lvl}, nil
}

// Notify logs one entry per alert, so each line is self-contained.
func (l *Notifier) Notify(_ context.Context, n *channel.Notification) error {
	for _, a := range n.Alerts {
		l.logger.Log(l.level, "alert notification",
			zap.String("channel", n.Channel),
			zap.String("receiver", n.Receiver),
			zap.Int("level", n.Level),
			zap.Bool("acknowledged", n.Acknowledged),
			zap.String("alert_name", a.Name),
			zap.String("status", a.Status),
			zap.String("severity", a.Severity),
			zap.String("fingerprint", a.Fingerprint),
			zap.String("summary", a.Summary),
			zap.String("labels", channel.SortedPairs(a.Labels)),
		)
	}
	return nil
}
