package main

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
)

// Every key a component README's "## Configuration" tables name is a key
// of that component's configuration (its own fields and those of the
// collector helpers it embeds: confighttp, exporterhelper), so a reader
// never copies a key the collector refuses as unknown.
func TestComponentREADMEConfigKeysExist(t *testing.T) {
	f, err := components()
	require.NoError(t, err)
	configs := func(kind string, name string) component.Config {
		typ := component.MustNewType(name)
		switch kind {
		case "processor":
			return f.Processors[typ].CreateDefaultConfig()
		case "connector":
			return f.Connectors[typ].CreateDefaultConfig()
		default:
			return f.Exporters[typ].CreateDefaultConfig()
		}
	}
	for readme, cfgs := range map[string][]component.Config{
		"processor/piisanitizer":     {configs("processor", "piisanitizer")},
		"processor/paymentbi":        {configs("processor", "paymentbi"), configs("connector", "paymentbi")},
		"processor/seriesbudget":     {configs("processor", "series_budget")},
		"connector/threshold":        {configs("connector", "threshold")},
		"exporter/alertexporter":     {configs("exporter", "alert")},
		"exporter/dashboardexporter": {configs("exporter", "dashboard")},
		"exporter/sentryexporter":    {configs("exporter", "sentry")},
		"exporter/ga4exporter":       {configs("exporter", "ga4")},
	} {
		keys := map[string]bool{}
		for _, cfg := range cfgs {
			mapstructureKeys(reflect.TypeOf(cfg), keys, map[reflect.Type]bool{})
		}
		raw, err := os.ReadFile("../../" + readme + "/README.md")
		require.NoError(t, err)
		_, section, found := strings.Cut(string(raw), "\n## Configuration\n")
		require.True(t, found, "%s/README.md has no Configuration section", readme)
		section, _, _ = strings.Cut(section, "\n## ")
		checked := 0
		for _, line := range strings.Split(section, "\n") {
			first := strings.Split(strings.TrimPrefix(line, "|"), "|")[0]
			if !strings.HasPrefix(line, "| `") || strings.Contains(first, "otelcol_") {
				continue // not a settings row; own telemetry is named otelcol_*
			}
			for _, key := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(first, -1) {
				for _, part := range regexp.MustCompile(`[^a-z0-9_<>*]+`).Split(key[1], -1) {
					if part == "" || part == "*" || strings.HasPrefix(part, "<") || part == "confighttp" {
						continue
					}
					checked++
					if !keys[part] {
						t.Errorf("%s/README.md names %q (in `%s`), which is not a configuration key", readme, part, key[1])
					}
				}
			}
		}
		if checked < 3 {
			t.Errorf("%s/README.md: only %d keys found in its Configuration tables; their format changed?", readme, checked)
		}
	}
}

// mapstructureKeys collects the mapstructure names of every field reachable
// from t, embedded and nested types included.
func mapstructureKeys(t reflect.Type, keys map[string]bool, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	for i := range t.NumField() {
		field := t.Field(i)
		if name, _, _ := strings.Cut(field.Tag.Get("mapstructure"), ","); name != "" && name != "-" {
			keys[name] = true
		}
		mapstructureKeys(field.Type, keys, seen)
	}
}
