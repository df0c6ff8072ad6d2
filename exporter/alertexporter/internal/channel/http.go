package channel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponseBody bounds how much of a response we read.
const maxResponseBody = 64 << 10

// HTTPError is a non-2xx answer.
type HTTPError struct {
	StatusCode int
	Body       string
}

// Error quotes the start of the response body, which helps operators, but
// with long digit runs masked: services echo recipients back (Twilio names
// the rejected phone number), and errors end up in logs.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("unexpected HTTP status %d: %s", e.StatusCode, maskDigitRuns(Truncate(strings.TrimSpace(e.Body), 200)))
}

// minMaskedDigits is the shortest digit run masked in quoted bodies: phone,
// account and card numbers are longer; error codes (Twilio's 21211) shorter.
const minMaskedDigits = 7

func maskDigitRuns(s string) string {
	var b strings.Builder
	run := 0
	flush := func(end int) {
		if run >= minMaskedDigits {
			b.WriteString(strings.Repeat("*", run))
		} else {
			b.WriteString(s[end-run : end])
		}
		run = 0
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			run++
			continue
		}
		flush(i)
		b.WriteByte(s[i])
	}
	flush(len(s))
	return b.String()
}

// Request is one HTTP call of a notifier.
type Request struct {
	Method      string
	URL         string
	ContentType string
	Body        []byte
	Header      http.Header
	// BasicUser and BasicPassword set basic auth when BasicUser is not empty.
	BasicUser, BasicPassword string
}

// Do sends req and returns the response body on 2xx. Failures come back as
// *Error: 429 and 5xx and transport errors are retryable (429 with its
// Retry-After), other statuses permanent. Errors never contain the URL,
// since webhook URLs carry secrets.
func Do(ctx context.Context, client *http.Client, req Request) ([]byte, error) {
	method := req.Method
	if method == "" {
		method = http.MethodPost
	}
	hreq, err := http.NewRequestWithContext(ctx, method, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		// url.Parse errors quote the URL; drop it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, Permanent(fmt.Errorf("invalid request: %w", err))
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	if req.ContentType != "" {
		hreq.Header.Set("Content-Type", req.ContentType)
	}
	if req.BasicUser != "" {
		hreq.SetBasicAuth(req.BasicUser, req.BasicPassword)
	}
	resp, err := client.Do(hreq)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s request failed: %w", ue.Op, ue.Err)
		}
		return nil, Retryable(err, 0)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return body, nil
	}
	herr := &HTTPError{StatusCode: resp.StatusCode, Body: string(body)}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return body, Retryable(herr, ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
	case resp.StatusCode >= 500:
		return body, Retryable(herr, ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
	default:
		return body, Permanent(herr)
	}
}

// MaxRetryAfter caps a Retry-After so a broken value cannot overflow (a
// float beyond int64 nanoseconds wraps negative, i.e. no wait at all).
const MaxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After header: delay seconds (fractions
// accepted) or an HTTP date. Unparseable or past values give 0.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || secs != secs {
			return 0
		}
		if secs >= MaxRetryAfter.Seconds() {
			return MaxRetryAfter
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, MaxRetryAfter)
		}
	}
	return 0
}
