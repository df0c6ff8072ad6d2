package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validateEnv is config/validate.env with overrides; an empty override
// value removes the variable.
func validateEnv(t *testing.T, overrides map[string]string) []string {
	t.Helper()
	f, err := os.Open(repoFile(t, "config/validate.env"))
	require.NoError(t, err)
	defer f.Close()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		if o, set := overrides[k]; set {
			if o == "" {
				continue
			}
			v = o
		}
		env = append(env, k+"="+v)
	}
	return env
}

// No open door: the gateway binds the dashboard and the alert API beyond
// loopback, so `validate` (and start) fail without a token of at least 16
// bytes, naming the field; the loopback-only default needs none.
func TestGatewayRefusesOpenDashboardAndAlertAPI(t *testing.T) {
	bin := binary(t)
	run := func(overrides map[string]string) (string, error) {
		cmd := exec.Command(bin, "validate", "--config", repoFile(t, "config/gateway.yaml"))
		cmd.Env = validateEnv(t, overrides)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(nil)
	require.NoError(t, err, out)

	for _, tc := range []struct {
		name      string
		overrides map[string]string
		want      string
	}{
		{"dashboard token unset", map[string]string{"DASHBOARD_TOKEN": ""}, `bearer_token: required when the endpoint "0.0.0.0:8080" binds beyond loopback`},
		{"dashboard token of 1 byte", map[string]string{"DASHBOARD_TOKEN": "x"}, "bearer_token: must be at least 16 bytes, got 1"},
		{"alert API token unset", map[string]string{"ALERT_API_TOKEN": ""}, "api.bearer_token: required"},
		{"alert API token of 15 bytes", map[string]string{"ALERT_API_TOKEN": "fifteen-bytes!!"}, "api.bearer_token: required and must be at least 16 bytes, got 15"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(tc.overrides)
			require.Error(t, err, "validate accepted it:\n%s", out)
			assert.Contains(t, out, tc.want)
			assert.NotContains(t, out, "validate-only-dummy", "a token is never printed")
		})
	}

	cmd := exec.Command(bin, "validate", "--config", repoFile(t, "config/otelcol.yaml"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	out2, err := cmd.CombinedOutput()
	require.NoError(t, err, "the loopback-only default runs without tokens:\n%s", out2)
}
