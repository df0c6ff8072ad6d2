package paymentbi

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/internal/sharedcomponent"
	"github.com/otelcol-payments/otelcol-payments/internal/statestore"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/engine"
)

// shared is the one engine behind every signal of a component: the traces
// and logs processors of one id (or the traces→metrics and logs→metrics
// connectors) see the same dedup window and customer state, and a
// connector emits one set of metrics.
type shared struct {
	engine       *engine.Engine
	kind         component.Kind
	id           component.ID
	logger       *zap.Logger
	storageID    *component.ID
	syncInterval time.Duration
	// skipped counts undecodable journal records skipped at start.
	skipped metric.Int64Counter
	// emitInterval and emit are set for the connector only.
	emitInterval time.Duration
	emit         func(context.Context) error

	// mu guards the lifecycle; stop is nil when not running.
	mu     sync.Mutex
	client storage.Client
	stop   chan struct{}
	loop   sync.WaitGroup
}

// registry hands out one shared instance per component configuration.
type registry = sharedcomponent.Map[component.Config, *shared]

func newRegistry() *registry { return sharedcomponent.NewMap[component.Config, *shared]() }

// Start loads the saved state and starts the emit and sync loop; the
// registry calls it once for all the signals sharing s.
func (s *shared) Start(ctx context.Context, host component.Host) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.storageID != nil {
		client, err := storageClient(ctx, host, *s.storageID, s.kind, s.id)
		if err != nil {
			return err
		}
		if err := s.engine.LoadState(ctx, client); err != nil {
			_ = client.Close(ctx)
			return err
		}
		if n := s.engine.SkippedJournalRecords(); n > 0 && s.skipped != nil {
			s.skipped.Add(ctx, int64(n))
		}
		s.client = client
	}
	s.logger.Info("paymentbi started",
		zap.String("reporting_currency", s.engine.Reporting()),
		zap.Uint64("customer_state_bytes", s.engine.CustomerStateBytes()),
		zap.Bool("persistent", s.client != nil))
	s.stop = make(chan struct{})
	s.loop.Add(1)
	go s.run()
	return nil
}

func storageClient(ctx context.Context, host component.Host, id component.ID, kind component.Kind, owner component.ID) (storage.Client, error) {
	return statestore.Open(ctx, host, "customer_state.storage", id, kind, owner, "")
}

func (s *shared) run() {
	defer s.loop.Done()
	var emitC, syncC <-chan time.Time
	if s.emit != nil {
		t := time.NewTicker(s.emitInterval)
		defer t.Stop()
		emitC = t.C
	}
	if s.client != nil && s.syncInterval > 0 {
		t := time.NewTicker(s.syncInterval)
		defer t.Stop()
		syncC = t.C
	}
	for {
		select {
		case <-s.stop:
			return
		case <-emitC:
			if err := s.emit(context.Background()); err != nil {
				s.logger.Warn("paymentbi: sending metrics failed", zap.Error(err))
			}
		case <-syncC:
			if err := s.engine.SaveState(context.Background(), s.client); err != nil {
				s.logger.Warn("paymentbi: saving state failed", zap.Error(err))
			}
		}
	}
}

// Shutdown stops the loop, emits the final metrics and saves the state;
// the registry calls it once, when the last signal sharing s shuts down.
func (s *shared) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop == nil {
		return nil // never started, or its start failed
	}
	close(s.stop)
	s.loop.Wait()
	s.stop = nil
	var errs []error
	if s.emit != nil {
		errs = append(errs, s.emit(ctx))
	}
	if s.client != nil {
		errs = append(errs, s.engine.SaveState(ctx, s.client))
		s.engine.Detach()
		errs = append(errs, s.client.Close(ctx))
		s.client = nil
	}
	return errors.Join(errs...)
}
