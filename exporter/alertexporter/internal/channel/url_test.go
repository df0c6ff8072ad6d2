package channel

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateURL(t *testing.T) {
	for _, ok := range []string{"", "https://hooks.slack.com/services/T/B/x", "http://localhost:9093", "https://[::1]:8443/hook"} {
		require.NoError(t, ValidateURL("slack.webhook_url", ok), ok)
	}
	for _, bad := range []string{"not a url", "hooks.slack.com/services/T/B/x", "ftp://example.com/x", "https://", "mailto:ops@example.com", "https:opaque", "//example.com/x", "http://exa mple.com"} {
		err := ValidateURL("slack.webhook_url", bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "slack.webhook_url: must be an absolute")
		if len(bad) > 8 {
			assert.NotContains(t, err.Error(), bad, "the URL (and its secret) is not printed")
		}
	}
}
