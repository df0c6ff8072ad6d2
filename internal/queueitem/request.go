package queueitem

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
)

// Kind describes the items an exporter queues and how they are stored.
type Kind[T any] struct {
	// Name names the exporter in errors.
	Name string
	// Size is an item's size for the bytes sizer.
	Size func(*T) int
	// Order, when set, restores the send order of merged items.
	Order func([]T) []T
	// Magic starts every stored request (format and version); Append and
	// Read write and read one item.
	Magic  string
	Append func([]byte, *T) []byte
	Read   func(*Reader) T
}

// Request is a queued request of a request-based exporter: its items in
// the order they are sent.
type Request[T any] struct {
	Items []T
	kind  *Kind[T]
}

var (
	_ xexporterhelper.Request             = (*Request[int])(nil)
	_ xexporterhelper.RequestErrorHandler = (*Request[int])(nil)
)

// New returns a request of items.
func (k *Kind[T]) New(items []T) *Request[T] { return &Request[T]{Items: items, kind: k} }

// ItemsCount is the number of items.
func (r *Request[T]) ItemsCount() int { return len(r.Items) }

// BytesSize is the items' size.
func (r *Request[T]) BytesSize() int {
	n := 0
	for i := range r.Items {
		n += r.kind.Size(&r.Items[i])
	}
	return n
}

// MergeSplit appends other's items and cuts the result into requests of at
// most maxSize items or bytes (used when sending_queue::batch is set).
func (r *Request[T]) MergeSplit(_ context.Context, maxSize int, sizer exporterhelper.RequestSizerType, other xexporterhelper.Request) ([]xexporterhelper.Request, error) {
	items := r.Items
	if other != nil {
		o, ok := other.(*Request[T])
		if !ok {
			return nil, fmt.Errorf("cannot merge a %T into a %s request", other, r.kind.Name)
		}
		items = append(items[:len(items):len(items)], o.Items...)
		if r.kind.Order != nil {
			items = r.kind.Order(items)
		}
	}
	size := func(*T) int { return 1 }
	if sizer == exporterhelper.RequestSizerTypeBytes {
		size = r.kind.Size
	}
	runs := Split(items, maxSize, size)
	out := make([]xexporterhelper.Request, len(runs))
	for i, run := range runs {
		out[i] = r.kind.New(run)
	}
	return out, nil
}

// OnError keeps for the retry only the items an *Undelivered error names.
func (r *Request[T]) OnError(err error) xexporterhelper.Request {
	if rest, ok := errors.AsType[*Undelivered[T]](err); ok {
		return r.kind.New(rest.Items)
	}
	return r
}

// Undelivered wraps a retryable send error with the items still to send.
type Undelivered[T any] struct {
	Err   error
	Items []T
}

func (u *Undelivered[T]) Error() string { return u.Err.Error() }
func (u *Undelivered[T]) Unwrap() error { return u.Err }

// Encoding stores a Kind's requests in a persistent queue. Items that do not
// start with the Kind's magic were queued by an earlier version as whole
// batches and are converted when read, so an upgrade loses nothing queued.
type Encoding[T any] struct {
	Kind   *Kind[T]
	Traces bool
	Conv   Converters[xexporterhelper.Request]
}

// Marshal writes a request, s2-compressed (see compressed.go).
func (e Encoding[T]) Marshal(_ context.Context, req xexporterhelper.Request) ([]byte, error) {
	r := req.(*Request[T])
	scratch := getScratch(len(e.Kind.Magic) + r.BytesSize() + 8*len(r.Items))
	defer putScratch(scratch)
	b := append((*scratch)[:0], e.Kind.Magic...)
	b = binary.AppendUvarint(b, uint64(len(r.Items)))
	for i := range r.Items {
		b = e.Kind.Append(b, &r.Items[i])
	}
	*scratch = b
	return compress(b), nil
}

// Unmarshal reads a request, or converts a batch an earlier version queued.
func (e Encoding[T]) Unmarshal(b []byte) (context.Context, xexporterhelper.Request, error) {
	b, err := decompress(b)
	if err != nil {
		return context.Background(), nil, fmt.Errorf("%s queue item: %w", e.Kind.Name, err)
	}
	d, ok := NewReader(b, e.Kind.Magic)
	if !ok {
		return ConvertLegacy(b, e.Traces, e.Conv)
	}
	n := d.Count()
	items := make([]T, 0, n)
	for range n {
		items = append(items, e.Kind.Read(d))
	}
	if err := d.Err(); err != nil {
		return context.Background(), nil, fmt.Errorf("%s queue item: %w", e.Kind.Name, err)
	}
	return context.Background(), e.Kind.New(items), nil
}
