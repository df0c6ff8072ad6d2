package sentryexporter

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getsentry/sentry-go"
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
}

func newFakeSentry(t testing.TB) *fakeSentry {
	f := &fakeSentry{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(f.handle))
	t.Cleanup(f.srv.Close)
	return f
}

// dsn is the DSN of the fake project.
func (f *fakeSentry) dsn() string {
	return strings.Replace(f.srv.URL, "http://", "http://"+testKey+"@", 1) + "/" + testProject
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
	respond := f.respond
	f.mu.Unlock()
	if respond != nil && respond(n, w) {
		return
	}
	ev, err := parseEnvelope(body)
	if err != nil {
		f.t.Errorf("bad envelope: %v\n%s", err, body)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"id":%q}`, ev.EventID)
}

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
	ev.Raw = payload
	return ev, nil
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
