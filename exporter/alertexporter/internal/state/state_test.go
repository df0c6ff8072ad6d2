package state

import (
	"context"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-payments/otelcol-payments/internal/statestore"
)

var owner = component.MustNewIDWithName("alert", "payments")

func TestStoreRoundTripInEnvelope(t *testing.T) {
	ctx := context.Background()
	client := storagetest.NewInMemoryClient(component.KindExporter, owner, "alert_state")
	s := NewStore(client)
	snap, err := s.Load(ctx)
	require.NoError(t, err)
	assert.Nil(t, snap, "nothing saved yet")

	saved := &Snapshot{SavedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Alerts: []Alert{{Fingerprint: "abc"}}}
	require.NoError(t, s.Save(ctx, saved))
	raw, err := client.Get(ctx, key)
	require.NoError(t, err)
	_, err = (statestore.Format{Name: "alertexporter.state", Version: Version}).Decode(raw)
	require.NoError(t, err, "saved in the alert state envelope")

	got, err := s.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, saved.SavedAt, got.SavedAt)
	assert.Equal(t, "abc", got.Alerts[0].Fingerprint)
}

// What the release before the envelope wrote (bare JSON) is restored.
func TestStoreReadsTheStateOfThePreviousRelease(t *testing.T) {
	ctx := context.Background()
	client := storagetest.NewInMemoryClient(component.KindExporter, owner, "alert_state")
	require.NoError(t, client.Set(ctx, key, []byte(`{"version":1,"saved_at":"2026-03-02T09:00:00Z","alerts":[{"fingerprint":"abc"}],"groups":[],"silences":[]}`)))
	got, err := NewStore(client).Load(ctx)
	require.NoError(t, err)
	require.Len(t, got.Alerts, 1)
	assert.Equal(t, "abc", got.Alerts[0].Fingerprint)

	// A state from a newer release is refused rather than misread.
	newer := statestore.Format{Name: "alertexporter.state", Version: Version + 1}
	require.NoError(t, client.Set(ctx, key, newer.Encode([]byte(`{}`))))
	_, err = NewStore(client).Load(ctx)
	require.ErrorIs(t, err, statestore.ErrNewerVersion)
}
