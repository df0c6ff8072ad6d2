package dispatch

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/internal/channelhealth"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
)

// ChannelSpec is one configured channel for the deliverer.
type ChannelSpec struct {
	Name     string
	Notifier channel.Notifier
	Timeout  time.Duration
	Retry    configretry.BackOffConfig
}

// Outcome of one notification on one channel, for telemetry.
type Outcome string

const (
	OutcomeSent    Outcome = "sent"
	OutcomeFailed  Outcome = "failed"
	OutcomeDropped Outcome = "dropped"
)

// Deliverer runs one worker per channel with its own bounded queue, so a
// slow or failing channel (retrying with back-off) never delays the others.
type Deliverer struct {
	clock    clock.Clock
	logger   *zap.Logger
	onResult func(channelName string, outcome Outcome, attempts int)
	onDone   func(n *channel.Notification)
	// onProgress is called when a notification was delivered to some of
	// its recipients.
	onProgress func(n *channel.Notification)
	workers    map[string]*worker
	pending    sync.WaitGroup
	done       sync.WaitGroup
	ctx        context.Context
	cancel     context.CancelFunc
	// retryCtx ends when Stop begins: no retry starts after that.
	retryCtx    context.Context
	stopRetries context.CancelFunc
	// mu guards stopped against Send racing Stop's closing of the queues.
	mu      sync.RWMutex
	stopped bool
	// health receives every attempt's outcome under component; its
	// transitions are logged (first failure at warn at once).
	health    *channelhealth.Registry
	component string
}

// ReportHealth makes the deliverer report each attempt to reg as
// component's channels. Without it, the transitions are still logged.
func (d *Deliverer) ReportHealth(reg *channelhealth.Registry, component string) {
	d.health, d.component = reg, component
}

// noteAttempt records an attempt's outcome and logs the channel's first
// failure at once (the retries and the final outcome come later, minutes
// later with back-off) and its recovery.
func (d *Deliverer) noteAttempt(w *worker, err error, logFailure bool) {
	status := 0
	var herr *httpdelivery.StatusError
	if errors.As(err, &herr) {
		status = herr.StatusCode
	}
	reg := d.health
	if reg == nil {
		reg = &w.ownHealth
	}
	first, recovered := reg.Report(d.component, w.spec.Name, err, status, d.clock.Now())
	switch {
	case first && logFailure:
		d.logger.Warn("alert channel failing: delivery attempt failed, retrying with back-off",
			zap.String("channel", w.spec.Name), zap.Int("status", status), zap.Error(err),
			zap.String("hint", channelhealth.Hint(err, status)))
	case recovered:
		d.logger.Info("alert channel delivering again", zap.String("channel", w.spec.Name))
	}
}

type worker struct {
	spec  ChannelSpec
	queue chan *channel.Notification
	// ownHealth tracks the channel when no registry is set.
	ownHealth channelhealth.Registry
}

// NewDeliverer starts a worker per channel with a queue of queueSize.
// onResult may be nil.
func NewDeliverer(specs []ChannelSpec, queueSize int, clk clock.Clock, logger *zap.Logger, onResult func(string, Outcome, int)) *Deliverer {
	if onResult == nil {
		onResult = func(string, Outcome, int) {}
	}
	d := &Deliverer{clock: clk, logger: logger, onResult: onResult, workers: map[string]*worker{}}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.retryCtx, d.stopRetries = context.WithCancel(d.ctx)
	for _, s := range specs {
		w := &worker{spec: s, queue: make(chan *channel.Notification, queueSize)}
		d.workers[s.Name] = w
		d.done.Add(1)
		go d.run(w)
	}
	return d
}

// OnDone sets a hook called from the channel's worker once a notification
// is delivered or given up for good (not when abandoned by shutdown, so it
// can be sent again after a restart). Set it before the first Send.
func (d *Deliverer) OnDone(f func(n *channel.Notification)) { d.onDone = f }

// OnProgress sets a hook called from the channel's worker each time a
// notifier records a delivered recipient (channel.Notification.MarkDelivered),
// so the progress can be persisted before the next recipient. Set it before
// the first Send.
func (d *Deliverer) OnProgress(f func(n *channel.Notification)) { d.onProgress = f }

