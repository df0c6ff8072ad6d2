// Package httpdelivery is the one way components send a request to an HTTP
// endpoint: it sends, reads a bounded part of the answer, drains and closes
// the body, and classifies failures for retry (408, 429 and 5xx and
// transport errors retryable, with the server's Retry-After; every other
// status permanent).
//
// Errors never hold the request URL (webhook URLs and query strings carry
// secrets), nor the request body; a short snippet of the response body is
// quoted with long digit runs masked, since services echo recipients back.
package httpdelivery // import "github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"

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

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

const (
	// MaxResponseBody bounds how much of a response is read and returned.
	MaxResponseBody = 64 << 10
	// maxDrain bounds how much more is read (and dropped) so the connection
	// can be reused; a larger body costs the connection, not memory.
	maxDrain = 256 << 10
	// MaxRetryAfter caps a Retry-After: a broken value can neither park a
	// sender for days nor overflow (a float beyond int64 nanoseconds wraps
	// negative, i.e. no wait at all).
	MaxRetryAfter = 24 * time.Hour
	// snippetRunes is how much of a response body an error quotes.
	snippetRunes = 200
	// minMaskedDigits is the shortest digit run masked in quoted bodies:
	// phone, account and card numbers are longer; error codes (Twilio's
	// 21211) shorter.
	minMaskedDigits = 7
)

// Request is one HTTP call.
type Request struct {
	// Method defaults to POST.
	Method      string
	URL         string
	ContentType string
	Header      http.Header
	Body        []byte
	// BasicUser and BasicPassword set basic auth when BasicUser is not empty.
	BasicUser, BasicPassword string
	// Redact are secrets replaced by "REDACTED" in error messages, for
	// services that may echo them (an API secret from the query string).
	Redact []string
	// Events is how many events Body carries, for the Sender's spend
	// meter (GA4 packs up to 25); 0 counts as one.
	Events int
}

// Response is an HTTP answer: the status, the headers and at most
// MaxResponseBody bytes of the body.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Sender sends requests with Client. The zero Now is time.Now; tests inject
// a clock to read HTTP-date Retry-After values. Meter, when set, counts
// every request's outcome and, for a 2xx, its events and body bytes
// (internal/spend): the destination's volume.
type Sender struct {
	Client *http.Client
	Now    func() time.Time
	Meter  *spend.Meter
}

// NewSender returns a Sender using client.
func NewSender(client *http.Client) *Sender { return &Sender{Client: client} }

