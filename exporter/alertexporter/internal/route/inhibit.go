package route

import "fmt"

// InhibitRuleConfig mutes target alerts while a source alert fires with the
// same values for the equal labels.
type InhibitRuleConfig struct {
	SourceMatchers []string `mapstructure:"source_matchers"`
	TargetMatchers []string `mapstructure:"target_matchers"`
	Equal          []string `mapstructure:"equal"`
}

// InhibitRule is a parsed InhibitRuleConfig.
type InhibitRule struct {
	Source Matchers
	Target Matchers
	Equal  []string
}

// BuildInhibitRule validates and parses cfg.
func BuildInhibitRule(cfg InhibitRuleConfig) (*InhibitRule, error) {
	if len(cfg.SourceMatchers) == 0 || len(cfg.TargetMatchers) == 0 {
		return nil, fmt.Errorf("source_matchers and target_matchers must both be set")
	}
	src, err := ParseMatchers(cfg.SourceMatchers)
	if err != nil {
		return nil, fmt.Errorf("source_matchers: %w", err)
	}
	tgt, err := ParseMatchers(cfg.TargetMatchers)
	if err != nil {
		return nil, fmt.Errorf("target_matchers: %w", err)
	}
	return &InhibitRule{Source: src, Target: tgt, Equal: cfg.Equal}, nil
}

// Candidate is a firing alert that may inhibit others.
type Candidate struct {
	Fingerprint string
	Labels      map[string]string
}

// Inhibited reports whether target (with fingerprint fp) is muted by any
// rule given the currently firing, unsilenced alerts. An alert never
// inhibits itself.
func Inhibited(rules []*InhibitRule, fp string, target map[string]string, firing []Candidate) bool {
	for _, r := range rules {
		if !r.Target.Matches(target) {
			continue
		}
		for _, src := range firing {
			if src.Fingerprint == fp || !r.Source.Matches(src.Labels) {
				continue
			}
			if equalOn(r.Equal, target, src.Labels) {
				return true
			}
		}
	}
	return false
}

func equalOn(labels []string, a, b map[string]string) bool {
	for _, l := range labels {
		if a[l] != b[l] {
			return false
		}
	}
	return true
}
