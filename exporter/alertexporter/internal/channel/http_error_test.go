package channel

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Response bodies quoted in errors (and so in logs) never carry the phone
// number a service echoes back, but keep short error codes readable.
func TestHTTPErrorMasksEchoedNumbers(t *testing.T) {
	err := &HTTPError{StatusCode: 400, Body: `{"code": 21211, "message": "The 'To' number +15005550001 is not a valid phone number.", "status": 400}`}
	msg := err.Error()
	assert.NotContains(t, msg, "15005550001")
	assert.Contains(t, msg, "+***********")
	assert.Contains(t, msg, "21211")
	assert.Contains(t, msg, `"status": 400`)
	assert.Equal(t, "ends *******", maskDigitRuns("ends 1234567"))
	assert.Equal(t, "******* first, 123456 kept", maskDigitRuns("1234567 first, 123456 kept"))
}
