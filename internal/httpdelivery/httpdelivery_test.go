package httpdelivery

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type answer struct {
	status int
	header map[string]string
	body   string
}

// recorder answers with a fixed answer and records what it received.
type recorder struct {
	mu     sync.Mutex
	method string
	header http.Header
	body   []byte
	user   string
	pass   string
}

func newServer(t *testing.T, a answer) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.method, rec.header, rec.body = r.Method, r.Header.Clone(), body
		rec.user, rec.pass, _ = r.BasicAuth()
		rec.mu.Unlock()
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func TestSendClassifiesAnswers(t *testing.T) {
	tests := []struct {
		name       string
		answer     answer
		wantErr    bool
		retryable  bool
		retryAfter time.Duration
	}{
		{"200", answer{status: 200, body: "ok"}, false, false, 0},
		{"202", answer{status: 202}, false, false, 0},
		{"204", answer{status: 204}, false, false, 0},
		{"400", answer{status: 400, body: "invalid_payload"}, true, false, 0},
		{"401", answer{status: 401}, true, false, 0},
		{"404", answer{status: 404, body: "no_service"}, true, false, 0},
		{"413", answer{status: 413}, true, false, 0},
		{"408", answer{status: 408}, true, true, 0},
		{"429 seconds", answer{status: 429, header: map[string]string{"Retry-After": "3"}}, true, true, 3 * time.Second},
		{"429 date", answer{status: 429, header: map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}}, true, true, 90 * time.Second},
		{"429 huge", answer{status: 429, header: map[string]string{"Retry-After": "99999999"}}, true, true, MaxRetryAfter},
		{"500", answer{status: 500}, true, true, 0},
		{"503 with Retry-After", answer{status: 503, header: map[string]string{"Retry-After": "1.5"}}, true, true, 1500 * time.Millisecond},
		{"504", answer{status: 504}, true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newServer(t, tt.answer)
			s := &Sender{Client: srv.Client(), Now: func() time.Time { return now }}
			resp, err := s.Send(context.Background(), Request{URL: srv.URL + "/hooks/secret-token", Body: []byte("{}")})
			require.NotNil(t, resp, "every HTTP answer comes back")
			assert.Equal(t, tt.answer.status, resp.StatusCode)
			assert.Equal(t, tt.answer.body, string(resp.Body))
			if !tt.wantErr {
				assert.NoError(t, err)
				return
			}
			var derr *Error
			require.ErrorAs(t, err, &derr)
			assert.Equal(t, tt.answer.status, derr.StatusCode)
			assert.Equal(t, tt.retryable, derr.Retryable)
			assert.Equal(t, tt.retryAfter, derr.RetryAfter)
			var serr *StatusError
			require.ErrorAs(t, err, &serr)
			assert.Equal(t, tt.answer.status, serr.StatusCode)
			assert.NotContains(t, err.Error(), "secret-token")
		})
	}
}

func TestSendBuildsTheRequest(t *testing.T) {
	srv, rec := newServer(t, answer{status: 200})
	_, err := NewSender(srv.Client()).Send(context.Background(), Request{
		Method: http.MethodPut, URL: srv.URL, ContentType: "application/x-www-form-urlencoded",
		Header: http.Header{"X-Api-Key": {"k"}}, Body: []byte("To=%2B1&Body=hi"),
		BasicUser: "AC123", BasicPassword: "tok",
	})
	require.NoError(t, err)
	assert.Equal(t, http.MethodPut, rec.method)
	assert.Equal(t, "application/x-www-form-urlencoded", rec.header.Get("Content-Type"))
	assert.Equal(t, "k", rec.header.Get("X-Api-Key"))
	assert.Equal(t, "To=%2B1&Body=hi", string(rec.body))
	assert.Equal(t, "AC123", rec.user)
	assert.Equal(t, "tok", rec.pass)

	_, err = NewSender(srv.Client()).Send(context.Background(), Request{URL: srv.URL})
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, rec.method, "POST by default")
	assert.Empty(t, rec.user, "no basic auth without a user")
}

