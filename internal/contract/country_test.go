package contract

import (
	"strings"
	"testing"
)

func TestCountryCode(t *testing.T) {
	codes := strings.Fields(countryCodes)
	if len(codes) != 249 {
		t.Fatalf("%d ISO 3166-1 alpha-2 codes, want 249", len(codes))
	}
	for _, c := range codes {
		if got, ok := CountryCode(c); !ok || got != c {
			t.Errorf("CountryCode(%q) = %q, %v", c, got, ok)
		}
	}
	for in, want := range map[string]string{"br": "BR", "De": "DE", "us": "US"} {
		if got, ok := CountryCode(in); !ok || got != want {
			t.Errorf("CountryCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "B", "BRA", "UK", "XX", "EU", "ZZ", "1A", "B\x00", "é"} {
		if got, ok := CountryCode(bad); ok {
			t.Errorf("CountryCode(%q) = %q, accepted", bad, got)
		}
	}
	if n := testing.AllocsPerRun(100, func() { CountryCode("br") }); n != 0 {
		t.Errorf("CountryCode allocates %v times", n)
	}
}
