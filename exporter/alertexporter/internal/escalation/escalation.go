// Package escalation decides when an unacknowledged firing alert climbs to
// the next level of its receiver's escalation policy.
package escalation

import (
	"errors"
	"fmt"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// LevelConfig is one escalation step: notify Channels when the alert is
// still firing and unacknowledged Delay after the previous level.
type LevelConfig struct {
	Delay    time.Duration `mapstructure:"delay"`
	Channels []string      `mapstructure:"channels"`
}

// PolicyConfig is an escalation policy. Level 1 is the receiver's own
// channels; Levels are levels 2, 3, ...
type PolicyConfig struct {
	// Severities that escalate; empty means critical only.
	Severities []string      `mapstructure:"severities"`
	Levels     []LevelConfig `mapstructure:"levels"`
	// AutoResolveAfter makes an escalating alert an incident: a resolve
	// from its source does not close it before a person acknowledges or
	// resolves it, or before this long after it started. It must be longer
	// than the whole chain, so every level is reached unless someone acts.
	// 0: the source's resolve closes the alert at once.
	AutoResolveAfter time.Duration `mapstructure:"auto_resolve_after"`
}

// Policy is a validated PolicyConfig.
type Policy struct {
	Name       string
	severities map[string]bool
	Levels     []LevelConfig
	// AutoResolveAfter: see PolicyConfig; 0 = no incident hold.
	AutoResolveAfter time.Duration
}

// Build validates cfg; channels are the names channel references must
// resolve to.
func Build(name string, cfg PolicyConfig, channels map[string]bool) (*Policy, error) {
	if len(cfg.Levels) == 0 {
		return nil, errors.New("levels: at least one level is required")
	}
	p := &Policy{Name: name, severities: map[string]bool{}, Levels: cfg.Levels, AutoResolveAfter: cfg.AutoResolveAfter}
	sevs := cfg.Severities
	if len(sevs) == 0 {
		sevs = []string{contract.SeverityCritical}
	}
	for _, s := range sevs {
		if contract.SeverityRank(s) == 0 {
			return nil, fmt.Errorf("severities: unknown severity %q (want one of %v)", s, contract.Severities)
		}
		p.severities[s] = true
	}
	for i, l := range cfg.Levels {
		if l.Delay <= 0 {
			return nil, fmt.Errorf("levels[%d].delay: must be positive", i)
		}
		if len(l.Channels) == 0 {
			return nil, fmt.Errorf("levels[%d].channels: at least one channel is required", i)
		}
		for _, c := range l.Channels {
			if !channels[c] {
				return nil, fmt.Errorf("levels[%d].channels: unknown channel %q", i, c)
			}
		}
	}
	var chain time.Duration
	for _, l := range cfg.Levels {
		chain += l.Delay
	}
	if cfg.AutoResolveAfter < 0 || (cfg.AutoResolveAfter > 0 && cfg.AutoResolveAfter <= chain) {
		return nil, fmt.Errorf("auto_resolve_after: %s must be longer than the escalation chain (%s), or 0", cfg.AutoResolveAfter, chain)
	}
	return p, nil
}

// Applies reports whether alerts of this severity escalate.
func (p *Policy) Applies(severity string) bool { return p.severities[severity] }

// MaxLevel is the highest level number (receiver level 1 plus the policy's).
func (p *Policy) MaxLevel() int { return len(p.Levels) + 1 }

// Due returns the level to notify now for an alert currently at level
// (1-based; 0 = not yet notified) since levelAt, and whether one is due.
// One level per call: a restart after a long outage climbs one step per
// tick rather than paging every level at once.
func (p *Policy) Due(level int, levelAt, now time.Time) (int, bool) {
	if level < 1 || level >= p.MaxLevel() {
		return 0, false
	}
	next := p.Levels[level-1]
	if now.Sub(levelAt) < next.Delay {
		return 0, false
	}
	return level + 1, true
}

// Channels returns the channels of level (2..MaxLevel).
func (p *Policy) Channels(level int) []string {
	if level < 2 || level > p.MaxLevel() {
		return nil
	}
	return p.Levels[level-2].Channels
}
