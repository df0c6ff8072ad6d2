package sentryexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/sentryjson"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
)

// sdkName identifies this exporter to Sentry (sdk.name, sentry_client).
const sdkName = "otelcol-payments.sentryexporter"

// errRateLimited says Sentry asked us to wait before sending this category.
type errRateLimited struct {
	category string
	delay    time.Duration
}

func (e *errRateLimited) Error() string {
	return fmt.Sprintf("sentry rate limit for %q events, retry in %s", e.category, e.delay)
}

// envelopeTransport is a sentry.Transport that encodes each event into an
// envelope for the caller instead of sending it from a background buffer:
// the exporter builds envelopes before its sending queue (capture) and posts
// them from the queue (post), so it can hand errors to exporterhelper
// (retry, throttle, drop) instead of the SDK's HTTPTransport dropping
// silently.
//
// The SDK's Transport interface has no way to return a result, so capture
// registers a call under the event id before CaptureEvent and reads the
// envelope after it returns: the client calls SendEvent synchronously when
// a custom transport is configured.
type envelopeTransport struct {
	dsn *sentry.Dsn
	url string
	// header (user agent, X-Sentry-Auth) is sent with every request;
	// httpdelivery copies it, never changes it.
	header http.Header
	client *http.Client
	sender *httpdelivery.Sender
	limits *rateLimits
	now    func() time.Time

	mu    sync.Mutex
	calls map[sentry.EventID]*call
	// posting holds the event ids being posted, so concurrent queue
	// consumers post one event once.
	posting map[sentry.EventID]bool
}

type call struct {
	env  envelope
	sent bool
	err  error
}

var _ sentry.Transport = (*envelopeTransport)(nil)

// newEnvelopeTransport needs setHTTPClient before the first event.
func newEnvelopeTransport(dsn *sentry.Dsn, now func() time.Time) *envelopeTransport {
	auth := "Sentry sentry_version=7, sentry_client=" + sdkName + "/" + sentry.SDKVersion + ", sentry_key=" + dsn.GetPublicKey()
	if s := dsn.GetSecretKey(); s != "" {
		auth += ", sentry_secret=" + s
	}
	return &envelopeTransport{
		dsn:     dsn,
		url:     dsn.GetAPIURL().String(),
		header:  http.Header{"User-Agent": {sdkName + "/" + sentry.SDKVersion}, "X-Sentry-Auth": {auth}},
		limits:  newRateLimits(now),
		now:     now,
		calls:   map[sentry.EventID]*call{},
		posting: map[sentry.EventID]bool{},
	}
}

// capture runs ev through the client (which applies the SDK's event
// processing) and returns its envelope. ok false without an error means
// the SDK dropped the event (for example ignore rules), or the same event
// is being captured concurrently.
func (t *envelopeTransport) capture(client *sentry.Client, ev *sentry.Event, hint *sentry.EventHint) (env envelope, ok bool, err error) {
	c := &call{}
	t.mu.Lock()
	if _, busy := t.calls[ev.EventID]; busy {
		t.mu.Unlock()
		return envelope{}, false, nil
	}
	t.calls[ev.EventID] = c
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.calls, ev.EventID)
		t.mu.Unlock()
	}()
	client.CaptureEvent(ev, hint, nil)
	return c.env, c.sent, c.err
}

// post sends one envelope. sent false with a nil error: the same event is
// being posted by a concurrent request (Sentry would drop the duplicate id
// anyway).
func (t *envelopeTransport) post(ctx context.Context, env *envelope) (sent bool, err error) {
	category := env.category()
	if d := t.limits.until(category); d > 0 {
		return false, &errRateLimited{category: category, delay: d}
	}
	t.mu.Lock()
	if t.posting[env.eventID] {
		t.mu.Unlock()
		return false, nil
	}
	t.posting[env.eventID] = true
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.posting, env.eventID)
		t.mu.Unlock()
	}()
	if err := t.postBody(ctx, t.body(env), category); err != nil {
		return false, err
	}
	return true, nil
}

// setHTTPClient sets the client that posts envelopes; called from start,
// before any push.
func (t *envelopeTransport) setHTTPClient(c *http.Client) {
	t.client = c
	t.sender = httpdelivery.NewSender(c)
}

// Configure is a no-op: the transport is configured at construction.
func (t *envelopeTransport) Configure(sentry.ClientOptions) {}

// SendEvent encodes the event for the registered capture. Events without
// one (none are expected) are posted at once with a background context and
// their outcome is discarded.
func (t *envelopeTransport) SendEvent(ev *sentry.Event) {
	t.mu.Lock()
	c := t.calls[ev.EventID]
	t.mu.Unlock()
	env, err := t.encode(ev)
	if c == nil {
		if err == nil {
			_, _ = t.post(context.Background(), &env)
		}
		return
	}
	c.env, c.err = env, err
	c.sent = err == nil
}