// The body beyond MaxResponseBody is drained, not returned, and the
// connection is reused for the next request.
func TestSendBoundsAndDrainsTheBody(t *testing.T) {
	big := strings.Repeat("x", MaxResponseBody+1000)
	srv, _ := newServer(t, answer{status: 500, body: big})
	s := NewSender(srv.Client())
	var reused []bool
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { reused = append(reused, info.Reused) },
	})
	for range 2 {
		resp, err := s.Send(ctx, Request{URL: srv.URL})
		require.Error(t, err)
		assert.Len(t, resp.Body, MaxResponseBody)
		assert.Less(t, len(err.Error()), 300, "errors quote a snippet only")
	}
	assert.Equal(t, []bool{false, true}, reused)
}

// Errors quote what the service answered, never the URL or the request;
// echoed digits (phone and card numbers) are masked, short codes kept.
func TestErrorsCarryNoSecretsOrPersonalData(t *testing.T) {
	srv, _ := newServer(t, answer{status: 400, body: `{"code": 21211, "message": "The 'To' number +15005550001 is not a valid phone number.", "status": 400, "secret": "s3cr3t-key", "q": "s3cr3t%2Bkey"}`})
	_, err := NewSender(srv.Client()).Send(context.Background(), Request{
		URL:    srv.URL + "/mp/collect?api_secret=s3cr3t-key",
		Body:   []byte(`{"user":"jane@example.com"}`),
		Redact: []string{"s3cr3t-key", "s3cr3t+key"},
	})
	require.Error(t, err)
	msg := err.Error()
	assert.NotContains(t, msg, "15005550001")
	assert.Contains(t, msg, "+***********")
	assert.Contains(t, msg, "21211")
	assert.Contains(t, msg, `"status": 400`)
	assert.NotContains(t, msg, "s3cr3t")
	assert.NotContains(t, msg, "jane@example.com")
	assert.NotContains(t, msg, "api_secret")
	assert.Equal(t, "ends *******", maskDigitRuns("ends 1234567"))
	assert.Equal(t, "******* first, 123456 kept", maskDigitRuns("1234567 first, 123456 kept"))
}

func TestTransportAndRequestErrors(t *testing.T) {
	srv, _ := newServer(t, answer{status: 200})
	srv.Close()
	resp, err := NewSender(http.DefaultClient).Send(context.Background(), Request{URL: srv.URL + "/services/T0/B0/secret-token"})
	assert.Nil(t, resp)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret-token")
	var derr *Error
	require.ErrorAs(t, err, &derr)
	assert.True(t, derr.Retryable, "connection errors are retryable")
	assert.Zero(t, derr.StatusCode)

	_, err = NewSender(http.DefaultClient).Send(context.Background(), Request{URL: "http://bad host/secret-token"})
	require.ErrorAs(t, err, &derr)
	assert.False(t, derr.Retryable, "a URL that cannot be parsed stays unparseable")
	assert.NotContains(t, err.Error(), "secret-token")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = NewSender(http.DefaultClient).Send(ctx, Request{URL: "http://127.0.0.1:1/secret-token"})
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, err.Error(), "secret-token")
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"120", 120 * time.Second},
		{" 7 ", 7 * time.Second},
		{"1.5", 1500 * time.Millisecond},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), MaxRetryAfter},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"", 0},
		{"soon", 0},
		{"-5", 0},
		{"NaN", 0},
		// Beyond int64 nanoseconds: the longest wait, not a wrapped "no wait".
		{"1e300", MaxRetryAfter},
		{"+Inf", MaxRetryAfter},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ParseRetryAfter(tt.in, now), "%q", tt.in)
	}
	assert.Equal(t, MaxRetryAfter, SecondsDelay(math.MaxFloat64))
}

