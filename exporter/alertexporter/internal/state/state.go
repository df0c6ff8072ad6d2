// Package state persists the alert engine's state (alerts, groups with
// their notification and escalation progress, silences) through a storage
// extension client, so a restart neither drops a pending escalation nor
// pages again for an alert already notified.
package state

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
	"github.com/otelcol-payments/otelcol-payments/internal/statestore"
)

// Version of the snapshot format.
const Version = 1

const key = "alert_state"

// format is the envelope of the snapshot. Releases before the envelope
// wrote the version 1 JSON bare.
var format = statestore.Format{Name: "alertexporter.state", Version: Version, Unversioned: 1}

// Snapshot is everything the engine needs after a restart.
type Snapshot struct {
	Version  int             `json:"version"`
	SavedAt  time.Time       `json:"saved_at"`
	Alerts   []Alert         `json:"alerts"`
	Groups   []Group         `json:"groups"`
	Silences []route.Silence `json:"silences"`
	// Pending are notifications handed to a channel but not yet delivered
	// (or given up on); they are sent again after a restart.
	Pending []Pending `json:"pending,omitempty"`
	// Seq orders snapshots taken in one process so that an older one never
	// overwrites a newer one; not stored.
	Seq uint64 `json:"-"`
}

// Pending is an undelivered notification.
type Pending struct {
	ID           uint64            `json:"id"`
	Channel      string            `json:"channel"`
	Receiver     string            `json:"receiver"`
	GroupKey     string            `json:"group_key"`
	GroupLabels  map[string]string `json:"group_labels,omitempty"`
	CommonLabels map[string]string `json:"common_labels,omitempty"`
	Alerts       []Alert           `json:"alerts"`
	Level        int               `json:"level"`
	Acknowledged bool              `json:"acknowledged,omitempty"`
	ExternalURL  string            `json:"external_url,omitempty"`
	// Delivered are the recipients that already got it (SMS), skipped when
	// it is sent again; absent in snapshots from before it was recorded.
	Delivered []string `json:"delivered,omitempty"`
}

// Alert is a stored alert with its acknowledgement.
type Alert struct {
	Name         string            `json:"name"`
	Status       string            `json:"status"`
	Severity     string            `json:"severity"`
	Fingerprint  string            `json:"fingerprint"`
	Value        *float64          `json:"value,omitempty"`
	Threshold    *float64          `json:"threshold,omitempty"`
	Summary      string            `json:"summary,omitempty"`
	Description  string            `json:"description,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	StartsAt     time.Time         `json:"starts_at"`
	EndsAt       time.Time         `json:"ends_at,omitzero"`
	RunbookURL   string            `json:"runbook_url,omitempty"`
	Rule         string            `json:"rule,omitempty"`
	GeneratorURL string            `json:"generator_url,omitempty"`
	TraceID      string            `json:"trace_id,omitempty"`
	SpanID       string            `json:"span_id,omitempty"`
	Acked        bool              `json:"acked,omitempty"`
	AckedBy      string            `json:"acked_by,omitempty"`
	AckedAt      time.Time         `json:"acked_at,omitzero"`
	// HeldEndsAt is set while a resolve from the source is held (flap
	// window, incident not acknowledged); ReleaseAt ends the flap window.
	HeldEndsAt time.Time `json:"held_ends_at,omitzero"`
	ReleaseAt  time.Time `json:"release_at,omitzero"`
}

// Group is a stored aggregation group.
type Group struct {
	Key          string            `json:"key"`
	RouteID      string            `json:"route_id"`
	Labels       map[string]string `json:"labels"`
	NextFlush    time.Time         `json:"next_flush"`
	LastNotified time.Time         `json:"last_notified,omitzero"`
	Members      []Member          `json:"members"`
}

// Member is an alert's progress inside a group.
type Member struct {
	Fingerprint string    `json:"fingerprint"`
	Level       int       `json:"level"`
	LevelAt     time.Time `json:"level_at,omitzero"`
	Notified    []string  `json:"notified,omitempty"`
	// LastFiring is set when the last notification announced it firing.
	LastFiring bool `json:"last_firing,omitempty"`
}

// Store reads and writes the snapshot under one key.
type Store struct{ client storage.Client }

// NewStore wraps a storage client.
func NewStore(client storage.Client) *Store { return &Store{client: client} }

// Load returns the saved snapshot, or nil when there is none.
func (s *Store) Load(ctx context.Context) (*Snapshot, error) {
	b, err := s.client.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read alert state: %w", err)
	}
	if b == nil {
		return nil, nil
	}
	if b, err = format.Decode(b); err != nil {
		return nil, fmt.Errorf("decode alert state: %w", err)
	}
	var snap Snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return nil, fmt.Errorf("decode alert state: %w", err)
	}
	if snap.Version != Version {
		return nil, fmt.Errorf("alert state version %d, want %d", snap.Version, Version)
	}
	return &snap, nil
}

// Save writes the snapshot.
func (s *Store) Save(ctx context.Context, snap *Snapshot) error {
	snap.Version = Version
	b, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encode alert state: %w", err)
	}
	if err := s.client.Set(ctx, key, format.Encode(b)); err != nil {
		return fmt.Errorf("write alert state: %w", err)
	}
	return nil
}

// Close releases the client.
func (s *Store) Close(ctx context.Context) error { return s.client.Close(ctx) }
