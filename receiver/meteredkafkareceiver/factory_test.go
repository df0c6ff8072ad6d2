package meteredkafkareceiver

import (
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver"
	"github.com/stretchr/testify/assert"
)

// The same component as contrib's: type, configuration, signals.
func TestIsTheKafkaReceiver(t *testing.T) {
	f, inner := NewFactory(), kafkareceiver.NewFactory()
	assert.Equal(t, inner.Type(), f.Type())
	assert.Equal(t, inner.CreateDefaultConfig(), f.CreateDefaultConfig())
	assert.Equal(t, inner.TracesStability(), f.TracesStability())
	assert.Equal(t, inner.LogsStability(), f.LogsStability())
	assert.Equal(t, inner.MetricsStability(), f.MetricsStability())
}
