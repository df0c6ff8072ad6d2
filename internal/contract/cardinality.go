package contract

import (
	"strings"
	"unicode/utf8"
)

// forbiddenMetricAttributes are keys whose values identify one customer,
// order, payment, session or client: as a metric attribute each value would
// be a series of its own (and personal data in a label). Entries ending in
// "." are prefixes.
var forbiddenMetricAttributes = []string{
	"customer.", CustomerID, CustomerEmail, OrderID, PaymentID, CheckoutSessionID,
	ClientAddress, GAClientID, GASessionID, "user.", "enduser.",
}

// ForbiddenMetricAttributes lists the keys (and "prefix." entries) that are
// never metric data point attributes; see IsForbiddenMetricAttribute.
func ForbiddenMetricAttributes() []string {
	return append([]string(nil), forbiddenMetricAttributes...)
}

// IsForbiddenMetricAttribute reports whether key must not be a metric data
// point attribute. CustomerSegment ("new"/"returning") is the one customer.*
// key that is a low-cardinality dimension.
func IsForbiddenMetricAttribute(key string) bool {
	if key == CustomerSegment {
		return false
	}
	for _, f := range forbiddenMetricAttributes {
		if key == f || (strings.HasSuffix(f, ".") && strings.HasPrefix(key, f)) {
			return true
		}
	}
	return false
}

// MaxLabelValueBytes bounds a label value taken from telemetry (a
// threshold rule's group_by value). Real ones are names and routes of a
// few dozen bytes; the edge lets values of 64 KiB through, and a store
// of series bounded in number is bounded in memory only with this.
const MaxLabelValueBytes = 512

// CutLabelValue returns s cut to at most MaxLabelValueBytes at a UTF-8
// boundary, marked with "…" when cut. Values that share their first
// MaxLabelValueBytes bytes become one label value.
func CutLabelValue(s string) string { return cutText(s, MaxLabelValueBytes) }

// cutText returns s cut to at most n bytes at a UTF-8 boundary, marked
// with "…" when cut.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return CutUTF8(s, n) + "…"
}

// CutUTF8 returns s cut to at most n bytes without splitting a UTF-8
// sequence: the cut moves back to the start of the rune at n.
func CutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
