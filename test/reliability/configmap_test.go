package reliability

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

var updateConfigMap = flag.Bool("update-configmap", false, "rewrite deploy/kubernetes/gateway-configmap.yaml from config/")

// configMapSources are the profile files the gateway ConfigMap carries, as
// keys of its data, in the order the Deployment passes them to --config.
var configMapSources = []struct{ key, path string }{
	{"gateway.yaml", "config/gateway.yaml"},
	{"production.yaml", "config/overlays/production.yaml"},
	{"kafka-gateway.yaml", "config/overlays/kafka-gateway.yaml"},
}

const configMapHeader = `# Generated from config/gateway.yaml and config/overlays/{production,kafka-gateway}.yaml:
#   go test ./test/reliability -run TestGatewayConfigMapMatchesProfiles -update-configmap
`

func renderGatewayConfigMap(t *testing.T) []byte {
	t.Helper()
	data := &yaml.Node{Kind: yaml.MappingNode}
	for _, src := range configMapSources {
		b, err := os.ReadFile(repoFile(t, src.path))
		if err != nil {
			t.Fatal(err)
		}
		data.Content = append(data.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: src.key},
			&yaml.Node{Kind: yaml.ScalarNode, Value: string(b), Style: yaml.LiteralStyle})
	}
	type metadata struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	}
	doc := struct {
		APIVersion string     `yaml:"apiVersion"`
		Kind       string     `yaml:"kind"`
		Metadata   metadata   `yaml:"metadata"`
		Data       *yaml.Node `yaml:"data"`
	}{"v1", "ConfigMap", metadata{"otelcol-payments-gateway", map[string]string{
		"app.kubernetes.io/name":      "otelcol-payments",
		"app.kubernetes.io/component": "gateway",
	}}, data}
	var out bytes.Buffer
	out.WriteString(configMapHeader)
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// The Kubernetes ConfigMap carries the gateway profiles verbatim; a change
// to config/ that is not carried over fails here.
func TestGatewayConfigMapMatchesProfiles(t *testing.T) {
	path := repoFile(t, "deploy/kubernetes/gateway-configmap.yaml")
	want := renderGatewayConfigMap(t)
	if *updateConfigMap {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s is out of date with config/: run\n  go test ./test/reliability -run TestGatewayConfigMapMatchesProfiles -update-configmap", path)
	}
}
