package dedup

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)} }

func reserve(t *testing.T, s *Set, key string) bool {
	ok, err := s.Reserve(context.Background(), key)
	require.NoError(t, err)
	return ok
}

func TestReserveCommitWindow(t *testing.T) {
	c := newClock()
	s, err := New(time.Hour, 10, c.now)
	require.NoError(t, err)

	require.True(t, reserve(t, s, "T1"))
	assert.False(t, reserve(t, s, "T1"), "in flight: a concurrent consumer must not send it")
	require.NoError(t, s.Commit(context.Background(), "T1"))
	assert.False(t, reserve(t, s, "T1"), "sent within the window")

	c.advance(59 * time.Minute)
	assert.False(t, reserve(t, s, "T1"))
	c.advance(time.Minute)
	assert.True(t, reserve(t, s, "T1"), "window over")
}

func TestReleaseAllowsRetry(t *testing.T) {
	s, err := New(time.Hour, 10, newClock().now)
	require.NoError(t, err)
	require.True(t, reserve(t, s, "T1"))
	s.Release("T1")
	assert.True(t, reserve(t, s, "T1"))
	require.NoError(t, s.Commit(context.Background(), "T1"))
	s.Release("T1") // releasing a committed key keeps it
	assert.False(t, reserve(t, s, "T1"))
}

func TestBoundedMemory(t *testing.T) {
	s, err := New(time.Hour, 3, newClock().now)
	require.NoError(t, err)
	for i := 0; i < 10; i++ {
		key := fmt.Sprint("T", i)
		require.True(t, reserve(t, s, key))
		require.NoError(t, s.Commit(context.Background(), key))
	}
	assert.Equal(t, 3, s.Len())
	assert.False(t, reserve(t, s, "T9"), "recent keys are kept")
	assert.True(t, reserve(t, s, "T0"), "the oldest were evicted")
}

// newMemStorage is contrib's in-memory storage client, which walks its
// keys like file_storage.
func newMemStorage() *storagetest.TestClient {
	return storagetest.NewInMemoryClient(component.KindExporter, component.MustNewID("ga4"), "")
}

// keys lists the keys store holds, sorted.
func keys(t *testing.T, store storage.Walker) []string {
	t.Helper()
	var out []string
	err := store.Walk(context.Background(), func(key string, _ []byte) ([]*storage.Operation, error) {
		out = append(out, key)
		return nil, nil
	})
	require.NoError(t, err)
	return out
}

func TestPersistsAcrossRestart(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store := newMemStorage()
	require.NoError(t, store.Set(ctx, "other/key", []byte("not ours")))

	s1, err := New(time.Hour, 10, c.now)
	require.NoError(t, err)
	require.NoError(t, s1.Load(ctx, store))
	for _, k := range []string{"OLD", "NEW"} {
		require.True(t, reserve(t, s1, k))
		require.NoError(t, s1.Commit(ctx, k))
		c.advance(40 * time.Minute)
	}
	// now: OLD sent 80 min ago (expired), NEW 40 min ago
	s2, err := New(time.Hour, 10, c.now)
	require.NoError(t, err)
	require.NoError(t, s2.Load(ctx, store))
	assert.False(t, reserve(t, s2, "NEW"), "remembered after restart")
	assert.True(t, reserve(t, s2, "OLD"))
	assert.Equal(t, []string{keyPrefix + "NEW", "other/key"}, keys(t, store), "expired ids pruned, foreign keys kept")
}

func TestStorageLookupWhenEvictedFromMemory(t *testing.T) {
	ctx := context.Background()
	store := newMemStorage()
	s, err := New(time.Hour, 2, newClock().now)
	require.NoError(t, err)
	require.NoError(t, s.Load(ctx, store))
	for _, k := range []string{"A", "B", "C"} {
		require.True(t, reserve(t, s, k))
		require.NoError(t, s.Commit(ctx, k))
	}
	assert.Len(t, keys(t, store), 2, "storage is bounded like memory")
	assert.False(t, reserve(t, s, "C"))
	assert.True(t, reserve(t, s, "A"), "evicted ids are forgotten in storage too")
}

// noWalk hides Walk, as storage clients that cannot iterate do.
type noWalk struct{ storage.Client }

