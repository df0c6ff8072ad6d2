package web

import (
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func newHandler(token string, acked *[]string) http.Handler {
	return newHandlerForHosts(token, []string{"dash.internal", "dash"}, acked)
}

func newHandlerForHosts(token string, hosts []string, acked *[]string) http.Handler {
	return Handler(Options{
		Token:        token,
		AllowedHosts: hosts,
		Dashboard:    func() any { return map[string]string{} },
		Summary:      func() any { return map[string]string{} },
		Health:       func() (int, any) { return http.StatusOK, map[string]string{} },
		Ack: func(fp string) bool {
			*acked = append(*acked, fp)
			return true
		},
	})
}

func ackRequest(host string, headers map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://"+host+"/api/alerts/abc/ack", nil)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

// Without a bearer token the ack must not be forgeable by another site the
// operator's browser visits.
func TestAckRefusesCrossSiteRequests(t *testing.T) {
	const host = "dash.internal:8088"
	marker := RequestedByHeader
	tests := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"same-origin fetch", map[string]string{marker: "dashboard", "Sec-Fetch-Site": "same-origin", "Origin": "http://" + host}, http.StatusOK},
		{"user-initiated (Sec-Fetch-Site none)", map[string]string{marker: "dashboard", "Sec-Fetch-Site": "none"}, http.StatusOK},
		{"no fetch metadata, same Origin", map[string]string{marker: "dashboard", "Origin": "http://" + host}, http.StatusOK},
		{"no fetch metadata, same Referer", map[string]string{marker: "dashboard", "Referer": "http://" + host + "/"}, http.StatusOK},
		{"cross-site form post", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"cross-site with marker", map[string]string{marker: "dashboard", "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"same-site subdomain", map[string]string{marker: "dashboard", "Sec-Fetch-Site": "same-site", "Origin": "http://other.internal"}, http.StatusForbidden},
		{"foreign Origin without fetch metadata", map[string]string{marker: "dashboard", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"Origin host differs by port", map[string]string{marker: "dashboard", "Origin": "http://dash.internal:9999"}, http.StatusForbidden},
		{"foreign Referer", map[string]string{marker: "dashboard", "Referer": "https://evil.example/page"}, http.StatusForbidden},
		{"opaque Origin and no Referer", map[string]string{marker: "dashboard", "Origin": "null"}, http.StatusForbidden},
		{"neither Origin nor Referer", map[string]string{marker: "dashboard"}, http.StatusForbidden},
		{"same origin without marker (simple request)", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + host}, http.StatusForbidden},
		{"wrong marker value", map[string]string{marker: "other", "Sec-Fetch-Site": "same-origin"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var acked []string
			w := httptest.NewRecorder()
			newHandler("", &acked).ServeHTTP(w, ackRequest(host, tt.headers))
			assert.Equal(t, tt.want, w.Code, w.Body.String())
			if tt.want == http.StatusOK {
				assert.Equal(t, []string{"abc"}, acked)
			} else {
				assert.Empty(t, acked, "a refused request changes nothing")
			}
		})
	}
}

// With a bearer token the token is the proof: scripts need no browser headers.
func TestAckWithTokenNeedsOnlyTheToken(t *testing.T) {
	var acked []string
	h := newHandler("s3cret", &acked)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, ackRequest("dash:8088", map[string]string{"Sec-Fetch-Site": "cross-site"}))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, ackRequest("dash:8088", map[string]string{"Authorization": "Bearer s3cret"}))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, []string{"abc"}, acked)
}

// The preflight a cross-site page would need for the marker header is
// never granted.
func TestNoCORSPreflightGranted(t *testing.T) {
	var acked []string
	r := httptest.NewRequest(http.MethodOptions, "http://dash:8088/api/alerts/abc/ack", nil)
	r.Header.Set("Origin", "https://evil.example")
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "x-requested-by")
	w := httptest.NewRecorder()
	newHandler("", &acked).ServeHTTP(w, r)
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Headers"))
	assert.Empty(t, acked)
}

// DNS rebinding: a page on rebind.evil whose name now resolves to 127.0.0.1
// sends same-origin requests with Host: rebind.evil. The loopback-only
// default has no token, so the Host allow-list is what refuses it.
func TestRebindingRefusedByHost(t *testing.T) {
	var acked []string
	h := newHandlerForHosts("", nil, &acked)
	headers := map[string]string{RequestedByHeader: "dashboard", "Sec-Fetch-Site": "same-origin", "Origin": "http://rebind.evil:8080"}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, ackRequest("rebind.evil:8080", headers))
	assert.Equal(t, http.StatusMisdirectedRequest, w.Code)
	assert.NotContains(t, w.Body.String(), "rebind.evil", "the refusal does not echo the request")
	assert.Empty(t, acked)

	for _, path := range []string{"/api/dashboard", "/api/summary", "/healthz", "/"} {
		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://rebind.evil:8080"+path, nil))
		assert.Equal(t, http.StatusMisdirectedRequest, w.Code, path)
	}

	headers["Origin"] = "http://localhost:8080"
	w = httptest.NewRecorder()
	h.ServeHTTP(w, ackRequest("localhost:8080", headers))
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, []string{"abc"}, acked)
}

// A document JSON cannot carry (a NaN) answers 500 with a JSON error, not
// 200 with an empty body the page would take for a dashboard.
func TestUnencodableDocumentAnswers500(t *testing.T) {
	h := Handler(Options{
		AllowedHosts: []string{"dash"},
		Dashboard:    func() any { return map[string]float64{"rate": math.NaN()} },
		Summary:      func() any { return map[string]string{} },
		Health:       func() (int, any) { return http.StatusOK, map[string]string{} },
		Ack:          func(string) bool { return false },
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://dash/api/dashboard", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.JSONEq(t, `{"error":"the document could not be encoded"}`, rec.Body.String())
}
