package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// scripted returns the queued errors in order, then nil.
type scripted struct {
	mu    sync.Mutex
	errs  []error
	calls int
}

func (s *scripted) Notify(context.Context, *channel.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if len(s.errs) == 0 {
		return nil
	}
	err := s.errs[0]
	s.errs = s.errs[1:]
	return err
}

// blocking waits until released.
type blocking struct {
	release chan struct{}
	started chan struct{}
}

func (b *blocking) Notify(ctx context.Context, _ *channel.Notification) error {
	if b.started != nil {
		select {
		case b.started <- struct{}{}:
		default:
		}
	}
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type outcomes struct {
	mu  sync.Mutex
	got []string
}

func (o *outcomes) record(ch string, out Outcome, attempts int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, ch+":"+string(out)+":"+string(rune('0'+attempts)))
}

func (o *outcomes) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.got...)
}

func retryCfg() configretry.BackOffConfig {
	return configretry.BackOffConfig{Enabled: true, InitialInterval: time.Second, Multiplier: 2, MaxInterval: 10 * time.Second, MaxElapsedTime: time.Minute}
}

func note() *channel.Notification {
	return &channel.Notification{Alerts: []contract.Alert{{Name: "X", Status: contract.AlertFiring, Fingerprint: "00ff00ff00ff00ff"}}}
}

func TestRetryBackoffHonoursRetryAfter(t *testing.T) {
	clk := clock.NewFake(t0)
	n := &scripted{errs: []error{
		channel.Retryable(errors.New("429"), 7*time.Second),
		channel.Retryable(errors.New("503"), 0),
		channel.Retryable(errors.New("503"), 0),
	}}
	var o outcomes
	d := NewDeliverer([]ChannelSpec{{Name: "slack", Notifier: n, Retry: retryCfg()}}, 10, clk, zap.NewNop(), o.record)
	d.Send("slack", note())
	d.WaitIdle()
	assert.Equal(t, []time.Duration{7 * time.Second, 2 * time.Second, 4 * time.Second}, clk.Sleeps(),
		"Retry-After wins over a shorter back-off; then exponential")
	assert.Equal(t, []string{"slack:sent:4"}, o.list())
	require.NoError(t, d.Stop(context.Background()))
}

func TestPermanentErrorAndExhaustedRetries(t *testing.T) {
	clk := clock.NewFake(t0)
	core, logs := observer.New(zap.InfoLevel)
	always := &scripted{}
	for range 100 {
		always.errs = append(always.errs, channel.Retryable(errors.New("500"), 0))
	}
	perm := &scripted{errs: []error{channel.Permanent(errors.New("400 invalid_payload"))}}
	var o outcomes
	d := NewDeliverer([]ChannelSpec{
		{Name: "pd", Notifier: always, Retry: retryCfg()},
		{Name: "hook", Notifier: perm, Retry: retryCfg()},
	}, 10, clk, zap.New(core), o.record)
	d.Send("hook", note())
	d.WaitIdle()
	assert.Equal(t, 1, perm.calls, "permanent errors are not retried")
	d.Send("pd", note())
	d.WaitIdle()
	// Waits 1+2+4+8+10+10+10+10 = 55s; one more 10s wait would pass
	// max_elapsed_time (1m), so the 9th attempt is the last.
	assert.Equal(t, 9, always.calls)
	assert.ElementsMatch(t, []string{"hook:failed:1", "pd:failed:9"}, o.list())
	failures := logs.FilterMessage("alert notification failed").All()
	require.Len(t, failures, 2)
	for _, l := range failures {
		fields := l.ContextMap()
		assert.Contains(t, []string{"pd", "hook"}, fields["channel"])
		assert.Equal(t, []any{"00ff00ff00ff00ff"}, fields["fingerprints"])
	}
	require.NoError(t, d.Stop(context.Background()))
}

// A keep-alive re-post is tried once: while the receiver is down, the next
// refresh replaces it, so stale re-posts never pile up ahead of a resolve.
func TestRefreshIsNotRetried(t *testing.T) {
	clk := clock.NewFake(t0)
	n := &scripted{errs: []error{channel.Retryable(errors.New("503"), 0), channel.Retryable(errors.New("503"), 0)}}
	var o outcomes
	d := NewDeliverer([]ChannelSpec{{Name: "am", Notifier: n, Retry: retryCfg()}}, 10, clk, zap.NewNop(), o.record)
	refresh := note()
	refresh.Refresh = true
	d.Send("am", refresh)
	d.WaitIdle()
	assert.Equal(t, 1, n.calls)
	assert.Empty(t, clk.Sleeps(), "no back-off for a refresh")
	d.Send("am", note())
	d.WaitIdle()
	assert.Equal(t, []string{"am:failed:1", "am:sent:2"}, o.list(), "a real notification is still retried")
	require.NoError(t, d.Stop(context.Background()))
}

