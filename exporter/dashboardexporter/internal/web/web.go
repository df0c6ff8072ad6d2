// Package web serves the dashboard page (embedded, no external assets) and
// its JSON routes.
package web

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// Options wire the handler to the dashboard.
type Options struct {
	// Token, when not empty, is required as a bearer token on /api routes.
	Token string
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
	mux.HandleFunc("POST /api/alerts/{fingerprint}/ack", o.auth(func(w http.ResponseWriter, r *http.Request) {
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
	return securityHeaders(mux)
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

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
