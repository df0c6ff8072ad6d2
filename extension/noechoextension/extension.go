// Package noechoextension is an HTTP server middleware for the OTLP
// receiver: client-error responses carry a fixed message instead of the
// decoder's, which quotes the request body (an email in a log record came
// back to the sender), and a body the receiver cannot even describe gets
// 400 instead of 500.
package noechoextension // import "github.com/otelcol-payments/otelcol-payments/extension/noechoextension"

import (
	"bytes"
	"context"
	"net/http"
	"strconv"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"
)

// InvalidRequestMessage replaces every 4xx message of the wrapped server.
const InvalidRequestMessage = "invalid OTLP request: the payload could not be decoded (the message never quotes the request)"

// marshalFallback is what otlpreceiver answers, with 500, when its error
// message (which quotes the body) is not valid UTF-8 and cannot be encoded:
// the request was undecodable, a client error.
var marshalFallback = []byte(`{"code": 13, "message": "failed to marshal error message"}`)

type noEcho struct{}

var _ extensionmiddleware.HTTPServer = (*noEcho)(nil)

func (*noEcho) Start(context.Context, component.Host) error { return nil }
func (*noEcho) Shutdown(context.Context) error              { return nil }

// GetHTTPHandler wraps the receiver's handler.
func (*noEcho) GetHTTPHandler(context.Context) (extensionmiddleware.WrapHTTPHandlerFunc, error) {
	return func(_ context.Context, next http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw := &rewriter{ResponseWriter: w}
			next.ServeHTTP(rw, r)
			rw.finish()
		}), nil
	}, nil
}

// rewriter passes 2xx/3xx responses through and holds back error responses
// until the handler returns, to replace 4xx bodies and the 500 marshal
// fallback.
type rewriter struct {
	http.ResponseWriter
	status int
	held   bool
	body   bytes.Buffer
}

func (r *rewriter) WriteHeader(code int) {
	if r.status != 0 {
		return
	}
	r.status = code
	if code < 400 {
		r.ResponseWriter.WriteHeader(code)
		return
	}
	r.held = true
}

func (r *rewriter) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if r.held {
		if r.body.Len() < 4096 {
			r.body.Write(b[:min(len(b), 4096-r.body.Len())])
		}
		return len(b), nil
	}
	return r.ResponseWriter.Write(b)
}

// Flush keeps streaming responses working for 2xx.
func (r *rewriter) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok && !r.held {
		f.Flush()
	}
}

func (r *rewriter) finish() {
	if !r.held {
		return
	}
	status := r.status
	if status == http.StatusInternalServerError && bytes.Equal(r.body.Bytes(), marshalFallback) {
		status = http.StatusBadRequest
	}
	if status >= 500 {
		// Server-side errors (pipeline refusals) say nothing of the request.
		r.ResponseWriter.WriteHeader(status)
		_, _ = r.ResponseWriter.Write(r.body.Bytes())
		return
	}
	h := r.Header()
	var body []byte
	switch h.Get("Content-Type") {
	case "application/x-protobuf":
		body = statusProto(3, InvalidRequestMessage)
	default:
		h.Set("Content-Type", "application/json")
		body = []byte(`{"code":3,"message":"` + InvalidRequestMessage + `"}`)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	r.ResponseWriter.WriteHeader(status)
	_, _ = r.ResponseWriter.Write(body)
}

// statusProto encodes google.rpc.Status{code, message}, what OTLP/HTTP
// clients decode from a protobuf error response.
func statusProto(code byte, msg string) []byte {
	b := []byte{0x08, code, 0x12}
	b = appendVarint(b, uint64(len(msg)))
	return append(b, msg...)
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
