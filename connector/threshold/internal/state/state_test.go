package state

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/rules"
)

const sec = int64(time.Second)

func TestStepLifecycle(t *testing.T) {
	tm := Timing{For: time.Minute, KeepFiringFor: 30 * time.Second, Cooldown: 10 * time.Minute, UnknownGrace: 2 * time.Minute}
	var s Series
	assert.Equal(t, None, s.Step(0, Bad, Bad, tm))
	assert.Equal(t, Pending, s.Status)
	assert.Equal(t, None, s.Step(59*sec, Bad, Bad, tm))
	assert.Equal(t, Fired, s.Step(60*sec, Bad, Bad, tm))
	assert.Equal(t, int64(0), s.StartsAt)
	// Clear, but kept firing for 30s after the last bad evaluation.
	assert.Equal(t, None, s.Step(75*sec, Clear, Clear, tm))
	assert.Equal(t, None, s.Step(89*sec, Clear, Clear, tm))
	assert.Equal(t, Resolved, s.Step(90*sec, Clear, Clear, tm))
	assert.Equal(t, Inactive, s.Status)

	// Pending that clears never fires.
	s = Series{}
	s.Step(0, Bad, Bad, tm)
	assert.Equal(t, None, s.Step(30*sec, Unknown, Unknown, tm))
	assert.Equal(t, Inactive, s.Status)

	// Unknown while firing waits for the longer grace.
	s = Series{}
	s.Step(0, Bad, Bad, Timing{UnknownGrace: 2 * time.Minute})
	assert.Equal(t, None, s.Step(119*sec, Unknown, Unknown, Timing{UnknownGrace: 2 * time.Minute}))
	assert.Equal(t, Resolved, s.Step(120*sec, Unknown, Unknown, Timing{UnknownGrace: 2 * time.Minute}))
}

func TestStepCooldown(t *testing.T) {
	tm := Timing{Cooldown: 10 * time.Minute}
	var s Series
	require.Equal(t, Fired, s.Step(0, Bad, Bad, tm))
	var renotified []int64
	for now := int64(0); now <= 25*60*sec; now += 15 * sec {
		if s.Step(now, Bad, Bad, tm) == Renotified {
			renotified = append(renotified, now/sec)
		}
	}
	assert.Equal(t, []int64{600, 1200}, renotified)
	// No cooldown: never re-notified.
	s = Series{}
	s.Step(0, Bad, Bad, Timing{})
	assert.Equal(t, None, s.Step(100*60*sec, Bad, Bad, Timing{}))
}

func TestStoreEvictsLeastRecentNonFiring(t *testing.T) {
	st := NewStore(3)
	add := func(k string, status Status) *Series {
		s := &Series{Key: k, Status: status}
		if ev := st.Add(s); ev != nil {
			t.Logf("evicted %s", ev.Key)
		}
		return s
	}
	a := add("a", Firing)
	add("b", Inactive)
	c := add("c", Pending)
	st.Touch(a)
	ev := st.Add(&Series{Key: "d"})
	require.NotNil(t, ev)
	assert.Equal(t, "b", ev.Key)
	assert.Nil(t, st.Get([]byte("b")))
	assert.Same(t, c, st.Get([]byte("c")))

	// Only firing series left: the oldest goes.
	st = NewStore(2)
	st.Add(&Series{Key: "x", Status: Firing})
	st.Add(&Series{Key: "y", Status: Firing})
	assert.Equal(t, "x", st.Add(&Series{Key: "z"}).Key)

	// Range visits all and tolerates deletion.
	var keys []string
	st.Range(func(s *Series) { keys = append(keys, s.Key); st.Delete(s) })
	assert.Equal(t, []string{"y", "z"}, keys)
	assert.Zero(t, st.Len())
}

func TestSnapshotRoundTrip(t *testing.T) {
	snap := Snapshot{Alerts: []FiringAlert{{
		Rule: "r", Key: []byte("r\xff\xfdv\xfe"), Labels: []string{"k", "v"},
		StartsAt: 5, Value: Finite(1.5), Threshold: Finite(nan()),
	}}}
	b, err := snap.Encode()
	require.NoError(t, err)
	got, err := DecodeSnapshot(b)
	require.NoError(t, err)
	assert.Equal(t, snap.Alerts[0].Key, got.Alerts[0].Key, "non-UTF-8 keys survive")
	assert.Equal(t, 1.5, OrNaN(got.Alerts[0].Value))
	assert.Nil(t, got.Alerts[0].Threshold)
	_, err = DecodeSnapshot([]byte(`{"version":99}`))
	require.ErrorContains(t, err, "version 99")
	empty, err := DecodeSnapshot(nil)
	require.NoError(t, err)
	assert.Empty(t, empty.Alerts)
}

func nan() float64 { return math.NaN() }

// Everything a series evaluates with survives Save, Encode, Decode and
// Apply: windows, hold, samples, the anomaly baseline and its hour-of-day
// baselines, the learned arrival rate.
func TestSeriesSnapshotRoundTrip(t *testing.T) {
	w := rules.NewWindow(5*time.Minute, 10, 3)
	s := &Series{
		Key: "k", Labels: []string{"a", "b"}, Fingerprint: "fp", Status: Pending, ActiveAt: 7, LastSeen: 9,
		Value: 0.4, Threshold: 0.2, Last: 3, LastAt: 11, HasLast: true, BadSince: 5,
		Hourly: new(rules.HourlyBaselines), Rate: new(rules.ArrivalRate),
	}
	s.Epochs, s.Counts = w.Alloc()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixNano()
	w.Add(s.Epochs, s.Counts, now, 1, 4)
	for i := range 90 {
		at := now + int64(i)*int64(time.Minute)/3
		s.Baseline.Update(float64(i%7), 0.1, 0)
		s.Hourly.Update(10, at, float64(i%5), 0.1, 0)
		s.Rate.Add(at, time.UTC, true)
	}
	want := Save("r", w.SlotNanos, s)
	data, err := SeriesSnapshot{Series: []SavedSeries{want}}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	snap, err := DecodeSeriesSnapshot(data)
	if err != nil || len(snap.Series) != 1 {
		t.Fatalf("decode: %v, %d series", err, len(snap.Series))
	}
	fresh := &Series{Key: "k", Labels: []string{"a", "b"}, Hourly: new(rules.HourlyBaselines), Rate: new(rules.ArrivalRate)}
	fresh.Epochs, fresh.Counts = w.Alloc()
	snap.Series[0].Apply(fresh)
	if got := Save("r", w.SlotNanos, fresh); !reflect.DeepEqual(got, want) {
		t.Errorf("restored series differs:\n got %+v\nwant %+v", got, want)
	}
	if want.Rate.RecentN == 0 || want.Hourly.EWMA[10].N == 0 {
		t.Fatal("the fixture learned nothing")
	}
}
