package reliability

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every environment variable a profile or overlay reads is named in
// docs/deployment.md, so an operator can find what it does and its default.
func TestDeploymentDocNamesEveryProfileVariable(t *testing.T) {
	doc, err := os.ReadFile(repoFile(t, "docs/deployment.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(repoFile(t, "config/*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	overlays, _ := filepath.Glob(repoFile(t, "config/overlays/*.yaml"))
	envRef := regexp.MustCompile(`\$\{env:([A-Z0-9_]+)`)
	seen := 0
	for _, f := range append(files, overlays...) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range envRef.FindAllSubmatch(raw, -1) {
			seen++
			if !bytes.Contains(doc, []byte("`"+string(m[1])+"`")) {
				t.Errorf("%s reads %s, which docs/deployment.md does not name", filepath.Base(f), m[1])
			}
		}
	}
	if seen < 20 {
		t.Fatalf("found only %d variable references; the profiles moved?", seen)
	}
}

// envDefaults are the defaults of the ${env:NAME:-default} references of a
// profile, by variable.
func envDefaults(t *testing.T, profile string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(repoFile(t, "config/"+profile))
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string]string{}
	for _, m := range regexp.MustCompile(`\$\{env:([A-Z0-9_]+):-([^}$]*)\}`).FindAllStringSubmatch(string(raw), -1) {
		defaults[m[1]] = m[2]
	}
	return defaults
}

// backticked are the `code` spans of a Markdown table cell.
func backticked(cell string) []string {
	var out []string
	for _, m := range regexp.MustCompile("`([^`]*)`").FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}

// The port table of docs/deployment.md ("Ports and their variables") gives
// each profile's default of each port variable, and the README's quick
// start lists the default profile's ports: both must be what the profiles
// really bind, or a newcomer curls a port nothing listens on.
func TestPortTablesMatchTheProfiles(t *testing.T) {
	profiles := []string{"otelcol.yaml", "sidecar.yaml", "gateway.yaml"}
	defaults := map[string]map[string]string{}
	for _, p := range profiles {
		defaults[p] = envDefaults(t, p)
	}
	doc, err := os.ReadFile(repoFile(t, "docs/deployment.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "## Ports and their variables")
	section, _, _ = strings.Cut(section, "\n## ")
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), "|")
		if !strings.HasPrefix(line, "| `") || len(cells) != 5 {
			continue
		}
		rows++
		vars := backticked(cells[0])
		for i, p := range profiles {
			cell := strings.TrimSpace(cells[2+i])
			values := backticked(cell)
			for j, v := range vars {
				got, reads := defaults[p][v]
				switch {
				case cell == "—" && reads:
					t.Errorf("docs/deployment.md: %s has no %s, but it reads it with default %q", p, v, got)
				case cell != "—" && !reads:
					t.Errorf("docs/deployment.md: %s row says %s for %s, which does not read it", v, cell, p)
				case cell != "—" && (j >= len(values) || values[j] != got):
					t.Errorf("docs/deployment.md: %s row says %s for %s, whose default is %q", v, cell, p, got)
				}
			}
		}
	}
	if rows < 8 {
		t.Fatalf("found %d rows of the port table; its format changed?", rows)
	}

	readme, err := os.ReadFile(repoFile(t, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	local := defaults["otelcol.yaml"]
	bound := map[string]bool{local["OTELCOL_TELEMETRY_HOST"] + ":" + local["OTELCOL_TELEMETRY_PORT"]: true}
	for v, d := range local {
		if strings.HasSuffix(v, "_ENDPOINT") {
			bound[d] = true
		}
	}
	_, quickStart, _ := strings.Cut(string(readme), "| port | what |")
	quickStart, _, _ = strings.Cut(quickStart, "\n\n")
	listed := 0
	for _, line := range strings.Split(quickStart, "\n") {
		addr := backticked(line)
		if !strings.HasPrefix(line, "| `") || len(addr) == 0 {
			continue
		}
		listed++
		hostPort := strings.TrimPrefix(addr[0], "http://")
		hostPort, _, _ = strings.Cut(hostPort, "/")
		if !bound[hostPort] {
			t.Errorf("README quick start lists %s, which config/otelcol.yaml does not bind", addr[0])
		}
		delete(bound, hostPort)
	}
	if listed < 5 {
		t.Fatalf("found %d ports in the README's quick start table; its format changed?", listed)
	}
	for addr := range bound {
		t.Errorf("config/otelcol.yaml binds %s, which the README's quick start table does not list", addr)
	}
}
