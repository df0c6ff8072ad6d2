// Package queueitem frames the small records that exporters keep in their
// persistent sending queue when they queue their own wire requests
// (exporterhelper's request-based exporters) instead of whole OTLP batches,
// and reads back the batches that an earlier version queued.
package queueitem // import "github.com/otelcol-payments/otelcol-payments/internal/queueitem"

import (
	"context"
	"encoding/binary"
	"errors"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	pdatareq "go.opentelemetry.io/collector/pdata/xpdata/request"
)

// ErrCorrupt is returned for a record that ends early or overruns.
var ErrCorrupt = errors.New("corrupt queue item")

// AppendBytes appends s with its length.
func AppendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendString appends s with its length.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Reader reads a record written with the Append functions; the first error
// sticks and Err reports it.
type Reader struct {
	b   []byte
	err error
}

// NewReader returns a reader past magic, or ok false when b does not start
// with it (an item written in another format).
func NewReader(b []byte, magic string) (r *Reader, ok bool) {
	if len(b) < len(magic) || string(b[:len(magic)]) != magic {
		return nil, false
	}
	return &Reader{b: b[len(magic):]}, true
}

// Err is the first error met.
func (r *Reader) Err() error { return r.err }

// Corrupt marks the record corrupt: a Kind's Read calls it for a field it
// read whole but cannot use, so the item is refused instead of sent.
func (r *Reader) Corrupt() {
	if r.err == nil {
		r.err = ErrCorrupt
	}
}

// Remaining is the number of unread bytes (bounds counts read from the item).
func (r *Reader) Remaining() int { return len(r.b) }

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = ErrCorrupt
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = ErrCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = ErrCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Bytes reads a length-prefixed byte string; it aliases the item's buffer.
func (r *Reader) Bytes() []byte {
	n := r.Uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = ErrCorrupt
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

// String reads a length-prefixed string.
func (r *Reader) String() string { return string(r.Bytes()) }

// Count reads an element count, refusing one the rest of the item cannot
// hold (each element takes at least one byte), so a corrupt count cannot
// make the caller allocate without bound.
func (r *Reader) Count() int {
	n := r.Uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		r.err = ErrCorrupt
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}

// legacyLogs decodes a logs batch as exporterhelper's pdata queue stored it
// (with or without its request context).
func legacyLogs(b []byte) (context.Context, plog.Logs, error) {
	ctx, ld, err := pdatareq.UnmarshalLogs(b)
	if errors.Is(err, pdatareq.ErrInvalidFormat) {
		ctx = context.Background()
		ld, err = (&plog.ProtoUnmarshaler{}).UnmarshalLogs(b)
	}
	return ctx, ld, err
}

// legacyTraces decodes a traces batch as exporterhelper's pdata queue
// stored it (with or without its request context).
func legacyTraces(b []byte) (context.Context, ptrace.Traces, error) {
	ctx, td, err := pdatareq.UnmarshalTraces(b)
	if errors.Is(err, pdatareq.ErrInvalidFormat) {
		ctx = context.Background()
		td, err = (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(b)
	}
	return ctx, td, err
}

// Split cuts items into runs of at most maxSize, each item counting
// size(item) (pass a size of 1 for the items sizer). maxSize 0 keeps one
// run; there is always at least one run, as MergeSplit requires.
func Split[T any](items []T, maxSize int, size func(*T) int) [][]T {
	if maxSize <= 0 {
		return [][]T{items}
	}
	var out [][]T
	var cur []T
	total := 0
	for i := range items {
		n := size(&items[i])
		if len(cur) > 0 && total+n > maxSize {
			out = append(out, cur)
			cur, total = nil, 0
		}
		cur = append(cur, items[i])
		total += n
	}
	if len(cur) > 0 || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// Converters turn a batch into an exporter's request.
type Converters[R any] struct {
	Traces func(context.Context, ptrace.Traces) (R, error)
	Logs   func(context.Context, plog.Logs) (R, error)
}

// ConvertLegacy reads a whole batch that an earlier version queued for the
// traces or the logs exporter, and converts it as if it had just arrived.
func ConvertLegacy[R any](b []byte, traces bool, conv Converters[R]) (context.Context, R, error) {
	var zero R
	if traces {
		ctx, td, err := legacyTraces(b)
		if err != nil {
			return ctx, zero, err
		}
		r, err := conv.Traces(ctx, td)
		return ctx, r, err
	}
	ctx, ld, err := legacyLogs(b)
	if err != nil {
		return ctx, zero, err
	}
	r, err := conv.Logs(ctx, ld)
	return ctx, r, err
}
