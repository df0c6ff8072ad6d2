package piisanitizer

import (
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatalf("unmarshal %s: %v", name, err)
	}
	return cfg
}

func TestConfigDefaultsFromFile(t *testing.T) {
	cfg := loadConfig(t, "")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	want := NewFactory().CreateDefaultConfig().(*Config)
	want.HashKey = "0123456789abcdef0123456789abcdef"
	if cfg.Detectors != want.Detectors || strings.Join(cfg.PseudonymizeKeys, ",") != "customer.id,customer.email" ||
		cfg.CardSecurityKeys.Action != ActionRemove || cfg.SensitiveKeys.Action != ActionRedact {
		t.Fatalf("defaults not kept: %+v", cfg)
	}
}

func TestConfigCustom(t *testing.T) {
	cfg := loadConfig(t, "custom")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Detectors.IP != ActionRedact || cfg.Detectors.Phone != ActionOff || cfg.Detectors.PAN != ActionMask {
		t.Errorf("detectors: %+v", cfg.Detectors)
	}
	if got := strings.Join(cfg.SensitiveKeys.Names, ","); got != "x-session" || cfg.SensitiveKeys.Action != ActionRemove {
		t.Errorf("sensitive_keys: %+v", cfg.SensitiveKeys)
	}
	if len(cfg.CustomRules) != 1 || cfg.CustomRules[0].Name != "order_token" || cfg.AuditAttribute != "piisanitizer.findings" {
		t.Errorf("custom rules / audit: %+v %q", cfg.CustomRules, cfg.AuditAttribute)
	}
}

func TestConfigNoHashingNeedsNoKey(t *testing.T) {
	if err := loadConfig(t, "no_hashing").Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, wants := range map[string][]string{
		"no_key":     {"hash_key: required"},
		"short_key":  {"hash_key: must be at least 32 bytes, got 9"},
		"bad_regex":  {`custom_rules "broken"::pattern`, "missing closing ]"},
		"bad_action": {"detectors::pan", `unknown action "scramble"`},
		"bad_rule":   {"custom_rules[0]::name", "custom_rules[0]::action: action off is not allowed"},
	} {
		t.Run(name, func(t *testing.T) {
			err := loadConfig(t, name).Validate()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestConfigErrorNeverShowsKey(t *testing.T) {
	cfg := loadConfig(t, "short_key")
	if err := cfg.Validate(); err == nil || strings.Contains(err.Error(), "too-short") {
		t.Fatalf("error leaks the key or is missing: %v", err)
	}
}
