package otlpsplitexporter

import (
	"context"
	"net/url"
	"strings"

	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// spendKind is the destination kind in the spend figures: what this
// exporter speaks.
const spendKind = "otlp_grpc"

// startSpend takes the exporter's spend meter (internal/spend): every
// send the next hop accepts counts its items (spans, log records, metric
// data points) and their uncompressed OTLP protobuf size, the size of the
// export request before gRPC compression.
func (s *splitter) startSpend(c *Config) error {
	key := spend.Key{Exporter: s.set.ID.String(), Kind: spendKind, Host: endpointHost(c.ClientConfig.Endpoint)}
	m, release, err := spend.Default.Use(s.set.MeterProvider, key, s.signal)
	if err != nil {
		return err
	}
	s.meter, s.releaseSpend = m, release
	return nil
}

func (s *splitter) stopSpend() {
	if s.releaseSpend != nil {
		s.releaseSpend()
	}
}

// metered counts each send's outcome on the splitter's meter; halves of a
// split batch count as the requests they are.
func metered[T any](s *splitter, send func(context.Context, T) error, items, size func(T) int) func(context.Context, T) error {
	return func(ctx context.Context, data T) error {
		err := send(ctx, data)
		if err != nil {
			s.meter.Failed()
			return err
		}
		if s.meter != nil {
			s.meter.Sent(items(data), size(data))
		}
		return nil
	}
}

// endpointHost is the host[:port] of a gRPC endpoint ("host:port",
// "dns:///host:port" or "https://host:port"), without any path.
func endpointHost(endpoint string) string {
	if strings.Contains(endpoint, "://") {
		if u, err := url.Parse(endpoint); err == nil {
			if u.Host != "" {
				return u.Host
			}
			return strings.TrimPrefix(u.Path, "/")
		}
	}
	host, _, _ := strings.Cut(endpoint, "/")
	return host
}
