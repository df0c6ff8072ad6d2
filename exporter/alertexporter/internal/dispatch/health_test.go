package dispatch

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/internal/channelhealth"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
)

// failThen fails with errs in turn, then succeeds; it records which
// warnings were already logged when each attempt ran.
type failThen struct {
	mu       sync.Mutex
	errs     []error
	logs     *observer.ObservedLogs
	warnSeen []int
}

func (f *failThen) Notify(context.Context, *channel.Notification) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.warnSeen = append(f.warnSeen, f.logs.FilterLevelExact(zap.WarnLevel).Len())
	if len(f.errs) == 0 {
		return nil
	}
	err := f.errs[0]
	f.errs = f.errs[1:]
	return err
}

// A failing channel says so at its first failed attempt, with the status
// and a hint, not after minutes of back-off; its health shows failing
// until it delivers again, which is logged too.
func TestFirstFailureIsLoggedAtOnce(t *testing.T) {
	clk := clock.NewFake(t0)
	core, logs := observer.New(zap.InfoLevel)
	dns := fmt.Errorf("Post request failed: %w", &net.DNSError{Err: "no such host", Name: "hooks.slack.invalid", IsNotFound: true})
	n := &failThen{logs: logs, errs: []error{
		channel.Retryable(dns, 0),
		channel.Retryable(&httpdelivery.StatusError{StatusCode: 503}, 0),
	}}
	var reg channelhealth.Registry
	d := NewDeliverer([]ChannelSpec{{Name: "ops_slack", Notifier: n, Retry: retryCfg()}}, 10, clk, zap.New(core), nil)
	d.ReportHealth(&reg, "alert")
	d.Send("ops_slack", note())
	d.WaitIdle()
	require.NoError(t, d.Stop(context.Background()))

	assert.Equal(t, []int{0, 1, 1}, n.warnSeen, "warned after the first failure, before the first retry; once")
	warns := logs.FilterLevelExact(zap.WarnLevel).All()
	require.Len(t, warns, 1)
	f := warns[0].ContextMap()
	assert.Equal(t, "ops_slack", f["channel"])
	assert.Contains(t, f["hint"], "does not resolve")
	assert.Contains(t, f["error"], "no such host")
	assert.Equal(t, 1, logs.FilterMessage("alert channel delivering again").Len())
	states := reg.Snapshot()
	require.Len(t, states, 1)
	assert.Equal(t, channelhealth.StatusOK, states[0].Status)
}

// While a channel fails, the registry says failing with the last status.
func TestHealthShowsFailingChannel(t *testing.T) {
	clk := clock.NewFake(t0)
	n := &scripted{errs: []error{channel.Permanent(&httpdelivery.StatusError{StatusCode: 404})}}
	var reg channelhealth.Registry
	d := NewDeliverer([]ChannelSpec{{Name: "ops_webhook", Notifier: n, Retry: retryCfg()}}, 10, clk, zap.NewNop(), nil)
	d.ReportHealth(&reg, "alert")
	d.Send("ops_webhook", note())
	d.WaitIdle()
	require.NoError(t, d.Stop(context.Background()))
	states := reg.Snapshot()
	require.Len(t, states, 1)
	assert.Equal(t, channelhealth.StatusFailing, states[0].Status)
	assert.Equal(t, 404, states[0].StatusCode)
	assert.Contains(t, states[0].Hint, "revoked")
	assert.Contains(t, states[0].LastError, "HTTP status 404")
}
