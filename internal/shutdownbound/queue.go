package shutdownbound

import (
	"context"
	"errors"

	"github.com/otelcol-payments/otelcol-payments/internal/statestore"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pipeline"
	"google.golang.org/protobuf/encoding/protowire"
)

// Queue is what a persistent exporterhelper queue holds.
type Queue struct {
	// Requests counts the requests not yet sent, including those that were
	// in flight (they are sent again at the next start).
	Requests int64
	// Items and Bytes are the queue's item and byte sizes.
	Items, Bytes int64
}

// queueMetadataKey is where exporterhelper v0.165's persistent queue keeps
// its metadata (exporterhelper/internal/queue/persistent_queue.go,
// message PersistentMetadata in meta.proto).
const queueMetadataKey = "qmv0"

// ReadQueue reads the size of the persistent queue of exporter id for
// signal from the storage extension storageID. It must run after the
// exporter shut down: the queue's storage client is closed then.
func ReadQueue(ctx context.Context, host component.Host, storageID, id component.ID, signal pipeline.Signal) (Queue, error) {
	client, err := statestore.Open(ctx, host, "sending_queue.storage", storageID, component.KindExporter, id, signal.String())
	if err != nil {
		return Queue{}, err
	}
	b, err := client.Get(ctx, queueMetadataKey)
	err = errors.Join(err, client.Close(ctx))
	if err != nil {
		return Queue{}, err
	}
	return decodeQueueMetadata(b)
}

// decodeQueueMetadata decodes PersistentMetadata: items_size (1, sfixed64),
// bytes_size (2, sfixed64), read_index (3, fixed64), write_index (4,
// fixed64), currently_dispatched_items (5, packed repeated fixed64).
func decodeQueueMetadata(b []byte) (Queue, error) {
	var q Queue
	var readIndex, writeIndex uint64
	var dispatched int64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return Queue{}, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case typ == protowire.Fixed64Type && num >= 1 && num <= 5:
			v, m := protowire.ConsumeFixed64(b)
			if m < 0 {
				return Queue{}, protowire.ParseError(m)
			}
			b = b[m:]
			switch num {
			case 1:
				q.Items = int64(v)
			case 2:
				q.Bytes = int64(v)
			case 3:
				readIndex = v
			case 4:
				writeIndex = v
			case 5:
				dispatched++
			}
		case typ == protowire.BytesType && num == 5:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return Queue{}, protowire.ParseError(m)
			}
			b = b[m:]
			dispatched += int64(len(v) / 8)
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return Queue{}, protowire.ParseError(m)
			}
			b = b[m:]
		}
	}
	q.Requests = int64(writeIndex-readIndex) + dispatched
	return q, nil
}