// Flush has nothing to do: sends are synchronous, and exporterhelper's
// queue is what holds undelivered data.
func (t *envelopeTransport) Flush(time.Duration) bool { return true }

func (t *envelopeTransport) FlushWithContext(context.Context) bool { return true }

func (t *envelopeTransport) Close() {
	if t.client != nil {
		t.client.CloseIdleConnections()
	}
}

// encode builds the envelope of an event the SDK has prepared: the event
// item (sentryjson writes it as the SDK's Event.MarshalJSON would, without
// reflection) and the envelope header but for sent_at.
func (t *envelopeTransport) encode(ev *sentry.Event) (envelope, error) {
	item, err := sentryjson.EncodeItem(ev)
	if err != nil {
		return envelope{}, err
	}
	head := appendEnvelopeHeader(make([]byte, 0, 192), ev, t.dsn.GetPublicKey())
	return envelope{eventID: ev.EventID, isError: ev.Type != "transaction", head: head, item: item}, nil
}

// appendEnvelopeHeader writes the envelope header but for sent_at (which
// body adds when the envelope is posted): event_id, sdk {name, version} and,
// for an event in a trace, its dynamic sampling context {environment,
// public_key, release, trace_id}, which lets Sentry relate the event to its
// trace. Members in the order json.Marshal writes them (maps sorted).
func appendEnvelopeHeader(b []byte, ev *sentry.Event, publicKey string) []byte {
	b = append(b, `{"event_id":`...)
	b = sentryjson.AppendString(b, string(ev.EventID))
	b = append(b, `,"sdk":{"name":`...)
	b = sentryjson.AppendString(b, ev.Sdk.Name)
	b = append(b, `,"version":`...)
	b = sentryjson.AppendString(b, ev.Sdk.Version)
	b = append(b, '}')
	if traceID, ok := ev.Contexts["trace"]["trace_id"].(string); ok {
		b = append(b, `,"trace":{`...)
		if ev.Environment != "" {
			b = append(sentryjson.AppendString(append(b, `"environment":`...), ev.Environment), ',')
		}
		b = sentryjson.AppendString(append(b, `"public_key":`...), publicKey)
		if ev.Release != "" {
			b = sentryjson.AppendString(append(b, `,"release":`...), ev.Release)
		}
		b = sentryjson.AppendString(append(b, `,"trace_id":`...), traceID)
		b = append(b, '}')
	}
	return append(b, '}')
}

// body is the envelope as posted: the header with sent_at, then the item.
func (t *envelopeTransport) body(env *envelope) []byte {
	b := make([]byte, 0, len(env.head)+len(env.item)+48)
	b = append(b, `{"sent_at":"`...)
	if withTime, err := t.now().UTC().AppendText(b); err == nil {
		b = withTime
	}
	b = append(b, '"')
	if len(env.head) > 2 { // not "{}"
		b = append(b, ',')
	}
	b = append(b, env.head[1:]...)
	b = append(b, '\n')
	return append(b, env.item...)
}

// postBody sends one envelope body through httpdelivery and classifies the
// outcome for exporterhelper: 2xx nil; 429 *errRateLimited (Sentry's rate
// limit headers); other 4xx permanent (retrying the same envelope cannot
// succeed); 5xx and network errors retryable.
func (t *envelopeTransport) postBody(ctx context.Context, body []byte, category string) error {
	resp, err := t.sender.Send(ctx, httpdelivery.Request{
		URL:         t.url,
		ContentType: "application/x-sentry-envelope",
		Header:      t.header,
		Body:        body,
	})
	switch {
	case resp == nil && err != nil:
		return fmt.Errorf("send sentry envelope: %w%s", err, tlsHint(err))
	case err == nil:
		if resp.Header.Get("X-Sentry-Rate-Limits") != "" {
			t.limits.update(resp.Header, resp.StatusCode, category)
		}
		return nil
	case resp.StatusCode == http.StatusTooManyRequests:
		return &errRateLimited{category: category, delay: t.limits.update(resp.Header, resp.StatusCode, category)}
	case httpdelivery.RetryableStatus(resp.StatusCode):
		return fmt.Errorf("sentry returned HTTP %d", resp.StatusCode)
	default:
		return consumererror.NewPermanent(fmt.Errorf("sentry rejected the event: HTTP %d: %s", resp.StatusCode, httpdelivery.Snippet(resp.Body, nil)))
	}
}

// tlsHint says which setting fixes a certificate the client does not trust
// (typically a self-hosted Sentry behind a private CA).
func tlsHint(err error) string {
	var unknownCA x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknownCA):
		return "; the server's certificate is not signed by a trusted CA: set client.tls.ca_file to the CA that signed it"
	case errors.As(err, &verify):
		return "; the server's certificate failed verification: check client.tls (ca_file, server_name_override)"
	}
	return ""
}

func isRateLimited(err error) (*errRateLimited, bool) {
	var rl *errRateLimited
	ok := errors.As(err, &rl)
	return rl, ok
}
