#!/usr/bin/env bash
# Regenerates the distribution sources in cmd/otelcol-payments from
# builder-config.yaml with the pinned OpenTelemetry Collector Builder, or with
# --check fails when the committed sources drift from builder-config.yaml.
#
# The builder writes its own go.mod/go.sum next to main.go; we keep one module
# at the repository root instead, so only the Go sources are taken.
set -euo pipefail
builder=${BUILDER:?set BUILDER to the pinned builder binary}
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/cmd/otelcol-payments"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sed "s#output_path: .*#output_path: $work/out#" "$root/builder-config.yaml" > "$work/builder-config.yaml"
mkdir -p "$work/out"
(cd "$root" && "$builder" --config "$work/builder-config.yaml" --skip-compilation --skip-get-modules >"$work/builder.log" 2>&1) || {
	cat "$work/builder.log" >&2
	exit 1
}

generated=(main.go main_others.go main_windows.go components.go)
if [[ "${1:-}" == "--check" ]]; then
	status=0
	for f in "${generated[@]}"; do
		if ! diff -u "$dest/$f" "$work/out/$f"; then
			status=1
		fi
	done
	if [[ $status -ne 0 ]]; then
		echo "cmd/otelcol-payments is out of date with builder-config.yaml: run 'make generate'" >&2
	fi
	exit $status
fi
for f in "${generated[@]}"; do
	cp "$work/out/$f" "$dest/$f"
done
echo "regenerated ${generated[*]} in cmd/otelcol-payments"
