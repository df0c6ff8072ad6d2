#!/bin/sh
# `make demo`: the collector on the local profile plus the demo overlay, and
# paymentsim --demo telling its story on this terminal. The collector's own
# output goes to bin/demo-collector.log; alert notifications from it are
# echoed here, one line each, as they leave the alert exporter.
set -eu
BINARY=${BINARY:-bin/otelcol-payments}
GO=${GO:-go}
LOG=bin/demo-collector.log
mkdir -p bin
: >"$LOG"
# A fresh state directory: the demo's business day starts at zero revenue
# (the default ./data/otelcol-payments keeps what `make run` counted).
STATE=$(mktemp -d "${TMPDIR:-/tmp}/otelcol-payments-demo.XXXXXX")
export OTELCOL_STORAGE_DIR="$STATE"

"$BINARY" --config config/otelcol.yaml --config config/overlays/demo.yaml >"$LOG" 2>&1 &
collector=$!
# Alert notifications are JSON lines of the log channels (docs: the alert
# exporter README); show status, channel and headline.
tail -n +1 -F "$LOG" 2>/dev/null | sed -un \
	's/.*"msg":"alert notification".*"channel":"\([^"]*\)".*"escalation_level":\([0-9]*\).*"status":"\([^"]*\)","headline":"\([^"]*\)".*/ALERT  [\1, level \2] \3: \4/p' &
watcher=$!
cleanup() {
	kill "$watcher" "$collector" 2>/dev/null || true
	wait "$collector" 2>/dev/null || true
	rm -rf "$STATE"
}
trap cleanup EXIT INT TERM

# The profile's ports follow their variables (docs/deployment.md).
HEALTH=${OTELCOL_HEALTH_ENDPOINT:-localhost:13133}
OTLP_GRPC=${OTELCOL_OTLP_GRPC_ENDPOINT:-localhost:4317}
DASHBOARD=${OTELCOL_DASHBOARD_ENDPOINT:-localhost:8080}
PROMETHEUS=${OTELCOL_PROMETHEUS_ENDPOINT:-localhost:8889}

tries=0
until curl -sf "$HEALTH" >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ "$tries" -gt 150 ] || ! kill -0 "$collector" 2>/dev/null; then
		echo "demo: the collector did not become healthy; its log:" >&2
		tail -n 30 "$LOG" >&2
		exit 1
	fi
	sleep 0.2
done
cat <<TXT
demo: collector up (log: bin/demo-collector.log). Dashboard http://$DASHBOARD/ ,
      summary http://$DASHBOARD/api/summary , Prometheus http://$PROMETHEUS/metrics
demo: timeline (README "The demo"): 00:00 healthy baseline, 02:00 provider outage,
      alerts within a minute and escalating every 30 s, 03:30 recovery, all resolved by ~05:30.
TXT
$GO run ./cmd/paymentsim --demo --endpoint "$OTLP_GRPC" ${DEMO_FLAGS:-} --ledger bin/paymentsim-ledger.json
echo "demo: simulator done; the collector keeps running (dashboard, APIs) until Ctrl-C"
wait "$collector"
