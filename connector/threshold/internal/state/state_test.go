package state

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	snap := Snapshot{Alerts: []FiringAlert{{Rule: "r", Key: []byte("r\xff\xfdv\xfe"), Labels: []string{"k", "v"},
		StartsAt: 5, Value: Finite(1.5), Threshold: Finite(nan())}}}
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
