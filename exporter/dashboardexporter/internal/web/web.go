// Package web serves the dashboard page (embedded, no external assets) and
// its JSON routes.
package web

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/otelcol-payments/otelcol-payments/internal/httpguard"
)

// RequestedByHeader must carry RequestedByValue on state-changing requests
// without a bearer token. A custom header makes the request non-simple, so
// a cross-site page needs a CORS preflight, which this server never grants.
const (
	RequestedByHeader = "X-Requested-By"
	RequestedByValue  = "dashboard"
)

//go:embed static
var static embed.FS

// Options wire the handler to the dashboard.
type Options struct {
	// Token, when not empty, is required as a bearer token on /api routes.
	Token string
	// AllowedHosts are the Host names served (httpguard.CheckHost); empty
	// means the loopback names.
	AllowedHosts []string
	// Dashboard and Summary return the documents to encode.
	Dashboard func() any
	Summary   func() any
	// Health returns the health document and its HTTP status.
	Health func() (int, any)
	// Ack acknowledges a firing alert; false when there is none.
	Ack func(fingerprint string) bool
}

// Handler returns the dashboard's HTTP handler.
func Handler(o Options) http.Handler {
	assets, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	files := http.FileServerFS(assets)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", files))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/"
		files.ServeHTTP(w, r2)
	})
	mux.HandleFunc("GET /api/dashboard", o.auth(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, o.Dashboard())
	}))
	mux.HandleFunc("GET /api/summary", o.auth(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, o.Summary())
	}))
	mux.HandleFunc("POST /api/alerts/{fingerprint}/ack", o.authWrite(func(w http.ResponseWriter, r *http.Request) {
		if !o.Ack(r.PathValue("fingerprint")) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no firing alert with this fingerprint"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"acked": true})
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		code, doc := o.Health()
		writeJSON(w, code, doc)
	})
	return securityHeaders(httpguard.CheckHost(o.AllowedHosts, mux))
}

// auth requires the bearer token when one is configured. The comparison is
// constant-time so response timing does not leak the token.
func (o Options) auth(next http.HandlerFunc) http.HandlerFunc {
	if o.Token == "" {
		return next
	}
	want := []byte(o.Token)
	return func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dashboard"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "a valid bearer token is required"})
			return
		}
		next(w, r)
	}
}

// authWrite guards a state-changing route. With a token, the bearer token
// is the proof (a cross-site page cannot attach it). Without one, anyone
// who can reach the port may write, but no other site may make the
// operator's browser do it (CSRF).
func (o Options) authWrite(next http.HandlerFunc) http.HandlerFunc {
	if o.Token != "" {
		return o.auth(next)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if err := sameSite(r); err != "" {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": err})
			return
		}
		next(w, r)
	}
}

// sameSite returns why r may come from another site, or "" when it does
// not: it must carry the dashboard's marker header and come from this
// origin, per Sec-Fetch-Site when the browser sends it, else per Origin
// (or Referer) against the Host it was sent to.
func sameSite(r *http.Request) string {
	if r.Header.Get(RequestedByHeader) != RequestedByValue {
		return RequestedByHeader + ": " + RequestedByValue + " header required"
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return ""
	case "":
		// Older browser or a script: fall back to Origin / Referer.
	default:
		return "cross-site request refused"
	}
	src := r.Header.Get("Origin")
	if src == "" || src == "null" {
		src = r.Header.Get("Referer")
	}
	u, err := url.Parse(src)
	if src == "" || err != nil || u.Host == "" {
		return "Origin or Referer header required"
	}
	if !strings.EqualFold(u.Host, r.Host) {
		return "cross-site request refused"
	}
	return ""
}

// securityHeaders lock the page to its own origin: it loads nothing from
// elsewhere, so a strict policy costs nothing.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// writeJSON encodes v before writing the status, so a document that cannot
// be encoded answers 500 with an error rather than 200 with a cut body.
func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		body, _ = json.Marshal(map[string]string{"error": "the document could not be encoded"})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}
