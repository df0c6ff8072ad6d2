// Package statestore is how components keep state in a storage extension
// (file_storage): one lookup of the extension with the same error messages
// everywhere, and one versioned envelope around what they persist, so a
// later release can read (and upgrade) what an earlier one wrote.
package statestore // import "github.com/otelcol-payments/otelcol-payments/internal/statestore"

import (
	"context"
	"errors"
	"fmt"

	bbolterrors "go.etcd.io/bbolt/errors"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Open returns the storage client named name of component owner (of kind)
// from the storage extension storageID. field is the config setting that
// names the extension ("storage", "customer_state.storage"): every error
// starts with it, so the operator knows which line to fix.
func Open(ctx context.Context, host component.Host, field string, storageID component.ID, kind component.Kind, owner component.ID, name string) (storage.Client, error) {
	ext, ok := host.GetExtensions()[storageID]
	if !ok {
		return nil, fmt.Errorf("%s: extension %q not found", field, storageID)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("%s: extension %q is not a storage extension", field, storageID)
	}
	client, err := se.GetClient(ctx, kind, owner, name)
	if errors.Is(err, bbolterrors.ErrTimeout) {
		// file_storage holds an exclusive lock on each component's file.
		return nil, fmt.Errorf("%s %q: the state of %s %q is locked by another process: "+
			"two collectors must not share a storage directory; give each its own (file_storage directory, e.g. OTELCOL_STORAGE_DIR): %w",
			field, storageID, kind, owner, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", field, storageID, err)
	}
	return client, nil
}
