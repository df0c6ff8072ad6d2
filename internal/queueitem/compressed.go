package queueitem

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/s2"
)

// Queue items are stored s2-compressed. The persistent queue keeps its
// items and its indexes in one bbolt bucket, and a leaf of up to four keys
// is never split, so each of an item's three transactions (put, read,
// done) rewrites the pages of every item still queued: the gateway wrote
// about nine bytes of pages per byte queued, a quarter of its allocation.
// GA4 events and Sentry envelopes are JSON that s2 shrinks about six
// times, at over 1 GB/s.
//
// A compressed item is compressedMagic, the uvarint length of the framed
// request, its CRC-32C (s2 blocks carry no checksum) and the s2 block.
// 0xff starts no protobuf message, so an item in this format is never
// mistaken for a batch an earlier version queued, and items written
// uncompressed (by the version before this one) are still read as they are.
const compressedMagic = "\xffqs2\x01"

// maxDecodedItem bounds what a damaged length can make Unmarshal allocate.
const maxDecodedItem = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// compress frames b, the whole uncompressed item, in a new slice of its
// compressed size (the worst-case buffer s2 encodes into is pooled).
func compress(b []byte) []byte {
	scratch := getScratch(s2.MaxEncodedLen(len(b)))
	defer putScratch(scratch)
	block := s2.Encode((*scratch)[:cap(*scratch)], b)
	out := make([]byte, 0, len(compressedMagic)+binary.MaxVarintLen64+4+len(block))
	out = append(out, compressedMagic...)
	out = binary.AppendUvarint(out, uint64(len(b)))
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(b, castagnoli))
	return append(out, block...)
}

// decompress returns the framed item inside b, or b itself when it was not
// written compressed.
func decompress(b []byte) ([]byte, error) {
	if len(b) < len(compressedMagic) || string(b[:len(compressedMagic)]) != compressedMagic {
		return b, nil
	}
	rest := b[len(compressedMagic):]
	size, n := binary.Uvarint(rest)
	if n <= 0 || len(rest) < n+4 || size > maxDecodedItem {
		return nil, ErrCorrupt
	}
	sum := binary.LittleEndian.Uint32(rest[n:])
	block := rest[n+4:]
	// The block states its length too: both must agree before anything
	// that size is allocated.
	if l, err := s2.DecodedLen(block); err != nil || uint64(l) != size {
		return nil, ErrCorrupt
	}
	out, err := s2.Decode(make([]byte, size), block)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if uint64(len(out)) != size || crc32.Checksum(out, castagnoli) != sum {
		return nil, ErrCorrupt
	}
	return out, nil
}

// scratchPool holds the uncompressed item and its compressed block while
// they are built; buffers over maxPooledScratch are left to the GC.
var scratchPool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledScratch = 4 << 20

func getScratch(size int) *[]byte {
	p := scratchPool.Get().(*[]byte)
	if cap(*p) < size {
		*p = make([]byte, 0, size)
	}
	return p
}

func putScratch(p *[]byte) {
	if cap(*p) > maxPooledScratch {
		return
	}
	scratchPool.Put(p)
}
