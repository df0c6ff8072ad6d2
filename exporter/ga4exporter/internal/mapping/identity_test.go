package mapping

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// IsPseudonym accepts exactly what ^pii_[0-9a-f]{8,128}$ matches.
func TestIsPseudonymMatchesPattern(t *testing.T) {
	pattern := regexp.MustCompile(`^pii_[0-9a-f]{8,128}$`)
	ids := []string{
		"", "pii_", "pii_0123456", "pii_01234567", "pii_0123456789abcdef", "PII_0123456789abcdef",
		"pii_0123456789ABCDEF", "pii_0123456g", "xpii_01234567", "pii_01234567\n", "pii_01234567 ", "pii_01234567@x",
		"pii_" + strings.Repeat("a", 128), "pii_" + strings.Repeat("a", 129), "alice@example.com", "cus_123",
	}
	for _, id := range ids {
		assert.Equal(t, pattern.MatchString(id), IsPseudonym(id), "%q", id)
	}
}

func BenchmarkIsPseudonym(b *testing.B) {
	pattern := regexp.MustCompile(`^pii_[0-9a-f]{8,128}$`)
	const id = "pii_9f86d081884c7d659f86d081884c7d65"
	b.Run("regexp", func(b *testing.B) {
		for b.Loop() {
			_ = pattern.MatchString(id)
		}
	})
	b.Run("now", func(b *testing.B) {
		for b.Loop() {
			_ = IsPseudonym(id)
		}
	})
}
