package contract

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestCutLabelValue(t *testing.T) {
	short := strings.Repeat("a", MaxLabelValueBytes)
	assert.Equal(t, short, CutLabelValue(short))
	long := strings.Repeat("a", MaxLabelValueBytes-1) + "é" + "tail"
	got := CutLabelValue(long)
	assert.Equal(t, strings.Repeat("a", MaxLabelValueBytes-1)+"…", got, "the two-byte é across the bound is not split")
	assert.True(t, utf8.ValidString(got))
	assert.Equal(t, got, CutLabelValue(long+"other"), "values that share their first bytes become one")
}

// CutUTF8 is the byte cut the edge, Sentry and label values share: never
// inside a rune, never longer than n.
func TestCutUTF8(t *testing.T) {
	assert.Equal(t, "abc", CutUTF8("abc", 3))
	assert.Equal(t, "ab", CutUTF8("abc", 2))
	assert.Equal(t, "a", CutUTF8("a€b", 3), "the three-byte € across the cut goes whole")
	assert.Equal(t, "a€", CutUTF8("a€b", 4))
	assert.Empty(t, CutUTF8("€", 2))
	assert.Empty(t, CutUTF8("abc", 0))
}
