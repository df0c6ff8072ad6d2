package piisanitizer // import "github.com/otelcol-payments/otelcol-payments/processor/piisanitizer"

import (
	"errors"
	"fmt"
	"regexp"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/detect"
)

// MinHashKeyLen is the least hash_key length in bytes (the HMAC-SHA256 block
// size is 64; 32 bytes of key material is the usual floor).
const MinHashKeyLen = 32

// DevelopmentHashKey is the public key the default distribution config uses
// when PII_HASH_KEY is unset, so `make run` needs no secret. Its pseudonyms
// are stable but NOT protected: anyone can recompute them from a guessed
// email. The processor warns loudly at start when it is in use.
const DevelopmentHashKey = "otelcol-payments-DEVELOPMENT-ONLY-hash-key-do-not-use-in-production"

// Action is what a detector or key rule does with a finding: hash, mask,
// redact, remove or off.
type Action string

const (
	ActionHash   Action = "hash"
	ActionMask   Action = "mask"
	ActionRedact Action = "redact"
	ActionRemove Action = "remove"
	ActionOff    Action = "off"
)

func (a Action) parse() (detect.Action, error) { return detect.ParseAction(string(a)) }

// Config is the piisanitizer configuration.
type Config struct {
	// HashKey is the HMAC-SHA256 key for pseudonyms; required (≥32 bytes)
	// when any action is hash or pseudonymize_keys is not empty.
	HashKey configopaque.String `mapstructure:"hash_key"`

	// Detectors sets the action of each built-in value detector.
	Detectors DetectorsConfig `mapstructure:"detectors"`

	// PseudonymizeKeys are attribute keys whose whole value is replaced by
	// its pseudonym (customer.id, customer.email).
	PseudonymizeKeys []string `mapstructure:"pseudonymize_keys"`

	// CardSecurityKeys are keys holding card security data (CVV, expiry,
	// track data, PIN). Matched case-insensitively, whole or by dotted suffix.
	CardSecurityKeys KeyRuleConfig `mapstructure:"card_security_keys"`

	// SensitiveKeys are keys whose whole value is secret (passwords,
	// authorization headers, cookies). Matched like CardSecurityKeys.
	SensitiveKeys KeyRuleConfig `mapstructure:"sensitive_keys"`

	// AllowKeys are exact keys whose values are never touched.
	AllowKeys []string `mapstructure:"allow_keys"`

	// CustomRules are extra value patterns (Go regexp syntax).
	CustomRules []CustomRuleConfig `mapstructure:"custom_rules"`

	// AuditAttribute, when set, names an int attribute added to spans and
	// log records with the number of findings sanitized in them.
	AuditAttribute string `mapstructure:"audit_attribute"`

	// EdgeLimits bound nesting, attribute counts and value sizes, drop
	// identifying metric attributes and normalise span names (edge.go).
	EdgeLimits EdgeLimitsConfig `mapstructure:"edge_limits"`

	_ struct{}
}

// DetectorsConfig holds one action per built-in value detector.
type DetectorsConfig struct {
	PAN            Action `mapstructure:"pan"`
	Email          Action `mapstructure:"email"`
	IP             Action `mapstructure:"ip"`
	IBAN           Action `mapstructure:"iban"`
	Phone          Action `mapstructure:"phone"`
	SSN            Action `mapstructure:"ssn"`
	JWT            Action `mapstructure:"jwt"`
	Credential     Action `mapstructure:"credential"`
	PrivateKey     Action `mapstructure:"private_key"`
	ProviderSecret Action `mapstructure:"provider_secret"`
	URLUserinfo    Action `mapstructure:"url_userinfo"`
	SensitiveParam Action `mapstructure:"sensitive_param"`
}

func (d *DetectorsConfig) byKind() [detect.NumKinds]*Action {
	return [detect.NumKinds]*Action{
		detect.KindPAN:            &d.PAN,
		detect.KindEmail:          &d.Email,
		detect.KindIP:             &d.IP,
		detect.KindIBAN:           &d.IBAN,
		detect.KindPhone:          &d.Phone,
		detect.KindSSN:            &d.SSN,
		detect.KindJWT:            &d.JWT,
		detect.KindCredential:     &d.Credential,
		detect.KindPrivateKey:     &d.PrivateKey,
		detect.KindProviderSecret: &d.ProviderSecret,
		detect.KindURLUserinfo:    &d.URLUserinfo,
		detect.KindSensitiveParam: &d.SensitiveParam,
	}
}

// KeyRuleConfig is a list of keys and what happens to their values.
type KeyRuleConfig struct {
	Action Action   `mapstructure:"action"`
	Names  []string `mapstructure:"names"`
}

// CustomRuleConfig is a user-defined value pattern.
type CustomRuleConfig struct {
	// Name identifies the rule in errors, placeholders and the findings
	// metric (detector "custom:<name>").
	Name    string `mapstructure:"name"`
	Pattern string `mapstructure:"pattern"`
	Action  Action `mapstructure:"action"`
}

var ruleName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	var errs []error
	hashing := len(cfg.PseudonymizeKeys) > 0
	check := func(field string, a Action, allowOff bool) {
		v, err := a.parse()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		case v == detect.ActionOff && !allowOff:
			errs = append(errs, fmt.Errorf("%s: action off is not allowed here (delete the rule instead)", field))
		case v == detect.ActionHash:
			hashing = true
		}
	}
	for k, a := range cfg.Detectors.byKind() {
		check("detectors::"+detect.Kind(k).String(), *a, true)
	}
	check("card_security_keys::action", cfg.CardSecurityKeys.Action, true)
	check("sensitive_keys::action", cfg.SensitiveKeys.Action, true)
	seen := map[string]bool{}
	for i, r := range cfg.CustomRules {
		field := fmt.Sprintf("custom_rules[%d]", i)
		if !ruleName.MatchString(r.Name) {
			errs = append(errs, fmt.Errorf("%s::name %q: must match %s", field, r.Name, ruleName))
		} else {
			field = fmt.Sprintf("custom_rules %q", r.Name)
		}
		if seen[r.Name] {
			errs = append(errs, fmt.Errorf("%s: duplicate rule name", field))
		}
		seen[r.Name] = true
		if r.Pattern == "" {
			errs = append(errs, fmt.Errorf("%s::pattern: must not be empty", field))
		} else if _, err := regexp.Compile(r.Pattern); err != nil {
			errs = append(errs, fmt.Errorf("%s::pattern: %w", field, err))
		}
		check(field+"::action", r.Action, false)
	}
	if hashing {
		switch n := len(cfg.HashKey); {
		case n == 0:
			errs = append(errs, errors.New("hash_key: required because an action is hash or pseudonymize_keys is set (e.g. hash_key: ${env:PII_HASH_KEY})"))
		case n < MinHashKeyLen:
			errs = append(errs, fmt.Errorf("hash_key: must be at least %d bytes, got %d", MinHashKeyLen, n))
		}
	}
	return errors.Join(errs...)
}
