package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
)

// Storage keys of the persisted state.
const (
	keyCustomers = "customers"
	keyPeriods   = "revenue_periods"
	// keyDedup holds the purchase dedup set; state saved before it existed
	// simply lacks the key.
	keyDedup = "dedup"
)

// periodState is the day's and month's revenue, kept across a restart so
// progress against the targets does not start again from zero.
type periodState struct {
	DayStart   time.Time        `json:"day_start"`
	MonthStart time.Time        `json:"month_start"`
	Day        map[string]int64 `json:"day"`
	Month      map[string]int64 `json:"month"`
}

// LoadState restores the state saved by SaveState. Saved state that does
// not fit the configuration is ignored with a warning: the engine then
// starts empty rather than failing the collector.
func (e *Engine) LoadState(ctx context.Context, client storage.Client) error {
	ops := []*storage.Operation{storage.GetOperation(keyCustomers), storage.GetOperation(keyPeriods), storage.GetOperation(keyDedup)}
	if err := client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("paymentbi: load customer state: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if data := ops[0].Value; data != nil {
		if err := e.cust.unmarshal(data); err != nil {
			e.logger.Warn("paymentbi: ignoring saved customer state", zap.Error(err))
		}
	}
	if data := ops[2].Value; data != nil {
		if err := e.dedup.unmarshal(data, e.now()); err != nil {
			e.logger.Warn("paymentbi: ignoring saved dedup set", zap.Error(err))
		}
	}
	if data := ops[1].Value; data != nil {
		var ps periodState
		if err := json.Unmarshal(data, &ps); err != nil {
			e.logger.Warn("paymentbi: ignoring saved revenue periods", zap.Error(err))
			return nil
		}
		if ps.DayStart.Equal(e.agg.day.start) {
			e.agg.dayRevenue = nonNil(ps.Day)
		}
		if ps.MonthStart.Equal(e.agg.month.start) {
			e.agg.monthRevenue = nonNil(ps.Month)
		}
	}
	return nil
}

func nonNil(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return m
}

// SaveState writes the customer state and the dedup set (each when it
// changed) and the period revenue to client, in one batch taken under one
// lock: after a crash, counted revenue, known customers and remembered
// order ids are of the same moment.
func (e *Engine) SaveState(ctx context.Context, client storage.Client) error {
	e.mu.Lock()
	var ops []*storage.Operation
	dedupDirty := e.dedup.dirty
	if dedupDirty {
		ops = append(ops, storage.SetOperation(keyDedup, e.dedup.marshal(e.now())))
	}
	if e.cust.dirty {
		data, err := e.cust.marshal()
		if err != nil {
			e.mu.Unlock()
			return fmt.Errorf("paymentbi: encode customer state: %w", err)
		}
		ops = append(ops, storage.SetOperation(keyCustomers, data))
	}
	ps, err := json.Marshal(periodState{
		DayStart: e.agg.day.start, MonthStart: e.agg.month.start,
		Day: e.agg.dayRevenue, Month: e.agg.monthRevenue,
	})
	if err != nil {
		e.mu.Unlock()
		return fmt.Errorf("paymentbi: encode revenue periods: %w", err)
	}
	ops = append(ops, storage.SetOperation(keyPeriods, ps))
	custDirty := e.cust.dirty
	e.cust.dirty, e.dedup.dirty = false, false
	e.mu.Unlock()
	if err := client.Batch(ctx, ops...); err != nil {
		e.mu.Lock()
		e.cust.dirty = e.cust.dirty || custDirty
		e.dedup.dirty = e.dedup.dirty || dedupDirty
		e.mu.Unlock()
		return fmt.Errorf("paymentbi: save customer state: %w", err)
	}
	return nil
}
