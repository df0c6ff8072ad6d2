package lifecycletest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/otelcol-payments/otelcol-payments/internal/repotest"
)

var (
	componentType  = regexp.MustCompile(`component\.MustNewType\("([a-z0-9_]+)"\)`)
	ownMetricName  = regexp.MustCompile(`"(otelcol_[a-z0-9_]+)"`)
	instrumentCall = regexp.MustCompile(`\.(Int64|Float64)(Counter|UpDownCounter|Histogram|Gauge|ObservableGauge|ObservableCounter|ObservableUpDownCounter)\(`)
)

// Every component's own telemetry is named otelcol_<kind>_<type>_<name>,
// as contrib's is, and its instruments are created by one builder in its
// internal/metadata (mdatagen's TelemetryBuilder shape), so a name is
// never typed twice or outside the one list.
func TestOwnTelemetryIsNamedByKindAndType(t *testing.T) {
	root := filepath.Join("..", "..")
	metas, err := filepath.Glob(filepath.Join(root, "*", "*", "internal", "metadata"))
	if err != nil {
		t.Fatal(err)
	}
	names := 0
	for _, meta := range metas {
		dir := filepath.Dir(filepath.Dir(meta))
		rel, _ := filepath.Rel(root, dir)
		var types []string
		for _, f := range goFiles(t, meta) {
			for _, m := range componentType.FindAllStringSubmatch(read(t, f), -1) {
				types = append(types, m[1])
			}
		}
		if len(types) == 0 {
			continue
		}
		repotest.GoSources(t, dir, func(path string, b []byte) {
			src := string(b)
			inMetadata := path == "internal/metadata/"+filepath.Base(path)
			if !inMetadata && instrumentCall.MatchString(src) {
				t.Errorf("%s/%s creates an instrument; create it in %s's TelemetryBuilder", rel, path, meta)
			}
			for _, m := range ownMetricName.FindAllStringSubmatch(src, -1) {
				names++
				if !namedFor(m[1], types) {
					t.Errorf("%s/%s: %q is not otelcol_<kind>_<type>_* for %s (types %v)", rel, path, m[1], rel, types)
				}
			}
		})
	}
	if names < 10 {
		t.Fatalf("found only %d own metric names; the walk no longer sees the components", names)
	}
}

func namedFor(name string, types []string) bool {
	for _, kind := range []string{"receiver", "processor", "exporter", "connector", "extension"} {
		for _, typ := range types {
			if strings.HasPrefix(name, "otelcol_"+kind+"_"+typ+"_") {
				return true
			}
		}
	}
	return false
}

func goFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