// Send performs req. On any HTTP answer it returns the Response, and for a
// non-2xx status also an *Error classified for retry. Transport failures
// return a nil Response and a retryable *Error; a request that cannot be
// built returns a permanent one.
func (s *Sender) Send(ctx context.Context, req Request) (*Response, error) {
	method := req.Method
	if method == "" {
		method = http.MethodPost
	}
	hreq, err := http.NewRequestWithContext(ctx, method, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return nil, Permanent(fmt.Errorf("invalid request: %w", stripURL(err)))
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
	hresp, err := s.Client.Do(hreq)
	if err != nil {
		s.Meter.Failed()
		return nil, Retryable(redactErr(stripURL(err), req.Redact), 0)
	}
	defer hresp.Body.Close()
	var body []byte
	if hresp.ContentLength != 0 { // GA4 and most webhooks answer 204 or an empty 2xx
		body, _ = io.ReadAll(io.LimitReader(hresp.Body, MaxResponseBody))
		_, _ = io.Copy(io.Discard, io.LimitReader(hresp.Body, maxDrain))
	}
	resp := &Response{StatusCode: hresp.StatusCode, Header: hresp.Header, Body: body}
	if hresp.StatusCode >= 200 && hresp.StatusCode < 300 {
		s.Meter.Sent(max(req.Events, 1), len(req.Body))
		return resp, nil
	}
	s.Meter.Failed()
	statusErr := &StatusError{StatusCode: hresp.StatusCode, Snippet: Snippet(body, req.Redact)}
	if !RetryableStatus(hresp.StatusCode) {
		return resp, &Error{Err: statusErr, StatusCode: hresp.StatusCode}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return resp, &Error{
		Err:        statusErr,
		StatusCode: hresp.StatusCode,
		Retryable:  true,
		RetryAfter: ParseRetryAfter(hresp.Header.Get("Retry-After"), now()),
	}
}

// RetryableStatus reports whether a retry may succeed after status: request
// timeout, rate limiting and server errors.
func RetryableStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// Error is a failed attempt classified for retry. Notifiers that fail
// without HTTP (SMTP) use it through Permanent and Retryable too, so one
// retry loop reads every failure the same way.
type Error struct {
	Err error
	// StatusCode is the HTTP status, 0 when there was no HTTP answer.
	StatusCode int
	Retryable  bool
	// RetryAfter is the wait the service asked for (Retry-After).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &Error{Err: err} }

// Retryable marks err as worth retrying, after at least retryAfter.
func Retryable(err error, retryAfter time.Duration) error {
	return &Error{Err: err, Retryable: true, RetryAfter: retryAfter}
}

// StatusError is a non-2xx answer. Its message quotes a masked snippet of
// the response body, never the request.
type StatusError struct {
	StatusCode int
	Snippet    string
}

func (e *StatusError) Error() string {
	if e.Snippet == "" {
		return fmt.Sprintf("unexpected HTTP status %d", e.StatusCode)
	}
	return fmt.Sprintf("unexpected HTTP status %d: %s", e.StatusCode, e.Snippet)
}

// ExporterError maps a Send error onto the collector's exporterhelper
// contract: permanent errors become consumererror permanent ones, retryable
// ones with a Retry-After a throttle retry, the rest stay as they are (the
// retry sender retries them with its back-off).
func ExporterError(err error) error {
	var derr *Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &derr):
		return err
	case !derr.Retryable:
		return consumererror.NewPermanent(err)
	case derr.RetryAfter > 0:
		return exporterhelper.NewThrottleRetry(err, derr.RetryAfter)
	default:
		return err
	}
}

// ParseRetryAfter reads a Retry-After header: delay seconds (fractions
// accepted) or an HTTP date, capped at MaxRetryAfter. Unparseable, negative
// or past values give 0 (the caller's back-off decides).
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		return SecondsDelay(secs)
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, MaxRetryAfter)
		}
	}
	return 0
}

// SecondsDelay converts a delay in seconds read from a service (a header or
// a JSON retry_after) to a duration in [0, MaxRetryAfter], clamping before
// the conversion so huge values cannot wrap negative.
func SecondsDelay(secs float64) time.Duration {
	if secs <= 0 || secs != secs {
		return 0
	}
	if secs >= MaxRetryAfter.Seconds() {
		return MaxRetryAfter
	}
	return time.Duration(secs * float64(time.Second))
}

// Snippet is the start of a response body as errors quote it: trimmed,
// truncated, secrets redacted and long digit runs masked.
func Snippet(body []byte, redact []string) string {
	// Redacted before the cut, over enough bytes that a secret starting
	// inside the window ends inside it: cut first, its start would stay.
	window := 4 * snippetRunes
	for _, secret := range redact {
		window = max(window, 4*snippetRunes+len(url.QueryEscape(secret)))
	}
	s := strings.TrimSpace(string(body[:min(len(body), window)]))
	s = redactString(s, redact)
	if r := []rune(s); len(r) > snippetRunes {
		s = string(r[:snippetRunes-1]) + "…"
	}
	return maskDigitRuns(s)
}

// stripURL drops the URL that net/url and net/http errors quote.
func stripURL(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	if ue.Op == "parse" {
		return ue.Err
	}
	return fmt.Errorf("%s request failed: %w", ue.Op, ue.Err)
}

func redactErr(err error, secrets []string) error {
	msg := err.Error()
	if red := redactString(msg, secrets); red != msg {
		return errors.New(red)
	}
	return err
}

func redactString(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		s = strings.ReplaceAll(s, secret, "REDACTED")
		s = strings.ReplaceAll(s, url.QueryEscape(secret), "REDACTED")
	}
	return s
}

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

// Destination is the spend key of a request URL: its kind and host, never
// the path or query, where webhook tokens, DSN keys and API secrets live.
func Destination(exporter, kind, rawURL string) spend.Key {
	host := ""
	if u, err := url.Parse(rawURL); err == nil {
		host = u.Host
	}
	return spend.Key{Exporter: exporter, Kind: kind, Host: host}
}
