package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// ScopeName is the instrumentation scope of everything the simulator emits.
const ScopeName = "github.com/otelcol-payments/otelcol-payments/internal/sim"

// Run simulates checkout traffic of a payment service and sends it over OTLP
// gRPC to cfg.Endpoint. It returns once the SDK providers are flushed and shut
// down, with the ledger of what was sent. It fails if any span or log record
// did not reach the endpoint. Cancelling ctx stops the traffic early; the
// telemetry already produced is still flushed and the ledger describes it,
// and the error is ctx's. (If ctx ends while the simulator is waiting for room
// in the SDK's log queue, the session in progress may be counted but only
// partly sent.)
func Run(ctx context.Context, cfg Config) (*Ledger, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("invalid simulator config: %w", err)
	}
	cfg = cfg.withDefaults()
	p, err := newPipeline(ctx, cfg, newIDGenerator(cfg.Seed))
	if err != nil {
		return nil, err
	}
	e, err := newEmitter(cfg, p)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	narr := newNarrator(cfg)
	var runErr error
	var offset time.Duration
	for i := 0; cfg.Count == 0 || i < cfg.Count; i++ {
		offset = time.Since(start)
		if cfg.Rate > 0 {
			offset = time.Duration(float64(i) / cfg.Rate * float64(time.Second))
		}
		if cfg.Duration > 0 && offset >= cfg.Duration {
			break
		}
		if cfg.Rate > 0 {
			if runErr = sleepUntil(ctx, start.Add(offset)); runErr != nil {
				break
			}
		}
		if runErr = ctx.Err(); runErr != nil {
			break
		}
		narr.before(i, offset, e.ledger)
		if runErr = e.step(ctx, i, offset); runErr != nil {
			break
		}
	}
	narr.done(offset, e.ledger)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	return e.ledger, errors.Join(runErr, p.shutdown(sctx, e.ledger.Spans))
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// idGenerator draws trace and span ids from the seed so that a run's
// telemetry is reproducible.
type idGenerator struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newIDGenerator(seed int64) *idGenerator {
	return &idGenerator{rng: rand.New(rand.NewPCG(uint64(seed), 0x1d5))}
}

func (g *idGenerator) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var tid trace.TraceID
	for !tid.IsValid() {
		putUint64(tid[:8], g.rng.Uint64())
		putUint64(tid[8:], g.rng.Uint64())
	}
	return tid, g.spanID()
}

func (g *idGenerator) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.spanID()
}

func (g *idGenerator) spanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		putUint64(sid[:], g.rng.Uint64())
	}
	return sid
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}

// emitter turns simulated shop activity into telemetry and keeps the ledger
// in step with exactly what it emits.
type emitter struct {
	cfg     Config
	rng     *rand.Rand
	p       *pipeline
	tracer  trace.Tracer
	logger  log.Logger
	httpDur metric.Float64Histogram
	dbDur   metric.Float64Histogram

	ledger    *Ledger
	catalog   []*product
	customers customerPool
	// refundQueue holds paid orders that will be refunded in a later session.
	refundQueue []*order
	// now is the clock of session timelines: time.Now, or the simulated
	// clock of a Replay.
	now func() time.Time
	// err is the first emission error (the log queue wait was cancelled);
	// once set, nothing more is emitted.
	err error
}

// Latency buckets of the HTTP and DB duration histograms (semantic
// conventions' recommendation, in seconds).
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

func newEmitter(cfg Config, p *pipeline) (*emitter, error) {
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15))
	meter := p.metrics.Meter(ScopeName)
	httpDur, err := meter.Float64Histogram("http.server.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP server requests."), metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err != nil {
		return nil, err
	}
	dbDur, err := meter.Float64Histogram("db.client.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of database client operations."), metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err != nil {
		return nil, err
	}
	ledger, catalog := newLedger(cfg.Seed), newCatalog(rng)
	if len(cfg.Channels) > 0 {
		ledger.Channels = map[string]*ChannelTotals{}
	}
	for _, p := range catalog {
		ledger.InitialStock[p.id] = p.initial
	}
	return &emitter{
		cfg:     cfg,
		rng:     rng,
		p:       p,
		tracer:  p.traces.Tracer(ScopeName),
		logger:  p.logs.Logger(ScopeName),
		httpDur: httpDur,
		dbDur:   dbDur,
		ledger:  ledger,
		catalog: catalog,
		now:     time.Now,
	}, nil
}

// step runs one checkout session plus the background activity around it
// (refunds of earlier orders, restocking, card-testing bursts).
func (e *emitter) step(ctx context.Context, i int, offset time.Duration) error {
	e.ledger.Sessions++
	if len(e.refundQueue) > 0 && e.rng.Float64() < 0.5 {
		e.refund(ctx)
	}
	e.maybeRestock(ctx)
	if e.rng.Float64() < e.cfg.CardTestingRate {
		e.cardTesting(ctx)
	}
	e.checkout(ctx, i, offset)
	return e.err
}

// emitLog emits one log record; eventName "" for plain (exception) logs.
func (e *emitter) emitLog(ctx context.Context, eventName string, sev log.Severity, body string, ts time.Time, attrs []attribute.KeyValue) {
	if e.err != nil {
		return
	}
	if err := e.p.waitForLogQueue(ctx); err != nil {
		e.err = err
		return
	}
	var r log.Record
	r.SetTimestamp(ts)
	r.SetSeverity(sev)
	r.SetSeverityText(severityText(sev))
	r.SetBody(attribute.StringValue(body))
	if eventName != "" {
		r.SetEventName(eventName)
		r.AddAttributes(attribute.String(contract.EventName, eventName))
	}
	r.AddAttributes(attrs...)
	e.logger.Emit(ctx, r)
	e.p.logsEmitted.Add(1)
	e.ledger.LogRecords++
}

func severityText(s log.Severity) string {
	switch {
	case s >= log.SeverityError:
		return "ERROR"
	case s >= log.SeverityWarn:
		return "WARN"
	}
	return "INFO"
}
