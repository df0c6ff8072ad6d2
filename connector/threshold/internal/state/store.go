package state

// evictScan is how many of the least recently updated series are searched
// for one that is not firing before a firing one is evicted.
const evictScan = 32

// Store holds at most Max series, keyed by rule name and grouping values.
type Store struct {
	max        int
	m          map[string]*Series
	head, tail *Series
}

// NewStore returns an empty store for at most max series.
func NewStore(max int) *Store {
	return &Store{max: max, m: make(map[string]*Series)}
}

// Len returns the number of series.
func (st *Store) Len() int { return len(st.m) }

// Get finds a series by key; the []byte conversion does not allocate.
func (st *Store) Get(key []byte) *Series {
	return st.m[string(key)]
}

// Touch marks s as the most recently updated series.
func (st *Store) Touch(s *Series) {
	if st.head == s {
		return
	}
	st.unlink(s)
	st.pushFront(s)
}

// Add inserts s (its Key must be set) and returns the series evicted to make
// room, if any. Inactive and pending series are evicted before firing ones.
func (st *Store) Add(s *Series) (evicted *Series) {
	if len(st.m) >= st.max {
		evicted = st.victim()
		st.Delete(evicted)
	}
	st.m[s.Key] = s
	st.pushFront(s)
	return evicted
}

func (st *Store) victim() *Series {
	c := st.tail
	for i := 0; i < evictScan && c != nil; i++ {
		if c.Status != Firing {
			return c
		}
		c = c.prev
	}
	return st.tail
}

// Delete removes s.
func (st *Store) Delete(s *Series) {
	delete(st.m, s.Key)
	st.unlink(s)
}

// Range calls fn for every series, least recently updated first; fn may
// delete the series it is given.
func (st *Store) Range(fn func(*Series)) {
	for c := st.tail; c != nil; {
		prev := c.prev
		fn(c)
		c = prev
	}
}

func (st *Store) pushFront(s *Series) {
	s.prev, s.next = nil, st.head
	if st.head != nil {
		st.head.prev = s
	}
	st.head = s
	if st.tail == nil {
		st.tail = s
	}
}

func (st *Store) unlink(s *Series) {
	if s.prev != nil {
		s.prev.next = s.next
	} else if st.head == s {
		st.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else if st.tail == s {
		st.tail = s.prev
	}
	s.prev, s.next = nil, nil
}
