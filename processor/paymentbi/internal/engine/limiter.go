package engine

// Overflow is the attribute value that stands for every value beyond the
// cardinality limit; Unknown stands for a missing value.
const (
	Overflow = "_other"
	Unknown  = "unknown"
)

// limiter caps the distinct values one metric attribute takes: the first
// max values pass, later new ones become Overflow.
type limiter struct {
	max  int
	seen map[string]struct{}
}

func newLimiter(maxValues int) *limiter {
	return &limiter{max: maxValues, seen: make(map[string]struct{})}
}

func (l *limiter) value(v string) string {
	if v == "" {
		return Unknown
	}
	if _, ok := l.seen[v]; ok {
		return v
	}
	if len(l.seen) >= l.max {
		return Overflow
	}
	l.seen[v] = struct{}{}
	return v
}
