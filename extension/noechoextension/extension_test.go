package noechoextension

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

func post(t *testing.T, url, ctype string, body []byte) (int, string, string) {
	t.Helper()
	resp, err := http.Post(url, ctype, bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// The OTLP receiver's 400 quotes the body ("...jane@example.com..."), and
// garbage whose quote is not UTF-8 gets 500. Behind noecho: 400, a fixed
// message, in the encoding the client asked for; good data still gets 200.
func TestOTLPErrorsDoNotEchoTheRequest(t *testing.T) {
	addr := e2e.FreeAddr(t)
	f := e2e.BaseFactories()
	f = e2e.WithExtensions(f, NewFactory())
	e2e.Start(t, f, `
extensions:
  noecho: {}
receivers:
  otlp:
    protocols:
      http:
        endpoint: `+addr+`
        middlewares: [{id: noecho}]
exporters:
  capture/noecho: {}
service:
  extensions: [noecho]
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [capture/noecho]
`)
	url := "http://" + addr + "/v1/logs"
	garbage := make([]byte, 256)
	for i := range garbage {
		garbage[i] = byte(i*37 + 11) // not UTF-8, not JSON
	}
	for _, body := range [][]byte{
		[]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"jane@example.com"},"timeUnixNano":"yesterday"}]}]}]}`),
		[]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"jane@example.com"}]}]}]}`),
		[]byte(`garbage jane@example.com`),
		garbage,
	} {
		code, ctype, reply := post(t, url, "application/json", body)
		assert.Equal(t, http.StatusBadRequest, code, "%q -> %s", body, reply)
		assert.Equal(t, "application/json", ctype)
		assert.NotContains(t, reply, "jane")
		assert.Contains(t, reply, InvalidRequestMessage)
	}

	code, ctype, reply := post(t, url, "application/x-protobuf", append([]byte("\xff\xff jane@example.com "), garbage...))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "application/x-protobuf", ctype)
	var st status.Status
	require.NoError(t, proto.Unmarshal([]byte(reply), &st), "an OTLP client can decode the Status")
	assert.Equal(t, int32(3), st.Code)
	assert.Equal(t, InvalidRequestMessage, st.Message)

	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("ok")
	good, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	code, _, reply = post(t, url, "application/json", good)
	assert.Equal(t, http.StatusOK, code, reply)
	assert.Contains(t, reply, "partialSuccess", reply)
	assert.Equal(t, 1, e2e.Sinks("noecho").LogRecordCount())
}
