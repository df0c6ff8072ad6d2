package dashboardexporter

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPromtoolChecksDeployAssets validates deploy/prometheus with Debian's
// promtool: config syntax, rule syntax and the rule unit tests.
func TestPromtoolChecksDeployAssets(t *testing.T) {
	promtool := requireTool(t, "PROMTOOL", "/usr/bin/promtool")
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "recording_rules.yml", "alerting_rules.yml"},
		{"test", "rules", "rules_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../../deploy/prometheus"
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "promtool %v:\n%s", args, out)
	}
}

// TestGrafanaDashboardIsValid checks the dashboard JSON parses and every
// panel queries the templated Prometheus data source.
func TestGrafanaDashboardIsValid(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/payments-dashboard.json")
	require.NoError(t, err)
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			ID         int    `json:"id"`
			Type       string `json:"type"`
			Title      string `json:"title"`
			Datasource struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &d))
	assert.Equal(t, "otelcol-payments", d.UID)
	ids := map[int]bool{}
	for _, p := range d.Panels {
		assert.False(t, ids[p.ID], "duplicate panel id %d", p.ID)
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		assert.Equal(t, "${datasource}", p.Datasource.UID, p.Title)
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			assert.NotEmpty(t, tg.Expr, p.Title)
		}
	}
}
