package contract

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
)

func TestLogEventName(t *testing.T) {
	tests := []struct {
		name       string
		field, att string
		want       string
	}{
		{"field only", EventPurchase, "", EventPurchase},
		{"attribute only", "", EventRefund, EventRefund},
		{"field wins", EventPurchase, EventRefund, EventPurchase},
		{"neither", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := plog.NewLogRecord()
			lr.SetEventName(tt.field)
			if tt.att != "" {
				lr.Attributes().PutStr(EventName, tt.att)
			}
			if got := LogEventName(lr); got != tt.want {
				t.Fatalf("LogEventName = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsAlertRecordAcceptsEitherEventNameForm(t *testing.T) {
	byField := plog.NewLogRecord()
	byField.SetEventName(EventAlert)
	byAttr := plog.NewLogRecord()
	byAttr.Attributes().PutStr(EventName, EventAlert)
	other := plog.NewLogRecord()
	other.SetEventName(EventPurchase)
	if !IsAlertRecord(byField) || !IsAlertRecord(byAttr) || IsAlertRecord(other) {
		t.Fatalf("IsAlertRecord: field=%v attr=%v other=%v", IsAlertRecord(byField), IsAlertRecord(byAttr), IsAlertRecord(other))
	}
	byField.Attributes().PutStr(AlertName, "x")
	if _, err := AlertFromLogRecord(byField); err != nil {
		t.Fatalf("alert with event_name field only: %v", err)
	}
}
