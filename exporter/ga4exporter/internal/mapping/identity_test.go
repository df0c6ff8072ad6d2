package mapping

import (
	"crypto/sha256"
	"encoding/binary"
	"regexp"
	"strconv"
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

// Derived client ids never change (GA4 would see new users): pinned values,
// and the same as the first formula (hash of namespace NUL id, two 31-bit
// numbers) for ids of any length, stack buffer or not.
func TestDeriveClientIDIsStable(t *testing.T) {
	assert.Equal(t, "1829957759.1197602909", DeriveClientID(DerivedFromCustomer, "pii_0123456789abcdef"))
	assert.Equal(t, "1887344619.1727828201", DeriveClientID(DerivedFromCheckout, "cs_live_1"))
	for _, id := range []string{"", "x", strings.Repeat("s", 110), strings.Repeat("é", 200)} {
		for _, ns := range []string{DerivedFromCustomer, DerivedFromCheckout} {
			h := sha256.Sum256([]byte(ns + "\x00" + id))
			a := binary.BigEndian.Uint32(h[0:4]) & 0x7fffffff
			b := binary.BigEndian.Uint32(h[4:8]) & 0x7fffffff
			assert.Equal(t, strconv.FormatUint(uint64(a), 10)+"."+strconv.FormatUint(uint64(b), 10), DeriveClientID(ns, id))
		}
	}
}
