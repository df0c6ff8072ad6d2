package state

import (
	"errors"
	"fmt"
	"math"

	"github.com/otelcol-payments/otelcol-payments/internal/bincodec"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/rules"
)

// SeriesSnapshotVersion is bumped when SavedSeries changes incompatibly.
const SeriesSnapshotVersion = 1

// SeriesSnapshot is the evaluation state of every series: sliding windows,
// pending holds, metric samples, anomaly baselines and arrival rates, so
// that a restart continues evaluating where the process stopped (a
// pending `for:` fires at its original deadline, an absence rule still
// knows the traffic it expects). Firing state has its own, more frequently
// written snapshot (Snapshot), which wins where the two differ.
type SeriesSnapshot struct {
	Version int
	Series  []SavedSeries
}

// SavedSeries is one series; the rule by name, since rule indexes move
// when the configuration changes.
type SavedSeries struct {
	Rule                                                string
	Key                                                 string
	Labels                                              []string
	Fingerprint                                         string
	Status                                              Status
	ActiveAt, StartsAt, LastBad, LastNotified, LastSeen int64
	NoData                                              bool
	Value, Threshold                                    float64
	TraceID                                             [16]byte
	SpanID                                              [8]byte
	// SlotNanos is the window slot length the epochs count in.
	SlotNanos      int64
	Epochs         []int64
	Counts         []uint32
	Last           float64
	LastAt         int64
	HasLast        bool
	Ref            float64
	HasRef         bool
	Baseline       rules.EWMA
	Verdict, Still Verdict
	BadSince       int64
	Hourly         *rules.HourlyBaselines
	Rate           *rules.ArrivalRateState
}

// Save copies s (its slices too: the live ones keep changing); slotNanos
// is its rule's window slot.
func Save(rule string, slotNanos int64, s *Series) SavedSeries {
	v := SavedSeries{
		Rule: rule, SlotNanos: slotNanos, Key: s.Key, Labels: s.Labels, Fingerprint: s.Fingerprint,
		Status: s.Status, ActiveAt: s.ActiveAt, StartsAt: s.StartsAt, LastBad: s.LastBad,
		LastNotified: s.LastNotified, LastSeen: s.LastSeen, NoData: s.NoData,
		Value: s.Value, Threshold: s.Threshold, TraceID: s.TraceID, SpanID: s.SpanID,
		Epochs: append([]int64(nil), s.Epochs...), Counts: append([]uint32(nil), s.Counts...),
		Last: s.Last, LastAt: s.LastAt, HasLast: s.HasLast, Ref: s.Ref, HasRef: s.HasRef,
		Baseline: s.Baseline, Verdict: s.Verdict, Still: s.Still, BadSince: s.BadSince,
	}
	if s.Hourly != nil {
		h := *s.Hourly
		v.Hourly = &h
	}
	if s.Rate != nil {
		r := s.Rate.State()
		v.Rate = &r
	}
	return v
}

// Apply copies the saved evaluation state into s, a fresh series of the
// same rule; the caller has checked that the shapes fit the rule.
func (v *SavedSeries) Apply(s *Series) {
	s.Fingerprint = v.Fingerprint
	s.Status, s.ActiveAt, s.StartsAt, s.LastBad = v.Status, v.ActiveAt, v.StartsAt, v.LastBad
	s.LastNotified, s.LastSeen, s.NoData = v.LastNotified, v.LastSeen, v.NoData
	s.Value, s.Threshold, s.TraceID, s.SpanID = v.Value, v.Threshold, v.TraceID, v.SpanID
	copy(s.Epochs, v.Epochs)
	copy(s.Counts, v.Counts)
	s.Last, s.LastAt, s.HasLast, s.Ref, s.HasRef = v.Last, v.LastAt, v.HasLast, v.Ref, v.HasRef
	s.Baseline, s.Verdict, s.Still, s.BadSince = v.Baseline, v.Verdict, v.Still, v.BadSince
	if s.Hourly != nil && v.Hourly != nil {
		*s.Hourly = *v.Hourly
	}
	if s.Rate != nil && v.Rate != nil {
		s.Rate.Restore(*v.Rate)
	}
}

// seriesMagic starts an encoded series snapshot; its last byte is the
// version.
var seriesMagic = [4]byte{'T', 'H', 'S', SeriesSnapshotVersion}

// Encode serialises the snapshot in a compact binary form: a save covers
// every series.
func (s SeriesSnapshot) Encode() ([]byte, error) {
	b := &enc{append(make([]byte, 0, 64+len(s.Series)*256), seriesMagic[:]...)}
	b.Uvarint(uint64(len(s.Series)))
	for i := range s.Series {
		b.series(&s.Series[i])
	}
	return b.Enc, nil
}

// DecodeSeriesSnapshot parses a stored series snapshot; empty input is an
// empty snapshot.
func DecodeSeriesSnapshot(data []byte) (SeriesSnapshot, error) {
	if len(data) == 0 {
		return SeriesSnapshot{}, nil
	}
	if len(data) < 4 || [3]byte(data[:3]) != [3]byte(seriesMagic[:3]) {
		return SeriesSnapshot{}, errors.New("decode series state: unknown format")
	}
	if data[3] != SeriesSnapshotVersion {
		return SeriesSnapshot{}, fmt.Errorf("series state version %d, want %d", data[3], SeriesSnapshotVersion)
	}
	d := &dec{bincodec.Dec{B: data[4:]}}
	n := d.Count()
	s := SeriesSnapshot{Version: SeriesSnapshotVersion, Series: make([]SavedSeries, n)}
	for i := range s.Series {
		d.series(&s.Series[i])
	}
	if d.Err == nil && len(d.B) != 0 {
		d.Err = errors.New("trailing bytes")
	}
	if d.Err != nil {
		return SeriesSnapshot{}, fmt.Errorf("decode series state: %w", d.Err)
	}
	return s, nil
}

