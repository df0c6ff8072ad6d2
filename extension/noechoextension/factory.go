package noechoextension // import "github.com/otelcol-payments/otelcol-payments/extension/noechoextension"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-payments/otelcol-payments/extension/noechoextension/internal/metadata"
)

// NewFactory returns the noecho extension factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, func() component.Config { return &Config{} }, create, metadata.ExtensionStability)
}

func create(_ context.Context, _ extension.Settings, _ component.Config) (extension.Extension, error) {
	return &noEcho{}, nil
}
