package sentryexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate limit categories used by this exporter (Sentry data categories).
const (
	categoryAll         = ""
	categoryError       = "error"
	categoryTransaction = "transaction"
	// categoryDefault covers events without a more specific category; Sentry
	// applies its limits to error events too.
	categoryDefault = "default"
)

// defaultRetryAfter is Sentry's documented default when a 429 carries no
// usable header.
const defaultRetryAfter = 60 * time.Second

// maxRetryAfter bounds a header value so a broken proxy cannot park the
// exporter for days.
const maxRetryAfter = 24 * time.Hour

// rateLimits holds the deadlines until which Sentry asked us not to send a
// category. The clock is injectable for tests.
type rateLimits struct {
	now func() time.Time

	mu        sync.Mutex
	deadlines map[string]time.Time
}

func newRateLimits(now func() time.Time) *rateLimits {
	return &rateLimits{now: now, deadlines: map[string]time.Time{}}
}

// until returns how long category is still limited, or 0.
func (r *rateLimits) until(category string) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var d time.Duration
	for _, c := range [...]string{category, categoryAll} {
		if dl, ok := r.deadlines[c]; ok {
			if left := dl.Sub(now); left > d {
				d = left
			}
		}
	}
	if category == categoryError {
		if dl, ok := r.deadlines[categoryDefault]; ok && dl.Sub(now) > d {
			d = dl.Sub(now)
		}
	}
	return d
}

// update records the limits of a response: X-Sentry-Rate-Limits when
// present, else Retry-After (or its default) on a 429. It returns the delay
// that now applies to category.
func (r *rateLimits) update(h http.Header, status int, category string) time.Duration {
	now := r.now()
	limits := parseRateLimits(h.Get("X-Sentry-Rate-Limits"))
	if len(limits) == 0 && status == http.StatusTooManyRequests {
		limits = map[string]time.Duration{categoryAll: parseRetryAfter(h.Get("Retry-After"), now)}
	}
	r.mu.Lock()
	for c, d := range limits {
		dl := now.Add(d)
		if dl.After(r.deadlines[c]) {
			r.deadlines[c] = dl
		}
	}
	r.mu.Unlock()
	return r.until(category)
}

// parseRateLimits parses X-Sentry-Rate-Limits:
// "retry_after:categories:scope[:reason_code[:namespaces]], ...", categories
// separated by ';', none meaning all.
func parseRateLimits(s string) map[string]time.Duration {
	if s == "" {
		return nil
	}
	out := map[string]time.Duration{}
	for _, limit := range strings.Split(s, ",") {
		fields := strings.Split(strings.TrimSpace(limit), ":")
		secs, err := strconv.ParseFloat(fields[0], 64)
		if err != nil || secs < 0 || secs != secs {
			continue
		}
		d := secondsDelay(secs)
		cats := []string{categoryAll}
		if len(fields) > 1 && fields[1] != "" {
			cats = strings.Split(fields[1], ";")
		}
		for _, c := range cats {
			if d > out[c] {
				out[c] = d
			}
		}
	}
	return out
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(s string, now time.Time) time.Duration {
	s = strings.TrimSpace(s)
	if secs, err := strconv.ParseFloat(s, 64); err == nil && secs >= 0 {
		return secondsDelay(secs)
	}
	if t, err := http.ParseTime(s); err == nil {
		if d := t.Sub(now); d > 0 {
			return clampDelay(d)
		}
		return 0
	}
	return defaultRetryAfter
}

// secondsDelay converts header seconds, clamping before the conversion: a
// float beyond int64 nanoseconds would otherwise wrap to a negative delay,
// i.e. no back-off at all.
func secondsDelay(secs float64) time.Duration {
	if secs >= maxRetryAfter.Seconds() {
		return maxRetryAfter
	}
	return clampDelay(time.Duration(secs * float64(time.Second)))
}

func clampDelay(d time.Duration) time.Duration {
	return min(max(d, 0), maxRetryAfter)
}
