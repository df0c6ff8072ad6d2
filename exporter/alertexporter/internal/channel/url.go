package channel

import (
	"fmt"
	"net/url"
)

// ValidateURL checks that raw is an absolute http(s) URL with a host, so a
// typo ("not a url", "hooks.slack.com/...") is refused at start instead of
// failing at the first alert. field names the setting in the message; the
// value is not printed (webhook URLs carry their secret in the path).
// An empty value passes: callers decide whether the field is required.
func ValidateURL(field, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%s: must be an absolute http:// or https:// URL with a host", field)
	}
	return nil
}
