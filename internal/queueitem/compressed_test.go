package queueitem

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonKind queues JSON strings, as GA4 events and Sentry envelopes are.
var jsonKind = &Kind[string]{
	Name:   "test",
	Size:   func(s *string) int { return len(*s) },
	Magic:  "test\x01",
	Append: func(b []byte, s *string) []byte { return AppendString(b, *s) },
	Read:   func(r *Reader) string { return r.String() },
}

func jsonItems(n int) []string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"name":"purchase","params":{"transaction_id":"ord_%06d","currency":"EUR","value":%d.50,"items":[{"item_id":"ticket-weekend","quantity":2}]}}`, i*7919%1000003, 40+i%90)
	}
	return items
}

// framed is an item as the version before compression wrote it.
func framed(kind *Kind[string], items []string) []byte {
	b := binary.AppendUvarint([]byte(kind.Magic), uint64(len(items)))
	for i := range items {
		b = kind.Append(b, &items[i])
	}
	return b
}

// Items are stored compressed, read back whole, and an item the previous
// version stored uncompressed is still read.
func TestQueueItemsAreCompressed(t *testing.T) {
	enc := Encoding[string]{Kind: jsonKind}
	items := jsonItems(200)
	item, err := enc.Marshal(context.Background(), jsonKind.New(items))
	require.NoError(t, err)
	plain := framed(jsonKind, items)
	assert.Equal(t, compressedMagic, string(item[:len(compressedMagic)]))
	assert.Less(t, len(item)*3, len(plain), "compressed %d bytes, framed %d", len(item), len(plain))

	for name, b := range map[string][]byte{"compressed": item, "uncompressed, from the previous version": plain} {
		_, back, err := enc.Unmarshal(b)
		require.NoError(t, err, name)
		assert.Equal(t, items, back.(*Request[string]).Items, name)
	}

	// The scratch buffer is reused: a second, smaller item must not carry
	// bytes of the first.
	item, err = enc.Marshal(context.Background(), jsonKind.New(items[:1]))
	require.NoError(t, err)
	_, back, err := enc.Unmarshal(item)
	require.NoError(t, err)
	assert.Equal(t, items[:1], back.(*Request[string]).Items)
}

// Damage anywhere in a compressed item is refused as corrupt: s2 blocks
// carry no checksum, so a flipped byte inside the block would otherwise
// decode to other data.
func TestDamagedCompressedItemIsRefused(t *testing.T) {
	enc := Encoding[string]{Kind: jsonKind}
	item, err := enc.Marshal(context.Background(), jsonKind.New(jsonItems(50)))
	require.NoError(t, err)
	header := len(compressedMagic) + binary.PutUvarint(make([]byte, binary.MaxVarintLen64), uint64(len(framed(jsonKind, jsonItems(50))))) + 4
	for _, at := range []int{len(compressedMagic), header - 1, header + 2, len(item) / 2, len(item) - 1} {
		damaged := append([]byte(nil), item...)
		damaged[at] ^= 0x20
		_, _, err := enc.Unmarshal(damaged)
		require.ErrorIs(t, err, ErrCorrupt, "byte %d of %d flipped", at, len(item))
	}
	for _, cut := range []int{len(compressedMagic), len(compressedMagic) + 2, header, len(item) - 1} {
		_, _, err := enc.Unmarshal(item[:cut])
		require.ErrorIs(t, err, ErrCorrupt, "cut at %d of %d", cut, len(item))
	}
	// A length past the bound is refused before anything is allocated.
	huge := binary.AppendUvarint([]byte(compressedMagic), maxDecodedItem+1)
	huge = append(huge, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x08)
	_, _, err = enc.Unmarshal(huge)
	require.ErrorIs(t, err, ErrCorrupt)
}

func BenchmarkCompressedItem(b *testing.B) {
	enc := Encoding[string]{Kind: jsonKind}
	req := jsonKind.New(jsonItems(2000))
	ctx := context.Background()
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		item, err := enc.Marshal(ctx, req)
		require.NoError(b, err)
		_, back, err := enc.Unmarshal(item)
		require.NoError(b, err)
		require.Equal(b, 2000, back.ItemsCount())
		size = len(item)
	}
	b.ReportMetric(float64(size), "bytes/item")
	b.ReportMetric(float64(len(framed(jsonKind, req.Items))), "framed_bytes/item")
}
