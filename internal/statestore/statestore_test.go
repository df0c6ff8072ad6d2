package statestore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bbolterrors "go.etcd.io/bbolt/errors"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

var owner = component.MustNewIDWithName("alert", "payments")

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	host := storagetest.NewStorageHost().
		WithFileBackedStorageExtension("disk", dir).
		WithNonStorageExtension("other")

	client, err := Open(ctx, host, "storage", storagetest.NewStorageID("disk"), component.KindExporter, owner, "alert_state")
	require.NoError(t, err)
	require.NoError(t, client.Set(ctx, "k", []byte("v")))
	require.NoError(t, client.Close(ctx))
	// The owner, kind and name select the same data again.
	client, err = Open(ctx, host, "storage", storagetest.NewStorageID("disk"), component.KindExporter, owner, "alert_state")
	require.NoError(t, err)
	got, err := client.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "v", string(got))
	require.NoError(t, client.Close(ctx))

	_, err = Open(ctx, host, "customer_state.storage", component.MustNewID("file_storage"), component.KindProcessor, owner, "")
	require.EqualError(t, err, `customer_state.storage: extension "file_storage" not found`)
	_, err = Open(ctx, host, "storage", storagetest.NewNonStorageID("other"), component.KindExporter, owner, "")
	require.EqualError(t, err, `storage: extension "non_storage/other" is not a storage extension`)
}

// failing is a storage extension whose GetClient fails.
type failing struct {
	component.StartFunc
	component.ShutdownFunc
	err error
}

func (f failing) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return nil, f.err
}

func TestOpenExplainsALockedFile(t *testing.T) {
	id := component.MustNewID("file_storage")
	host := storagetest.NewStorageHost().WithExtension(id, failing{err: bbolterrors.ErrTimeout})
	_, err := Open(context.Background(), host, "storage", id, component.KindConnector, owner, "")
	require.ErrorIs(t, err, bbolterrors.ErrTimeout)
	assert.Contains(t, err.Error(), `storage "file_storage": the state of Connector "alert/payments" is locked by another process`)
	assert.Contains(t, err.Error(), "two collectors must not share a storage directory")

	host = storagetest.NewStorageHost().WithExtension(id, failing{err: errors.New("disk full")})
	_, err = Open(context.Background(), host, "storage", id, component.KindConnector, owner, "")
	require.EqualError(t, err, `storage "file_storage": disk full`)
}

func TestEnvelopeRoundTrip(t *testing.T) {
	f := Format{Name: "test.state", Version: 3}
	b := f.Encode([]byte(`{"a":1}`))
	got, err := f.Decode(b)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":1}`, string(got))
	empty, err := f.Decode(f.Encode(nil))
	require.NoError(t, err)
	assert.Empty(t, empty)
}

// A value written before envelopes, and each older version, is upgraded
// step by step to the current one.
func TestEnvelopeMigratesOlderVersions(t *testing.T) {
	v1 := Format{Name: "test.state", Version: 1, Unversioned: 0, Upgrades: map[uint16]func([]byte) ([]byte, error){
		0: func(b []byte) ([]byte, error) { return []byte(strings.ToUpper(string(b))), nil },
	}}
	v2 := v1
	v2.Version = 2
	v2.Upgrades = map[uint16]func([]byte) ([]byte, error){
		0: v1.Upgrades[0],
		1: func(b []byte) ([]byte, error) { return append(b, "+v2"...), nil },
	}

	legacy := []byte("plain")
	got, err := v2.Decode(legacy)
	require.NoError(t, err)
	assert.Equal(t, "PLAIN+v2", string(got), "unversioned → v1 → v2")

	got, err = v2.Decode(v1.Encode([]byte("WRITTEN BY V1")))
	require.NoError(t, err)
	assert.Equal(t, "WRITTEN BY V1+v2", string(got))

	_, err = v1.Decode(v2.Encode([]byte("x")))
	require.ErrorIs(t, err, ErrNewerVersion, "a downgrade leaves a newer value alone")

	broken := v2
	broken.Upgrades = map[uint16]func([]byte) ([]byte, error){1: func([]byte) ([]byte, error) { return nil, errors.New("bad") }}
	_, err = broken.Decode(v1.Encode([]byte("x")))
	require.ErrorContains(t, err, "test.state: upgrading version 1: bad")
	_, err = broken.Decode(legacy)
	require.ErrorContains(t, err, "test.state: no upgrade from version 0")
}

func TestEnvelopeRefusesOtherFormatsAndTruncation(t *testing.T) {
	a := Format{Name: "a.state", Version: 1}
	b := Format{Name: "b.state", Version: 1}
	_, err := b.Decode(a.Encode([]byte("x")))
	require.EqualError(t, err, `b.state: the value is a "a.state"`)
	enc := a.Encode(nil)
	for n := len(magic); n < len(enc); n++ {
		_, err := a.Decode(enc[:n])
		require.ErrorContains(t, err, "truncated envelope", "%d bytes", n)
	}
}
