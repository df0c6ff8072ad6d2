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
	// written is set on a pending entry once its request was written out
	// whole, and stored: see MarkWritten.
	written bool
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
	evicted []string
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
	} else if s.store != nil {
		v, err := s.store.Get(ctx, keyPrefix+key)
		if err != nil {
			return false, err
		}
		if sentAt, ok := decodeTime(v); ok && now.Sub(sentAt) < s.window {
			s.entries.Add(key, entry{sentAt: sentAt})
			return false, s.flushEvicted(ctx)
		}
	}
	s.entries.Add(key, entry{pending: true})
	return true, s.flushEvicted(ctx)
}

// Commit records key as sent now.
func (s *Set) Commit(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.entries.Add(key, entry{sentAt: now})
	var err error
	if s.store != nil {
		err = s.store.Set(ctx, keyPrefix+key, encodeTime(now))
	}
	return errors.Join(err, s.flushEvicted(ctx))
}

// MarkWritten records, in storage, that the request carrying these pending
// keys was written out whole. A process killed after that and before Commit
// or Release finds the keys sent after its restart: the server has the
// request (the kernel delivers what was written even after a kill -9), and
// re-sending it is what would duplicate the purchase. Only the rare request
// the server then refuses is lost that way, against a duplicate for every
// request in flight at a crash. Keys no longer pending (already settled)
// are skipped.
func (s *Set) MarkWritten(ctx context.Context, keys []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return nil
	}
	var ops []*storage.Operation
	now := s.now()
	for _, key := range keys {
		e, ok := s.entries.Peek(key)
		if !ok || !e.pending || e.written {
			continue
		}
		e.written = true
		s.entries.Add(key, e)
		ops = append(ops, storage.SetOperation(keyPrefix+key, encodeTime(now)))
	}
	if len(ops) == 0 {
		return nil
	}
	return errors.Join(s.store.Batch(ctx, ops...), s.flushEvicted(ctx))
}

// Release forgets a reservation whose send failed, so a retry may send it;
// a stored MarkWritten record of it is deleted.
func (s *Set) Release(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries.Peek(key)
	if !ok || !e.pending {
		return nil
	}
	s.entries.Remove(key)
	s.evicted = s.evicted[:0] // Remove reports key as evicted
	if e.written && s.store != nil {
		return s.store.Delete(ctx, keyPrefix+key)
	}
	return nil
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