func TestStorageWithoutWalkIsReadThrough(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store := newMemStorage()
	s1, err := New(time.Hour, 10, c.now)
	require.NoError(t, err)
	require.NoError(t, s1.Load(ctx, noWalk{store}))
	require.True(t, reserve(t, s1, "T1"))
	require.NoError(t, s1.Commit(ctx, "T1"))

	s2, err := New(time.Hour, 10, c.now)
	require.NoError(t, err)
	require.NoError(t, s2.Load(ctx, noWalk{store}))
	assert.Equal(t, 0, s2.Len())
	assert.False(t, reserve(t, s2, "T1"), "found in storage")
	c.advance(time.Hour)
	assert.True(t, reserve(t, s2, "T1"), "stored entry expired")
}

// countGets counts storage lookups; it walks like the client it wraps.
type countGets struct {
	*storagetest.TestClient
	gets int
}

func (c *countGets) Get(ctx context.Context, key string) ([]byte, error) {
	c.gets++
	return c.TestClient.Get(ctx, key)
}

// A walked store is mirrored in memory: new keys cost no storage lookup,
// and what was stored before the restart is still found.
func TestWalkedStoreNeedsNoLookups(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store := &countGets{TestClient: newMemStorage()}
	s1, err := New(time.Hour, 10, c.now)
	require.NoError(t, err)
	require.NoError(t, s1.Load(ctx, store))
	require.True(t, reserve(t, s1, "T1"))
	require.NoError(t, s1.Commit(ctx, "T1"))

	s2, err := New(time.Hour, 10, c.now)
	require.NoError(t, err)
	require.NoError(t, s2.Load(ctx, store))
	assert.False(t, reserve(t, s2, "T1"), "remembered after restart")
	for _, k := range []string{"T2", "T3"} {
		require.True(t, reserve(t, s2, k))
		require.NoError(t, s2.Commit(ctx, k))
	}
	assert.Zero(t, store.gets)
}

// BenchmarkReserveCommit is the dedup cost of one sent purchase on
// file_storage: "read_through" looks each new key up in storage (as before
// the walked store was trusted), "mirrored" does not.
func BenchmarkReserveCommit(b *testing.B) {
	store := newFileStorage(b)
	for _, mode := range []string{"read_through", "mirrored"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			s, err := New(time.Hour, 1000, time.Now)
			require.NoError(b, err)
			require.NoError(b, s.Load(ctx, store))
			s.mirrored = mode == "mirrored"
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				key := fmt.Sprint(mode, "-", i)
				i++
				ok, err := s.Reserve(ctx, key)
				require.NoError(b, err)
				require.True(b, ok)
				require.NoError(b, s.Commit(ctx, key))
			}
		})
	}
}

// newFileStorage is a client of a real file_storage in a temp directory.
func newFileStorage(b *testing.B) storage.Client {
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = b.TempDir()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(b, err)
	require.NoError(b, ext.Start(context.Background(), nil))
	b.Cleanup(func() { require.NoError(b, ext.Shutdown(context.Background())) })
	store, err := ext.(storage.Extension).GetClient(context.Background(), component.KindExporter, component.MustNewID("ga4"), "dedup")
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, store.Close(context.Background())) })
	return store
}

// gatedStore holds each Batch until the test lets it through, and counts
// the transactions.
type gatedStore struct {
	*storagetest.TestClient
	gate    chan struct{}
	batches atomic.Int32
}

func (g *gatedStore) Batch(ctx context.Context, ops ...*storage.Operation) error {
	g.batches.Add(1)
	<-g.gate
	return g.TestClient.Batch(ctx, ops...)
}

