package piisanitizer // import "github.com/otelcol-payments/otelcol-payments/processor/piisanitizer"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"
)

// NewFactory returns the piisanitizer processor factory.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithTraces(createTraces, metadata.TracesStability),
		processor.WithMetrics(createMetrics, metadata.MetricsStability),
		processor.WithLogs(createLogs, metadata.LogsStability),
	)
}

// Default key lists; setting names in the config replaces them.
var (
	defaultCardSecurityKeys = []string{
		"cvv", "cvv2", "cvc", "cvc2", "security_code", "card_security_code", "card.cvv", "card.cvc",
		"expiry", "expiry_date", "exp_date", "exp_month", "exp_year", "card.expiry", "card.exp_month", "card.exp_year",
		"track1", "track2", "track_data", "magstripe", "pin", "pin_block", "pinblock",
	}
	defaultSensitiveKeys = []string{
		"password", "passwd", "pwd", "password1", "password2", "password_confirmation", "pgpassword", "mysql_pwd", "secret", "client_secret", "api_secret", "api_key", "apikey", "x-api-key",
		"token", "access_token", "refresh_token", "id_token", "private_key",
		"authorization", "proxy-authorization", "cookie", "set-cookie",
		"card_number", "cardnumber", "card.number", "pan",
	}
)

func createDefaultConfig() component.Config {
	return &Config{
		Detectors: DetectorsConfig{
			PAN:            ActionMask,
			Email:          ActionHash,
			IP:             ActionMask,
			IBAN:           ActionMask,
			Phone:          ActionMask,
			SSN:            ActionMask,
			JWT:            ActionRedact,
			Credential:     ActionRedact,
			PrivateKey:     ActionRedact,
			ProviderSecret: ActionMask,
			URLUserinfo:    ActionRedact,
			SensitiveParam: ActionRedact,
		},
		PseudonymizeKeys: []string{contract.CustomerID, contract.CustomerEmail},
		CardSecurityKeys: KeyRuleConfig{Action: ActionRemove, Names: append([]string(nil), defaultCardSecurityKeys...)},
		SensitiveKeys:    KeyRuleConfig{Action: ActionRedact, Names: append([]string(nil), defaultSensitiveKeys...)},
		// ga.client_id is a random browser cookie id GA4 needs verbatim.
		AllowKeys:  []string{contract.GAClientID},
		EdgeLimits: defaultEdgeLimits(),
	}
}

var capabilities = processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true})

func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	s, e, err := newSanitizerAtEdge(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewTraces(ctx, set, cfg, next, e.wrapTraces(s.processTraces), capabilities)
}

func createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	s, e, err := newSanitizerAtEdge(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewMetrics(ctx, set, cfg, next, e.wrapMetrics(s.processMetrics), capabilities)
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	s, e, err := newSanitizerAtEdge(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, e.wrapLogs(s.processLogs), capabilities)
}

// newSanitizerAtEdge builds a signal's sanitizer and the edge around it.
// The values sanitizing lengthened past max_value_bytes are cut again by
// the sanitizer and counted by the edge, with those it cut on the way in.
func newSanitizerAtEdge(cfg *Config, set processor.Settings) (*sanitizer, *edge, error) {
	s, err := newSanitizer(cfg, set)
	if err != nil {
		return nil, nil, err
	}
	e, err := newEdge(cfg.EdgeLimits, set, s.scanner)
	if err != nil {
		return nil, nil, err
	}
	s.reportCut = func(ctx context.Context, n int64) { e.report(ctx, counts{edgeValueSize: n}) }
	return s, e, nil
}
