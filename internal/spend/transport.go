package spend

import "net/http"

// Transport is an http.RoundTripper counting each request on the meter of
// (Exporter, Kind, the request's host): a 2xx answer as one event of the
// request's body length, anything else as a failed request. It serves
// senders built where no per-request event count is known (alert channels,
// one notification per request).
type Transport struct {
	Registry *Registry
	Exporter string
	Kind     string
	Next     http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	m := t.Registry.Meter(Key{Exporter: t.Exporter, Kind: t.Kind, Host: req.URL.Host}, 0)
	size := max(req.ContentLength, 0)
	resp, err := t.Next.RoundTrip(req)
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		m.Failed()
		return resp, err
	}
	m.Sent(1, int(size))
	return resp, nil
}
