package queueitem

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	pdatareq "go.opentelemetry.io/collector/pdata/xpdata/request"
)

func TestRecordRoundTrip(t *testing.T) {
	b := []byte("magic")
	b = AppendString(b, "client")
	b = AppendBytes(b, []byte(`{"name":"purchase"}`))
	b = append(b, 7)
	r, ok := NewReader(b, "magic")
	require.True(t, ok)
	assert.Equal(t, "client", r.String())
	assert.JSONEq(t, `{"name":"purchase"}`, string(r.Bytes()))
	assert.Equal(t, byte(7), r.Byte())
	require.NoError(t, r.Err())
	assert.Zero(t, r.Remaining())

	_, ok = NewReader([]byte("other"), "magic")
	assert.False(t, ok)
	// A length past the end is an error, and it sticks.
	r, _ = NewReader(append([]byte("magic"), 200, 1), "magic")
	assert.Nil(t, r.Bytes())
	assert.Empty(t, r.String())
	require.ErrorIs(t, r.Err(), ErrCorrupt)
	// A count the item cannot hold is refused before anything is allocated.
	r, _ = NewReader(append([]byte("magic"), 100), "magic")
	assert.Zero(t, r.Count())
	assert.ErrorIs(t, r.Err(), ErrCorrupt)
}

func TestSplit(t *testing.T) {
	one := func(*int) int { return 1 }
	self := func(v *int) int { return *v }
	assert.Equal(t, [][]int{{1, 2, 3}}, Split([]int{1, 2, 3}, 0, one))
	assert.Equal(t, [][]int{{1, 2}, {3}}, Split([]int{1, 2, 3}, 2, one))
	assert.Equal(t, [][]int{{1, 2}, {3}, {9}}, Split([]int{1, 2, 3, 9}, 4, self), "an item over the limit goes alone")
	assert.Equal(t, [][]int{nil}, Split[int](nil, 2, one), "never zero runs")
}

func TestConvertLegacy(t *testing.T) {
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("x")
	td := ptrace.NewTraces()
	td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetName("s")
	conv := Converters[string]{
		Traces: func(_ context.Context, td ptrace.Traces) (string, error) {
			return td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Name(), nil
		},
		Logs: func(_ context.Context, ld plog.Logs) (string, error) {
			return ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Str(), nil
		},
	}
	withCtx, err := pdatareq.MarshalLogs(context.Background(), ld)
	require.NoError(t, err)
	bare, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	for _, b := range [][]byte{withCtx, bare} {
		_, got, err := ConvertLegacy(b, false, conv)
		require.NoError(t, err)
		assert.Equal(t, "x", got)
	}
	tb, err := pdatareq.MarshalTraces(context.Background(), td)
	require.NoError(t, err)
	_, got, err := ConvertLegacy(tb, true, conv)
	require.NoError(t, err)
	assert.Equal(t, "s", got)
	_, _, err = ConvertLegacy([]byte{0xff, 0xff}, false, conv)
	assert.Error(t, err)
}

type countRequest struct{ n int }

func (r *countRequest) ItemsCount() int { return r.n }
func (r *countRequest) BytesSize() int  { return r.n }
func (r *countRequest) MergeSplit(context.Context, int, exporterhelper.RequestSizerType, xexporterhelper.Request) ([]xexporterhelper.Request, error) {
	return []xexporterhelper.Request{r}, nil
}

// A batch that converts to nothing never reaches the exporter (its queue);
// one that does is converted once, and exporterhelper's converter takes
// that result.
func TestSkipEmptyConvertsOnce(t *testing.T) {
	calls := 0
	conv := Converter[plog.Logs](func(_ context.Context, ld plog.Logs) (xexporterhelper.Request, error) {
		calls++
		return &countRequest{n: ld.LogRecordCount()}, nil
	})
	var got []xexporterhelper.Request
	next := func(ctx context.Context, ld plog.Logs) error {
		r, err := conv.Func()(ctx, ld)
		got = append(got, r)
		return err
	}
	require.NoError(t, conv.consume(context.Background(), plog.NewLogs(), next))
	assert.Empty(t, got, "an empty conversion is not passed on")
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	require.NoError(t, conv.consume(context.Background(), ld, next))
	require.Len(t, got, 1)
	assert.Equal(t, 1, got[0].ItemsCount())
	assert.Equal(t, 2, calls, "one conversion per batch")
	// Without the wrapper (no converted request in ctx) Func converts.
	_, err := conv.Func()(context.Background(), ld)
	require.NoError(t, err)
	assert.Equal(t, 3, calls)
}

// Merging keeps the kind's order; a retry keeps only what Undelivered names.
func TestRequestMergeSplitAndRetry(t *testing.T) {
	evensFirst := func(xs []int) []int {
		var out []int
		for _, odd := range []int{0, 1} {
			for _, x := range xs {
				if x%2 == odd {
					out = append(out, x)
				}
			}
		}
		return out
	}
	kind := &Kind[int]{Name: "test", Size: func(x *int) int { return *x }, Order: evensFirst}
	merged, err := kind.New([]int{2, 3}).MergeSplit(context.Background(), 0, exporterhelper.RequestSizerTypeItems, kind.New([]int{4, 5}))
	require.NoError(t, err)
	require.Len(t, merged, 1)
	assert.Equal(t, []int{2, 4, 3, 5}, merged[0].(*Request[int]).Items)
	assert.Equal(t, 14, merged[0].BytesSize())

	split, err := kind.New([]int{2, 4, 3, 5}).MergeSplit(context.Background(), 6, exporterhelper.RequestSizerTypeBytes, nil)
	require.NoError(t, err)
	require.Len(t, split, 3)
	assert.Equal(t, []int{2, 4}, split[0].(*Request[int]).Items)

	_, err = kind.New(nil).MergeSplit(context.Background(), 0, exporterhelper.RequestSizerTypeItems, &countRequest{})
	require.Error(t, err, "another request type is not merged")

	req := kind.New([]int{1, 2, 3})
	retry := req.OnError(&Undelivered[int]{Err: assert.AnError, Items: []int{3}})
	assert.Equal(t, []int{3}, retry.(*Request[int]).Items)
	assert.Same(t, req, req.OnError(assert.AnError), "a plain error retries the whole request")
}