func TestExporterError(t *testing.T) {
	require.NoError(t, ExporterError(nil))

	plain := errors.New("plain")
	assert.Equal(t, plain, ExporterError(plain), "unclassified errors are left to the retry sender")

	perm := Permanent(errors.New("400"))
	assert.True(t, consumererror.IsPermanent(ExporterError(perm)))

	throttled := Retryable(errors.New("429"), 5*time.Second)
	assert.Equal(t, exporterhelper.NewThrottleRetry(throttled, 5*time.Second), ExporterError(throttled))
	assert.False(t, consumererror.IsPermanent(ExporterError(throttled)))

	retry := Retryable(errors.New("503"), 0)
	assert.Equal(t, retry, ExporterError(retry))
}

func TestValidateClientConfig(t *testing.T) {
	cc := confighttp.NewDefaultClientConfig()
	require.NoError(t, ValidateClientConfig(&cc))
	cc.ProxyURL = "http://user:pw@proxy.internal:3128"
	require.NoError(t, ValidateClientConfig(&cc))

	cc.ProxyURL = "proxy.internal:3128"
	require.ErrorContains(t, ValidateClientConfig(&cc), "client.proxy_url", "no scheme")
	cc.ProxyURL = "ftp://user:pw@proxy.internal"
	err := ValidateClientConfig(&cc)
	require.ErrorContains(t, err, "client.proxy_url")
	assert.NotContains(t, err.Error(), "pw")

	cc.ProxyURL = ""
	cc.Endpoint = "https://hooks.slack.com/services/T0/B0/secret"
	err = ValidateClientConfig(&cc)
	require.ErrorContains(t, err, "client.endpoint")
	assert.NotContains(t, err.Error(), "secret")
}

// The spend meter counts what a destination accepted (events and body
// bytes of 2xx answers) and every other attempt as failed.
func TestSendMetersAcceptedVolume(t *testing.T) {
	ok, _ := newServer(t, answer{status: http.StatusAccepted})
	refused, _ := newServer(t, answer{status: http.StatusInternalServerError})
	reg := spend.NewRegistry(func() time.Time { return now })
	key := Destination("ga4", "ga4", ok.URL+"/mp/collect?api_secret=s3cret&measurement_id=G-1")
	assert.Equal(t, spend.Key{Exporter: "ga4", Kind: "ga4", Host: strings.TrimPrefix(ok.URL, "http://")}, key, "no path, no query")
	s := &Sender{Client: ok.Client(), Meter: reg.Meter(key, spend.Logs)}

	_, err := s.Send(context.Background(), Request{URL: ok.URL, Body: []byte("0123456789"), Events: 25})
	require.NoError(t, err)
	_, err = s.Send(context.Background(), Request{URL: ok.URL, Body: []byte("abc")})
	require.NoError(t, err)
	_, err = s.Send(context.Background(), Request{URL: refused.URL, Body: []byte("lost"), Events: 3})
	require.Error(t, err)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err = s.Send(context.Background(), Request{URL: closed.URL, Body: []byte("lost")})
	require.Error(t, err)

	d := reg.Snapshot().Destinations[0]
	assert.Equal(t, spend.Figures{Requests: 2, Events: 26, Bytes: 13, RequestsLastHour: 2, EventsLastHour: 26, BytesLastHour: 13}, d.Figures)
	assert.Equal(t, int64(2), d.FailedRequests)
}

// A secret the service echoes across the byte window the snippet is read
// from is still redacted whole: with four-byte runes before it, 200 runes
// reach that far, and redacting after the cut let the secret's start out.
func TestSnippetRedactsASecretAcrossTheCut(t *testing.T) {
	const secret = "sk_live_0123456789abcdefghijklmnopqrstuv"
	for before := 180; before < 200; before++ {
		body := []byte(strings.Repeat("😀", before) + secret + " tail")
		got := Snippet(body, []string{secret})
		for n := 4; n <= len(secret); n++ {
			if strings.Contains(got, secret[:n]) {
				t.Fatalf("%d runes before the secret: snippet %q quotes its first %d bytes", before, got, n)
			}
		}
	}
}
