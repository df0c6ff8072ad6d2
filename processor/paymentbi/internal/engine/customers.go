package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/bits-and-blooms/bloom/v3"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// customers tells new from returning customers in memory that grows with
// the customers seen: a scalable Bloom filter (Almeida et al. 2007), a
// series of stages each stageGrowth times larger than the one before and
// with a stageTightening times smaller false-positive rate, so the
// compound rate stays under the configured one. Stages are added until
// their capacities reach the expected customers; from there the last
// stage absorbs every further customer, as the fixed-size filter did.
// A false positive makes a new customer look returning; there are no false
// negatives: a customer is tested against every stage and added to the
// last. Distinct customers are counted as the insertions the filter saw as
// new, so the count is low by about the false-positive rate.
type customers struct {
	stages []customerStage
	plan   []stagePlan
	// distinct is the number of customers first seen (filter misses).
	distinct uint64
	// lifetimeMinor is the revenue, in reporting currency minor units, of
	// every purchase recorded here: with distinct it gives the lifetime
	// value estimate, and both survive a restart with the filter.
	lifetimeMinor int64
	reporting     string
	expected      uint
	fpRate        float64
	// fixed marks a filter restored from the fixed-size format: one stage
	// sized for all expected customers.
	fixed bool
	dirty bool
}

type customerStage struct {
	filter *bloom.BloomFilter
	// added counts the customers inserted into this stage.
	added uint64
}

// stagePlan is one stage's capacity and false-positive rate.
type stagePlan struct {
	capacity uint
	fpRate   float64
}

const (
	// firstStageCustomers is the capacity of the first stage: a shop with
	// fewer customers keeps ~130 KiB at the default 0.1%.
	firstStageCustomers = 64 << 10
	// stageGrowth ×4 keeps the stage count (and so the tests per purchase
	// and the compound tightening) low: 5 stages reach 10 million.
	stageGrowth = 4
	// stageTightening halves each stage's rate: the rates sum to at most
	// (1-0.5)·p·(1+0.5+0.25+…) = p.
	stageTightening = 0.5
)

// customerStagePlan is the series of stages a filter for expected
// customers at fpRate grows through; the last one ends at expected.
func customerStagePlan(expected uint, fpRate float64) []stagePlan {
	var plan []stagePlan
	capacity := uint(firstStageCustomers)
	rate := fpRate * (1 - stageTightening)
	for total := uint(0); total < expected; total += capacity {
		if i := len(plan); i > 0 {
			capacity = plan[i-1].capacity * stageGrowth
			rate = plan[i-1].fpRate * stageTightening
		}
		capacity = min(capacity, expected-total)
		plan = append(plan, stagePlan{capacity: capacity, fpRate: rate})
	}
	return plan
}

// CustomerFilterMaxBytes is the memory of the customer filter once it has
// seen expected customers: the most it grows to.
func CustomerFilterMaxBytes(expected uint, fpRate float64) uint64 {
	var bits uint64
	for _, s := range customerStagePlan(expected, fpRate) {
		m, _ := bloom.EstimateParameters(s.capacity, s.fpRate)
		bits += uint64(m)
	}
	return (bits + 7) / 8
}

func newCustomers(expected uint, fpRate float64, reporting string) *customers {
	c := &customers{plan: customerStagePlan(expected, fpRate), reporting: reporting, expected: expected, fpRate: fpRate}
	c.grow()
	return c
}

// grow adds the next planned stage.
func (c *customers) grow() {
	p := c.plan[len(c.stages)]
	c.stages = append(c.stages, customerStage{filter: bloom.NewWithEstimates(p.capacity, p.fpRate)})
}

// bytesOf views s as bytes without copying; the filter only reads it.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// purchase records a purchase by id and returns its segment.
func (c *customers) purchase(id string) string {
	c.dirty = true
	if c.seen(bytesOf(id)) {
		return contract.SegmentReturning
	}
	last := len(c.stages) - 1
	if c.stages[last].added >= uint64(c.plan[last].capacity) && len(c.stages) < len(c.plan) {
		c.grow()
		last++
	}
	c.stages[last].filter.Add(bytesOf(id))
	c.stages[last].added++
	c.distinct++
	return contract.SegmentNew
}

// seen reports whether any stage holds id.
func (c *customers) seen(id []byte) bool {
	// the newest stage is the largest and holds most customers
	for i := len(c.stages) - 1; i >= 0; i-- {
		if c.stages[i].filter.Test(id) {
			return true
		}
	}
	return false
}

// segment returns the segment of id without recording anything: returning
// once the customer has purchased.
func (c *customers) segment(id string) string {
	if c.seen(bytesOf(id)) {
		return contract.SegmentReturning
	}
	return contract.SegmentNew
}

func (c *customers) addLifetime(minor int64) {
	if s, ok := addInt64(c.lifetimeMinor, minor); ok {
		c.lifetimeMinor = s
	}
}

