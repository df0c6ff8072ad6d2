package pagerduty

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func TestPagerDutyEvents(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 202, Body: `{"status":"success","dedup_key":"x"}`},
		channeltest.Response{Status: 500})
	n, err := New(&Config{RoutingKey: "R0UT1NGKEY", URL: srv.URL + "/v2/enqueue"}, srv.Client())
	require.NoError(t, err)

	var cerr *channel.Error
	require.ErrorAs(t, n.Notify(context.Background(), channeltest.Notification()), &cerr)
	assert.True(t, cerr.Retryable)
	require.NoError(t, n.Notify(context.Background(), channeltest.Notification()), "retry after 5xx")

	reqs := srv.Requests()
	require.Len(t, reqs, 3, "one failed attempt, then one event per alert")
	var trigger, resolve Event
	require.NoError(t, json.Unmarshal(reqs[1].Body, &trigger))
	require.NoError(t, json.Unmarshal(reqs[2].Body, &resolve))
	note := channeltest.Notification()

	assert.Equal(t, "/v2/enqueue", reqs[1].Path)
	assert.Equal(t, "R0UT1NGKEY", trigger.RoutingKey)
	assert.Equal(t, "trigger", trigger.EventAction)
	assert.Equal(t, note.Alerts[0].Fingerprint, trigger.DedupKey)
	require.NotNil(t, trigger.Payload)
	assert.Equal(t, "[CRITICAL] PaymentErrorRate: PaymentErrorRate above threshold", trigger.Payload.Summary)
	assert.Equal(t, "critical", trigger.Payload.Severity)
	assert.Equal(t, "otelcol-payments", trigger.Payload.Source)
	assert.Equal(t, "checkout", trigger.Payload.Component)
	assert.Equal(t, "PaymentErrorRate", trigger.Payload.Class)
	assert.Equal(t, "2026-03-02T09:00:00Z", trigger.Payload.Timestamp)
	assert.Equal(t, []Link{{Href: "https://runbooks.example.com/PaymentErrorRate", Text: "Runbook"}}, trigger.Links)

	assert.Equal(t, "resolve", resolve.EventAction)
	assert.Equal(t, note.Alerts[1].Fingerprint, resolve.DedupKey, "resolve addresses the incident by dedup_key")
	assert.Nil(t, resolve.Payload)
}

func TestPagerDutyAcknowledgeAndLimits(t *testing.T) {
	n, err := New(&Config{RoutingKey: "k"}, nil)
	require.NoError(t, err)
	assert.Equal(t, DefaultURL, n.url)
	note := channeltest.Notification()
	note.Acknowledged = true
	note.Alerts[0].Summary = strings.Repeat("x", 2000)
	note.Alerts[0].Fingerprint = strings.Repeat("f", 300)
	events, err := n.Build(note)
	require.NoError(t, err)
	assert.Equal(t, "acknowledge", events[0].EventAction)
	assert.Len(t, events[0].DedupKey, maxDedupKey)
	note.Acknowledged = false
	events, err = n.Build(note)
	require.NoError(t, err)
	assert.Len(t, []rune(events[0].Payload.Summary), maxSummary)
	assert.Equal(t, "error", Severity("high"))
	assert.Equal(t, "info", Severity("info"))
}

// PagerDuty takes one event per alert; one it refuses (400: a payload over
// its size limit, say) must not keep the notification's other alerts from
// being sent, as the refusal is permanent and never retried.
func TestPagerDutyRejectedAlertDoesNotStopTheOthers(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 202, Body: `{"status":"success"}`},
		channeltest.Response{Status: 400, Body: `{"status":"invalid event","message":"Event object is invalid"}`})
	n, err := New(&Config{RoutingKey: "R0UT1NGKEY", URL: srv.URL + "/v2/enqueue"}, srv.Client())
	require.NoError(t, err)

	note := channeltest.Notification()
	err = n.Notify(context.Background(), note)
	var cerr *channel.Error
	require.ErrorAs(t, err, &cerr)
	assert.False(t, cerr.Retryable, "the refusal is reported")

	paths := []string{}
	for _, r := range srv.Requests() {
		paths = append(paths, r.Path)
	}
	require.Len(t, paths, len(note.Alerts), "every alert was sent")
	reqs := srv.Requests()
	var second Event
	require.NoError(t, json.Unmarshal(reqs[1].Body, &second))
	assert.Equal(t, note.Alerts[1].Fingerprint, second.DedupKey)
}

// PagerDuty refuses an event over 512 KB with a 400 that is never retried:
// an alert with a huge description or huge label set would be lost. It must
// be cut to fit, keeping what identifies and ranks the incident.
func TestPagerDutyOversizedEventIsCutToFit(t *testing.T) {
	huge := channeltest.Alert("PaymentErrorRate", contract.AlertFiring, contract.SeverityCritical)
	huge.Description = strings.Repeat("stack frame ", 60_000) // 720 kB
	manyLabels := channeltest.Alert("CheckoutLatency", contract.AlertFiring, contract.SeverityHigh)
	manyLabels.Labels = map[string]string{"service.name": "checkout"}
	for i := range 30_000 {
		manyLabels.Labels[fmt.Sprintf("label_%05d", i)] = strings.Repeat("v", 20)
	}
	srv := channeltest.NewServer(t, channeltest.Response{Status: 202, Body: `{"status":"success"}`})
	n, err := New(&Config{RoutingKey: "R0UT1NGKEY", URL: srv.URL + "/v2/enqueue"}, srv.Client())
	require.NoError(t, err)
	note := channeltest.Notification()
	note.Alerts = []contract.Alert{huge, manyLabels}
	require.NoError(t, n.Notify(context.Background(), note))

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	for i, r := range reqs {
		assert.LessOrEqual(t, len(r.Body), 512*1024, "PagerDuty's size limit")
		var ev Event
		require.NoError(t, json.Unmarshal(r.Body, &ev))
		a := note.Alerts[i]
		assert.Equal(t, a.Fingerprint, ev.DedupKey)
		require.NotNil(t, ev.Payload)
		assert.Equal(t, Severity(a.Severity), ev.Payload.Severity)
		assert.Equal(t, "["+strings.ToUpper(a.Severity)+"] "+a.Name+": "+a.Summary, ev.Payload.Summary)
		assert.Equal(t, a.Name, ev.Payload.Class)
		assert.Equal(t, "checkout", ev.Payload.Component)
		for _, k := range []string{"summary", "value", "threshold", "runbook_url", "escalation_level", "receiver"} {
			assert.Contains(t, ev.Payload.CustomDetails, k)
		}
	}
	var first Event
	require.NoError(t, json.Unmarshal(reqs[0].Body, &first))
	desc, _ := first.Payload.CustomDetails["description"].(string)
	assert.True(t, strings.HasPrefix(desc, "stack frame stack frame"), "the start of the description is kept")
}
