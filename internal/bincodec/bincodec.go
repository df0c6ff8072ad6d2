// Package bincodec is the primitive layer of the compact binary state the
// components persist (paymentbi's journal and snapshot, the threshold
// connector's series state): varints, length-prefixed strings, fixed
// 64-bit words, and a decoder whose first error sticks.
package bincodec

import (
	"encoding/binary"
	"errors"
	"math"
)

// Enc appends primitives.
type Enc []byte

func (b *Enc) Byte(v byte)      { *b = append(*b, v) }
func (b *Enc) Uvarint(v uint64) { *b = binary.AppendUvarint(*b, v) }
func (b *Enc) Varint(v int64)   { *b = binary.AppendVarint(*b, v) }
func (b *Enc) U64(v uint64)     { *b = binary.LittleEndian.AppendUint64(*b, v) }
func (b *Enc) F64(v float64)    { b.U64(math.Float64bits(v)) }
func (b *Enc) Bool(v bool) {
	if v {
		b.Byte(1)
	} else {
		b.Byte(0)
	}
}

func (b *Enc) Str(s string) {
	b.Uvarint(uint64(len(s)))
	*b = append(*b, s...)
}

// ErrTruncated is the error of input that ends early or is malformed.
var ErrTruncated = errors.New("truncated or malformed record")

// Dec reads what Enc wrote from B; the first error sticks in Err and every
// later read returns zero values, so callers check Err once at the end.
type Dec struct {
	B   []byte
	Err error
}

// Fail marks the input malformed.
func (d *Dec) Fail() {
	if d.Err == nil {
		d.Err = ErrTruncated
	}
	d.B = nil
}

func (d *Dec) Byte() byte {
	if len(d.B) < 1 {
		d.Fail()
		return 0
	}
	v := d.B[0]
	d.B = d.B[1:]
	return v
}

func (d *Dec) Bool() bool { return d.Byte() != 0 }

func (d *Dec) Uvarint() uint64 {
	v, n := binary.Uvarint(d.B)
	if n <= 0 {
		d.Fail()
		return 0
	}
	d.B = d.B[n:]
	return v
}

func (d *Dec) Varint() int64 {
	v, n := binary.Varint(d.B)
	if n <= 0 {
		d.Fail()
		return 0
	}
	d.B = d.B[n:]
	return v
}

func (d *Dec) U64() uint64 {
	if len(d.B) < 8 {
		d.Fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(d.B)
	d.B = d.B[8:]
	return v
}

func (d *Dec) F64() float64 { return math.Float64frombits(d.U64()) }

// Count reads a length that must fit in the rest of the input, each item
// taking at least one byte, so corrupt input cannot ask for huge slices.
func (d *Dec) Count() int {
	n := d.Uvarint()
	if n > uint64(len(d.B)) {
		d.Fail()
		return 0
	}
	return int(n)
}

func (d *Dec) Str() string {
	n := d.Uvarint()
	if n > uint64(len(d.B)) {
		d.Fail()
		return ""
	}
	s := string(d.B[:n])
	d.B = d.B[n:]
	return s
}

// Bytes returns the next n bytes (zeros when the input is shorter).
func (d *Dec) Bytes(n int) []byte {
	if len(d.B) < n {
		d.Fail()
		return make([]byte, n)
	}
	v := d.B[:n]
	d.B = d.B[n:]
	return v
}