// Commits that arrive while one is being written are written together, in
// one transaction, and each returns once its key is stored.
func TestConcurrentCommitsShareOneWrite(t *testing.T) {
	ctx := context.Background()
	store := &gatedStore{TestClient: newMemStorage(), gate: make(chan struct{})}
	s, err := New(time.Hour, 100, newClock().now)
	require.NoError(t, err)
	require.NoError(t, s.Load(ctx, store))
	var wg sync.WaitGroup
	commit := func(keys ...string) {
		for _, k := range keys {
			require.True(t, reserve(t, s, k))
		}
		wg.Go(func() { assert.NoError(t, s.Commit(ctx, keys...)) })
	}
	commit("T1")
	waitFor(t, func() bool { return store.batches.Load() == 1 }) // T1 is being written
	commit("T2", "T3")
	commit("T4")
	waitFor(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.next != nil && len(s.next.ops) == 3
	})
	close(store.gate)
	wg.Wait()
	assert.EqualValues(t, 2, store.batches.Load(), "T1, then T2-T4 together")
	assert.Equal(t, []string{keyPrefix + "T1", keyPrefix + "T2", keyPrefix + "T3", keyPrefix + "T4"}, keys(t, store))
}

// waitFor polls cond while other goroutines make progress.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		require.Less(t, i, 10_000_000, "condition never met")
		runtime.Gosched()
	}
}

// Many senders reserving and committing at once: every key is stored once,
// and storage holds exactly what memory holds.
func TestConcurrentCommitsKeepStorageMirrored(t *testing.T) {
	ctx := context.Background()
	store := newMemStorage()
	s, err := New(time.Hour, 50, newClock().now)
	require.NoError(t, err)
	require.NoError(t, s.Load(ctx, store))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				key := fmt.Sprint("G", g, "-", i)
				ok, err := s.Reserve(ctx, key)
				assert.True(t, ok && err == nil, "reserving %s: %v", key, err)
				assert.NoError(t, s.Commit(ctx, key))
			}
		})
	}
	wg.Wait()
	require.True(t, reserve(t, s, "last"))
	require.NoError(t, s.Commit(ctx, "last")) // writes the evictions still queued
	var inMemory []string
	for _, k := range s.entries.Keys() {
		inMemory = append(inMemory, keyPrefix+k)
	}
	slices.Sort(inMemory)
	assert.Equal(t, inMemory, keys(t, store))
}

// BenchmarkParallelCommits is ten queue consumers committing sent
// purchases at once on file_storage.
func BenchmarkParallelCommits(b *testing.B) {
	store := newFileStorage(b)
	ctx := context.Background()
	s, err := New(time.Hour, 100_000, time.Now)
	require.NoError(b, err)
	require.NoError(b, s.Load(ctx, store))
	var n atomic.Int64
	b.SetParallelism(5) // 10 goroutines on 2 CPUs, like num_consumers
	b.ReportAllocs()
	cpu := processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprint("K", n.Add(1))
			ok, err := s.Reserve(ctx, key)
			if err != nil || !ok {
				b.Error(ok, err)
			}
			if err := s.Commit(ctx, key); err != nil {
				b.Error(err)
			}
		}
	})
	// Wall time swings with the shared machine's load: compare CPU time.
	b.ReportMetric(float64((processCPU(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time (user + system) the test process used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CommitAsync returns before the write: the sender posts its next request
// meanwhile, the key is already taken in memory, and the commits made
// during the write are stored together in the next transaction; each wait
// returns once its keys are stored.
func TestCommitAsyncGathersWhileWriting(t *testing.T) {
	ctx := context.Background()
	store := &gatedStore{TestClient: newMemStorage(), gate: make(chan struct{})}
	s, err := New(time.Hour, 100, newClock().now)
	require.NoError(t, err)
	require.NoError(t, s.Load(ctx, store))
	require.True(t, reserve(t, s, "T1"))
	wait1 := s.CommitAsync(ctx, "T1") // the write of T1 is held at the gate
	assert.False(t, reserve(t, s, "T1"), "a committed key is taken before it is stored")
	waitFor(t, func() bool { return store.batches.Load() == 1 })
	for _, k := range []string{"T2", "T3"} {
		require.True(t, reserve(t, s, k))
	}
	wait2 := s.CommitAsync(ctx, "T2")
	wait3 := s.CommitAsync(ctx, "T3")
	assert.Empty(t, keys(t, store), "nothing stored while the gate is shut")
	close(store.gate)
	require.NoError(t, wait1())
	require.NoError(t, wait2())
	require.NoError(t, wait3())
	assert.EqualValues(t, 2, store.batches.Load(), "T1, then T2 and T3 together")
	assert.Equal(t, []string{keyPrefix + "T1", keyPrefix + "T2", keyPrefix + "T3"}, keys(t, store))
}
