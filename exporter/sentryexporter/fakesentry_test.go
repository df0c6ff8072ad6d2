package sentryexporter

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getsentry/sentry-go"
	"github.com/stretchr/testify/require"
)

const (
	testKey     = "0123456789abcdef0123456789abcdef"
	testProject = "4242"
)

// receivedEvent is an event as the fake Sentry parsed it. Spans are decoded
// separately because sentry.Span ids have no JSON decoder.
type receivedEvent struct {
	sentry.Event
	Spans []receivedSpan `json:"spans"`
	Raw   []byte         `json:"-"`
}

type receivedSpan struct {
	TraceID      string `json:"trace_id"`
	SpanID       string `json:"span_id"`
	ParentSpanID string `json:"parent_span_id"`
	Op           string `json:"op"`
	Description  string `json:"description"`
	Status       string `json:"status"`
}

// fakeSentry speaks the Sentry envelope protocol for one project: it accepts
// only POST /api/{project}/envelope/ with a valid X-Sentry-Auth, parses the
// envelope and keeps the events. respond decides the answer per request
// (nil: 200).
type fakeSentry struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	events   []receivedEvent
	requests int
	bodies   [][]byte
	respond  func(n int, w http.ResponseWriter) bool // true: handled (not accepted)
	gate     chan struct{}
	// expectBadAuth: a test sends a wrong key on purpose.
	expectBadAuth bool
	accepted      chan struct{}
	headers       []http.Header
	// conns counts TCP connections the server accepted.
	conns int
}

func newFakeSentry(t testing.TB) *fakeSentry {
	f := &fakeSentry{t: t}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.handle))
	f.srv.Config.ConnState = f.countConn
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

// newFakeSentryTLS serves HTTPS with a certificate for 127.0.0.1 signed by a
// private CA, like a self-hosted Sentry; the CA is written to caFile.
func newFakeSentryTLS(t testing.TB) (f *fakeSentry, caFile string) {
	ca := newTestCA(t)
	f = &fakeSentry{t: t}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.handle))
	f.srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.issue(t, "127.0.0.1")}, MinVersion: tls.VersionTLS12}
	f.srv.Config.ConnState = f.countConn
	// Failed handshakes are what some tests are about: keep them out of the output.
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f, ca.writePEM(t)
}

func (f *fakeSentry) countConn(_ net.Conn, state http.ConnState) {
	if state == http.StateNew {
		f.mu.Lock()
		f.conns++
		f.mu.Unlock()
	}
}

// headerValues lists the value of header name on each request.
func (f *fakeSentry) headerValues(name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, h := range f.headers {
		out = append(out, h.Get(name))
	}
	return out
}

func (f *fakeSentry) connCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

// dsn is the DSN of the fake project.
func (f *fakeSentry) dsn() string {
	scheme, rest, _ := strings.Cut(f.srv.URL, "://")
	return scheme + "://" + testKey + "@" + rest + "/" + testProject
}

// testCA is a private certificate authority for TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "payments test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key}
}

// issue returns a server certificate for ip signed by the CA.
func (ca *testCA) issue(t testing.TB, ip string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: ip},
		IPAddresses:  []net.IP{net.ParseIP(ip)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// writePEM writes the CA certificate to a temporary file and returns its path.
func (ca *testCA) writePEM(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600))
	return path
}

