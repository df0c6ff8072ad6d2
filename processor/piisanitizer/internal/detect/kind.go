// Package detect finds personal and payment data in free text in a single
// pass over the string, using byte-class prefilters instead of regular
// expressions, and replaces what it finds. Clean strings cost no allocation.
package detect // import "github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/detect"

import "fmt"

// Kind is a built-in value detector.
type Kind uint8

// Built-in value detectors. Their String form is the detector name used in
// the configuration and in the findings metric.
const (
	KindPAN Kind = iota
	KindEmail
	KindIP
	KindIBAN
	KindPhone
	KindSSN
	KindJWT
	KindCredential
	KindPrivateKey
	KindProviderSecret
	KindURLUserinfo
	KindSensitiveParam
	NumKinds

	// kindSkip marks a span the scanner steps over (an existing pseudonym).
	kindSkip Kind = 255
	// kindEncoded marks a base64 run whose decoded text had findings; the
	// match carries its replacement.
	kindEncoded Kind = 254
)

var kindNames = [NumKinds]string{
	KindPAN:            "pan",
	KindEmail:          "email",
	KindIP:             "ip",
	KindIBAN:           "iban",
	KindPhone:          "phone",
	KindSSN:            "ssn",
	KindJWT:            "jwt",
	KindCredential:     "credential",
	KindPrivateKey:     "private_key",
	KindProviderSecret: "provider_secret",
	KindURLUserinfo:    "url_userinfo",
	KindSensitiveParam: "sensitive_param",
}

func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Action is what happens to a finding.
type Action uint8

const (
	// ActionOff disables a detector.
	ActionOff Action = iota
	// ActionHash replaces the finding with its keyed pseudonym.
	ActionHash
	// ActionMask keeps a non-identifying part (last four card digits, the
	// network part of an IP address) and masks the rest.
	ActionMask
	// ActionRedact replaces the finding with [REDACTED:<detector>].
	ActionRedact
	// ActionRemove drops the attribute that holds the finding; where nothing
	// can be dropped (span names, log bodies) it redacts.
	ActionRemove
)

var actionNames = [...]string{ActionOff: "off", ActionHash: "hash", ActionMask: "mask", ActionRedact: "redact", ActionRemove: "remove"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// ParseAction parses an action name.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if n == s {
			return Action(i), nil
		}
	}
	return ActionOff, fmt.Errorf("unknown action %q (want hash, mask, redact, remove or off)", s)
}

// RedactedPrefix starts every redaction placeholder. Detectors never match a
// value that starts with it, which keeps sanitizing idempotent.
const RedactedPrefix = "[REDACTED"

// Redacted returns the placeholder for a detector name.
func Redacted(detector string) string { return RedactedPrefix + ":" + detector + "]" }

var redactedByKind = func() (r [NumKinds]string) {
	for k := range r {
		r[k] = Redacted(kindNames[k])
	}
	return r
}()

// Counts counts findings per built-in detector. It is the scanner's state
// for one batch: Memo, when set, remembers the batch's pseudonyms and
// results.
type Counts struct {
	ByKind [NumKinds]int
	Total  int
	Memo   *Memo
}

// Add records n findings of kind k.
func (c *Counts) Add(k Kind, n int) {
	c.ByKind[k] += n
	c.Total += n
}