func (b *enc) ewma(e rules.EWMA) { b.F64(e.Mean); b.F64(e.Var); b.Uvarint(uint64(e.N)) }

func (b *enc) series(v *SavedSeries) {
	b.Str(v.Rule)
	b.Str(v.Key)
	b.Uvarint(uint64(len(v.Labels)))
	for _, l := range v.Labels {
		b.Str(l)
	}
	b.Str(v.Fingerprint)
	b.Enc = append(b.Enc, byte(v.Status), byte(v.Verdict), byte(v.Still))
	for _, t := range []int64{v.ActiveAt, v.StartsAt, v.LastBad, v.LastNotified, v.LastSeen, v.LastAt, v.BadSince, v.SlotNanos} {
		b.Varint(t)
	}
	b.Bool(v.NoData)
	b.Bool(v.HasLast)
	b.Bool(v.HasRef)
	for _, f := range []float64{v.Value, v.Threshold, v.Last, v.Ref} {
		b.F64(f)
	}
	b.Enc = append(b.Enc, v.TraceID[:]...)
	b.Enc = append(b.Enc, v.SpanID[:]...)
	b.Uvarint(uint64(len(v.Epochs)))
	for _, e := range v.Epochs {
		b.Varint(e)
	}
	b.Uvarint(uint64(len(v.Counts)))
	for _, c := range v.Counts {
		b.Uvarint(uint64(c))
	}
	b.ewma(v.Baseline)
	b.Bool(v.Hourly != nil)
	if h := v.Hourly; h != nil {
		for i := range h.EWMA {
			b.ewma(h.EWMA[i])
			b.Varint(h.Since[i])
		}
	}
	b.Bool(v.Rate != nil)
	if r := v.Rate; r != nil {
		b.Varint(r.Slot)
		b.Uvarint(uint64(r.Count))
		b.F64(r.Recent)
		b.Uvarint(uint64(r.RecentN))
		for i := range r.Hourly {
			b.F64(float64(r.Hourly[i]))
			b.Uvarint(uint64(r.HourlyDays[i]))
		}
		b.Varint(int64(r.HourKey))
		b.Uvarint(uint64(r.HourSum))
		b.Uvarint(uint64(r.HourMinutes))
	}
}

type (
	enc struct{ bincodec.Enc }
	dec struct{ bincodec.Dec }
)

func (d *dec) u32() uint32 { return uint32(min(d.Uvarint(), math.MaxUint32)) }
func (d *dec) ewma() rules.EWMA {
	return rules.EWMA{Mean: d.F64(), Var: d.F64(), N: d.u32()}
}

func (d *dec) series(v *SavedSeries) {
	v.Rule, v.Key = d.Str(), d.Str()
	if n := d.Count(); n > 0 {
		v.Labels = make([]string, n)
		for i := range v.Labels {
			v.Labels[i] = d.Str()
		}
	}
	v.Fingerprint = d.Str()
	v.Status, v.Verdict, v.Still = Status(d.Byte()), Verdict(d.Byte()), Verdict(d.Byte())
	for _, t := range []*int64{&v.ActiveAt, &v.StartsAt, &v.LastBad, &v.LastNotified, &v.LastSeen, &v.LastAt, &v.BadSince, &v.SlotNanos} {
		*t = d.Varint()
	}
	v.NoData, v.HasLast, v.HasRef = d.Bool(), d.Bool(), d.Bool()
	for _, f := range []*float64{&v.Value, &v.Threshold, &v.Last, &v.Ref} {
		*f = d.F64()
	}
	copy(v.TraceID[:], d.Bytes(16))
	copy(v.SpanID[:], d.Bytes(8))
	if n := d.Count(); n > 0 {
		v.Epochs = make([]int64, n)
		for i := range v.Epochs {
			v.Epochs[i] = d.Varint()
		}
	}
	if n := d.Count(); n > 0 {
		v.Counts = make([]uint32, n)
		for i := range v.Counts {
			v.Counts[i] = d.u32()
		}
	}
	v.Baseline = d.ewma()
	if d.Bool() {
		v.Hourly = new(rules.HourlyBaselines)
		for i := range v.Hourly.EWMA {
			v.Hourly.EWMA[i] = d.ewma()
			v.Hourly.Since[i] = d.Varint()
		}
	}
	if d.Bool() {
		r := &rules.ArrivalRateState{Slot: d.Varint(), Count: d.u32(), Recent: d.F64(), RecentN: d.u32()}
		for i := range r.Hourly {
			r.Hourly[i] = float32(d.F64())
			r.HourlyDays[i] = uint16(min(d.Uvarint(), math.MaxUint16))
		}
		r.HourKey, r.HourSum, r.HourMinutes = int(d.Varint()), d.u32(), uint16(min(d.Uvarint(), math.MaxUint16))
		v.Rate = r
	}
}