// memoryBytes is the size of the stages' bit arrays.
func (c *customers) memoryBytes() uint64 {
	var bits uint64
	for _, s := range c.stages {
		bits += uint64(s.filter.Cap())
	}
	return (bits + 7) / 8
}

// The persisted form: magic, version, reporting currency (3 bytes),
// distinct, lifetime revenue, then in version 1 one filter in its own
// binary format; in version 2 the expected customers and false-positive
// rate the stages were planned for, whether it is one fixed-size stage
// (migrated from version 1), the stage count, and per stage its
// insertions and filter.
var stateMagic = [4]byte{'P', 'B', 'I', 'C'}

const (
	stateVersionFixed    = 1
	stateVersionScalable = 2
)

func (c *customers) marshal() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(c.memoryBytes()) + 64 + 24*len(c.stages))
	buf.Write(stateMagic[:])
	buf.WriteByte(stateVersionScalable)
	var cur [3]byte
	copy(cur[:], c.reporting)
	buf.Write(cur[:])
	_ = binary.Write(&buf, binary.BigEndian, c.distinct)
	_ = binary.Write(&buf, binary.BigEndian, c.lifetimeMinor)
	_ = binary.Write(&buf, binary.BigEndian, uint64(c.expected))
	_ = binary.Write(&buf, binary.BigEndian, math.Float64bits(c.fpRate))
	_ = binary.Write(&buf, binary.BigEndian, c.fixed)
	_ = binary.Write(&buf, binary.BigEndian, uint32(len(c.stages)))
	for _, s := range c.stages {
		_ = binary.Write(&buf, binary.BigEndian, s.added)
		if _, err := s.filter.WriteTo(&buf); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

var errStateMismatch = errors.New("saved customer state was sized for other expected_customers/false_positive_rate")

// unmarshal restores saved state into c. State planned for another
// expected_customers or false_positive_rate is refused (errStateMismatch)
// so memory stays as configured. A version 1 filter, sized for all the
// expected customers at once, becomes the only stage: it never grows.
func (c *customers) unmarshal(data []byte) error {
	r := bytes.NewReader(data)
	var head [8]byte
	if _, err := r.Read(head[:]); err != nil || !bytes.Equal(head[:4], stateMagic[:]) ||
		(head[4] != stateVersionFixed && head[4] != stateVersionScalable) {
		return errors.New("saved customer state has an unknown format")
	}
	var distinct uint64
	var lifetime int64
	if err := readBigEndian(r, &distinct, &lifetime); err != nil {
		return err
	}
	var stages []customerStage
	fixedPlan := []stagePlan{{capacity: c.expected, fpRate: c.fpRate}}
	plan, fixed := customerStagePlan(c.expected, c.fpRate), false
	if head[4] == stateVersionFixed {
		f, err := readFilter(r)
		if err != nil {
			return err
		}
		if want := bloom.NewWithEstimates(c.expected, c.fpRate); f.Cap() != want.Cap() || f.K() != want.K() {
			return errStateMismatch
		}
		stages = []customerStage{{filter: f, added: distinct}}
		plan, fixed = fixedPlan, true
	} else {
		var expected, fpBits uint64
		var count uint32
		if err := readBigEndian(r, &expected, &fpBits, &fixed, &count); err != nil {
			return err
		}
		if expected != uint64(c.expected) || math.Float64frombits(fpBits) != c.fpRate {
			return errStateMismatch
		}
		if fixed {
			plan = fixedPlan
		}
		if count == 0 || int(count) > len(plan) {
			return errors.New("saved customer state: stage count does not fit the plan")
		}
		for i := range int(count) {
			var added uint64
			if err := readBigEndian(r, &added); err != nil {
				return err
			}
			f, err := readFilter(r)
			if err != nil {
				return err
			}
			if want := bloom.NewWithEstimates(plan[i].capacity, plan[i].fpRate); f.Cap() != want.Cap() || f.K() != want.K() {
				return errStateMismatch
			}
			stages = append(stages, customerStage{filter: f, added: added})
		}
	}
	c.stages, c.plan, c.fixed = stages, plan, fixed
	c.distinct = distinct
	// lifetime revenue in another reporting currency is meaningless now
	if string(head[5:8]) == c.reporting {
		c.lifetimeMinor = lifetime
	}
	c.dirty = false
	return nil
}

func readBigEndian(r *bytes.Reader, values ...any) error {
	for _, v := range values {
		if err := binary.Read(r, binary.BigEndian, v); err != nil {
			return fmt.Errorf("saved customer state: %w", err)
		}
	}
	return nil
}

func readFilter(r *bytes.Reader) (*bloom.BloomFilter, error) {
	f := &bloom.BloomFilter{}
	if _, err := f.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("saved customer state: %w", err)
	}
	return f, nil
}
