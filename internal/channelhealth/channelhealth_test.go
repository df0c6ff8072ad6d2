package channelhealth

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestReportTellsTransitions(t *testing.T) {
	var r Registry
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	first, rec := r.Report("alert", "slack", nil, 0, t0)
	assert.False(t, first)
	assert.False(t, rec)
	first, _ = r.Report("alert", "slack", errors.New("HTTP 500"), 500, t0.Add(time.Second))
	assert.True(t, first, "the first failure")
	first, _ = r.Report("alert", "slack", errors.New("HTTP 500"), 500, t0.Add(2*time.Second))
	assert.False(t, first, "still failing: not a new failure")
	s := r.Snapshot()
	assert.Equal(t, []State{{
		Component: "alert", Channel: "slack", Status: StatusFailing, Since: t0.Add(time.Second),
		LastError: "HTTP 500", StatusCode: 500, Hint: "the destination service is failing; delivery is retried with back-off",
	}}, s)
	_, rec = r.Report("alert", "slack", nil, 0, t0.Add(3*time.Second))
	assert.True(t, rec)
	assert.Equal(t, StatusOK, r.Snapshot()[0].Status)
	r.Forget("alert")
	assert.Empty(t, r.Snapshot())
}

func TestHintNamesTheCause(t *testing.T) {
	dns := fmt.Errorf("Post request failed: %w", &net.DNSError{Err: "no such host", Name: "hooks.slack.invalid", IsNotFound: true})
	assert.Contains(t, Hint(dns, 0), "does not resolve")
	assert.Contains(t, Hint(errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), 0), "nothing listens")
	assert.Contains(t, Hint(errors.New("HTTP 404"), 404), "revoked")
	assert.Contains(t, Hint(errors.New("HTTP 403"), 403), "credentials")
	assert.Contains(t, Hint(errors.New("x509: certificate signed by unknown authority"), 0), "ca_file")
}
