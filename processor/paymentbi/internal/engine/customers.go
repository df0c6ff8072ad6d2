package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/bits-and-blooms/bloom/v3"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// customers tells new from returning customers in bounded memory: a Bloom
// filter sized for the expected number of customers and false-positive
// rate. A false positive makes a new customer look returning; there are no
// false negatives. Distinct customers are counted as the insertions the
// filter saw as new, so the count is low by about the false-positive rate.
type customers struct {
	filter *bloom.BloomFilter
	// distinct is the number of customers first seen (filter misses).
	distinct uint64
	// lifetimeMinor is the revenue, in reporting currency minor units, of
	// every purchase recorded here: with distinct it gives the lifetime
	// value estimate, and both survive a restart with the filter.
	lifetimeMinor int64
	reporting     string
	dirty         bool
}

func newCustomers(expected uint, fpRate float64, reporting string) *customers {
	return &customers{filter: bloom.NewWithEstimates(expected, fpRate), reporting: reporting}
}

// bytesOf views s as bytes without copying; the filter only reads it.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// purchase records a purchase by id and returns its segment.
func (c *customers) purchase(id string) string {
	c.dirty = true
	if c.filter.TestOrAdd(bytesOf(id)) {
		return contract.SegmentReturning
	}
	c.distinct++
	return contract.SegmentNew
}

// segment returns the segment of id without recording anything: returning
// once the customer has purchased.
func (c *customers) segment(id string) string {
	if c.filter.Test(bytesOf(id)) {
		return contract.SegmentReturning
	}
	return contract.SegmentNew
}

func (c *customers) addLifetime(minor int64) {
	if s, ok := addInt64(c.lifetimeMinor, minor); ok {
		c.lifetimeMinor = s
	}
}

// memoryBytes is the size of the filter's bit array.
func (c *customers) memoryBytes() uint64 { return uint64(c.filter.Cap()+7) / 8 }

// The persisted form: magic, version, reporting currency (3 bytes),
// distinct, lifetime revenue, then the filter in its own binary format.
var stateMagic = [4]byte{'P', 'B', 'I', 'C'}

const stateVersion = 1

func (c *customers) marshal() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(c.memoryBytes()) + 64)
	buf.Write(stateMagic[:])
	buf.WriteByte(stateVersion)
	var cur [3]byte
	copy(cur[:], c.reporting)
	buf.Write(cur[:])
	_ = binary.Write(&buf, binary.BigEndian, c.distinct)
	_ = binary.Write(&buf, binary.BigEndian, c.lifetimeMinor)
	if _, err := c.filter.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var errStateMismatch = errors.New("saved customer state was sized for other expected_customers/false_positive_rate")

// unmarshal restores saved state into c. A filter of another size than the
// configured one is refused (errStateMismatch) so memory stays as configured.
func (c *customers) unmarshal(data []byte) error {
	r := bytes.NewReader(data)
	var head [8]byte
	if _, err := r.Read(head[:]); err != nil || !bytes.Equal(head[:4], stateMagic[:]) || head[4] != stateVersion {
		return errors.New("saved customer state has an unknown format")
	}
	var distinct uint64
	var lifetime int64
	if err := binary.Read(r, binary.BigEndian, &distinct); err != nil {
		return fmt.Errorf("saved customer state: %w", err)
	}
	if err := binary.Read(r, binary.BigEndian, &lifetime); err != nil {
		return fmt.Errorf("saved customer state: %w", err)
	}
	f := &bloom.BloomFilter{}
	if _, err := f.ReadFrom(r); err != nil {
		return fmt.Errorf("saved customer state: %w", err)
	}
	if f.Cap() != c.filter.Cap() || f.K() != c.filter.K() {
		return errStateMismatch
	}
	c.filter = f
	c.distinct = distinct
	// lifetime revenue in another reporting currency is meaningless now
	if string(head[5:8]) == c.reporting {
		c.lifetimeMinor = lifetime
	}
	c.dirty = false
	return nil
}
