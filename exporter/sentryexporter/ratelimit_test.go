package sentryexporter

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A huge delay must clamp to the maximum, not overflow into "no limit".
func TestRateLimitHugeDelayClamps(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	assert.Equal(t, maxRetryAfter, parseRateLimits("1e300:error:organization")["error"])
	assert.Equal(t, maxRetryAfter, parseRateLimits("+Inf::organization")[categoryAll])
	assert.Equal(t, maxRetryAfter, parseRetryAfter("99999999999999", now))

	r := newRateLimits(func() time.Time { return now })
	h := http.Header{}
	h.Set("Retry-After", "1e20")
	assert.Equal(t, maxRetryAfter, r.update(h, http.StatusTooManyRequests, categoryError))
}
