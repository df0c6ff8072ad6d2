package dashboardexporter

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/view"
	"github.com/otelcol-payments/otelcol-payments/internal/channelhealth"
)

// A failing alert channel shows in /healthz (components and channels) and
// in the dashboard document the page renders.
func TestFailingChannelShowsInHealthAndDashboard(t *testing.T) {
	const component = "alert/healthtest"
	t.Cleanup(func() { channelhealth.Default.Forget(component) })
	channelhealth.Default.Report(component, "ops_slack", errors.New("Post request failed: dial tcp: lookup hooks.slack.invalid: no such host"), 0, time.Now())

	r := startExporters(t, nil)
	code, _, body := get(t, r.base+"/healthz", "")
	require.Equal(t, http.StatusOK, code)
	var h Health
	require.NoError(t, json.Unmarshal(body, &h))
	assert.Contains(t, h.Components["channel/"+component+"/ops_slack"], "does not resolve")
	var found bool
	for _, c := range h.Channels {
		found = found || (c.Component == component && c.Channel == "ops_slack" && c.Status == channelhealth.StatusFailing)
	}
	assert.True(t, found, "channels lists the failing one: %+v", h.Channels)

	_, _, body = get(t, r.base+"/api/dashboard", "")
	var d view.Dashboard
	require.NoError(t, json.Unmarshal(body, &d))
	found = false
	for _, c := range d.Channels {
		found = found || (c.Component == component && c.Status == channelhealth.StatusFailing)
	}
	assert.True(t, found, "the dashboard document carries channel health: %+v", d.Channels)

	channelhealth.Default.Report(component, "ops_slack", nil, 0, time.Now())
	_, _, body = get(t, r.base+"/healthz", "")
	h = Health{}
	require.NoError(t, json.Unmarshal(body, &h))
	assert.NotContains(t, h.Components, "channel/"+component+"/ops_slack", "recovered")
}
