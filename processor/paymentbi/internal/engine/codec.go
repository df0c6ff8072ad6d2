package engine

import (
	"encoding/binary"
	"errors"
	"math"
)

// enc appends the primitives of the persisted formats (journal records and
// the snapshot): varints, length-prefixed strings, fixed 64-bit words.
type enc []byte

func (b *enc) byte(v byte)      { *b = append(*b, v) }
func (b *enc) uvarint(v uint64) { *b = binary.AppendUvarint(*b, v) }
func (b *enc) varint(v int64)   { *b = binary.AppendVarint(*b, v) }
func (b *enc) u64(v uint64)     { *b = binary.LittleEndian.AppendUint64(*b, v) }
func (b *enc) f64(v float64)    { b.u64(math.Float64bits(v)) }
func (b *enc) bool(v bool) {
	if v {
		b.byte(1)
	} else {
		b.byte(0)
	}
}
func (b *enc) str(s string) {
	b.uvarint(uint64(len(s)))
	*b = append(*b, s...)
}

var errTruncated = errors.New("truncated or malformed record")

// dec reads what enc wrote; the first error sticks and every later read
// returns zero values, so callers check err once at the end.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errTruncated
	}
	d.b = nil
}

func (d *dec) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) bool() bool { return d.byte() != 0 }

func (d *dec) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) u64() uint64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *dec) f64() float64 { return math.Float64frombits(d.u64()) }

// count reads a length that must fit in the rest of the input, each item
// taking at least one byte, so corrupt input cannot ask for huge slices.
func (d *dec) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *dec) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