func (f *fakeSentry) handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/"+testProject+"/envelope/" {
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	auth := r.Header.Get("X-Sentry-Auth")
	if !strings.HasPrefix(auth, "Sentry ") || !strings.Contains(auth, "sentry_version=7") || !strings.Contains(auth, "sentry_key="+testKey) {
		if !f.expectBadAuth {
			f.t.Errorf("bad X-Sentry-Auth %q", auth)
		}
		http.Error(w, "bad auth", http.StatusUnauthorized)
		return
	}
	if f.gate != nil {
		<-f.gate
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("read body: %v", err)
		return
	}
	f.mu.Lock()
	f.requests++
	n := f.requests
	f.bodies = append(f.bodies, body)
	f.headers = append(f.headers, r.Header.Clone())
	respond := f.respond
	f.mu.Unlock()
	if respond != nil && respond(n, w) {
		return
	}
	ev, err := parseEnvelope(body)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errEventTooLarge) {
			status = http.StatusRequestEntityTooLarge
			body = body[:min(len(body), 1024)]
		}
		f.t.Errorf("bad envelope: %v\n%s", err, body)
		http.Error(w, err.Error(), status)
		return
	}
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"id":%q}`, ev.EventID)
}

// maxEventItemBytes is Sentry's size limit of an event or transaction item
// (1 MiB); a larger one is refused with 413.
const maxEventItemBytes = 1 << 20

var errEventTooLarge = errors.New("event too large")

// parseEnvelope reads "header\nitem-header\npayload\n" with one event or
// transaction item.
func parseEnvelope(body []byte) (receivedEvent, error) {
	rd := bufio.NewReader(bytes.NewReader(body))
	headLine, err := rd.ReadBytes('\n')
	if err != nil {
		return receivedEvent{}, fmt.Errorf("envelope header: %w", err)
	}
	var head struct {
		EventID string `json:"event_id"`
		SentAt  string `json:"sent_at"`
	}
	if err := json.Unmarshal(headLine, &head); err != nil {
		return receivedEvent{}, fmt.Errorf("envelope header: %w", err)
	}
	itemLine, err := rd.ReadBytes('\n')
	if err != nil {
		return receivedEvent{}, fmt.Errorf("item header: %w", err)
	}
	var item struct {
		Type   string `json:"type"`
		Length int    `json:"length"`
	}
	if err := json.Unmarshal(itemLine, &item); err != nil {
		return receivedEvent{}, fmt.Errorf("item header: %w", err)
	}
	if item.Type != "event" && item.Type != "transaction" {
		return receivedEvent{}, fmt.Errorf("item type %q", item.Type)
	}
	if item.Length > maxEventItemBytes {
		return receivedEvent{}, fmt.Errorf("%w: event item of %d bytes", errEventTooLarge, item.Length)
	}
	payload := make([]byte, item.Length)
	if _, err := io.ReadFull(rd, payload); err != nil {
		return receivedEvent{}, fmt.Errorf("payload of length %d: %w", item.Length, err)
	}
	var ev receivedEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return receivedEvent{}, fmt.Errorf("event: %w", err)
	}
	if string(ev.EventID) != head.EventID || len(head.EventID) != 32 {
		return receivedEvent{}, fmt.Errorf("event id %q does not match envelope header %q", ev.EventID, head.EventID)
	}
	if (item.Type == "transaction") != (ev.Type == "transaction") {
		return receivedEvent{}, fmt.Errorf("item type %q for event type %q", item.Type, ev.Type)
	}
	if ev.Type == "transaction" {
		if err := validateTransaction(payload); err != nil {
			return receivedEvent{}, err
		}
	}
	if err := validateTags(ev.Tags); err != nil {
		return receivedEvent{}, err
	}
	if err := validateReleaseEnvironment(ev.Release, ev.Environment); err != nil {
		return receivedEvent{}, err
	}
	ev.Raw = payload
	return ev, nil
}

// validateTags refuses what Sentry would not keep: a tag value is at most
// 200 characters and has no newline (Sentry drops such a tag and keeps the
// event; this server refuses it, so the tests see the loss).
func validateTags(tags map[string]string) error {
	for k, v := range tags {
		if v == "" || utf8.RuneCountInString(v) > 200 || strings.ContainsAny(v, "\n") {
			return fmt.Errorf("tag %q: value %q would be dropped", k, v)
		}
	}
	return nil
}

// validateReleaseEnvironment refuses a release or environment Sentry would
// remove from the event (sentry-release-parser's validate_release and
// validate_environment, which Relay applies; spelled out again here rather
// than taken from the exporter): a release of at most 200 bytes, an
// environment of at most 64, neither with '/', CR, LF, tab or form feed,
// nor ".", "..", and not "latest" / "none" in any case. Release.parse
// trims surrounding space first; the exporter sends none.
func validateReleaseEnvironment(release, environment string) error {
	check := func(what, v string, maxLen int, restricted string) error {
		switch {
		case v == "":
			return nil
		case len(v) > maxLen:
			return fmt.Errorf("%s of %d bytes would be dropped (at most %d)", what, len(v), maxLen)
		case v == "." || v == ".." || strings.EqualFold(v, restricted):
			return fmt.Errorf("%s %q is a restricted name and would be dropped", what, v)
		case strings.ContainsAny(v, "/\r\n\t\f"), strings.TrimSpace(v) != v:
			return fmt.Errorf("%s %q has characters Sentry refuses and would be dropped", what, v)
		}
		return nil
	}
	return errors.Join(check("release", release, 200, "latest"), check("environment", environment, 64, "none"))
}

// validateTransaction applies the checks with which Relay drops a whole
// transaction (relay-event-normalization validate_transaction): start and
// end timestamps present with start <= end, a trace context with trace_id
// and span_id, and the same for every child span.
func validateTransaction(payload []byte) error {
	type timed struct {
		Start   *time.Time `json:"start_timestamp"`
		End     *time.Time `json:"timestamp"`
		TraceID string     `json:"trace_id"`
		SpanID  string     `json:"span_id"`
	}
	var tx struct {
		timed
		Contexts struct {
			Trace *timed `json:"trace"`
		} `json:"contexts"`
		Spans []timed `json:"spans"`
	}
	if err := json.Unmarshal(payload, &tx); err != nil {
		return fmt.Errorf("transaction: %w", err)
	}
	checkTimes := func(what string, t timed) error {
		switch {
		case t.End == nil:
			return fmt.Errorf("invalid transaction: %s is missing timestamp", what)
		case t.Start == nil:
			return fmt.Errorf("invalid transaction: %s is missing start_timestamp", what)
		case t.End.Before(*t.Start):
			return fmt.Errorf("invalid transaction: %s end timestamp is smaller than start timestamp", what)
		}
		return nil
	}
	if err := checkTimes("transaction", tx.timed); err != nil {
		return err
	}
	if tc := tx.Contexts.Trace; tc == nil || tc.TraceID == "" || tc.SpanID == "" {
		return errors.New("invalid transaction: trace context without trace_id and span_id")
	}
	for i, sp := range tx.Spans {
		if err := checkTimes(fmt.Sprintf("span %d", i), sp); err != nil {
			return err
		}
		if sp.TraceID == "" || sp.SpanID == "" {
			return fmt.Errorf("invalid transaction: span %d is missing trace_id or span_id", i)
		}
	}
	return nil
}

func (f *fakeSentry) received() []receivedEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]receivedEvent(nil), f.events...)
}

func (f *fakeSentry) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *fakeSentry) allBodies() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.bodies...)
}

func (f *fakeSentry) setRespond(fn func(n int, w http.ResponseWriter) bool) {
	f.mu.Lock()
	f.respond = fn
	f.mu.Unlock()
}
