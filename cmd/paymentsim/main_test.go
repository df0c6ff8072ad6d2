package main

import (
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

func TestParseInsecure(t *testing.T) {
	tests := []struct {
		value, endpoint string
		want            bool
		wantErr         bool
	}{
		{"auto", "localhost:4317", true, false},
		{"auto", "127.0.0.1:4317", true, false},
		{"auto", "[::1]:4317", true, false},
		{"auto", "collector.example.com:4317", false, false},
		{"auto", "10.0.0.5:4317", false, false},
		{"true", "collector.example.com:4317", true, false},
		{"false", "localhost:4317", false, false},
		{"auto", "no-port", false, true},
		{"yes", "localhost:4317", false, true},
	}
	for _, tt := range tests {
		got, err := parseInsecure(tt.value, tt.endpoint)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseInsecure(%q, %q) = %v, %v; want %v, error %v", tt.value, tt.endpoint, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--rate", "0"},                      // would never stop
		{"--count", "1", "extra"},            // stray argument
		{"--count", "1", "--insecure", "no"}, // bad insecure value
		{"--count", "1", "--currencies", "USD,XXQ"},
		{"--count", "1", "--duplicate-rate", "2"},
	} {
		if err := run(args); err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
	}
}

func TestSplitList(t *testing.T) {
	got := splitList(" USD, JPY,,KWD ")
	if len(got) != 3 || got[0] != "USD" || got[1] != "JPY" || got[2] != "KWD" {
		t.Fatalf("splitList = %q", got)
	}
}

func TestHelpIsNotAnError(t *testing.T) {
	if err := run([]string{"--help"}); err != nil {
		t.Fatalf("--help: %v", err)
	}
	if err := run([]string{"--no-such-flag"}); err == nil {
		t.Fatal("an unknown flag must still fail")
	}
}

// A bool flag's help line names no argument: the flag package reads a
// `quoted` word in a usage string as the argument's name, so "the `make
// demo` scenario" printed "-demo make demo", as if --demo took a value.
func TestHelpShowsBoolFlagsWithoutArgument(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	runErr := run([]string{"--help"})
	os.Stderr = stderr
	w.Close()
	out, err := io.ReadAll(r)
	if err != nil || runErr != nil {
		t.Fatalf("--help: %v, reading its output: %v", runErr, err)
	}
	for _, name := range []string{"demo", "quiet"} {
		line := regexp.MustCompile(`(?m)^  -` + name + `.*$`).FindString(string(out))
		if line != "  -"+name {
			t.Errorf("help line of --%s is %q, want %q (no argument)", name, line, "  -"+name)
		}
	}
	if !strings.Contains(string(out), "the make demo scenario") {
		t.Errorf("--demo's help text is missing:\n%s", out)
	}
}

// --demo is sim.Demo, except for the flags given explicitly.
func TestDemoFlagAppliesTheScenario(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var cfg sim.Config
	var outage sim.Outage
	fs.Float64Var(&cfg.Rate, "rate", 20, "")
	fs.DurationVar(&outage.Start, "outage-start", 0, "")
	if err := fs.Parse([]string{"--outage-start", "1m"}); err != nil {
		t.Fatal(err)
	}
	applyDemo(fs, &cfg, &outage)
	d := sim.Demo()
	if cfg.Rate != d.Rate || cfg.ReorderPoint != d.ReorderPoint || outage.Length != d.Outage.Length || outage.FailureRate != d.Outage.FailureRate {
		t.Errorf("demo settings not applied: %+v %+v", cfg, outage)
	}
	if outage.Start != time.Minute {
		t.Errorf("an explicit --outage-start was overridden: %s", outage.Start)
	}
}
