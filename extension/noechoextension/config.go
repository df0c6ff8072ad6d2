package noechoextension // import "github.com/otelcol-payments/otelcol-payments/extension/noechoextension"

// Config of the noecho extension. It has no settings: the rewritten
// messages are fixed texts.
type Config struct {
	_ struct{}
}