func TestFailingChannelDoesNotBlockOthers(t *testing.T) {
	stuck := &blocking{release: make(chan struct{}), started: make(chan struct{}, 1)}
	fast := &scripted{}
	var o outcomes
	d := NewDeliverer([]ChannelSpec{
		{Name: "stuck", Notifier: stuck, Retry: retryCfg()},
		{Name: "fast", Notifier: fast, Retry: retryCfg()},
	}, 2, clock.NewFake(t0), zap.NewNop(), o.record)
	d.Send("stuck", note())
	<-stuck.started
	d.Send("stuck", note()) // queued
	d.Send("stuck", note()) // queued
	d.Send("stuck", note()) // queue of 2 full: dropped, not blocking
	d.Send("fast", note())
	d.Send("fast", note())
	// fast's deliveries complete while stuck still holds its first.
	require.Eventually(t, func() bool {
		fast.mu.Lock()
		defer fast.mu.Unlock()
		return fast.calls == 2
	}, 5*time.Second, time.Millisecond)
	close(stuck.release)
	d.WaitIdle()
	got := o.list()
	assert.Contains(t, got, "stuck:dropped:0")
	count := 0
	for _, g := range got {
		if g == "stuck:sent:1" {
			count++
		}
	}
	assert.Equal(t, 3, count)
	require.NoError(t, d.Stop(context.Background()))
	d.Send("fast", note()) // after stop: dropped, no panic
}

func TestStopAbandonsAfterDeadline(t *testing.T) {
	stuck := &blocking{release: make(chan struct{})}
	var o outcomes
	d := NewDeliverer([]ChannelSpec{{Name: "stuck", Notifier: stuck, Retry: retryCfg()}}, 10, clock.Real{}, zap.NewNop(), o.record)
	d.Send("stuck", note())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, d.Stop(ctx), context.Canceled)
	assert.Empty(t, o.list(), "abandoned by shutdown: neither sent nor failed")
}

// A channel failing with a long back-off does not hold Stop: the retry is
// abandoned at once, logged as kept (not failed), and the notification is
// not done, so the outbox keeps it for the next start. A notification still
// queued gets one attempt.
func TestStopAbandonsRetriesAtOnce(t *testing.T) {
	failing := &failingAll{}
	core, logs := observer.New(zap.InfoLevel)
	var o outcomes
	slow := configretry.BackOffConfig{Enabled: true, InitialInterval: time.Hour, Multiplier: 2, MaxInterval: time.Hour, MaxElapsedTime: 5 * time.Hour}
	d := NewDeliverer([]ChannelSpec{{Name: "email", Notifier: failing, Retry: slow}}, 10, clock.Real{}, zap.New(core), o.record)
	var done atomic.Int32
	d.OnDone(func(*channel.Notification) { done.Add(1) })
	d.Send("email", note())
	d.Send("email", note())
	require.Eventually(t, func() bool { return failing.calls.Load() >= 1 }, 5*time.Second, time.Millisecond)

	stopped := make(chan error, 1)
	go func() { stopped <- d.Stop(context.Background()) }()
	select {
	case err := <-stopped:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Stop waited for the hour-long back-off")
	}
	assert.EqualValues(t, 2, failing.calls.Load(), "the queued one got its single attempt")
	assert.Zero(t, done.Load(), "nothing done: both stay in the outbox")
	assert.Empty(t, o.list())
	assert.Equal(t, 2, logs.FilterMessageSnippet("kept for the next start").Len())
	assert.Zero(t, logs.FilterMessage("alert notification failed").Len())
}

type failingAll struct{ calls atomic.Int32 }

func (f *failingAll) Notify(context.Context, *channel.Notification) error {
	f.calls.Add(1)
	return channel.Retryable(errors.New("smtp 451"), 0)
}

// A template that fails to execute is tried once and logged once, with the
// channel name and fingerprints but none of the alert's content.
func TestTemplateErrorIsNotRetriedAndLoggedWithoutContent(t *testing.T) {
	clk := clock.NewFake(t0)
	core, logs := observer.New(zap.InfoLevel)
	// fails on this alert only (templates failing on every alert are refused at start)
	tmpl := channel.MustParseTemplate("slack.text", `{{ range .Alerts }}{{ if eq .Name "X" }}{{ range .Summary }}x{{ end }}{{ end }}{{ end }}`, "")
	n := note()
	n.Alerts[0].Summary = "card 4111111111111111 declined"
	renderer := &rendering{tmpl: tmpl}
	var o outcomes
	d := NewDeliverer([]ChannelSpec{{Name: "slack", Notifier: renderer, Retry: retryCfg()}}, 10, clk, zap.New(core), o.record)
	d.Send("slack", n)
	d.WaitIdle()
	require.NoError(t, d.Stop(context.Background()))
	assert.Equal(t, 1, renderer.calls, "a template error is permanent")
	assert.Empty(t, clk.Sleeps())
	assert.Equal(t, []string{"slack:failed:1"}, o.list())
	require.Equal(t, 1, logs.Len(), "logged once")
	entry := logs.All()[0]
	fields := entry.ContextMap()
	assert.Equal(t, "slack", fields["channel"])
	assert.Equal(t, []any{"00ff00ff00ff00ff"}, fields["fingerprints"])
	assert.NotContains(t, fmt.Sprint(fields), "4111")
	assert.NotContains(t, entry.Message, "4111")
}

type rendering struct {
	tmpl  *channel.Template
	calls int
}

func (r *rendering) Notify(_ context.Context, n *channel.Notification) error {
	r.calls++
	_, err := r.tmpl.Execute(n)
	return err
}
