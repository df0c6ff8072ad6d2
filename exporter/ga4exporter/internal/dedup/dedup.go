// Package dedup remembers which purchase transaction ids were sent, so that a
// purchase is sent at most once within a window. Memory is bounded by an LRU;
// an optional storage client keeps the set across restarts.
package dedup

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

const keyPrefix = "ga4.txn/"

type entry struct {
	sentAt  time.Time
	pending bool
}

// Set is a bounded set of recently sent keys with a time-to-live. A key is
// reserved while its request is in flight, so that concurrent queue consumers
// cannot both send it; it is committed on success and released on failure.
type Set struct {
	mu      sync.Mutex
	window  time.Duration
	now     func() time.Time
	entries *simplelru.LRU[string, entry]
	store   storage.Client
	// mirrored: every key in store is also in entries (store was walked at
	// Load, and keys leave store when they leave entries), so a key missing
	// from memory needs no storage lookup.
	mirrored bool
	evicted  []string
	// Storage writes are group commits: next gathers the operations of
	// the commits (and evictions) that arrive while writing is true; one
	// writer stores them in one transaction.
	next    *writeGroup
	writing bool
}

// writeGroup is one storage transaction shared by concurrent commits.
type writeGroup struct {
	ops  []*storage.Operation
	done chan struct{}
	err  error
}

// New returns a Set that forgets keys window after they were sent and holds
// at most maxEntries keys (the least recently used go first).
func New(window time.Duration, maxEntries int, now func() time.Time) (*Set, error) {
	s := &Set{window: window, now: now}
	lru, err := simplelru.NewLRU[string, entry](maxEntries, func(key string, _ entry) {
		s.evicted = append(s.evicted, key)
	})
	if err != nil {
		return nil, err
	}
	s.entries = lru
	return s, nil
}

// Load attaches a storage client: committed keys are written to it, keys
// missing from memory are looked up in it, and expired keys are removed from
// it now. The set does not close the client.
func (s *Set) Load(ctx context.Context, c storage.Client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store = c
	w, ok := c.(storage.Walker)
	if !ok {
		return nil
	}
	now := s.now()
	err := w.Walk(ctx, func(key string, value []byte) ([]*storage.Operation, error) {
		if !strings.HasPrefix(key, keyPrefix) {
			return nil, nil
		}
		sentAt, ok := decodeTime(value)
		if !ok || now.Sub(sentAt) >= s.window {
			return []*storage.Operation{storage.DeleteOperation(key)}, nil
		}
		s.entries.Add(strings.TrimPrefix(key, keyPrefix), entry{sentAt: sentAt})
		return nil, nil
	})
	s.mirrored = err == nil
	return errors.Join(err, s.flushEvicted(ctx))
}

// Reserve reports whether key may be sent: false if it was sent within the
// window or is in flight. A true result must be followed by Commit or Release.
func (s *Set) Reserve(ctx context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if e, ok := s.entries.Get(key); ok {
		if e.pending || now.Sub(e.sentAt) < s.window {
			return false, nil
		}
	} else if s.store != nil && !s.mirrored {
		// file_storage reads in a write transaction: a lookup per new
		// purchase cost as much as the commit that follows it.
		v, err := s.store.Get(ctx, keyPrefix+key)
		if err != nil {
			return false, err
		}
		if sentAt, ok := decodeTime(v); ok && now.Sub(sentAt) < s.window {
			s.entries.Add(key, entry{sentAt: sentAt})
			s.queueEvicted()
			return false, nil
		}
	}
	s.entries.Add(key, entry{pending: true})
	s.queueEvicted()
	return true, nil
}

// Commit records keys as sent now and returns once they are stored.
func (s *Set) Commit(ctx context.Context, keys ...string) error {
	return s.CommitAsync(ctx, keys...)()
}

// CommitAsync records keys as sent now and starts storing them; wait
// returns once they are stored. Writes are group commits: while one
// transaction is written, the commits that arrive (from this sender's next
// GA4 requests and from other queue consumers) gather, and the next
// transaction stores them all. A sender therefore posts its next request
// while the keys of the last one are written, and waits for all of them
// before its queue item is done; an accepted purchase is still stored
// within about one transaction of GA4's answer, the window in which a
// kill -9 would let it be sent again.
func (s *Set) CommitAsync(ctx context.Context, keys ...string) (wait func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, k := range keys {
		s.entries.Add(k, entry{sentAt: now})
	}
	if s.store == nil {
		s.evicted = s.evicted[:0]
		return func() error { return nil }
	}
	s.queueEvicted()
	g := s.group()
	sentAt := encodeTime(now)
	for _, k := range keys {
		g.ops = append(g.ops, storage.SetOperation(keyPrefix+k, sentAt))
	}
	if !s.writing {
		s.writing = true
		// Not the caller's cancellation: the group may hold other
		// senders' keys.
		go s.write(context.WithoutCancel(ctx))
	}
	return func() error {
		<-g.done
		return g.err
	}
}

// write stores the gathered groups, one transaction each, until none is
// left.
func (s *Set) write(ctx context.Context) {
	s.mu.Lock()
	for s.next != nil {
		w := s.next
		s.next = nil
		s.mu.Unlock()
		w.err = s.store.Batch(ctx, w.ops...)
		close(w.done)
		s.mu.Lock()
	}
	s.writing = false
	s.mu.Unlock()
}

// group is the write group gathering now.
func (s *Set) group() *writeGroup {
	if s.next == nil {
		s.next = &writeGroup{done: make(chan struct{})}
	}
	return s.next
}

// queueEvicted turns the keys the LRU pushed out into deletes written with
// the next commit, in order with its writes.
func (s *Set) queueEvicted() {
	if len(s.evicted) == 0 {
		return
	}
	if s.store != nil {
		g := s.group()
		for _, k := range s.evicted {
			g.ops = append(g.ops, storage.DeleteOperation(keyPrefix+k))
		}
	}
	s.evicted = s.evicted[:0]
}

// Release forgets a reservation whose send failed, so a retry may send it.
func (s *Set) Release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries.Peek(key); ok && e.pending {
		s.entries.Remove(key)
	}
	s.evicted = s.evicted[:0]
}

// Len returns the number of keys held in memory.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries.Len()
}

// flushEvicted deletes keys the LRU pushed out from storage too, so the
// stored set stays as bounded as the memory one.
func (s *Set) flushEvicted(ctx context.Context) error {
	if len(s.evicted) == 0 {
		return nil
	}
	var err error
	if s.store != nil {
		ops := make([]*storage.Operation, len(s.evicted))
		for i, k := range s.evicted {
			ops[i] = storage.DeleteOperation(keyPrefix + k)
		}
		err = s.store.Batch(ctx, ops...)
	}
	s.evicted = s.evicted[:0]
	return err
}

func encodeTime(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
}

func decodeTime(b []byte) (time.Time, bool) {
	if len(b) != 8 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b))), true
}
