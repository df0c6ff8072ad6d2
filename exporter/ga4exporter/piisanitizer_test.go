package ga4exporter

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer"
)

// Events pass through piisanitizer (as in the distribution's pipelines)
// before this exporter: GA4 gets the pseudonym as user_id, the GA client id
// unchanged, and no raw customer id, email or IP.
func TestAfterPIISanitizer(t *testing.T) {
	h := newHarness(t)
	f := piisanitizer.NewFactory()
	cfg := f.CreateDefaultConfig().(*piisanitizer.Config)
	cfg.HashKey = configopaque.String(strings.Repeat("k", 32))
	proc, err := f.CreateLogs(context.Background(), processortest.NewNopSettings(f.Type()), cfg, h.le)
	require.NoError(t, err)
	require.NoError(t, proc.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, proc.Shutdown(context.Background())) })

	const rawCustomer = "cus_8812"
	withClientID := goldenEvents()[mapping.GAPurchase]
	withClientID.attrs[contract.CustomerID] = rawCustomer
	withClientID.attrs[contract.OrderCoupon] = "sent to " + rawEmail
	withoutClientID := rec{name: contract.EventBeginCheckout, attrs: map[string]any{
		contract.CustomerID: rawCustomer, contract.CustomerEmail: rawEmail, contract.ClientAddress: rawIP,
	}}
	require.NoError(t, proc.ConsumeLogs(context.Background(), logsOf(t, withClientID, withoutClientID)))

	ev := h.srv.Events()
	require.Len(t, ev, 2)
	assert.Equal(t, clientA, ev[0].ClientID, "ga.client_id is allowed through verbatim")
	assert.True(t, mapping.IsPseudonym(ev[0].UserID), ev[0].UserID)
	assert.Equal(t, ev[0].UserID, ev[1].UserID, "same customer, same pseudonym")
	assert.Equal(t, mapping.DeriveClientID(mapping.DerivedFromCustomer, ev[0].UserID), ev[1].ClientID)
	for _, r := range h.srv.Requests() {
		for _, raw := range []string{rawCustomer, rawEmail, rawIP} {
			assert.NotContains(t, string(r.Body), raw)
		}
	}
}
