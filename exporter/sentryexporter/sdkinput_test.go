package sentryexporter

import (
	"context"
	"testing"

	"github.com/getsentry/sentry-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Log bridges and shippers that only know a level name send the severity
// text without a number (OTLP makes the number optional). Such an ERROR or
// CRITICAL record was not recognised as an error and never reached Sentry.
func TestSeverityTextWithoutNumber(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	ld := plog.NewLogs()
	for _, text := range []string{"ERROR", "Critical", "fatal", "Warning", "Information", "severe", ""} {
		lr := errorLog(ld, "dotnet", plog.SeverityNumberUnspecified)
		lr.SetSeverityText(text)
		lr.Body().SetStr("severity " + text)
	}
	require.NoError(t, e.pushLogs(context.Background(), ld))

	levels := map[string]sentry.Level{}
	for _, ev := range f.received() {
		levels[ev.Message] = ev.Level
	}
	assert.Equal(t, map[string]sentry.Level{
		"severity ERROR":    sentry.LevelError,
		"severity Critical": sentry.LevelFatal,
		"severity fatal":    sentry.LevelFatal,
		"severity severe":   sentry.LevelError,
	}, levels, "errors by their text; warnings, info and no severity at all are not errors")
}