// Send queues n for the channel; when the queue is full the notification
// is dropped and logged rather than blocking the engine. It reports whether
// n was queued.
func (d *Deliverer) Send(name string, n *channel.Notification) bool {
	w, ok := d.workers[name]
	if !ok {
		d.logger.Error("notification for unknown channel dropped", zap.String("channel", name))
		return false
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.stopped {
		d.onResult(name, OutcomeDropped, 0)
		d.logger.Warn("notification after shutdown dropped", zap.String("channel", name), zap.Strings("fingerprints", fingerprints(n)))
		return false
	}
	if d.onProgress != nil {
		n.OnDelivered = func() { d.onProgress(n) }
	}
	d.pending.Add(1)
	select {
	case w.queue <- n:
		return true
	default:
		d.pending.Done()
		d.onResult(name, OutcomeDropped, 0)
		d.logger.Error("channel queue full, notification dropped", zap.String("channel", name), zap.Strings("fingerprints", fingerprints(n)))
		return false
	}
}

// WaitIdle blocks until every queued notification has been handled.
func (d *Deliverer) WaitIdle() { d.pending.Wait() }

// Stop stops accepting work and retrying: a notification waiting for its
// next attempt is abandoned at once, the queued ones get one attempt each
// until ctx ends, when the attempts in flight are abandoned too. Abandoned
// notifications are not done (OnDone is not called), so the outbox keeps
// them for the next start.
func (d *Deliverer) Stop(ctx context.Context) error {
	d.mu.Lock()
	if !d.stopped {
		d.stopped = true
		d.stopRetries()
		for _, w := range d.workers {
			close(w.queue)
		}
	}
	d.mu.Unlock()
	finished := make(chan struct{})
	go func() { d.done.Wait(); close(finished) }()
	select {
	case <-finished:
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		<-finished
		return ctx.Err()
	}
}

func (d *Deliverer) run(w *worker) {
	defer d.done.Done()
	for n := range w.queue {
		// Abandoned by shutdown: not done, the outbox keeps it for the restart.
		if !d.deliver(w, n) && d.onDone != nil {
			d.onDone(n)
		}
		d.pending.Done()
	}
}

// deliver sends n with retries and reports whether shutdown abandoned it.
func (d *Deliverer) deliver(w *worker, n *channel.Notification) (abandoned bool) {
	spec := w.spec
	start := d.clock.Now()
	interval := spec.Retry.InitialInterval
	for attempt := 1; ; attempt++ {
		if d.ctx.Err() != nil {
			return d.abandon(spec, n)
		}
		err := d.attempt(spec, n)
		if err == nil {
			d.noteAttempt(w, nil, false)
			d.onResult(spec.Name, OutcomeSent, attempt)
			return false
		}
		if n.Refresh {
			d.noteAttempt(w, err, false)
			d.onResult(spec.Name, OutcomeFailed, attempt)
			d.logger.Warn("alert refresh failed; the next one replaces it",
				zap.String("channel", spec.Name), zap.Strings("fingerprints", fingerprints(n)), zap.Error(err))
			return false
		}
		wait, retry := d.nextWait(spec.Retry, err, interval, start)
		// A failure that is retried says so at once; a final one is
		// logged below as it is.
		d.noteAttempt(w, err, retry && d.ctx.Err() == nil)
		if retry {
			if d.clock.Sleep(d.retryCtx, wait) != nil {
				return d.abandon(spec, n)
			}
			interval = min(time.Duration(float64(interval)*spec.Retry.Multiplier), spec.Retry.MaxInterval)
			continue
		}
		d.onResult(spec.Name, OutcomeFailed, attempt)
		// Only the channel name and fingerprints: the error text never holds
		// the URL (httpdelivery strips it) and alerts may carry customer data.
		d.logger.Error("alert notification failed",
			zap.String("channel", spec.Name),
			zap.Strings("fingerprints", fingerprints(n)),
			zap.Int("attempts", attempt),
			zap.Error(err))
		return false
	}
}

// abandon leaves n to the outbox at shutdown: neither sent nor failed.
func (d *Deliverer) abandon(spec ChannelSpec, n *channel.Notification) bool {
	d.logger.Info("alert notification not delivered before shutdown; kept for the next start",
		zap.String("channel", spec.Name), zap.Strings("fingerprints", fingerprints(n)))
	return true
}

func (d *Deliverer) attempt(spec ChannelSpec, n *channel.Notification) error {
	ctx := d.ctx
	if spec.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, spec.Timeout)
		defer cancel()
	}
	return spec.Notifier.Notify(ctx, n)
}

// nextWait decides whether and how long to wait before the next attempt:
// exponential back-off, at least the service's Retry-After, and never past
// max_elapsed_time.
func (d *Deliverer) nextWait(cfg configretry.BackOffConfig, err error, interval time.Duration, start time.Time) (time.Duration, bool) {
	if !cfg.Enabled {
		return 0, false
	}
	var cerr *channel.Error
	retryAfter := time.Duration(0)
	if errors.As(err, &cerr) {
		if !cerr.Retryable {
			return 0, false
		}
		retryAfter = cerr.RetryAfter
	}
	wait := interval
	if cfg.RandomizationFactor > 0 {
		delta := cfg.RandomizationFactor * float64(interval)
		wait = time.Duration(float64(interval) - delta + rand.Float64()*2*delta)
	}
	wait = max(wait, retryAfter)
	if cfg.MaxElapsedTime > 0 && d.clock.Now().Add(wait).Sub(start) > cfg.MaxElapsedTime {
		return 0, false
	}
	return wait, true
}

func fingerprints(n *channel.Notification) []string {
	out := make([]string, len(n.Alerts))
	for i, a := range n.Alerts {
		out[i] = a.Fingerprint
	}
	return out
}

// SetLogger replaces the logger (tests observe it).
func (d *Deliverer) SetLogger(l *zap.Logger) { d.logger = l }
