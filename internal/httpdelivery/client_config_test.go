package httpdelivery

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Every queue consumer keeps its connection between requests.
func TestQueuedClientConfigKeepsOneConnectionPerConsumer(t *testing.T) {
	c := NewQueuedClientConfig()
	require.True(t, c.Keepalive.HasValue())
	consumers := exporterhelper.NewDefaultQueueConfig().NumConsumers
	assert.Greater(t, consumers, 2, "more consumers than Go's default idle connections per host")
	assert.Equal(t, consumers, c.Keepalive.Get().MaxIdleConnsPerHost)
	// Everything else is confighttp's default.
	want := confighttp.NewDefaultClientConfig()
	c.Keepalive = want.Keepalive
	assert.Equal(t, want, c)
}
