package e2e

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
)

// ResolveFiles merges config files the way `otelcol --config a --config b`
// does (maps merge, lists replace), taking ${env:...} from the process
// environment.
func ResolveFiles(t testing.TB, files ...string) *confmap.Conf {
	t.Helper()
	uris := make([]string, len(files))
	for i, f := range files {
		uris[i] = "file:" + f
	}
	r, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs:              uris,
		ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
		DefaultScheme:     "env",
	})
	if err != nil {
		t.Fatal(err)
	}
	conf, err := r.Resolve(context.Background())
	if err != nil {
		t.Fatalf("resolve %v: %v", files, err)
	}
	return conf
}

// SetEnvFile sets, for the test, every KEY=value line of an env file such
// as config/validate.env (lines starting with # are comments).
func SetEnvFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			t.Setenv(k, v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}
